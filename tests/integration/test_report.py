"""The HCSP quarterly report page: content, audiences, locked quarters and their reproducibility."""

import html
import re

import pytest
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpi_service
from app.reports import service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.helpers import count_queries
from tests.integration.report_helpers import Q4_2018, load_demo_data, set_value

URL = f"/reports/{Q4_2018.slug}"
Q3 = Quarter(2018, 3)  # no year-end sheet: the annual refresh's summary has its own queries


@pytest.fixture
def demo(app):
    load_demo_data()


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _cell(page: str, code: str, cell: str) -> str:
    row = re.search(rf'data-indicator="{code}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-cell="{cell}">(.*?)</td>', row).group(1).strip()


def test_report_shows_headline_exceptions_completions_indicators_and_missing_returns(demo, login):
    board = actions_service.dashboard(Q4_2018)
    red_amber = [r.action.code for r in board.rows if r.status in (Status.RED, Status.AMBER)]
    completed = [r.action.code for r in board.rows
                 if r.status is Status.COMPLETE and r.previous_status is not Status.COMPLETE]
    assert red_amber and completed, "the demo year should have exceptions and completions in Q4"

    page = _text(login("viewer").get(URL))
    assert "HCSP quarterly report, 2018/19 Q4" in page
    headline = re.search(r'id="headline-all">(.*?)</tr>', page, re.S).group(1)
    assert f"<strong>{board.counts[Status.RED]}</strong>" in headline
    exceptions = re.search(r'id="exceptions"(.*?)</section>', page, re.S).group(1)
    assert re.findall(r'data-action="([^"]+)"', exceptions) == (
        [r.action.code for r in board.rows if r.status is Status.RED]
        + [r.action.code for r in board.rows if r.status is Status.AMBER])
    first = next(r for r in board.rows if r.action.code == red_amber[0])
    assert first.updates[0].commentary in exceptions and "Mitigation:" in exceptions
    completions = re.search(r'id="completions"(.*?)</section>', page, re.S).group(1)
    assert re.findall(r'data-action="([^"]+)"', completions) == completed
    # Indicator table: value, target ("No target agreed" when none), RAG as text, directions with arrows.
    assert _cell(page, "ID02", "value") not in ("", "No value")
    row = re.search(r'data-indicator="DV01">(.*?)</tr>', page, re.S).group(1)
    assert "No target agreed" in row and "No rating" in row
    row = re.search(r'data-indicator="DV04">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r"(Green|Amber|Red)</strong>", row) and re.search(r"[↑↓→] (Improving|Declining|No change)", row)
    assert 'src="/reports/2018-19-Q4/charts/' in page  # headline indicator charts
    # Returns: the demo leaves some agencies short.
    returns = re.search(r'id="returns"(.*?)</section>', page, re.S).group(1)
    tracker = cycle_service.tracker(Q4_2018)
    for row in tracker.rows:
        assert (row.agency.name in returns) == bool(row.outstanding)
    assert "is not locked" in page and "OFFICIAL-SENSITIVE" in page


def test_locked_banner_and_reopen_note(demo, login, make_user):
    coordinator, admin = make_user("coordinator"), make_user("admin")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Probation return not received")
    db.session.commit()
    cycle_service.reopen(admin, Q4_2018, version=period.version, reason="MARAC figure was wrong")
    db.session.commit()
    page = _text(login("viewer").get(URL))
    assert "is not locked" in page
    assert re.search(r"Re-opened on \d+ \w+ \d{4} by Test Admin because MARAC figure was wrong\.", page)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Corrected")
    db.session.commit()
    page = _text(login("viewer").get(URL))
    assert "2018/19 Q4 is locked: these figures are final." in page
    assert "with returns missing because Probation return not received" in page


def test_published_preview_suppresses_a_small_value_the_partnership_sees(demo, login):
    set_value("DV03", Q4_2018, 3.0)
    db.session.commit()
    client = login("viewer")
    assert _cell(_text(client.get(URL)), "DV03", "value") == "3"
    published = _text(client.get(URL + "?audience=published"))
    assert _cell(published, "DV03", "value") == "<5"
    assert "Counts of 1 to 4 are shown as <5" in published
    assert "OFFICIAL-SENSITIVE" not in published
    json = client.get(f"/reports/{Q4_2018.slug}/indicators.json?audience=published",
                      follow_redirects=True).get_json()
    dv03 = next(i for i in json["items"] if i["code"] == "DV03")
    assert dv03["values"][Q4_2018.slug] == "<5"


def test_an_unknown_audience_or_quarter_is_not_found(demo, login):
    client = login("viewer")
    assert client.get(URL + "?audience=everyone").status_code == 400  # refused (issue 9 A)
    assert client.get("/reports/2030-31-Q1").status_code == 404
    assert client.get("/reports/nonsense").status_code == 404


def _figures(quarter: Quarter, audience: str) -> tuple:
    data = service.report(quarter, audience)
    pack = service.pack_data(quarter, audience, data)
    return service.as_json(data)["indicators"], pack.indicators, pack.summary, pack.actions, pack.suppressed


@pytest.mark.parametrize("audience", ["partnership", "published"])
def test_a_locked_quarter_always_reproduces_the_same_figures(demo, make_user, audience):
    coordinator = make_user("coordinator")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Closing for the board")
    db.session.commit()
    before = _figures(Q4_2018, audience)

    # After the lock: a new 2018/19 target, and a value for a later quarter.
    indicator = kpi_service.indicator_by_code("DV04")
    kpi_service.set_target(coordinator, indicator, 2018, value=95.0, profile=None, lower=None, upper=None,
                           tolerance=None, note="Raised after the lock")
    set_value("DV03", Quarter(2019, 1), 2.0)
    db.session.commit()

    assert _figures(Q4_2018, audience) == before
    # ... while an unlocked quarter does see the new target.
    assert kpi_service.target_for(indicator, Q4_2018).value == 95.0


def test_the_report_is_gathered_in_a_constant_number_of_queries(demo, app):
    with count_queries() as statements:
        service.report(Q3, "published")  # creates the quarter's reporting period on first sight
        db.session.commit()
        db.session.expire_all()
        statements.clear()
        service.report(Q3, "published")
        first = len(statements)
        # Twice the indicator values and another quarter of updates must not add queries.
        for code in ("DV01", "DV02", "DV03", "MA01"):
            set_value(code, Quarter(2017, 4), 7.0)
        db.session.commit()
        db.session.expire_all()
        statements.clear()
        service.report(Q3, "published")
        assert len(statements) == first
        assert first <= 30, first


def test_indicator_table_matches_the_kpi_service(demo):
    data = service.report(Q4_2018, "partnership")
    catalogue = {row.indicator.code: row for row in kpi_service.catalogue(Q4_2018)}
    for line in data.indicators:
        row = catalogue[line.indicator.code]
        if row.quarter == Q4_2018:
            assert line.value.shown == pytest.approx(row.assessment.value)
            assert line.rag == row.rag
    assert select  # imported for readers extending these tests
