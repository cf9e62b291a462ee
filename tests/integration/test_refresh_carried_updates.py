"""Issue 8 part 2: after the annual refresh, what was already filed for the new year's quarters belongs
to the carried-forward action (dashboard, My actions, tracker, report), old links redirect to it, and the
refresh lets the coordinator give overdue carried-forward actions a new timescale in the same step."""

import re
from functools import partial

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import SubActionStatus, Update
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.cycle import service as cycle_service
from app.extensions import db
from app.refresh import service
from app.reports import service as report_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests import helpers
from tests.conftest import csrf_token

Q3_2018 = Quarter(2018, 3)
Q4_2018 = Quarter(2018, 4)
Q1_2019 = Quarter(2019, 1)


action = partial(helpers.action, fresh=True)  # each look-up reads what the last request committed


def post(client, url, data, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/dashboard")}, **kwargs)


@pytest.fixture
def filed_then_refreshed(app, make_user, agency_named):
    """The issue's steps: the police lead submits B1 for 2019/20 Q1 (and 2018/19 Q4), the coordinator
    accepts the Q1 update and locks 2018/19 Q4, then the plan is refreshed for 2019/20."""
    police = agency_named("Metropolitan Police Service")
    lead = make_user("lead", police)
    coordinator = make_user("coordinator")
    calendar.set_current_quarter(coordinator, Q1_2019)
    b1 = action("B1", 2018)
    sub = b1.sub_actions[0]
    q4 = actions_service.save_update(lead, b1, police, Q4_2018, version=0, status=Status.GREEN,
                                     commentary="Q4 work.", mitigation="", sub_statuses={}, submit=True)
    q1 = actions_service.save_update(lead, b1, police, Q1_2019, version=0, status=Status.AMBER,
                                     commentary="Protocol drafted, sign-off slipping.", mitigation="Escalated.",
                                     sub_statuses={sub.id: Status.AMBER}, submit=True)
    db.session.commit()
    cycle_service.review(coordinator, q1, version=q1.version, accept=True)
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Board meets")
    db.session.commit()
    service.run_refresh(coordinator, 2019)
    db.session.commit()
    return {"lead": lead, "coordinator": coordinator, "police": police, "old": b1.id,
            "new": action("B1", 2019).id, "q1": q1.id, "q4": q4.id}


def test_the_update_filed_for_the_new_year_belongs_to_the_carried_forward_row(filed_then_refreshed):
    s = filed_then_refreshed
    moved = db.session.get(Update, s["q1"])
    assert moved.action_id == s["new"], "the 2019/20 Q1 update moves to the 2019/20 row"
    assert moved.state == "accepted" and moved.status == "amber" and moved.commentary.startswith("Protocol")
    # Its sub-action status now points at the new row's sub-action 1, not the old row's.
    new_sub = action("B1", 2019).sub_actions[0]
    statuses = db.session.scalars(select(SubActionStatus).where(SubActionStatus.update_id == moved.id)).all()
    assert [(st.sub_action_id, st.status) for st in statuses] == [(new_sub.id, "amber")]
    # The old year's quarter stays on the old row: the locked 2018/19 Q4 report cannot change.
    assert db.session.get(Update, s["q4"]).action_id == s["old"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "carry-forward",
                                                       AuditEvent.entity_id == moved.id))
    assert event is not None and event.old == {"action_id": s["old"]} and event.new == {"action_id": s["new"]}
    assert event.user_id == s["coordinator"].id


def test_dashboard_my_actions_tracker_and_report_show_the_filed_update(filed_then_refreshed):
    s = filed_then_refreshed
    row = next(r for r in actions_service.dashboard(Q1_2019).rows if r.action.code == "B1")
    assert row.action.id == s["new"]
    assert row.status is Status.AMBER and [u.id for u in row.updates] == [s["q1"]]
    assert row.previous_status is Status.GREEN
    # A page of the dashboard ranks its own rows apart from the whole plan's: last quarter's status is
    # still read from the row it was reported under, the 2018/19 action B1 was carried forward from.
    paged = next(r for page in range(1, 6) for r in actions_service.dashboard(Q1_2019, page=page, per_page=10).rows
                 if r.action.code == "B1")
    assert (paged.status, paged.previous_status, paged.movement) == (Status.AMBER, Status.GREEN, row.movement)

    mine = next(r for r in actions_service.my_actions(s["police"].id, Q1_2019) if r.action.code == "B1")
    assert mine.state == "Accepted" and mine.update.id == s["q1"]

    item = next(i for i in cycle_service.tracker(Q1_2019).items
                if i.kind == "action" and i.code == "B1" and i.agency.id == s["police"].id)
    assert item.state == "accepted" and item.action_id == s["new"]  # the lead's link goes to the carried-forward row

    report = report_service.report(Q1_2019)
    assert next(r for r in report.rows if r.action.code == "B1").status is Status.AMBER
    assert any(r.action.code == "B1" for r in report.exceptions)

    # The locked quarter's report reads exactly as before.
    old = next(r for r in report_service.report(Q4_2018).rows if r.action.code == "B1")
    assert old.action.id == s["old"] and old.status is Status.GREEN


