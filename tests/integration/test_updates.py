"""Lead-agency updates: drafts, submission, validation, joint leads, conflicts and the audit trail."""

import pytest
from sqlalchemy import select

from app.actions import service
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.conftest import post_form
from tests.helpers import action, audit_count

Q = Quarter(2019, 1)


def url(act: Action, agency, quarter: str = Q.slug) -> str:
    return f"/actions/{act.id}/updates/{agency.id}/{quarter}"


def updates() -> list[Update]:
    db.session.expire_all()
    return list(db.session.scalars(select(Update)))


def test_my_actions_lists_only_what_my_agency_leads_with_its_state(police_lead, police):
    page = police_lead.get("/my-actions").get_data(as_text=True)
    led = [a.code for a in service.actions_for(Q, agency_id=police.id)]
    assert led and all(f">{code}: " in page for code in led)
    assert ">A1: " not in page  # led by the Community Safety Partnership only
    assert page.count("Not started") == len(led)


def test_lead_saves_a_draft_then_submits(police_lead, police):
    a2 = action("A2")
    r = post_form(police_lead, url(a2, police), {"status": "green", "commentary": "Half done", "mitigation": "",
                                                 "version": "0", "save_draft": "Save as draft"})
    assert r.status_code == 302
    [upd] = updates()
    assert (upd.state, upd.status, upd.version) == ("draft", "green", 1)
    assert "Draft" in police_lead.get("/my-actions").get_data(as_text=True)
    # a draft does not count towards the partnership status
    assert next(r for r in service.dashboard(Q).rows if r.action.code == "A2").status == "no_update"

    r = post_form(police_lead, url(a2, police), {"status": "green", "commentary": "All done", "mitigation": "",
                                                 "version": "1", "submit_update": "Submit update"})
    assert r.status_code == 302
    [upd] = updates()
    assert (upd.state, upd.commentary, upd.version) == ("submitted", "All done", 2)
    assert upd.submitted_by.email == police_lead.user.email


