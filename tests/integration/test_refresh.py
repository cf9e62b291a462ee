"""The annual refresh: preconditions, what closes and carries forward, targets, one transaction,
editing/retiring/adding in the new year, the old year kept read-only, and the year-end summary."""

from functools import partial

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action, ActionLead, SubAction, Update
from app.actions.rollup import Movement, Status
from app.audit.models import AuditEvent
from app.cycle import service as cycle_service
from app.errors import ConflictError, DuplicateError
from app.extensions import db
from app.kpis import service as kpi_service
from app.kpis.models import Indicator, IndicatorTarget
from app.refresh import editing, service
from app.refresh.models import PlanRefresh, RefreshOutcome
from app.reports import year_end as year_end_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests import helpers
from tests.conftest import csrf_token
from tests.helpers import count_queries

Q4_2018 = Quarter(2018, 4)
Q1_2019 = Quarter(2019, 1)


action = partial(helpers.action, fresh=True)  # each look-up reads what the last request committed


def indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def report(make_user):
    """report("A1", Status.COMPLETE): every lead agency of A1 submits that status for 2018/19 Q4."""
    users = {}

    def do(code: str, status: Status, quarter: Quarter = Q4_2018, year: int = 2018):
        act = action(code, year)
        for lead in act.leads:
            user = users.get(lead.agency_id) or make_user("lead", lead.agency)
            users[lead.agency_id] = user
            actions_service.save_update(
                user, act, lead.agency, quarter, version=0, status=status, commentary="Done.",
                mitigation="Escalated." if status.needs_mitigation else "", sub_statuses={}, submit=True)
        db.session.commit()

    return do


@pytest.fixture
def lock(make_user):
    def do(quarter: Quarter = Q4_2018):
        period = calendar.period_for(quarter)
        cycle_service.lock(make_user("coordinator"), quarter, version=period.version, reason="Board meets")
        db.session.commit()

    return do


@pytest.fixture
def refreshed(app, report, lock, make_user):
    """2018/19 Q4 reported (A1 complete, A2 amber), locked, and the plan refreshed for 2019/20."""
    report("A1", Status.COMPLETE)
    report("A2", Status.AMBER)
    lock()
    coordinator = make_user("coordinator")
    service.run_refresh(coordinator, 2019, targets={indicator("DV04").id: service.TargetChoice(value=80)})
    db.session.commit()
    return coordinator


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/dashboard")})


# --- preconditions ------------------------------------------------------------------------------

def test_refresh_is_refused_until_the_previous_q4_is_locked(login):
    client = login("coordinator")
    page = client.get("/plan/refresh/2019-20").get_data(as_text=True)
    assert "2018/19 Q4 is not locked yet" in page
    assert "Refresh the plan</button>" not in page
    before = count(AuditEvent)
    r = post(client, "/plan/refresh/2019-20", {"confirm": "Refresh the plan"})
    assert r.status_code == 200 and "2018/19 Q4 is not locked yet" in r.get_data(as_text=True)
    assert count(PlanRefresh) == 0 and count(Action, Action.plan_year == 2019) == 0
    assert count(AuditEvent) == before
    with pytest.raises(service.RefreshRefusedError, match="not locked"):
        service.run_refresh(client.user, 2019)


def test_refresh_runs_once_per_year(refreshed, login):
    client = login("coordinator")
    page = client.get("/plan/refresh/2019-20").get_data(as_text=True)
    assert "was refreshed on" in page
    before = count(Action)
    r = post(client, "/plan/refresh/2019-20", {"confirm": "Refresh the plan"})
    assert r.status_code == 200
    assert count(Action) == before and count(PlanRefresh) == 1
    with pytest.raises(service.RefreshRefusedError, match="already been refreshed"):
        service.run_refresh(refreshed, 2019)


@pytest.mark.parametrize("fy", ["2018-19", "2022-23", "2019-21", "nonsense"])
def test_years_that_cannot_be_refreshed(login, fy):
    client = login("coordinator")
    r = client.get(f"/plan/refresh/{fy}")
    if fy == "2018-19":
        assert "is not a year that can be refreshed" in r.get_data(as_text=True)
    else:
        assert r.status_code == 404


# --- the refresh itself ----------------------------------------------------------------------------

