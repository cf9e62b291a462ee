"""The quarterly cycle: periods, the tracker, review and sign-off, locking and re-opening."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.audit.models import AuditEvent
from app.cycle import service
from app.cycle.deadlines import PeriodStatus
from app.cycle.models import PeriodEvent
from app.errors import ConflictError
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.models import Indicator, IndicatorValue
from app.permissions import CYCLE_RUNNERS, REOPENERS, STAFF
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter
from app.strategy.service import QuarterLockedError
from tests.conftest import csrf_token, post_form
from tests.factories import add_update, add_value
from tests.helpers import action, audit_count, count_queries, enter_indicator_value, fresh, holds, submit_update

Q = Quarter(2019, 2)


def indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def submit(user, code="A2", agency=None, quarter=Q, submit=True) -> Update:
    return submit_update(user, code, quarter, agency=agency, submit=submit)


def enter_value(user, code="DV01", quarter=Q, value=12.0) -> IndicatorValue:
    return enter_indicator_value(user, code, quarter, value)


@pytest.fixture
def police_lead(make_user, police):
    return make_user("lead", police, name="Pat Police")


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Chris Coordinator")


# --- periods -------------------------------------------------------------------------------------


def test_period_is_created_lazily_with_default_dates(app):
    period = calendar.period_for(Q)
    db.session.commit()
    assert (period.opens_on, period.deadline) == (date(2019, 9, 16), date(2019, 10, 21))
    assert calendar.period_for(Q).id == period.id
    assert not calendar.is_locked(Q) and calendar.locked_at(Q) is None
    assert service.status_of(period, date(2019, 10, 22)) is PeriodStatus.CLOSED


def test_periods_page_lists_every_strategy_quarter_with_status_text(login):
    client = login("coordinator")
    page = client.get("/cycle/").get_data(as_text=True)
    assert page.count("data-quarter=") == len(calendar.quarters())
    assert "2019/20 Q2" in page and "16 Sep 2019" in page and "21 Oct 2019" in page
    assert "Closed for review" in page  # past quarters, not locked


def post_dates(client, version, opens_on, deadline, token: str | None = None):
    """Send the window's dates form (day, month, year lists) from `version`; `token` if taken earlier."""
    token = token or csrf_token(client, f"/cycle/{Q.slug}")
    return client.post(f"/cycle/{Q.slug}/dates", data={"csrf_token": token, "dates-version": str(version),
                                                        "dates-opens_on": opens_on, "dates-deadline": deadline})


def test_coordinator_changes_the_dates(login):
    client = login("coordinator")
    period = calendar.period_for(Q)
    db.session.commit()
    response = post_dates(client, period.version, ["1", "9", "2019"], ["31", "10", "2019"])
    assert response.status_code == 302
    db.session.expire_all()
    period = calendar.period_for(Q)
    assert (period.opens_on, period.deadline) == (date(2019, 9, 1), date(2019, 10, 31))
    assert period.version == 2


@pytest.mark.parametrize(
    ("opens", "deadline", "message"),
    [
        (["1", "11", "2019"], ["31", "10", "2019"], "The deadline must be after the date the window opens"),
        (["1", "9", "2019"], ["1", "9", "2019"], "The deadline must be after the date the window opens"),
        (["31", "2", "2019"], ["31", "10", "2019"], "Enter the date the window opens as a real date"),
        (["", "", ""], ["31", "10", "2019"], "Enter the date the window opens"),
    ],
)
def test_bad_dates_are_refused_next_to_the_field(login, opens, deadline, message):
    client = login("coordinator")
    period = calendar.period_for(Q)
    db.session.commit()
    response = post_dates(client, period.version, opens, deadline)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert message in body and "govuk-error-summary" in body
    db.session.expire_all()
    assert calendar.period_for(Q).deadline == date(2019, 10, 21)


def test_stale_dates_form_gets_a_conflict(login):
    client = login("coordinator")
    period = calendar.period_for(Q)
    db.session.commit()
    token = csrf_token(client, f"/cycle/{Q.slug}")
    service.set_dates(client.user, Q, version=period.version, opens_on=date(2019, 9, 2), deadline=date(2019, 10, 25))
    db.session.commit()
    response = post_dates(client, 1, ["1", "9", "2019"], ["31", "10", "2019"], token=token)
    assert response.status_code == 200
    assert "Someone else changed this quarter" in response.get_data(as_text=True)
    db.session.expire_all()
    assert calendar.period_for(Q).deadline == date(2019, 10, 25)


