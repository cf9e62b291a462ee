"""The coordinator's quarter in one sitting (issue 12, sections 3 and 4): the tracker's paged list of returns,
the review queue, bulk accept, and the notices (a return sent back, every return in) on a real SMTP server."""

import re
import socket

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.actions import service as actions_service
from app.actions.models import Update
from app.audit.models import AuditEvent
from app.cycle import service
from app.cycle.models import NoticeSent, ReminderSent
from app.extensions import db
from app.kpis.models import IndicatorValue
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import action, audit_count, count_queries, enter_indicator_value, fresh, submit_update

Q = Quarter(2019, 2)


def submit(user, code="A2", quarter=Q, commentary="On track.", agency=None) -> Update:
    return submit_update(user, code, quarter, agency=agency, commentary=commentary)


def enter_value(user, code="DV01", quarter=Q, value=12.0) -> IndicatorValue:
    return enter_indicator_value(user, code, quarter, value)


@pytest.fixture
def police(agency_named):
    return agency_named("Metropolitan Police Service")


@pytest.fixture
def police_lead(make_user, police):
    return make_user("lead", police, name="Pat Police", email="pat.police@met.example")


# --- the tracker: counts in SQL, one page of returns ----------------------------------------------------


@pytest.mark.parametrize("quarter", [Quarter(2018, 1), Q, Quarter(2019, 4), Quarter(2019, 3)])
def test_the_tracker_counts_in_sql_equal_the_returns_counted_one_by_one(police_lead, quarter):
    submit(police_lead, "A2", quarter)
    enter_value(police_lead, "DV01", quarter)
    full = {r.agency.id: (r.actions_due, r.actions_submitted, r.indicators_due, r.indicators_submitted)
            for r in service.tracker(quarter).rows}
    summary = service.tracker_summary(quarter)
    assert {r.agency.id: (r.actions_due, r.actions_submitted, r.indicators_due, r.indicators_submitted)
            for r in summary.rows} == full
    assert [r.agency.name for r in summary.rows] == [r.agency.name for r in service.tracker(quarter).rows]
    listed, total = service.returns_page(quarter, show="all", per_page=10_000)
    assert total == len(listed) == len(service.tracker(quarter).items)
    # The count rides on each row of a page; a page past the end has none, and is counted on its own.
    assert service.returns_page(quarter, show="all", page=2, per_page=3) == (listed[3:6], total)
    assert service.returns_page(quarter, show="all", page=10_000, per_page=3) == ([], total)
    assert summary.waiting == 2 and not summary.all_accepted