def test_the_pages_show_the_filed_update(filed_then_refreshed, login):
    s = filed_then_refreshed
    lead = login(user=s["lead"])
    page = lead.get("/my-actions").get_data(as_text=True)
    b1 = re.search(r'href="/actions/(\d+)/updates/\d+/2019-20-Q1">B1:.*?</tr>', page, re.S)
    assert b1 and int(b1.group(1)) == s["new"]
    assert "Accepted" in b1.group(0) and "Not started" not in b1.group(0)
    board = login("viewer").get("/dashboard?quarter=2019-20-Q1").get_data(as_text=True)
    assert f"/actions/{s['new']}" in board
    form = lead.get(f"/actions/{s['new']}/updates/{s['police'].id}/2019-20-Q1")
    assert form.status_code == 200 and "Protocol drafted" in form.get_data(as_text=True)


def test_old_links_redirect_to_the_carried_forward_row(filed_then_refreshed, login):
    s = filed_then_refreshed
    lead = login(user=s["lead"])
    old_url = f"/actions/{s['old']}/updates/{s['police'].id}/2019-20-Q1"
    r = lead.get(old_url)
    assert r.status_code in (301, 302)
    assert r.headers["Location"].endswith(f"/actions/{s['new']}/updates/{s['police'].id}/2019-20-Q1")
    # A form opened before the refresh and sent after it still lands on the carried-forward row.
    r = post(lead, old_url, {"status": "red", "commentary": "x", "mitigation": "y", "version": "1"})
    assert r.status_code == 307 and r.headers["Location"].endswith(
        f"/actions/{s['new']}/updates/{s['police'].id}/2019-20-Q1")
    # The old year's quarters stay on the old row, and the new row sends them back to it.
    assert lead.get(f"/actions/{s['old']}/updates/{s['police'].id}/2018-19-Q4").status_code == 200
    r = lead.get(f"/actions/{s['new']}/updates/{s['police'].id}/2018-19-Q3")
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/actions/{s['old']}/updates/{s['police'].id}/2018-19-Q3")

    viewer = login("viewer")
    r = viewer.get(f"/actions/{s['old']}")  # the current quarter, 2019/20 Q1, is in the new plan year
    assert r.status_code in (301, 302) and r.headers["Location"].endswith(f"/actions/{s['new']}")
    r = viewer.get(f"/actions/{s['old']}?quarter=2019-20-Q1")
    assert r.status_code in (301, 302) and r.headers["Location"].endswith(f"/actions/{s['new']}?quarter=2019-20-Q1")
    # Asked for a quarter of the old year, the old row is shown as it was.
    page = viewer.get(f"/actions/{s['old']}?quarter=2018-19-Q4")
    assert page.status_code == 200 and "plan for 2018/19" in page.get_data(as_text=True)
    page = viewer.get(f"/actions/{s['new']}").get_data(as_text=True)
    assert "Protocol drafted" in page and "Q4 work." in page
    # A quarter that is not one of the strategy's is not found.
    assert viewer.get(f"/actions/{s['old']}?quarter=nonsense").status_code == 404


def test_the_old_years_plan_page_links_to_its_own_rows(filed_then_refreshed, login):
    s = filed_then_refreshed
    page = login("coordinator").get("/plan/2018-19").get_data(as_text=True)
    assert f'/actions/{s["old"]}?quarter=2018-19-Q4"' in page


def test_nothing_moves_when_nothing_was_filed_ahead(app, make_user):
    coordinator = make_user("coordinator")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Board meets")
    db.session.commit()
    service.run_refresh(coordinator, 2019)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.verb == "carry-forward")) == 0


# --- carried-forward actions past their due date ----------------------------------------------------

PAST_DUE = {"A2", "A4", "A6", "B2", "B7", "B8", "C4"}  # "March 2019 (onwards)": due before 2019/20 starts


