"""Issue 8 part 7: `flask seed --demo` tells a true story.

Two years of updates and values up to a current quarter whose window is open; nothing after it; in it
some returns accepted, some submitted, exactly one returned and some missing; earlier quarters accepted
and locked; the plan refreshed for 2019/20; values consistent with their kind and with each other.
"""

import re
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.cycle import deadlines as cycle_rules
from app.cycle import service as cycle_service
from app.cycle.models import PeriodEvent
from app.demo import DEMO_CURRENT, demo_quarters
from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.refresh.models import PlanRefresh
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, default_dates


@pytest.fixture
def demo(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "the current quarter is 2019/20 Q3, its update window open" in result.output
    db.session.expire_all()
    return result.output


def values() -> dict[str, dict[Quarter, IndicatorValue]]:
    found: dict[str, dict[Quarter, IndicatorValue]] = defaultdict(dict)
    for value, code in db.session.execute(select(IndicatorValue, Indicator.code).join(Indicator)):
        found[code][value.period] = value
    return found


def test_two_years_of_updates_and_values_up_to_the_current_quarter(demo):
    assert calendar.current_quarter() == DEMO_CURRENT == Quarter(2019, 3)
    quarters = demo_quarters()
    assert quarters[0] == Quarter(2018, 1) and quarters[-1] == DEMO_CURRENT and len(quarters) == 7
    filed = set(db.session.execute(select(Update.year, Update.quarter).distinct()))
    assert filed == {(q.year, q.number) for q in quarters}
    entered = set(db.session.execute(select(IndicatorValue.year, IndicatorValue.quarter).distinct()))
    assert entered == {(q.year, q.number) for q in quarters}


def test_nothing_after_the_current_quarter(demo):
    after = [(y, q) for y, q in db.session.execute(select(Update.year, Update.quarter))
             if Quarter(y, q) > DEMO_CURRENT]
    after += [(y, q) for y, q in db.session.execute(select(IndicatorValue.year, IndicatorValue.quarter))
              if Quarter(y, q) > DEMO_CURRENT]
    assert after == []


def test_the_current_quarters_window_is_open_and_earlier_quarters_are_locked(demo):
    period = calendar.period_for(DEMO_CURRENT)
    assert cycle_service.status_of(period) is cycle_rules.PeriodStatus.OPEN
    assert period.opens_on == default_dates(DEMO_CURRENT)[0]
    for quarter in demo_quarters()[:-1]:
        assert calendar.is_locked(quarter), quarter.label
        assert [e.kind for e in cycle_service.period_events(quarter)] == ["locked"]
    assert not calendar.is_locked(DEMO_CURRENT)
    assert db.session.scalar(select(func.count()).select_from(PeriodEvent)) == len(demo_quarters()) - 1
    # Locked quarters hold nothing but accepted returns; what is missing is explained by the lock.
    for quarter in demo_quarters()[:-1]:
        board = cycle_service.tracker(quarter)
        assert {i.state for i in board.items} <= {"accepted", "missing"}
        missing = [i for i in board.items if i.state == "missing"]
        assert (board.period.lock_reason is not None) == bool(missing)


def test_the_current_quarter_has_a_mix_of_states_and_exactly_one_returned(demo):
    board = cycle_service.tracker(DEMO_CURRENT)
    states = {i.state for i in board.items}
    assert {"missing", "draft", "submitted", "accepted"} <= states
    returned = [i for i in board.items if i.returned]
    assert len(returned) == 1 and returned[0].kind == "action"
    assert returned[0].row.review_comment.startswith("[Demo]")
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)
                             .where(IndicatorValue.review_comment.is_not(None))) == 0
    for kind in ("action", "indicator"):
        assert {"missing", "submitted"} <= {i.state for i in board.items if i.kind == kind}, kind
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "return"))
    assert event.entity_id == returned[0].row.id


def test_the_plan_was_refreshed_and_the_new_year_is_reported_on_its_rows(demo):
    refresh = db.session.scalar(select(PlanRefresh))
    assert refresh.year == 2019 and refresh.from_year == 2018
    outcomes = {o.outcome for o in refresh.outcomes}
    assert outcomes == {"closed", "carried_forward"}
    # Every 2019/20 update sits on a 2019/20 row; none was left on a 2018/19 row.
    years = set(db.session.execute(select(Update.year, Action.plan_year).join(Action).distinct()))
    assert years == {(2018, 2018), (2019, 2019)}
    # The actions that closed were Complete at 2018/19 Q4 and have nothing filed since.
    closed = {o.code for o in refresh.outcomes if o.outcome == "closed"}
    q4 = {r.action.code: r.status for r in actions_service.dashboard(Quarter(2018, 4)).rows}
    assert closed and all(q4[code] is Status.COMPLETE for code in closed)
    # One overdue action kept its timescale (to show the flag); the others got a new one.
    new_rows = db.session.scalars(select(Action).where(Action.plan_year == 2019)).all()
    overdue = [a for a in new_rows if a.due_date and a.due_date < date(2019, 4, 1)]
    assert len(overdue) == 1
    assert any(a.timescale == "March 2020" for a in new_rows)