# --- the tracker --------------------------------------------------------------------------------


def test_tracker_counts_each_agencys_returns(app, police, police_lead):
    before = service.tracker(Q, date(2019, 10, 1))
    police_row = next(r for r in before.rows if r.agency.id == police.id)
    actions_led = len(actions_service.actions_for(Q, agency_id=police.id))
    indicators_owned = len([i for i in kpis_service.indicators(agency_id=police.id) if i.takes_value_in(Q)])
    assert (police_row.actions_due, police_row.indicators_due) == (actions_led, indicators_owned)
    assert police_row.submitted == 0 and police_row.completion == 0
    assert len(police_row.outstanding) == actions_led + indicators_owned

    submit(police_lead, "A2")
    submit(police_lead, "B3", submit=False)  # a draft is still outstanding
    enter_value(police_lead, "DV01")
    after = service.tracker(Q, date(2019, 10, 1))
    police_row = next(r for r in after.rows if r.agency.id == police.id)
    assert (police_row.actions_submitted, police_row.indicators_submitted) == (1, 1)
    assert len(police_row.outstanding) == actions_led + indicators_owned - 2
    assert after.submitted == 2 and after.due == before.due
    assert {i.code for i in after.awaiting_review} == {"A2", "DV01"}
    assert not after.overdue
    assert service.tracker(Q, date(2019, 10, 22)).overdue


def test_tracker_runs_in_a_constant_number_of_queries(app, police_lead):
    calendar.period_for(Q)
    submit(police_lead, "A2")
    enter_value(police_lead, "DV01")
    db.session.expire_all()
    with count_queries() as few:
        service.tracker(Q)
    led = [a for a in actions_service.actions_for(Q, agency_id=police_lead.agency_id) if a.code != "A2"]
    for act in led:
        submit(police_lead, act.code)
    for code in ("DV02", "DV03", "DV04"):
        enter_value(police_lead, code, value=50.0)
    db.session.expire_all()
    assert len(led) >= 2
    with count_queries() as more:
        service.tracker(Q)
    assert len(more) == len(few)


def test_tracker_page_shows_completion_and_overdue_as_text(login, police_lead):
    submit(police_lead, "A2")
    client = login("coordinator")
    service.set_dates(
        client.user, Q, version=calendar.period_for(Q).version, opens_on=date(2019, 9, 16), deadline=date(2019, 10, 21)
    )
    db.session.commit()
    page = client.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    assert "Submission tracker" in page
    police_row = re.search(r'<tr class="govuk-table__row" data-agency="Police">(.*?)</tr>', page, re.S)
    assert police_row, "the Police row is in the tracker"
    row = police_row.group(1)
    assert "Metropolitan Police Service" in row
    assert re.search(r"\b1 of \d+", row), "the submitted update counts as text"
    assert re.search(r"\d+%", row), "completion shows as a percentage"
    assert "Overdue" in row  # 2019 is long past
    assert "Closed for review" in page


# --- review --------------------------------------------------------------------------------------


def review_url(item) -> str:
    kind = "update" if isinstance(item, Update) else "value"
    return f"/cycle/{Q.slug}/review/{kind}/{item.id}"


def post_review(client, item, decision: str, comment: str = "", version: int | None = None):
    """Send the review form for `item` (accept or return), from the version the reviewer saw."""
    return post_form(client, review_url(item), {"decision": decision, "comment": comment,
                                                "version": str(item.version if version is None else version)},
                     token_from=review_url(item))


def test_coordinator_accepts_an_update(login, police_lead):
    upd = submit(police_lead)
    client = login("coordinator")
    assert "On track." in client.get(review_url(upd)).get_data(as_text=True)
    response = post_review(client, upd, "accept")
    assert response.status_code == 302
    upd = fresh(Update, upd.id)
    assert upd.state == "accepted" and upd.reviewed_by_id == client.user.id and upd.reviewed_at
    event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "accept"))
    assert event_row.old == {"state": "submitted", "review_comment": None}
    assert event_row.new["state"] == "accepted"