def test_refresh_through_the_page_closes_complete_and_carries_the_rest(login, report, lock):
    report("A1", Status.COMPLETE)
    report("A2", Status.AMBER)
    lock()
    client = login("coordinator")
    page = client.get("/plan/refresh/2019-20").get_data(as_text=True)
    assert 'data-code="A1"' in page and "Closed (complete)" in page
    assert 'value="77"' in page, "the target field is prefilled with last year's target"
    dv04, dv05 = indicator("DV04"), indicator("DV05")
    r = post(client, "/plan/refresh/2019-20", {f"target_{dv04.id}": "80", f"target_{dv05.id}": "",
                                               "confirm": "Refresh the plan"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]

    old_count = count(Action, Action.plan_year == 2018)
    assert action("A1", 2019) is None, "a complete action closes"
    assert count(Action, Action.plan_year == 2019) == old_count - 1
    for old in db.session.scalars(select(Action).where(Action.plan_year == 2018, Action.code != "A1")):
        new = action(old.code, 2019)
        assert new.predecessor_id == old.id
        assert new.title == old.title and new.timescale == old.timescale and new.objective_id == old.objective_id
        assert [(lead.agency_id, lead.position) for lead in new.leads] == [
            (lead.agency_id, lead.position) for lead in old.leads]
        assert [(s.number, s.text) for s in new.sub_actions] == [(s.number, s.text) for s in old.sub_actions]
        assert {s.id for s in new.sub_actions}.isdisjoint({s.id for s in old.sub_actions})

    refresh = db.session.scalar(select(PlanRefresh))
    assert refresh.year == 2019 and refresh.from_year == 2018 and refresh.run_by_id == client.user.id
    outcomes = {o.code: o for o in refresh.outcomes}
    assert outcomes["A1"].outcome == "closed" and outcomes["A1"].q4_status == "complete"
    assert outcomes["A2"].outcome == "carried_forward" and outcomes["A2"].new_action_id == action("A2", 2019).id
    assert outcomes["B2"].q4_status == "no_update"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "refresh"))
    assert event.user_id == client.user.id and event.new["closed"] == ["A1"] and "A2" in event.new["carried_forward"]

    assert kpi_service.target_for(dv04, Q1_2019).value == 80
    assert kpi_service.target_for(dv04, Q4_2018).value == 77, "last year's target is untouched"
    assert kpi_service.target_for(dv05, Q1_2019) is None, "blank means no target agreed for the new year"
    assert kpi_service.target_for(dv05, Q4_2018).value == 47


def test_refresh_leaves_the_old_year_exactly_as_it_was(app, report, lock, make_user):
    report("A1", Status.COMPLETE)
    report("A2", Status.AMBER)
    report("A3", Status.GREEN, quarter=Quarter(2018, 3))
    lock()

    def snapshot():
        db.session.expire_all()
        actions = [(a.id, a.code, a.title, a.timescale, a.version, a.predecessor_id,
                    [lead.agency_id for lead in a.leads], [(s.id, s.text) for s in a.sub_actions])
                   for a in db.session.scalars(select(Action).where(Action.plan_year == 2018).order_by(Action.id))]
        updates = [(u.id, u.action_id, u.status, u.commentary, u.version)
                   for u in db.session.scalars(select(Update).order_by(Update.id))]
        board = actions_service.dashboard(Q4_2018)
        rows = [(r.action.id, r.status, r.previous_status) for r in board.rows]
        return actions, updates, board.counts, rows

    before = snapshot()
    service.run_refresh(make_user("coordinator"), 2019)
    db.session.commit()
    assert snapshot() == before


def test_new_years_dashboard_shows_carried_forward_actions_and_movement_from_the_old_rows(refreshed):
    board = actions_service.dashboard(Q1_2019)
    codes = [r.action.code for r in board.rows]
    assert "A1" not in codes and "A2" in codes
    a2 = next(r for r in board.rows if r.action.code == "A2")
    assert a2.action.plan_year == 2019
    assert a2.previous_status is Status.AMBER, "last quarter's status comes from the 2018/19 row"
    assert a2.status is Status.NO_UPDATE, "nothing reported yet in the new year"
    assert a2.movement is Movement.NOT_COMPARABLE, "a missing update is not evidence of change"
    # the old quarter's dashboard still shows the old rows
    old = actions_service.dashboard(Q4_2018)
    assert {r.action.plan_year for r in old.rows} == {2018}
    assert next(r for r in old.rows if r.action.code == "A1").status is Status.COMPLETE


