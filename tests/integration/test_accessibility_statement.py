"""The accessibility statement: public, linked from every footer, its text from the partnership's file."""

import logging

import pytest

from app.statement import REQUIRED_SECTIONS


def test_anyone_can_read_the_statement_and_it_has_every_required_part(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Accessibility statement for the Havering VAWG action plan</h1>" in html
    for section_id in REQUIRED_SECTIONS:
        assert f'id="{section_id}"' in html
    assert "WCAG) version 2.2" in html
    assert "Equality Advisory and Support Service" in html


@pytest.mark.parametrize("path", ["/sign-in", "/accessibility", "/no-such-page"])
def test_the_footer_links_to_the_statement_signed_out(client, path):
    html = client.get(path).get_data(as_text=True)
    assert '<a class="govuk-footer__link" href="/accessibility">Accessibility statement</a>' in html


@pytest.mark.parametrize("role", ["lead", "coordinator", "viewer"])
def test_the_footer_links_to_the_statement_signed_in(login, role):
    client = login(role)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/accessibility">Accessibility statement</a>' in html


def test_the_text_comes_from_the_file_and_is_escaped(app, client, tmp_path):
    sections = "\n".join(
        f"  - id: {key}\n    heading: Part {key}\n    paragraphs: ['<script>alert(1)</script> plain {key}']"
        for key in REQUIRED_SECTIONS)
    path = tmp_path / "statement.yaml"
    path.write_text(f"title: Our own statement\nsections:\n{sections}\n", encoding="utf-8")
    app.config["ACCESSIBILITY_STATEMENT_FILE"] = str(path)
    html = client.get("/accessibility").get_data(as_text=True)
    assert "Our own statement" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; plain testing" in html
    assert "<script>alert(1)" not in html


def test_a_broken_file_shows_how_to_report_a_problem_and_is_logged(app, client, tmp_path, caplog):
    path = tmp_path / "statement.yaml"
    path.write_text("title: Half edited\nsections:\n  - id: standard\n", encoding="utf-8")
    app.config["ACCESSIBILITY_STATEMENT_FILE"] = str(path)
    with caplog.at_level(logging.ERROR):
        response = client.get("/accessibility")
    assert response.status_code == 200
    assert "To report an accessibility problem" in response.get_data(as_text=True)
    assert "Accessibility statement" in caplog.text and "not shown" in caplog.text


def test_report_charts_link_to_their_figures(login):
    """Issue 15: a chart needs its data as a table, or a link to one."""
    client = login("coordinator")
    html = client.get("/reports/2019-20-Q1").get_data(as_text=True)
    assert html.count('class="app-report-chart"') >= 1
    assert 'href="#indicator-table">indicator table</a>' in html
    assert "s table by quarter</a>" in html
