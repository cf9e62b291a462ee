"""The accessibility statement file: the committed default is complete, and a bad edit is refused with a reason."""

from pathlib import Path

import pytest

from app.statement import REQUIRED_SECTIONS, StatementError, load, parse

DEFAULT = Path(__file__).resolve().parents[2] / "content" / "accessibility.yaml"

MINIMAL = """
title: Statement
sections:
{sections}
"""


def _sections(ids, extra=""):
    return "\n".join(f"  - id: {i}\n    heading: H {i}\n    paragraphs: [text]{extra}" for i in ids)


def test_the_committed_statement_has_every_part_the_regulations_require():
    statement = load(DEFAULT)
    assert set(REQUIRED_SECTIONS) <= {s.id for s in statement.sections}
    standard = next(s for s in statement.sections if s.id == "standard")
    assert "WCAG" in standard.paragraphs[0] and "2.2" in standard.paragraphs[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: [unclosed", "not valid YAML"),
        ("just text", "title and a list of sections"),
        ("sections: []", "needs a title"),
        ("title: T\nsections: []", "needs a list of sections"),
        ("title: T\nsections:\n  - heading: no id\n    paragraphs: [x]", "needs an id and a heading"),
        (MINIMAL.format(sections=_sections(["standard", "known-issues", "report-a-problem", "enforcement"])),
         "missing required sections: testing"),
        (MINIMAL.format(sections=_sections(REQUIRED_SECTIONS) + "\n  - id: empty\n    heading: Empty"), "is empty"),
        (MINIMAL.format(sections=_sections(REQUIRED_SECTIONS, "\n    links: [{text: x, href: 'javascript:alert(1)'}]")),
         "an href must start with"),
        (MINIMAL.format(sections=_sections(REQUIRED_SECTIONS, "\n    links: [{text: x, href: '//evil.example'}]")),
         "an href must start with"),
        (MINIMAL.format(sections=_sections(REQUIRED_SECTIONS, "\n    items: [1, 2]")), "must be a list of text"),
    ],
)
def test_a_malformed_statement_is_refused_with_a_reason(text, message):
    with pytest.raises(StatementError, match=message):
        parse(text)


@pytest.mark.parametrize("href", ["https://example.org", "mailto:team@example.org", "tel:+441708000000", "/dashboard"])
def test_safe_links_are_kept(href):
    text = MINIMAL.format(sections=_sections(REQUIRED_SECTIONS, f"\n    links: [{{text: Contact, href: '{href}'}}]"))
    assert parse(text).sections[0].links[0].href == href


def test_a_missing_file_is_a_statement_error(tmp_path):
    with pytest.raises(StatementError, match="cannot read"):
        load(tmp_path / "absent.yaml")