def test_the_refresh_is_one_transaction(app, report, lock, make_user, monkeypatch):
    report("A1", Status.COMPLETE)
    lock()
    coordinator = make_user("coordinator")
    before = (count(Action), count(ActionLead), count(SubAction), count(IndicatorTarget), count(AuditEvent))
    real_copy = service._copy_action
    calls = []

    def failing_copy(old, year):
        calls.append(old.code)
        if len(calls) == 5:
            raise RuntimeError("disk full")
        return real_copy(old, year)

    monkeypatch.setattr(service, "_copy_action", failing_copy)
    with pytest.raises(RuntimeError):
        service.run_refresh(coordinator, 2019, targets={indicator("DV04").id: service.TargetChoice(value=80)})
    db.session.rollback()
    assert len(calls) == 5
    assert (count(Action), count(ActionLead), count(SubAction), count(IndicatorTarget), count(AuditEvent)) == before
    assert count(PlanRefresh) == 0 and count(RefreshOutcome) == 0


def test_a_failure_in_the_page_leaves_nothing(app, report, lock, login, monkeypatch):
    report("A1", Status.COMPLETE)
    lock()
    client = login("coordinator")
    token = csrf_token(client, "/dashboard")
    before = (count(Action), count(IndicatorTarget), count(AuditEvent))

    def fail_on_targets(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "_set_targets", fail_on_targets)  # after every action was copied
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.post("/plan/refresh/2019-20", data={"confirm": "Refresh the plan", "csrf_token": token})
    assert r.status_code == 500
    assert (count(Action), count(IndicatorTarget), count(AuditEvent)) == before
    assert count(PlanRefresh) == 0


def test_a_refresh_is_refused_once_a_quarter_of_the_new_year_is_locked(report, lock, make_user):
    lock()
    lock(Q1_2019)
    assert "is already locked" in service.refusal(2019)


# --- editing the new year -------------------------------------------------------------------------

def test_edit_an_action_of_the_new_year(refreshed, login, agency_named):
    client = login("coordinator")
    a3 = action("A3", 2019)
    old_a3 = action("A3", 2018)
    old_title, old_subs = old_a3.title, [s.text for s in old_a3.sub_actions]
    page = client.get(f"/plan/actions/{a3.id}/edit").get_data(as_text=True)
    assert a3.title in page
    police = agency_named("Metropolitan Police Service")
    r = post(client, f"/plan/actions/{a3.id}/edit", {
        "title": "Run a borough-wide awareness campaign", "timescale": "September 2019",
        "sub_actions": "First sub-action\n\nSecond sub-action", "outcomes": "More reports",
        "leads": [str(police.id)], "version": str(a3.version)})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    a3 = action("A3", 2019)
    assert a3.title == "Run a borough-wide awareness campaign"
    assert a3.due_date.isoformat() == "2019-09-30", "the due date is re-derived from the timescale"
    assert [s.text for s in a3.sub_actions] == ["First sub-action", "Second sub-action"]
    assert [lead.agency_id for lead in a3.leads] == [police.id]
    assert a3.outcomes == ["More reports"] and a3.version == 2
    old_a3 = action("A3", 2018)
    assert old_a3.title == old_title and [s.text for s in old_a3.sub_actions] == old_subs
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "action", AuditEvent.verb == "update"))
    assert event.old["title"] == old_title and event.new["title"] == a3.title
    assert event.new["due_date"] == "2019-09-30" and event.new["leads"] == ["Police"]


def test_edit_validation_messages(refreshed, login):
    client = login("coordinator")
    a3 = action("A3", 2019)
    r = post(client, f"/plan/actions/{a3.id}/edit", {"title": "  ", "timescale": "x" * 201,
                                                    "version": str(a3.version)})
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Enter the action" in page and "Select at least one lead agency" in page
    assert "The timescale must be 200 characters or fewer" in page
    assert action("A3", 2019).version == a3.version