def test_the_tracker_page_lists_returns_a_page_at_a_time_and_keeps_the_filters(login, police_lead, police,
                                                                                monkeypatch):
    monkeypatch.setattr(service, "RETURNS_PAGE_SIZE", 3)
    submit(police_lead, "A2")
    client = login("coordinator")
    base = f"/cycle/{Q.slug}?show=outstanding&agency={police.id}"
    page = client.get(base).get_data(as_text=True)
    outstanding = next(r for r in service.tracker_summary(Q).rows if r.agency.id == police.id).outstanding
    last = -(-outstanding // 3)
    assert f"{outstanding} returns: Outstanding" in page and f"(page 1 of {last})" in page
    assert f"/cycle/{Q.slug}?show=outstanding&amp;agency={police.id}&amp;page=2" in page  # the filters hold
    assert page.count('name="item"') == 0  # only returns waiting for review can be ticked
    second = client.get(base + "&page=2").get_data(as_text=True)
    assert "(page 2 of" in second and "A2:" not in second  # submitted: not outstanding
    for bad in ("0", "abc", str(last + 1)):
        assert client.get(f"{base}&page={bad}").status_code == 404
    assert client.get(f"/cycle/{Q.slug}?show=nonsense").status_code == 200  # an unknown choice shows the default


def test_the_tracker_page_costs_the_same_number_of_queries_however_many_returns(login, police_lead):
    client = login("coordinator")
    client.get(f"/cycle/{Q.slug}")
    with count_queries() as few:
        client.get(f"/cycle/{Q.slug}?show=all")
    for act in actions_service.actions_for(Q, agency_id=police_lead.agency_id):
        submit(police_lead, act.code)
    enter_value(police_lead, "DV02")
    client.get(f"/cycle/{Q.slug}")  # the test's commits expired the signed-in user: load it again first
    with count_queries() as more:
        client.get(f"/cycle/{Q.slug}?show=all")
    assert len(more) == len(few)


# --- the review queue --------------------------------------------------------------------------------


def test_the_queue_shows_each_return_beside_last_quarters_and_moves_on_after_a_decision(login, police_lead):
    submit(police_lead, "A2", Quarter(2019, 1), commentary="Steering group set up last quarter.")
    upd = submit(police_lead, "A2", commentary="Steering group met twice.")
    value = enter_value(police_lead, "DV01")
    client = login("coordinator")
    first = client.get(f"/cycle/{Q.slug}/queue")
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/queue/update/{upd.id}")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Return 1 of 2 waiting for your review" in page
    assert "Steering group met twice." in page and "Steering group set up last quarter." in page
    assert f"/cycle/{Q.slug}/queue/value/{value.id}" in page  # "Next return"
    token = csrf_token(client, first.headers["Location"])
    response = client.post(first.headers["Location"],
                           data={"csrf_token": token, "decision": "accept", "version": str(upd.version)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/queue/value/{value.id}")
    assert fresh(Update, upd.id).state == "accepted"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Return 1 of 1 waiting" in page and 'id="review-target"' in page and 'id="review-rating"' in page
    assert "No other return is waiting for your review." in page
    response = client.post(f"/cycle/{Q.slug}/queue/value/{value.id}",
                           data={"csrf_token": token, "decision": "accept", "version": str(value.version)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cycle/{Q.slug}#returns")
    assert client.get(f"/cycle/{Q.slug}/queue").headers["Location"].endswith(f"/cycle/{Q.slug}#returns")


def test_the_queue_leaves_out_the_coordinators_own_submissions(login, make_user, agency_named, police_lead):
    csp = agency_named("Community Safety Partnership")
    coordinator = make_user("coordinator", csp)
    own = submit(coordinator, "A1", agency=csp)
    theirs = submit(police_lead, "A2")
    assert [line.key for line in service.review_queue(coordinator, Q)] == [f"update-{theirs.id}"]
    colleague = make_user("coordinator", csp)
    assert {line.key for line in service.review_queue(colleague, Q)} == {f"update-{own.id}", f"update-{theirs.id}"}
    client = login(user=coordinator)
    assert client.get(f"/cycle/{Q.slug}/queue").headers["Location"].endswith(f"/queue/update/{theirs.id}")


def test_the_queue_refuses_a_change_made_since_the_page_was_shown(login, police_lead):
    upd = submit(police_lead)
    client = login("coordinator")
    url = f"/cycle/{Q.slug}/queue/update/{upd.id}"
    token, seen = csrf_token(client, url), upd.version
    submit(police_lead, commentary="Changed meanwhile.")  # a new version
    before = audit_count()
    response = client.post(url, data={"csrf_token": token, "decision": "accept", "version": str(seen)})
    assert response.status_code == 200 and "changed while you were reviewing it" in response.get_data(as_text=True)
    assert audit_count() == before and fresh(Update, upd.id).state == "submitted"


@pytest.mark.parametrize("role", ["lead", "viewer", "admin"])
def test_only_the_cycles_runners_open_the_queue_or_accept_in_bulk(login, police_lead, role):
    upd = submit(police_lead)
    client = login(role)
    assert client.get(f"/cycle/{Q.slug}/queue").status_code == 403
    assert client.get(f"/cycle/{Q.slug}/queue/update/{upd.id}").status_code == 403
    assert client.get(f"/cycle/{Q.slug}/accept?item=update-{upd.id}").status_code == 403
    before = audit_count()
    response = client.post(f"/cycle/{Q.slug}/accept", data={
        "csrf_token": csrf_token(client, "/dashboard"), "item": f"update-{upd.id}",
        f"version-update-{upd.id}": str(upd.version)})
    assert response.status_code == 403 and audit_count() == before
    assert fresh(Update, upd.id).state == "submitted"


# --- bulk accept ---------------------------------------------------------------------------------------


def _confirm_and_accept(client, keys: list[str]):
    """Tick `keys` on the tracker (a GET to the confirmation page), then post the confirmation's form."""
    page = client.get(f"/cycle/{Q.slug}/accept?" + "&".join(f"item={k}" for k in keys)).get_data(as_text=True)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return page, fields, token


def test_bulk_accept_lists_the_returns_then_accepts_them_all_each_audited(login, police_lead):
    upd, value = submit(police_lead), enter_value(police_lead)
    client = login("coordinator")
    tracker = client.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    assert f'value="update-{upd.id}"' in tracker and f'value="value-{value.id}"' in tracker  # the checkboxes
    page, fields, token = _confirm_and_accept(client, [f"update-{upd.id}", f"value-{value.id}"])
    assert "Accept 2 returns" in page and 'data-chosen="A2-Police"' in page and 'data-chosen="DV01-Police"' in page
    before = audit_count()
    response = client.post(f"/cycle/{Q.slug}/accept", data=MultiDict(fields + [("csrf_token", token)]))
    assert response.status_code == 302
    assert fresh(Update, upd.id).state == "accepted" and fresh(IndicatorValue, value.id).state == "accepted"
    assert audit_count() == before + 2
    verbs = db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert verbs == ["accept", "accept"]
    assert "2 returns accepted" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_accept_is_all_or_nothing_and_names_the_return_that_changed(login, police_lead):
    upd, value = submit(police_lead), enter_value(police_lead)
    client = login("coordinator")
    _, fields, token = _confirm_and_accept(client, [f"update-{upd.id}", f"value-{value.id}"])
    enter_value(police_lead, value=13.0)  # the value changes after the confirmation was shown
    before = audit_count()
    response = client.post(f"/cycle/{Q.slug}/accept", data=MultiDict(fields + [("csrf_token", token)]))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "none was accepted" in body
    assert re.search(r'id="bulk-problem-rows"><li>DV01 from Police</li></ul>', body)
    assert audit_count() == before
    assert fresh(Update, upd.id).state == "submitted" and fresh(IndicatorValue, value.id).state == "submitted"


def test_bulk_accept_refuses_the_coordinators_own_submission_and_accepts_nothing(login, make_user, agency_named,
                                                                                 police_lead):
    csp = agency_named("Community Safety Partnership")
    coordinator = make_user("coordinator", csp)
    own, theirs = submit(coordinator, "A1", agency=csp), submit(police_lead)
    client = login(user=coordinator)
    page, fields, token = _confirm_and_accept(client, [f"update-{own.id}", f"update-{theirs.id}"])
    assert "you submitted it for your own agency" in page and "Accept 1 return" in page
    assert ("item", f"update-{own.id}") not in fields  # the confirmation leaves it out ...
    forged = fields + [("item", f"update-{own.id}"), (f"version-update-{own.id}", str(own.version))]
    before = audit_count()
    response = client.post(f"/cycle/{Q.slug}/accept", data=MultiDict(forged + [("csrf_token", token)]))
    body = response.get_data(as_text=True)  # ... and the server refuses it when sent anyway
    assert response.status_code == 200 and "separation of duties" in body and "A1 from Community Safety" in body
    assert audit_count() == before and fresh(Update, theirs.id).state == "submitted"


def test_bulk_accept_in_a_locked_quarter_changes_nothing(login, police_lead, make_user):
    upd = submit(police_lead)
    client = login("coordinator")
    _, fields, token = _confirm_and_accept(client, [f"update-{upd.id}"])
    locker = make_user("coordinator")
    service.lock(locker, Q, version=calendar.period_for(Q).version, reason="Board tomorrow")
    db.session.commit()
    before = audit_count()
    response = client.post(f"/cycle/{Q.slug}/accept", data=MultiDict(fields + [("csrf_token", token)]))
    assert response.status_code == 200 and "is locked" in response.get_data(as_text=True)
    assert audit_count() == before and fresh(Update, upd.id).state == "submitted"


def test_bulk_accept_with_nothing_chosen_says_what_to_do(login):
    client = login("coordinator")
    assert "Select the returns to accept" in client.get(f"/cycle/{Q.slug}/accept").get_data(as_text=True)
    response = client.post(f"/cycle/{Q.slug}/accept", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 200 and "Select the returns to accept" in response.get_data(as_text=True)


# --- notices -------------------------------------------------------------------------------------------


def test_a_returned_return_emails_its_lead_a_link_and_never_the_comment(login, police_lead, mailbox):
    upd = submit(police_lead, commentary="CONFIDENTIAL commentary")
    client = login("coordinator")
    url = f"/cycle/{Q.slug}/review/update/{upd.id}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "decision": "return",
                                      "comment": "Name the victim support worker", "version": str(upd.version)})
    assert response.status_code == 302 and fresh(Update, upd.id).state == "draft"
    [message] = mailbox.to("pat.police@met.example")
    body = message.get_body(("plain",)).get_content()
    assert "A2" in message["Subject"] and "returned for changes" in message["Subject"]
    assert f"https://vawg.havering.example/actions/{upd.action_id}/updates/{upd.agency_id}/{Q.slug}" in body
    assert "CONFIDENTIAL" not in body and "victim support worker" not in body
    tracker = client.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    assert "Return sent back (A2 from Police)" in tracker and "Pat Police (Police)" in tracker


def test_a_failed_notice_never_undoes_the_decision(login, police_lead, app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)  # nothing listens there
    upd = submit(police_lead)
    client = login("coordinator")
    url = f"/cycle/{Q.slug}/review/update/{upd.id}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "decision": "return",
                                      "comment": "Add the dates", "version": str(upd.version)})
    assert response.status_code == 302
    assert fresh(Update, upd.id).review_comment == "Add the dates"
    assert db.session.scalar(select(func.count()).select_from(NoticeSent)) == 0


def _all_but_one_in(make_user, quarter) -> tuple:
    """Submit every return due for `quarter` but Police's A2, each by a lead of its agency."""
    leads = {}
    last = None
    for item in service.tracker(quarter).items:
        lead = leads.setdefault(item.agency.id, make_user("lead", item.agency))
        if item.kind == "action" and item.code == "A2" and item.agency.short_name == "Police":
            last = lead
        elif item.kind == "action":
            submit(lead, item.code, quarter, agency=item.agency)
        else:
            enter_value(lead, item.code, quarter)
    return last


def test_the_coordinators_hear_once_when_every_return_is_in(login, make_user, mailbox):
    coordinators = [make_user("coordinator", email=f"coordinator{n}@havering.example") for n in (1, 2)]
    police_lead = _all_but_one_in(make_user, Q)
    assert mailbox.messages == []
    client = login(user=police_lead)
    a2 = action("A2")
    url = f"/actions/{a2.id}/updates/{police_lead.agency_id}/{Q.slug}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "status": "green",
                                      "commentary": "Done", "version": "0", "submit_update": "1"})
    assert response.status_code in (200, 302)
    for coordinator in coordinators:
        [message] = mailbox.to(coordinator.email)
        assert message["Subject"] == f"VAWG action plan: every return for {Q.label} is in"
        assert f"https://vawg.havering.example/cycle/{Q.slug}" in message.get_body(("plain",)).get_content()
    # Resubmitting changes nothing: each coordinator is told once a quarter.
    upd = actions_service.find_update(a2, police_lead.agency_id, Q)
    client.post(url, data={"csrf_token": csrf_token(client, url), "status": "amber", "commentary": "Done",
                           "mitigation": "Chasing", "version": str(upd.version), "submit_update": "1"})
    assert len(mailbox.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(NoticeSent).where(NoticeSent.kind == "all_in")) == 2


