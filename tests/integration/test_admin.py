"""The admin manages users and agencies; changes are audited and never silently overwritten."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Agency, User
from app.extensions import db
from tests.conftest import post_form


def test_admin_adds_a_user_who_is_invited_by_email(login, agency_named, app, mailbox):
    admin = login("admin")
    csp = agency_named("Community Safety Partnership")
    r = post_form(admin, "/admin/users/new", {"email": " New.Person@Example.org ", "name": "New Person",
                                              "role": "lead", "agency": str(csp.id)}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Sent an invitation to new.person@example.org" in body
    assert "Invited" in body and "password" not in body.split("Password</h2>")[0].lower().split("<main")[-1]
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.role == "lead" and user.agency_id == csp.id and not user.has_password
    [message] = mailbox.to("new.person@example.org")
    assert message["Subject"] == "Your account for the Havering VAWG action plan"
    assert mailbox.link("new.person@example.org").startswith("/set-password/invitation/")


def test_duplicate_email_and_bad_input_get_messages(login, agency_named, make_user):
    admin = login("admin")
    existing = make_user("viewer")
    csp = agency_named("Community Safety Partnership")
    r = post_form(admin, "/admin/users/new", {"email": existing.email, "name": "X", "role": "lead",
                                              "agency": str(csp.id)})
    assert "An account with this email address already exists" in r.get_data(as_text=True)
    r = post_form(admin, "/admin/users/new", {"email": "not-an-email", "name": "", "role": "wizard", "agency": ""})
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    for message in ["Enter an email address in the correct format", "Enter the person&#39;s name",
                    "Select the person&#39;s agency"]:
        assert message in body


def test_editing_a_user_is_audited_and_stale_edits_conflict(login, make_user, agency_named):
    admin = login("admin")
    user = make_user("viewer")
    csp = agency_named("Community Safety Partnership")
    form = {"name": "Renamed", "role": "coordinator", "agency": str(csp.id), "active": "y", "version": "1"}
    assert post_form(admin, f"/admin/users/{user.id}", form).status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.verb == "update")).one()
    assert event.old == {"name": "Test Viewer", "role": "viewer"}
    assert event.new == {"name": "Renamed", "role": "coordinator"}
    # a second admin still holding version 1 is told, and the first change stands
    r = post_form(admin, f"/admin/users/{user.id}", form | {"name": "Stale"}, follow_redirects=True)
    assert "Someone else changed this account" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Renamed"


def test_admin_adds_and_renames_an_agency(login):
    admin = login("admin")
    assert post_form(admin, "/admin/agencies/new", {"name": "Havering Mind", "short_name": "Mind"}).status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.name == "Havering Mind"))
    r = post_form(admin, "/admin/agencies/new", {"name": "havering mind", "short_name": "Mind"})
    assert "An agency with this name already exists" in r.get_data(as_text=True)
    post_form(admin, f"/admin/agencies/{agency.id}", {"name": "Havering Mind", "short_name": "Mind", "active": "",
                                                      "version": "1"})
    db.session.expire_all()
    assert db.session.get(Agency, agency.id).active is False
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "agency", AuditEvent.verb == "update"))


def test_audit_page_shows_who_and_what(login, make_user):
    admin = login("admin")
    make_user("viewer", email="someone@example.org")
    page = admin.get("/audit/").get_data(as_text=True)
    assert "Created account someone@example.org" in page