def test_edit_conflict_is_shown_and_nothing_is_overwritten(refreshed, login):
    first, second = login("coordinator"), login("admin")
    a3 = action("A3", 2019)
    stale = a3.version
    leads = [str(lead.agency_id) for lead in a3.leads]
    assert post(first, f"/plan/actions/{a3.id}/edit", {"title": "First title", "leads": leads,
                                                       "version": str(stale)}).status_code == 302
    r = post(second, f"/plan/actions/{a3.id}/edit", {"title": "Second title", "leads": leads,
                                                     "version": str(stale)})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Someone else changed this action while you were editing" in page
    assert "First title" in page and "Second title" in page, "theirs shown, yours kept"
    assert action("A3", 2019).title == "First title"
    with pytest.raises(ConflictError):
        editing.edit_action(second.user, action("A3", 2019), version=stale, title="x", timescale="",
                            outcomes=[], sub_actions=[], lead_ids=[int(leads[0])])


def test_edit_by_htmx_swaps_the_form_in_place(refreshed, login):
    client = login("coordinator")
    a3 = action("A3", 2019)
    r = client.post(f"/plan/actions/{a3.id}/edit",
                    data={"title": "Swapped", "leads": [str(a3.leads[0].agency_id)], "version": str(a3.version)},
                    headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/dashboard")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.lstrip().startswith('<div id="action-form">') and "A3 saved" in page


def test_a_sub_action_with_a_reported_status_cannot_be_removed(refreshed, login, make_user):
    a3 = action("A3", 2019)
    lead = a3.leads[0]
    actions_service.save_update(make_user("lead", lead.agency), a3, lead.agency, Q1_2019, version=0,
                                status=Status.GREEN, commentary="ok", mitigation="",
                                sub_statuses={a3.sub_actions[-1].id: Status.GREEN}, submit=True)
    db.session.commit()
    client = login("coordinator")
    r = post(client, f"/plan/actions/{a3.id}/edit", {"title": a3.title, "sub_actions": "Only one",
                                                    "leads": [str(lead.agency_id)], "version": str(a3.version)})
    assert r.status_code == 200 and "already has a status reported against it" in r.get_data(as_text=True)
    assert len(action("A3", 2019).sub_actions) == len(a3.sub_actions)


def test_retire_an_action(refreshed, login, make_user, agency_named):
    client = login("coordinator")
    a2 = action("A2", 2019)
    r = post(client, f"/plan/actions/{a2.id}/retire", {"reason": " ", "version": str(a2.version)})
    assert r.status_code == 200 and "Enter the reason for retiring this action" in r.get_data(as_text=True)
    assert action("A2", 2019).retired_at is None
    r = post(client, f"/plan/actions/{a2.id}/retire", {"reason": "Merged into B1", "version": str(a2.version)})
    assert r.status_code == 302
    a2 = action("A2", 2019)
    assert a2.retired_at is not None and a2.retired_reason == "Merged into B1" and a2.retired_by_id == client.user.id
    assert "A2" not in [r.action.code for r in actions_service.dashboard(Q1_2019).rows]
    police = agency_named("Metropolitan Police Service")
    assert "A2" not in [r.action.code for r in actions_service.my_actions(police.id, Q1_2019)]
    assert "A2" in [r.action.code for r in actions_service.dashboard(Q4_2018).rows], "last year keeps it"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "retire"))
    assert event.old["retired"] is False and event.new["retired_reason"] == "Merged into B1"
    r = post(client, f"/plan/actions/{a2.id}/retire", {"reason": "Again", "version": str(a2.version)})
    assert "A2 is already retired" in r.get_data(as_text=True)
    # a form built before someone else's change is a conflict, and nothing is retired
    a3 = action("A3", 2019)
    editing.edit_action(refreshed, a3, version=a3.version, title="Changed meanwhile", timescale="",
                        outcomes=[], sub_actions=[s.text for s in a3.sub_actions],
                        lead_ids=[lead.agency_id for lead in a3.leads])
    db.session.commit()
    r = post(client, f"/plan/actions/{a3.id}/retire", {"reason": "Stale", "version": "1"})
    page = r.get_data(as_text=True)
    assert "Someone else changed this action while you were deciding" in page and "Changed meanwhile" in page
    assert action("A3", 2019).retired_at is None


def test_retire_and_add_are_refused_once_a_quarter_of_the_year_is_locked(refreshed, lock, login):
    lock(Q1_2019)
    client = login("coordinator")
    a2 = action("A2", 2019)
    r = post(client, f"/plan/actions/{a2.id}/retire", {"reason": "Merged", "version": str(a2.version)})
    assert "2019/20 Q1 is locked" in r.get_data(as_text=True)
    assert action("A2", 2019).retired_at is None