def test_no_all_in_notice_while_a_return_is_missing(login, police_lead, make_user, mailbox):
    make_user("coordinator")
    client = login(user=police_lead)
    a2 = action("A2")
    url = f"/actions/{a2.id}/updates/{police_lead.agency_id}/{Q.slug}"
    client.post(url, data={"csrf_token": csrf_token(client, url), "status": "green", "commentary": "Done",
                           "version": "0", "submit_update": "1"})
    assert fresh(Update, actions_service.find_update(a2, police_lead.agency_id, Q).id).state == "submitted"
    assert mailbox.messages == []


def test_the_tracker_shows_which_reminders_went_to_whom_and_when(login, police_lead):
    period = calendar.period_for(Q)
    db.session.add(ReminderSent(user_id=police_lead.id, period_id=period.id, kind="due_soon", items=3))
    db.session.commit()
    page = login("coordinator").get(f"/cycle/{Q.slug}").get_data(as_text=True)
    emails = re.search(r'id="emails-sent">(.*?)</table>', page, re.S).group(1)
    assert "Pat Police (Police)" in emails and "Reminder: due in three working days" in emails
    assert re.search(r"\d{1,2} \w{3} \d{4} \d\d:\d\d UTC", emails)


# --- what leads see ------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision, actions_text, indicators_text", [
    (None, ">Submitted</strong>", "<strong>Submitted</strong>, waiting for the coordinator's review."),
    ("accept", ">Accepted</strong>", "<strong>Accepted</strong> by the coordinator."),
    ("return", "Returned for changes: Check the figures", "<strong>Returned</strong> for changes."),
])
def test_leads_see_submitted_accepted_or_returned_with_the_comment(login, police_lead, make_user, decision,
                                                                   actions_text, indicators_text):
    calendar.set_current_quarter(None, Q)
    db.session.commit()
    upd, value = submit(police_lead), enter_value(police_lead)
    if decision:
        coordinator = make_user("coordinator")
        for item in (upd, value):
            service.review(coordinator, item, version=item.version, accept=decision == "accept",
                           comment="Check the figures")
        db.session.commit()
    client = login(user=police_lead)
    mine = client.get("/my-actions").get_data(as_text=True)
    row = re.search(r'<tr class="govuk-table__row"[^>]*>(?:(?!</tr>).)*?A2:(.*?)</tr>', mine, re.S)
    assert row and actions_text in row.group(0)
    indicators = client.get("/my-indicators").get_data(as_text=True)
    assert indicators_text in indicators
    assert ("Check the figures" in indicators) == (decision == "return")