def test_every_quarter_has_red_amber_and_green_and_completions_are_reported(demo):
    for quarter in demo_quarters()[:-1]:
        statuses = {r.status for r in actions_service.dashboard(quarter).rows}
        assert {Status.GREEN, Status.AMBER} <= statuses, quarter.label
    assert Status.COMPLETE in {r.status for r in actions_service.dashboard(Quarter(2018, 4)).rows}
    assert any(r.status is Status.RED for q in demo_quarters() for r in actions_service.dashboard(q).rows)


def test_demo_data_is_labelled(demo):
    updates = db.session.scalars(select(Update)).all()
    assert updates and all(u.demo and u.commentary.startswith("[Demo]") for u in updates)
    assert all(u.mitigation.startswith("[Demo]") for u in updates if Status(u.status).needs_mitigation)
    found = db.session.scalars(select(IndicatorValue)).all()
    assert found and all(v.demo and v.note.startswith("[Demo]") for v in found)


def test_a_cumulative_series_never_falls_within_a_year_and_restarts_each_april(demo):
    by_code = values()
    cumulative = db.session.scalars(select(Indicator).where(Indicator.aggregation == "cumulative")).all()
    assert cumulative, "the catalogue has a year-to-date indicator (CH01)"
    for indicator in cumulative:
        series = by_code[indicator.code]
        for year in (2018, 2019):
            figures = [series[q].value for q in Quarter(year, 1).year_quarters() if q in series]
            assert figures == sorted(figures), (indicator.code, year, figures)
        assert series[Quarter(2019, 1)].value < series[Quarter(2018, 4)].value, "starts again in April"


def test_flows_are_plausible_and_agree_with_each_other(demo):
    by_code = values()
    for quarter in demo_quarters():
        calls, incidents, offences = (by_code[c][quarter].value for c in ("DV03", "DV02", "DV01"))
        assert 1200 <= calls <= 1800, (quarter.label, calls)  # one call every 87 minutes: ~1,500
        assert 550 <= incidents <= 850 and 220 <= offences <= 380, quarter.label
        assert calls > incidents + offences, quarter.label
        assert by_code["MA04"][quarter].value >= by_code["MA01"][quarter].value * 0.9


def test_rates_are_stored_as_parts_built_on_the_flows_they_divide(demo):
    by_code = values()
    for quarter in demo_quarters():
        dv01, dv04, dv05 = (by_code[c].get(quarter) for c in ("DV01", "DV04", "DV05"))
        assert dv04.denominator == dv01.value, "arrests are out of the offences recorded"
        assert dv05.denominator == dv04.numerator, "detections are out of the arrests"
        assert by_code["MA02"][quarter].denominator == by_code["MA01"][quarter].value
        cj01, cj02 = by_code["CJ01"][quarter], by_code["CJ02"][quarter]
        assert cj01.denominator == cj02.denominator and cj01.numerator + cj02.numerator <= cj01.denominator
    for value in (v for series in by_code.values() for v in series.values()):
        indicator = db.session.get(Indicator, value.indicator_id)
        if indicator.unit == "percentage":
            assert value.numerator is not None and value.denominator, indicator.code
            assert value.value == pytest.approx(100 * value.numerator / value.denominator)
            assert 0 <= value.value <= 100


def test_snapshots_and_annual_values_stay_in_their_range(demo):
    by_code = values()
    ma03 = [by_code["MA03"][q].value for q in demo_quarters() if q in by_code["MA03"]]
    assert ma03 and all(14 <= v <= 18 for v in ma03), "18 core agencies attended every MARAC in June 2018"
    assert all(abs(b - a) <= 1 for a, b in zip(ma03, ma03[1:], strict=False))
    annual = db.session.scalars(select(Indicator).where(Indicator.frequency == "annual")).all()
    for indicator in annual:
        assert {q.number for q in by_code[indicator.code]} == {4}, indicator.code
    # Small counts stay small, so the published outputs have something to suppress.
    assert any(0 < v.value < 5 for v in by_code["HP01"].values())


def test_seeding_the_demo_twice_adds_nothing(demo, app):
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Update, IndicatorValue, PeriodEvent)]
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0 and "Demo data already present" in result.output
    db.session.expire_all()
    assert [db.session.scalar(select(func.count()).select_from(m))
            for m in (Update, IndicatorValue, PeriodEvent)] == counts


def test_the_demo_pages_open(demo, login):
    viewer = login("viewer")
    for url in ("/dashboard", "/reports/2019-20-Q3", "/reports/2018-19-Q4", "/plan/year-end/2018-19"):
        assert viewer.get(url).status_code == 200, url
    coordinator = login("coordinator")
    for url in ("/cycle/2019-20-Q3", "/cycle/2018-19-Q4", "/plan/2019-20", "/plan/refresh/2019-20"):
        assert coordinator.get(url).status_code == 200, url
    page = coordinator.get("/cycle/2019-20-Q3").get_data(as_text=True)
    assert re.search(r'id="period-status"><strong class="govuk-tag [^"]+">Open</strong>', page)
    # The tracker counts each agency's outstanding returns; the list of them is one filter away (issue 11).
    outstanding = coordinator.get("/cycle/2019-20-Q3?show=outstanding").get_data(as_text=True)
    assert len(re.findall(r"<td class=\"govuk-table__cell\">Returned for changes", outstanding)) == 1
