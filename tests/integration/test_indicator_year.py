"""How an indicator's quarters add up to a year, and "as it stood at the lock", everywhere it is shown.

Each test here reproduces a defect of issue 8 (parts 1 and 3) and was written before the fix.
"""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cycle import service as cycle_service
from app.database import utcnow
from app.extensions import db
from app.kpis import service as kpi_service
from app.kpis.models import Indicator, IndicatorTarget
from app.reports import service as report_service
from app.reports import year_end as year_end_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.factories import add_target, add_value

YEAR = Quarter(2018, 1).year_quarters()
Q4 = Quarter(2018, 4)


def _ind(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def _values(code: str, year: int, values: dict, parts: dict | None = None) -> None:
    indicator = _ind(code)
    for number, value in values.items():
        numerator, denominator = (parts or {}).get(number, (None, None))
        add_value(indicator, Quarter(year, number), value, numerator=numerator, denominator=denominator)


def _target(code: str, value: float, basis: str = "quarter", year: int = 2018, at=None) -> IndicatorTarget:
    return add_target(_ind(code), year, value, basis=basis, note="test", set_at=at or utcnow())


def _lock(make_user, quarter: Quarter) -> None:
    period = calendar.period_for(quarter)
    cycle_service.lock(make_user("coordinator"), quarter, version=period.version, reason="Board meets")
    db.session.commit()


def _outturns(year: int = 2018) -> dict:
    return {r.indicator.code: r for r in year_end_service.year_end(year).outturns}


def _page_row(client, url: str, marker: str) -> tuple[str, str]:
    """The page at `url` as a viewer reads it (entities unescaped) and its table row marked `marker`
    (an attribute, like 'data-code="MA03"')."""
    page = html.unescape(client.get(url).get_data(as_text=True))
    return page, re.search(re.escape(marker) + r">(.*?)</tr>", page, re.S).group(1)


def _report_line(code: str, quarter: Quarter = Q4, audience: str = "partnership"):
    return next(line for line in report_service.report(quarter, audience).indicators if line.indicator.code == code)


# --- part 1: how quarters add up ------------------------------------------------------------------


def test_a_snapshot_outturn_is_the_latest_quarter_against_the_quarterly_target(app):
    # MARAC core agencies attending, 8 or 9 of a target of 10 every quarter: Red every quarter.
    _values("MA03", 2018, {1: 8, 2: 9, 3: 8, 4: 8})
    _target("MA03", 10)
    db.session.commit()
    row = _outturns()["MA03"]
    assert row.outturn.value == 8, "agencies attending do not add up over the year"
    assert row.target.value == 10
    assert row.rag.label == "Red"


def test_a_flow_outturn_is_the_year_total_against_the_quarterly_targets_summed(app):
    # IDVA referrals from health: 28 in the year against 8 a quarter, that is 32 for the year.
    _values("ID02", 2018, {1: 6, 2: 7, 3: 8, 4: 7})
    _target("ID02", 8)
    db.session.commit()
    row = _outturns()["ID02"]
    assert row.outturn.value == 28
    assert row.target.value == 32
    assert row.rag.label == "Red", "28 is below 32 less 10% (28.8), with no year before to improve on"


def test_a_flow_outturn_against_an_annual_target_is_compared_as_is(app):
    _values("ID02", 2018, {1: 6, 2: 7, 3: 8, 4: 7})
    _target("ID02", 30, basis="year")
    db.session.commit()
    row = _outturns()["ID02"]
    assert (row.outturn.value, row.target.value, row.rag.label) == (28, 30, "Green")


def test_year_to_date_of_a_snapshot_is_the_latest_quarter_not_a_sum(app):
    _values("MA03", 2018, {1: 2, 2: 4})
    db.session.commit()
    line = _report_line("MA03", Quarter(2018, 2))
    assert line.year_to_date.shown == 4


def test_year_to_date_of_a_rate_is_recomputed_from_summed_parts(app):
    # 1/10 (10%) and 99/100 (99%): the year so far is 100/110 = 90.9%, not the mean 54.5%, nor blank.
    _values("DV04", 2018, {1: 10.0, 2: 99.0}, parts={1: (1, 10), 2: (99, 100)})
    db.session.commit()
    line = _report_line("DV04", Quarter(2018, 2))
    assert line.year_to_date.shown == pytest.approx(100 / 110 * 100)


def test_year_end_page_shows_the_snapshot_outturn(app, login):
    _values("MA03", 2018, {1: 8, 2: 9, 3: 8, 4: 9})
    _target("MA03", 10)
    db.session.commit()
    _, row = _page_row(login("viewer"), "/plan/year-end/2018-19", 'data-code="MA03"')
    assert re.search(r'data-role="outturn">\s*9\s*<', row)
    assert "Q4 value" in row and "34" not in row


# --- part 3: one rule for "as it stood at the lock" -------------------------------------------------


def test_the_indicator_page_and_the_report_rate_a_locked_quarter_alike(app, login, make_user):
    # 72% against 77% with the corporate 10% tolerance (69.3%) is Green; a 90% target agreed after the
    # lock would make it Red. The locked quarter keeps the rating it had when it was signed off.
    _values("DV04", 2018, {2: 72.0})
    db.session.commit()
    _lock(make_user, Quarter(2018, 2))
    late = _target("DV04", 90, at=utcnow() + timedelta(seconds=5))
    db.session.commit()
    assert late.set_at > calendar.locked_at(Quarter(2018, 2))

    assert _report_line("DV04", Quarter(2018, 2)).rag.label == "Green"
    _, row = _page_row(login("viewer"), "/indicators/DV04", 'data-quarter="2018-19-Q2"')
    assert "Green" in row and "77.0%" in row


def test_the_public_rule_is_the_same_function_the_report_uses(app, make_user):
    _values("DV04", 2018, {2: 72.0})
    db.session.commit()
    _lock(make_user, Quarter(2018, 2))
    _target("DV04", 90, at=utcnow() + timedelta(seconds=5))
    db.session.commit()
    standing = kpi_service.as_locked([_ind("DV04")], Quarter(2018, 2))[0]
    assert standing.current.rag.label == "Green" and standing.current.target.value == 77


# --- the published audience: a year to date never reveals a withheld quarter --------------------------


def test_a_published_snapshot_year_to_date_is_its_latest_quarter_as_published(app):
    # ID01 (victims supported) is a snapshot: Q2's 3 is shown as <5, and so is the year to date it is.
    _values("ID01", 2018, {1: 10, 2: 3})
    db.session.commit()
    line = _report_line("ID01", Quarter(2018, 2), "published")
    assert [c.shown for c in line.cells][-2:] == [10, "<5"]
    assert line.year_to_date.shown == "<5"


def test_a_published_rate_year_to_date_is_withheld_when_a_quarter_it_rests_on_is(app):
    # CJ01 Q2 is 3 of 10 (built on a small count, withheld); 33 of 70 beside Q1's 50% would give it away.
    _values("CJ01", 2018, {1: 50.0, 2: 30.0}, parts={1: (30, 60), 2: (3, 10)})
    db.session.commit()
    line = _report_line("CJ01", Quarter(2018, 2), "published")
    assert line.value.shown == "[c]"
    assert line.year_to_date.shown == "[c]" and line.year_to_date.suppressed
    assert _report_line("CJ01", Quarter(2018, 2), "partnership").year_to_date.shown == pytest.approx(33 / 70 * 100)


def test_a_published_rate_year_to_date_is_shown_when_nothing_it_rests_on_is_withheld(app):
    _values("CJ01", 2018, {1: 50.0, 2: 50.0}, parts={1: (30, 60), 2: (20, 40)})
    db.session.commit()
    assert _report_line("CJ01", Quarter(2018, 2), "published").year_to_date.shown == 50


def test_the_q4_pack_publishes_each_outturn_as_the_indicators_sheet_publishes_the_year_to_date(app):
    _values("ID03", 2018, {1: 10, 2: 3, 3: 10, 4: 10})
    _values("MA03", 2018, {1: 8, 2: 9, 3: 8, 4: 8})
    _target("MA03", 10)
    db.session.commit()
    data = report_service.report(Q4, "published")
    outturns = {o.code: o for o in data.year_end.outturns}
    lines = {line.indicator.code: line for line in data.indicators}
    for code in ("ID03", "MA03"):
        assert outturns[code].outturn == lines[code].year_to_date.shown
    assert (outturns["MA03"].outturn, outturns["MA03"].target, outturns["MA03"].rag) == (8, 10, "Red")
    assert outturns["MA03"].basis == "Q4 value"


# --- missing quarters ------------------------------------------------------------------------------------


def test_a_year_missing_a_quarter_is_shown_but_not_rated(app, login):
    _values("ID02", 2018, {1: 9, 3: 9, 4: 9})
    _target("ID02", 8)
    db.session.commit()
    row = _outturns()["ID02"]
    assert row.outturn.value == 27 and not row.outturn.complete and row.rag.label == "No rating"
    assert row.outturn.basis == "Total of Q1, Q3, Q4 only (Q2 missing)"
    line = _report_line("ID02")
    assert line.ytd_note == "incomplete: Q2 missing"
    page = html.unescape(login("viewer").get(f"/reports/{Q4.slug}").get_data(as_text=True))
    assert "incomplete: Q2 missing" in page


def test_the_indicator_page_shows_each_years_outturn(app, login):
    _values("ID02", 2018, {1: 6, 2: 7, 3: 8, 4: 7})
    _target("ID02", 8)
    db.session.commit()
    page, row = _page_row(login("viewer"), "/indicators/ID02", 'data-year="2018-19-Q4"')
    assert re.search(r'data-role="ytd">\s*28\s*<', row) and "Year total" in row and "32" in row and "Red" in row
    assert "Flow: the quarters add up to the year" in page


# --- the seeded kinds -------------------------------------------------------------------------------------


def test_every_seeded_indicator_has_the_kind_its_definition_gives_and_the_catalogue_says_why(app):
    from app.kpis.seed import INDICATORS_FILE, read_indicators

    documented = dict(
        re.findall(
            r"^\| ([A-Z]{2}\d{2}) \| (flow|snapshot|rate|cumulative) \|",
            (INDICATORS_FILE.parent / "INDICATORS.md").read_text(),
            re.M,
        )
    )
    seeded = {i.code: i.aggregation for i in kpi_service.indicators()}
    assert seeded == {e["code"]: e["aggregation"] for e in read_indicators()} == documented
    assert len(seeded) == 28
    assert (seeded["MA03"], seeded["ID02"], seeded["DV04"], seeded["CH01"], seeded["CP01"]) == (
        "snapshot",
        "flow",
        "rate",
        "cumulative",
        "snapshot",
    )
    assert {t.basis for t in db.session.scalars(select(IndicatorTarget))} == {"year"}


def test_nothing_outside_the_indicators_package_calls_its_private_helpers():
    from pathlib import Path

    import app as package

    root = Path(package.__file__).parent
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in root.rglob("*.py")
        if path.parent.name != "kpis"
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"kpi_service\._|from app\.kpis\.service import _", line)
    ]
    assert offenders == []