def test_add_an_action(refreshed, login, agency_named):
    client = login("coordinator")
    vs = agency_named("Victim Support")
    assert "Add an action" in client.get("/plan/2019-20/actions/new").get_data(as_text=True)
    base = {"objective": "B", "title": "Pilot a peer support group", "timescale": "December 2019",
            "leads": [str(vs.id)], "sub_actions": "Recruit\nRun", "version": "0"}
    r = post(client, "/plan/2019-20/actions/new", base | {"code": "b2"})
    assert r.status_code == 200 and "B2 is already an action in the 2019/20 plan" in r.get_data(as_text=True)
    r = post(client, "/plan/2019-20/actions/new", base | {"code": "A99"})
    assert "The code must start with the objective&#39;s letter, B" in r.get_data(as_text=True)
    r = post(client, "/plan/2019-20/actions/new", base | {"code": "B 1"})
    assert "Enter a code of the objective&#39;s letter and a number" in r.get_data(as_text=True)
    r = post(client, "/plan/2019-20/actions/new", {"version": "0"})
    page = r.get_data(as_text=True)
    assert "Select an objective" in page and "Enter a code, like B10" in page and "Enter the action" in page
    before = count(Action)
    r = post(client, "/plan/2019-20/actions/new", base | {"code": "b10"})
    assert r.status_code == 302 and count(Action) == before + 1
    b10 = action("B10", 2019)
    assert b10.predecessor_id is None and b10.due_date.isoformat() == "2019-12-31" and b10.number == 10
    assert [lead.agency_id for lead in b10.leads] == [vs.id] and [s.text for s in b10.sub_actions] == ["Recruit", "Run"]
    assert "B10" in [r.action.code for r in actions_service.dashboard(Q1_2019).rows]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "create", AuditEvent.entity == "action"))
    with pytest.raises(DuplicateError):
        editing.add_action(client.user, 2019, objective=b10.objective, code="B10", title="x", timescale="",
                           lead_ids=[vs.id])


def test_writes_to_the_old_year_are_refused_at_the_service_level(refreshed, login):
    old = action("A3", 2018)
    lead_ids = [lead.agency_id for lead in old.leads]
    with pytest.raises(editing.PlanYearReadOnlyError):
        editing.edit_action(refreshed, old, version=old.version, title="Rewritten", timescale="",
                            outcomes=[], sub_actions=[], lead_ids=lead_ids)
    with pytest.raises(editing.PlanYearReadOnlyError):
        editing.retire_action(refreshed, old, version=old.version, reason="Gone")
    with pytest.raises(editing.PlanYearReadOnlyError):
        editing.add_action(refreshed, 2018, objective=old.objective, code="A20", title="x", timescale="",
                           lead_ids=lead_ids)
    db.session.rollback()
    assert action("A3", 2018).title == old.title and action("A3", 2018).retired_at is None
    client = login("coordinator")
    assert client.get(f"/plan/actions/{old.id}/edit").status_code == 403
    assert post(client, f"/plan/actions/{old.id}/retire", {"reason": "x", "version": "1"}).status_code == 403
    assert client.get("/plan/2018-19/actions/new").status_code == 403


def test_the_seeded_plan_is_read_only_before_any_refresh(app, make_user):
    a1 = action("A1")
    assert not editing.is_writable(a1)
    with pytest.raises(editing.PlanYearReadOnlyError):
        editing.retire_action(make_user("coordinator"), a1, version=1, reason="x")


def test_plan_pages(refreshed, login):
    client = login("coordinator")
    index = client.get("/plan").get_data(as_text=True)
    assert "Refreshed on" in index and "2018/19 Q4 is not locked yet" not in index
    assert "2019/20 Q4 is not locked yet" in index
    year = client.get("/plan/2019-20").get_data(as_text=True)
    assert "Carried forward" in year and "Edit<span" in year
    old = client.get("/plan/2018-19").get_data(as_text=True)
    assert "This plan is read-only" in old and "Edit<span" not in old


# --- the year-end summary ----------------------------------------------------------------------------

def _enter(user, code, year, values, denominator=None):
    """Enter values; with a denominator each value is the numerator of a rate over it."""
    ind = indicator(code)
    for quarter, value in values.items():
        numerator = int(value) if denominator else None
        kpi_service.save_value(user, ind, Quarter(year, quarter), version=0, value=value, numerator=numerator,
                               denominator=denominator, note="", provisional=False)
    db.session.commit()