def test_returned_update_goes_back_to_the_lead_as_a_draft_with_the_comment(login, police_lead, police):
    upd = submit(police_lead)
    client = login("coordinator")
    response = post_review(client, upd, "return", "Say what the steering group decided.")
    assert response.status_code == 302
    upd = fresh(Update, upd.id)
    assert upd.state == "draft" and upd.review_comment == "Say what the steering group decided."

    lead = login(user=police_lead)
    form = lead.get(f"/actions/{upd.action_id}/updates/{police.id}/{Q.slug}").get_data(as_text=True)
    assert "Returned for changes" in form and "Say what the steering group decided." in form
    calendar.set_current_quarter(None, Q)
    db.session.commit()
    mine = lead.get("/my-actions").get_data(as_text=True)
    assert "Say what the steering group decided." in mine

    # the lead resubmits: it is waiting for review again and the comment no longer shows as current
    submit(police_lead)
    assert fresh(Update, upd.id).state == "submitted"
    assert "Returned for changes" not in lead.get(f"/actions/{upd.action_id}/updates/{police.id}/{Q.slug}").get_data(
        as_text=True
    )


def test_returning_needs_a_comment(login, police_lead):
    upd = submit(police_lead)
    client = login("coordinator")
    response = post_review(client, upd, "return", "  ")
    assert response.status_code == 200
    assert "Enter a comment saying what needs to change" in response.get_data(as_text=True)
    assert fresh(Update, upd.id).state == "submitted"


def test_indicator_values_are_reviewed_too(login, police_lead):
    row = enter_value(police_lead)
    client = login("coordinator")
    response = post_review(client, row, "return", "Check the count against CRIS.")
    assert response.status_code == 302
    row = fresh(IndicatorValue, row.id)
    assert (row.state, row.review_comment) == ("draft", "Check the count against CRIS.")
    enter_value(police_lead, value=13.0)
    row = fresh(IndicatorValue, row.id)
    service.review(client.user, row, version=row.version, accept=True)
    db.session.commit()
    assert db.session.get(IndicatorValue, row.id).state == "accepted"


def test_separation_of_duties(login, make_user, agency_named):
    csp = agency_named("Community Safety Partnership")
    coordinator = make_user("coordinator", csp)
    upd = submit(coordinator, "A1", agency=csp)  # the coordinator's own team leads A1
    with pytest.raises(service.ReviewForbiddenError, match="separation of duties"):
        service.review(coordinator, upd, version=upd.version, accept=True)
    db.session.rollback()

    client = login(user=coordinator)
    response = post_review(client, upd, "accept")
    assert response.status_code == 403
    assert "separation of duties" in response.get_data(as_text=True)
    assert fresh(Update, upd.id).state == "submitted"

    # they may still return it, and a colleague may accept it
    colleague = make_user("coordinator", csp)
    service.review(colleague, upd, version=upd.version, accept=True)
    db.session.commit()
    assert db.session.get(Update, upd.id).state == "accepted"


def test_two_reviewers_conflict(login, police_lead, make_user):
    upd = submit(police_lead)
    first, second = login("coordinator"), login("coordinator")
    token = csrf_token(second, review_url(upd))
    service.review(first.user, upd, version=upd.version, accept=True)
    db.session.commit()
    response = second.post(
        review_url(upd), data={"csrf_token": token, "decision": "return", "comment": "Redo", "version": "1"}
    )
    assert response.status_code == 200
    assert "changed while you were reviewing it" in response.get_data(as_text=True)
    assert fresh(Update, upd.id).state == "accepted"


def test_review_of_an_item_from_another_quarter_is_404(login, police_lead):
    upd = submit(police_lead)
    client = login("coordinator")
    assert client.get(f"/cycle/2019-20-Q3/review/update/{upd.id}").status_code == 404
    assert client.get(f"/cycle/{Q.slug}/review/nonsense/{upd.id}").status_code == 404
    assert client.get(f"/cycle/{Q.slug}/review/update/999999").status_code == 404
    assert client.get("/cycle/2030-31-Q1").status_code == 404


# --- locking -------------------------------------------------------------------------------------


def accept_everything(quarter: Quarter, reviewer) -> None:
    """Give every due return for `quarter` an accepted row, directly (what a whole quarter of reviews does)."""
    for item in service.tracker(quarter).items:
        if item.kind == "action":
            act = db.session.scalar(
                select(Action).where(
                    Action.code == item.code, Action.plan_year == calendar.plan_year_for(quarter)
                )
            )
            add_update(act, item.agency.id, quarter, "green", state="accepted", commentary="ok",
                       reviewed_by_id=reviewer.id)
        else:
            add_value(indicator(item.code), quarter, 1.0, state="accepted", reviewed_by_id=reviewer.id)
    db.session.commit()