@pytest.fixture
def q4_locked(app, make_user):
    """2018/19 Q4 locked with A4 reported Complete, so it closes instead of carrying forward."""
    a4 = action("A4", 2018)
    for lead in a4.leads:
        actions_service.save_update(make_user("lead", lead.agency), a4, lead.agency, Q4_2018, version=0,
                                    status=Status.COMPLETE, commentary="Done.", mitigation="", sub_statuses={},
                                    submit=True)
    coordinator = make_user("coordinator")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Board meets")
    db.session.commit()
    return coordinator


def test_the_preview_lists_carried_forward_actions_past_their_due_date(q4_locked, login):
    preview = service.preview(2019)
    assert {r.action.code for r in preview.past_due} == PAST_DUE - {"A4"}, "A4 closes, A5 is due April 2019"
    page = login("coordinator").get("/plan/refresh/2019-20").get_data(as_text=True)
    table = page.split('id="past-due-actions"', 1)[1].split("</table>", 1)[0]
    assert set(re.findall(r'data-code="(\w+)"', table)) == PAST_DUE - {"A4"}
    b2 = action("B2", 2018)
    assert f'name="timescale_{b2.id}"' in page and 'value="March 2019"' in page
    assert 'name="timescale_' + str(action("C2", 2018).id) + '"' not in page


def test_the_refresh_sets_a_new_timescale_in_the_same_step(q4_locked, login):
    client = login("coordinator")
    b2, b7 = action("B2", 2018), action("B7", 2018)
    r = post(client, "/plan/refresh/2019-20", {f"timescale_{b2.id}": " March 2020 ",
                                               f"timescale_{b7.id}": "March 2019",
                                               "confirm": "Refresh the plan"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    new_b2, new_b7 = action("B2", 2019), action("B7", 2019)
    assert new_b2.timescale == "March 2020" and new_b2.due_date.isoformat() == "2020-03-31"
    assert new_b7.timescale == "March 2019", "left as it was, the old timescale is kept"
    assert action("B2", 2018).timescale == "March 2019", "the old year's row is untouched"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "action",
                                                       AuditEvent.entity_id == new_b2.id))
    assert event.user_id == client.user.id
    assert event.old == {"timescale": "March 2019", "due_date": "2019-03-31"}
    assert event.new == {"timescale": "March 2020", "due_date": "2020-03-31"}
    board = actions_service.dashboard(Q1_2019, status="overdue")
    overdue = {row.action.code for row in board.rows}
    assert "B2" not in overdue and "B7" in overdue


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter a timescale for B2, like March 2020 or Ongoing"),
    ("February 2019", "The timescale for B2 names a month before the new plan year starts"),
    ("x" * 201, "The timescale for B2 must be 200 characters or fewer"),
])
def test_a_new_timescale_is_validated_and_nothing_is_written(q4_locked, login, typed, message):
    from app.refresh.models import PlanRefresh

    client = login("coordinator")
    b2 = action("B2", 2018)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    r = post(client, "/plan/refresh/2019-20", {f"timescale_{b2.id}": typed, "confirm": "Refresh the plan"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "govuk-error-summary" in page and message in page
    assert db.session.scalar(select(func.count()).select_from(PlanRefresh)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_service_refuses_a_timescale_it_was_not_offered(q4_locked):
    with pytest.raises(ValueError, match="past their due date"):
        service.run_refresh(q4_locked, 2019, timescales={action("C2", 2018).id: "March 2021"})
    db.session.rollback()
    with pytest.raises(ValueError, match="names a month before"):
        service.run_refresh(q4_locked, 2019, timescales={action("B2", 2018).id: "June 2018"})
    db.session.rollback()
    assert action("B2", 2019) is None


def test_the_preview_says_which_updates_will_move(app, make_user, agency_named, login):
    police = agency_named("Metropolitan Police Service")
    lead = make_user("lead", police)
    b1 = action("B1", 2018)
    actions_service.save_update(lead, b1, police, Q1_2019, version=0, status=Status.GREEN, commentary="Early.",
                                mitigation="", sub_statuses={}, submit=True)
    coordinator = make_user("coordinator")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Board meets")
    db.session.commit()
    assert next(r for r in service.preview(2019).rows if r.action.code == "B1").filed_ahead == 1
    page = login(user=coordinator).get("/plan/refresh/2019-20").get_data(as_text=True)
    row = re.search(r'data-code="B1">(.*?)</tr>', page, re.S).group(1)
    assert "1 update already filed for 2019/20: will move to the carried-forward row" in row