def test_year_end_summary_figures(app, report, lock, make_user, login):
    csp_user = make_user("coordinator")
    ma03, dv04 = indicator("MA03"), indicator("DV04")
    owner_ma = make_user("lead", ma03.owner)
    owner_dv = make_user("lead", dv04.owner)
    _enter(owner_ma, "MA03", 2017, {1: 5, 2: 5, 3: 5, 4: 4})
    _enter(owner_ma, "MA03", 2018, {1: 10, 2: 12, 3: 8, 4: 5})
    _enter(owner_dv, "DV04", 2017, {1: 60, 2: 60, 3: 60, 4: 60}, denominator=100)
    _enter(owner_dv, "DV04", 2018, {1: 50, 2: 60, 3: 70, 4: 80}, denominator=100)
    report("A1", Status.COMPLETE)
    report("A2", Status.AMBER)
    report("A2", Status.RED, quarter=Quarter(2018, 3))
    lock()
    summary = year_end_service.year_end(2018)
    rows = {r.indicator.code: r for r in summary.outturns}
    # MA03 counts agencies attending: a snapshot, so the year stands at Q4, not the sum of the quarters.
    assert rows["MA03"].outturn.value == 5 and rows["MA03"].outturn.basis == "Q4 value"
    assert rows["MA03"].last_year.value == 4 and rows["MA03"].long_term.label == "Improving"
    # DV04 is a rate: 260 arrests of 400 offences in the year, not the Q4 rate or an average of rates.
    assert rows["DV04"].outturn.value == 65.0
    assert rows["DV04"].outturn.basis == "Rate for the year from summed numerators and denominators"
    assert rows["DV04"].target.value == 77
    assert rows["DV04"].rag.label == "Amber", "outside tolerance (69.3) but better than last year's 60"
    assert [a.code for a in summary.completed] == ["A1"]
    assert "A2" in [c.action.code for c in summary.carried_forward] and summary.refresh is None
    counts = dict(summary.rag_by_quarter)
    assert counts[Q4_2018][Status.COMPLETE] == 1 and counts[Q4_2018][Status.AMBER] == 1
    assert counts[Quarter(2018, 3)][Status.RED] == 1
    assert sum(counts[Q4_2018].values()) == count(Action, Action.plan_year == 2018)

    service.run_refresh(csp_user, 2019)
    db.session.commit()
    a5 = action("A5", 2019)
    editing.retire_action(csp_user, a5, version=a5.version, reason="Delivered by the schools programme")
    db.session.commit()
    summary = year_end_service.year_end(2018)
    assert summary.refresh is not None
    assert [a.code for a in summary.completed] == ["A1"]
    carried = {c.action.code: c.new_action for c in summary.carried_forward}
    assert carried["A2"].plan_year == 2019
    retired_2019 = year_end_service.year_end(2019)
    assert [a.code for a in retired_2019.retired] == ["A5"]

    page = login("viewer").get("/plan/year-end/2018-19").get_data(as_text=True)
    assert "Year-end summary for 2018/19" in page and 'data-code="MA03"' in page and "Q4 value" in page
    assert "Completed (1)" in page and "Amber" in page


def test_year_end_pack_shape(refreshed):
    from app.reports import year_end
    from app.reports.workbook import YearEnd

    pack = year_end.for_pack(year_end.year_end(2018))
    assert isinstance(pack, YearEnd) and pack.year_label == "2018/19"
    assert pack.completed and pack.completed[0].startswith("A1: ")
    assert [r.objective for r in pack.rag_by_quarter] == ["2018/19 Q1", "2018/19 Q2", "2018/19 Q3", "2018/19 Q4"]
    assert pack.rag_by_quarter[3].counts["Complete"] == 1
    dv04 = next(r for r in pack.outturns if r.code == "DV04")
    assert dv04.target == 77 and dv04.rag == "No rating"


def test_year_end_pages_load_in_a_constant_number_of_queries(refreshed, login):
    client = login("viewer")
    with count_queries() as statements:
        client.get("/plan/year-end/2018-19")
        first = len(statements)
        statements.clear()
        a3 = action("A3", 2019)
        editing.add_action(refreshed, 2019, objective=a3.objective, code="A30", title="More", timescale="",
                           lead_ids=[a3.leads[0].agency_id])
        db.session.commit()
        statements.clear()
        client.get("/plan/year-end/2019-20")
        assert len(statements) <= first + 5