@pytest.mark.parametrize("data, field, message", [
    ({"status": "", "commentary": "x"}, "status", "Select a status for this quarter"),
    ({"status": "green", "commentary": "  "}, "commentary", "Enter a commentary on progress this quarter"),
    ({"status": "amber", "commentary": "x", "mitigation": ""}, "mitigation", "Enter the mitigation and next steps"),
    ({"status": "red", "commentary": "x", "mitigation": " "}, "mitigation", "Enter the mitigation and next steps"),
    ({"status": "purple", "commentary": "x"}, "status", "Not a valid choice"),
    ({"status": "green", "commentary": "x" * 4001}, "commentary", "4000 characters or fewer"),
    ({"status": "green", "commentary": "x", "mitigation": "y" * 4001}, "mitigation", "4000 characters or fewer"),
    ({"status": "green", "commentary": "x", "version": "abc"}, "version", "Not a valid integer value"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_saved(police_lead, police, data, field, message):
    form = {"version": "0", "mitigation": "", "submit_update": "Submit update"} | data
    r = post_form(police_lead, url(action("A2"), police), form)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert message in body
    assert f'id="{field}-error"' in body or field == "version"
    assert "There is a problem" in body
    assert updates() == []


@pytest.mark.parametrize("status, mitigation, submit, refused", [
    (Status.AMBER, "", True, True),
    (Status.RED, "   ", True, True),
    (Status.AMBER, "", False, False),  # a draft may be incomplete
    (Status.RED, "Escalated to the board", True, False),
    (Status.GREEN, "", True, False),
    (Status.COMPLETE, "", True, False),
])
def test_the_service_itself_refuses_amber_or_red_without_mitigation(make_user, police, status, mitigation, submit,
                                                                    refused):
    lead = make_user("lead", police)
    before = audit_count()

    def save():
        return service.save_update(lead, action("A2"), police, Q, version=0, status=status, commentary="Slipping",
                                   mitigation=mitigation, sub_statuses={}, submit=submit)

    if refused:
        with pytest.raises(service.UpdateError) as refusal:
            save()
        assert str(refusal.value) == "Enter the mitigation and next steps for an Amber or Red status"  # as the form
        db.session.rollback()
        assert updates() == [] and audit_count() == before
    else:
        saved = save()
        db.session.commit()
        assert [(u.id, u.status, u.state) for u in updates()] == [
            (saved.id, status.value, "submitted" if submit else "draft")]


@pytest.mark.parametrize("path", [
    "/actions/9999/updates/1/2019-20-Q1",          # unknown action
    "/actions/{a}/updates/9999/2019-20-Q1",        # unknown agency
    "/actions/{a}/updates/{p}/2030-31-Q1",         # quarter outside the strategy
    "/actions/{a}/updates/{p}/2019-20-Q5",         # not a quarter
    "/actions/{a}/updates/{p}/nonsense",
])
def test_unknown_things_are_404_not_500(police_lead, police, path):
    path = path.format(a=action("A2").id, p=police.id)
    assert police_lead.get(path).status_code == 404


def test_joint_lead_status_is_the_worst_submitted_and_shows_who_said_what(login, agency_named):
    b3 = action("B3")
    leads = b3.lead_agencies
    assert len(leads) >= 2
    first, second = leads[0], leads[1]
    c1, c2 = login("lead", first), login("lead", second)
    row = lambda: next(r for r in service.dashboard(Q).rows if r.action.code == "B3")  # noqa: E731
    assert row().status == "no_update"
    post_form(c1, url(b3, first), {"status": "complete", "commentary": "Done", "version": "0",
                                   "submit_update": "Submit update"})
    db.session.expire_all()
    assert row().status == "complete"
    post_form(c2, url(b3, second), {"status": "amber", "commentary": "Late", "mitigation": "Chasing",
                                    "version": "0", "submit_update": "Submit update"})
    db.session.expire_all()
    assert row().status == "amber"
    page = c1.get("/dashboard?quarter=2019-20-Q1").get_data(as_text=True)
    assert f"{first.short_name}: Complete" in page and f"{second.short_name}: Amber" in page


def test_second_editor_gets_a_conflict_not_a_silent_overwrite(login, police):
    a2 = action("A2")
    alice, bob = login("lead", police), login("lead", police)
    post_form(alice, url(a2, police), {"status": "green", "commentary": "Alice v1", "version": "0",
                                       "save_draft": "Save as draft"})
    # both open the form at version 1
    post_form(alice, url(a2, police), {"status": "green", "commentary": "Alice v2", "version": "1",
                                       "save_draft": "Save as draft"})
    r = post_form(bob, url(a2, police), {"status": "red", "commentary": "Bob's view", "mitigation": "m",
                                         "version": "1", "submit_update": "Submit update"})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "Someone else saved this update while you were editing" in body
    [upd] = updates()
    assert (upd.commentary, upd.status, upd.version) == ("Alice v2", "green", 2)
    assert 'name="version" value="2"' in body  # saving again is a deliberate choice over the current version


def test_simultaneous_first_saves_conflict(login, police):
    a2 = action("A2")
    alice, bob = login("lead", police), login("lead", police)
    post_form(alice, url(a2, police), {"status": "green", "commentary": "first", "version": "0",
                                       "save_draft": "Save as draft"})
    r = post_form(bob, url(a2, police), {"status": "green", "commentary": "second", "version": "0",
                                         "save_draft": "Save as draft"})
    assert "Someone else saved this update" in r.get_data(as_text=True)
    assert [u.commentary for u in updates()] == ["first"]


def test_every_change_is_audited_with_old_and_new_values(police_lead, police):
    a2 = action("A2")
    post_form(police_lead, url(a2, police), {"status": "green", "commentary": "v1", "version": "0",
                                             "save_draft": "Save as draft"})
    post_form(police_lead, url(a2, police), {"status": "amber", "commentary": "v2", "mitigation": "m",
                                             "version": "1", "submit_update": "Submit update"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "action_update")
                                .order_by(AuditEvent.id)).all()
    assert [e.verb for e in events] == ["save-draft", "submit"]
    assert events[1].actor == police_lead.user.email
    assert events[1].old["status"] == "green" and events[1].new["status"] == "amber"
    assert events[1].old["commentary"] == "v1" and events[1].new["commentary"] == "v2"
    assert events[1].at.tzinfo is not None


def test_sub_action_statuses_are_saved(login, agency_named):
    csp = agency_named("Community Safety Partnership")
    a1 = action("A1")
    client = login("lead", csp)
    post_form(client, url(a1, csp), {"status": "green", "commentary": "ok", "version": "0",
                                     "sub_1": "complete", "sub_2": "amber", "submit_update": "Submit update"})
    [upd] = updates()
    by_number = {s.sub_action_id: s.status for s in upd.sub_statuses}
    subs = {s.number: s.id for s in a1.sub_actions}
    assert by_number == {subs[1]: "complete", subs[2]: "amber"}


def test_previous_quarter_update_is_shown_for_reference(police_lead, police):
    a2 = action("A2")
    post_form(police_lead, url(a2, police, "2018-19-Q4"), {
        "status": "amber", "commentary": "Last quarter's words", "mitigation": "m", "version": "0",
        "submit_update": "Submit update"})
    page = police_lead.get(url(a2, police)).get_data(as_text=True)
    assert "Last quarter&#39;s words" in page or "Last quarter's words" in page
    assert "2018/19 Q4" in page


def test_htmx_save_returns_the_form_fragment_with_a_confirmation(police_lead, police):
    a2 = action("A2")
    r = post_form(police_lead, url(a2, police), {"status": "green", "commentary": "inline", "version": "0",
                                                 "save_draft": "Save as draft"},
                  headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body
    assert 'id="update-form"' in body and "Draft of the update on A2 saved" in body
    assert "HX-Request" in r.headers["Vary"]
    r = post_form(police_lead, url(a2, police), {"status": "", "commentary": "", "version": "1",
                                                 "submit_update": "Submit update"},
                  headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Select a status for this quarter" in r.get_data(as_text=True)


def test_commentary_is_escaped(police_lead, police):
    a2 = action("A2")
    post_form(police_lead, url(a2, police), {"status": "green", "commentary": "<script>alert(1)</script>",
                                             "version": "0", "submit_update": "Submit update"})
    page = police_lead.get(f"/actions/{a2.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