def test_lock_with_items_missing_needs_a_reason(login):
    client = login("coordinator")
    period = calendar.period_for(Q)
    db.session.commit()
    token = csrf_token(client, f"/cycle/{Q.slug}")
    response = client.post(
        f"/cycle/{Q.slug}/lock", data={"csrf_token": token, "lock-version": str(period.version), "lock-reason": ""}
    )
    assert response.status_code == 200
    assert "enter the reason for closing the quarter with items missing" in response.get_data(as_text=True)
    assert not calendar.is_locked(Q)

    response = client.post(
        f"/cycle/{Q.slug}/lock",
        data={
            "csrf_token": token,
            "lock-version": str(period.version),
            "lock-reason": "Strategic Group agreed to report without Probation, who are mid-restructure.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert calendar.is_locked(Q) and calendar.locked_at(Q) is not None
    events = service.period_events(Q)
    assert [(e.kind, e.by_id) for e in events] == [("locked", client.user.id)]
    assert "mid-restructure" in events[0].reason
    page = client.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    assert "Locked" in page and "closed with returns missing because" in page


def test_lock_with_everything_accepted_needs_no_reason(login, coordinator):
    accept_everything(Q, coordinator)
    board = service.tracker(Q)
    assert board.all_accepted and board.completion == 100
    period = service.lock(coordinator, Q, version=board.period.version)
    db.session.commit()
    assert period.is_locked and period.lock_reason is None
    assert service.period_events(Q)[0].reason is None
    with pytest.raises(QuarterLockedError):
        service.lock(coordinator, Q, version=period.version)


def test_locked_quarter_rejects_writes_at_the_service_level(app, police_lead, coordinator):
    upd = submit(police_lead)
    value = enter_value(police_lead)
    service.lock(coordinator, Q, version=calendar.period_for(Q).version, reason="Board meets tomorrow")
    db.session.commit()
    before = audit_count()
    with pytest.raises(QuarterLockedError, match="locked"):
        submit(police_lead)
    db.session.rollback()
    with pytest.raises(QuarterLockedError):
        enter_value(police_lead, value=99.0)
    db.session.rollback()
    with pytest.raises(QuarterLockedError):
        service.review(coordinator, upd, version=upd.version, accept=True)
    db.session.rollback()
    db.session.expire_all()
    assert audit_count() == before
    assert db.session.get(IndicatorValue, value.id).value == 12.0
    assert db.session.get(Update, upd.id).state == "submitted"
    # another quarter is still writable
    submit(police_lead, quarter=Quarter(2019, 3))


def test_locked_quarter_rejects_writes_over_http(login, police, coordinator):
    lead = login("lead", police)
    act = action("A2")
    service.lock(coordinator, Q, version=calendar.period_for(Q).version, reason="Board meets tomorrow")
    db.session.commit()
    url = f"/actions/{act.id}/updates/{police.id}/{Q.slug}"
    token = csrf_token(lead, url)
    response = lead.post(
        url,
        data={
            "csrf_token": token,
            "status": "green",
            "commentary": "late",
            "version": "0",
            "submit_update": "Submit update",
        },
    )
    assert response.status_code in (200, 409, 423)
    assert "locked" in response.get_data(as_text=True)
    assert actions_service.find_update(act, police.id, Q) is None


def test_only_an_admin_reopens_with_a_reason(login, coordinator):
    service.lock(coordinator, Q, version=calendar.period_for(Q).version, reason="Board meets tomorrow")
    db.session.commit()
    version = str(calendar.period_for(Q).version)
    coord = login(user=coordinator)
    token = csrf_token(coord, f"/cycle/{Q.slug}")
    assert (
        coord.post(
            f"/cycle/{Q.slug}/reopen",
            data={"csrf_token": token, "reopen-version": version, "reopen-reopen_reason": "x"},
        ).status_code
        == 403
    )
    assert calendar.is_locked(Q)

    admin = login("admin")
    token = csrf_token(admin, f"/cycle/{Q.slug}")
    response = admin.post(
        f"/cycle/{Q.slug}/reopen", data={"csrf_token": token, "reopen-version": version, "reopen-reopen_reason": ""}
    )
    assert response.status_code == 200 and "Enter the reason for re-opening" in response.get_data(as_text=True)
    response = admin.post(
        f"/cycle/{Q.slug}/reopen",
        data={
            "csrf_token": token,
            "reopen-version": version,
            "reopen-reopen_reason": "Police corrected the arrest figures.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not calendar.is_locked(Q)
    assert [e.kind for e in service.period_events(Q)] == ["locked", "reopened"]
    assert "Re-opened on" in admin.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    verbs = set(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.entity == "reporting_period")))
    assert {"lock", "reopen"} <= verbs


# --- the permission matrix for every new write route --------------------------------------------

ROLES = ["admin", "coordinator", "lead", "other_lead", "viewer"]


def _state() -> tuple:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        tuple(db.session.execute(select(ReportingPeriod.version, ReportingPeriod.locked_at)).all()),
        db.session.scalar(select(func.count()).select_from(PeriodEvent)),
        tuple(db.session.execute(select(Update.id, Update.state, Update.version)).all()),
    )


def _routes(ctx) -> dict:
    period = ctx["period"]
    return {
        "dates": (
            f"/cycle/{Q.slug}/dates",
            {
                "dates-version": str(period.version),
                "dates-opens_on": ["1", "9", "2019"],
                "dates-deadline": ["31", "10", "2019"],
            },
            CYCLE_RUNNERS,
        ),
        "review": (
            f"/cycle/{Q.slug}/review/update/{ctx['update'].id}",
            {"decision": "accept", "version": str(ctx["update"].version)},
            CYCLE_RUNNERS,
        ),
        "lock": (
            f"/cycle/{Q.slug}/lock",
            {"lock-version": str(period.version), "lock-reason": "Board"},
            CYCLE_RUNNERS,
        ),
        "reopen": (
            f"/cycle/{Q.slug}/reopen",
            {"reopen-version": str(period.version), "reopen-reopen_reason": "Fix"},
            REOPENERS,
        ),
    }


@pytest.mark.parametrize("route", ["dates", "review", "lock", "reopen"])
@pytest.mark.parametrize("role", ROLES)
def test_write_route_permissions(login, make_user, agency_named, police, route, role):
    police_lead = make_user("lead", police)
    ctx = {"update": submit(police_lead), "period": calendar.period_for(Q)}
    if route == "reopen":
        service.lock(make_user("coordinator"), Q, version=ctx["period"].version, reason="Board")
    db.session.commit()
    ctx["period"] = calendar.period_for(Q)
    url, data, allowed = _routes(ctx)[route]
    if role == "lead":
        client = login(user=police_lead)  # the agency owning the update
    elif role == "other_lead":
        client = login("lead", agency_named("Victim Support"))
    else:
        client = login(role, police if role == "coordinator" else None)
    token = csrf_token(client, "/dashboard")
    before = _state()
    response = client.post(url, data={**data, "csrf_token": token})
    if holds(role, allowed):
        assert response.status_code == 302, response.get_data(as_text=True)[:600]
        assert _state() != before
    else:
        assert response.status_code == 403
        assert _state() == before, "a refused write changes nothing"


@pytest.mark.parametrize("role", ROLES)
def test_read_pages_are_for_staff_only(login, police_lead, role, agency_named, police):
    upd = submit(police_lead)
    client = (
        login("lead", agency_named("Victim Support") if role == "other_lead" else police)
        if role in ("lead", "other_lead")
        else login(role)
    )
    expected = 200 if holds(role, STAFF) else 403
    for url in ("/cycle/", f"/cycle/{Q.slug}", f"/cycle/{Q.slug}/review/update/{upd.id}"):
        assert client.get(url).status_code == expected, url


def test_nav_shows_the_cycle_to_staff_only(login):
    assert "Quarterly cycle" in login("coordinator").get("/dashboard").get_data(as_text=True)
    assert "Quarterly cycle" not in login("viewer").get("/dashboard").get_data(as_text=True)


def test_conflicting_lock_after_dates_change(app, coordinator):
    period = calendar.period_for(Q)
    db.session.commit()
    stale = period.version
    service.set_dates(coordinator, Q, version=stale, opens_on=date(2019, 9, 2), deadline=date(2019, 10, 25))
    db.session.commit()
    with pytest.raises(ConflictError):
        service.lock(coordinator, Q, version=stale, reason="Board")
    db.session.rollback()
    assert not calendar.is_locked(Q)


def test_returned_value_comment_shows_on_the_leads_entry_form(login, police_lead):
    row = enter_value(police_lead)
    coordinator = login("coordinator").user
    service.review(coordinator, row, version=row.version, accept=False, comment="Check the count against CRIS.")
    db.session.commit()
    page = login(user=police_lead).get(f"/indicators/DV01/values/{Q.slug}").get_data(as_text=True)
    assert "Returned for changes" in page and "Check the count against CRIS." in page
