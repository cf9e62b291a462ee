"""Sessions live on the server: signing out, a password change, deactivation or a role or agency change end them."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in


def session_count(user=None) -> int:
    query = select(func.count()).select_from(UserSession)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return db.session.scalar(query)


def cookie(client) -> str:
    return client.get_cookie("vawg_session").value


def replay(app, value: str):
    """A new browser presenting an old session cookie."""
    thief = app.test_client()
    thief.set_cookie("vawg_session", value)
    return thief.get("/dashboard")


def test_sign_out_ends_the_session_on_the_server(app, make_user):
    user = make_user("viewer")
    client = sign_in(app.test_client(), user)
    other_browser = sign_in(app.test_client(), user)
    assert session_count(user) == 2
    stolen = cookie(client)
    assert replay(app, stolen).status_code == 200  # a copied cookie works while the session lives...
    r = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/sign-out")})
    assert r.status_code == 302
    assert session_count(user) == 1  # exactly one session ended: this browser's
    r = replay(app, stolen)  # ...and not after sign-out, though its signature is still valid
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert other_browser.get("/dashboard").status_code == 200


def test_absolute_lifetime_ends_even_an_active_session(app, make_user):
    client = sign_in(app.test_client(), make_user("viewer"))
    row = db.session.scalars(select(UserSession)).one()
    row.created_at -= timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"] + 1)
    db.session.commit()
    assert app.config["SESSION_ABSOLUTE_SECONDS"] == 12 * 60 * 60
    r = client.get("/dashboard")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert "signed in for a long time" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert session_count() == 0


def test_changing_your_password_signs_out_your_other_browsers(app, make_user):
    user = make_user("lead")
    here = sign_in(app.test_client(), user)
    there = sign_in(app.test_client(), user)
    r = post_form(here, "/account/password", {"current": PASSWORD, "password": "purple tractor lemonade",
                                               "confirm": "purple tractor lemonade"}, token_from="/account/password")
    assert r.status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert there.get("/dashboard").status_code == 302
    assert session_count(user) == 1
    sign_in(app.test_client(), user, "purple tractor lemonade")


@pytest.mark.parametrize("problem, form", [
    ("Enter your current password correctly", {"current": "not my password", "password": "purple tractor lemonade",
                                               "confirm": "purple tractor lemonade"}),
    ("on a list of common passwords", {"current": PASSWORD, "password": "leavemealone", "confirm": "leavemealone"}),
    ("Password must be 12 characters or more", {"current": PASSWORD, "password": "short", "confirm": "short"}),
    ("Enter the same password twice", {"current": PASSWORD, "password": "purple tractor lemonade",
                                       "confirm": "purple tractor lemonades"}),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, login, problem, form):
    client = login("lead")
    r = post_form(client, "/account/password", form, token_from="/account/password")
    assert r.status_code == 200 and problem in r.get_data(as_text=True)
    sign_in(app.test_client(), client.user)  # the old password still works


@pytest.mark.parametrize("change", ["deactivate", "role", "agency"])
def test_an_admin_change_to_access_ends_the_users_sessions(app, login, make_user, agency_named, change):
    csp = agency_named("Community Safety Partnership")
    user = make_user("lead", csp)
    victim = sign_in(app.test_client(), user)
    admin = login("admin")
    form = {"name": user.name, "role": "lead", "agency": str(csp.id), "active": "y", "version": str(user.version)}
    form |= {"deactivate": {"active": ""}, "role": {"role": "viewer"},
             "agency": {"agency": str(agency_named("Victim Support").id)}}[change]
    assert post_form(admin, f"/admin/users/{user.id}", form).status_code == 302
    assert victim.get("/dashboard").status_code == 302
    assert session_count(user) == 0


def test_renaming_a_user_keeps_their_session(app, login, make_user, agency_named):
    csp = agency_named("Community Safety Partnership")
    user = make_user("lead", csp)
    browser = sign_in(app.test_client(), user)
    admin = login("admin")
    form = {"name": "New Name", "role": "lead", "agency": str(csp.id), "active": "y", "version": str(user.version)}
    assert post_form(admin, f"/admin/users/{user.id}", form).status_code == 302
    assert browser.get("/dashboard").status_code == 200


def test_your_sessions_page_lists_and_ends_sessions(app, make_user):
    user = make_user("viewer")
    here = sign_in(app.test_client(), user)
    there = app.test_client()
    there.environ_base["HTTP_USER_AGENT"] = "Firefox on the office PC"
    sign_in(there, user)
    page = here.get("/account/sessions").get_data(as_text=True)
    assert "2 active sessions" in page and "This browser" in page and "Firefox on the office PC" in page
    other_id = db.session.scalar(select(UserSession.id).where(UserSession.user_agent == "Firefox on the office PC"))
    r = post_form(here, "/account/sessions", {"session_id": other_id}, token_from="/account/sessions")
    assert r.status_code == 302
    assert there.get("/dashboard").status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "end-sessions"))


def test_end_all_other_sessions(app, make_user):
    user = make_user("viewer")
    here = sign_in(app.test_client(), user)
    others = [sign_in(app.test_client(), user) for _ in range(2)]
    r = post_form(here, "/account/sessions", {"session_id": "others"}, token_from="/account/sessions",
                  follow_redirects=True)
    assert "Ended 2 other sessions" in r.get_data(as_text=True)
    assert all(o.get("/dashboard").status_code == 302 for o in others)
    assert here.get("/dashboard").status_code == 200


def test_a_user_cannot_end_someone_elses_session(app, make_user):
    victim = make_user("viewer")
    victim_browser = sign_in(app.test_client(), victim)
    victim_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == victim.id))
    attacker = sign_in(app.test_client(), make_user("viewer"))
    r = post_form(attacker, "/account/sessions", {"session_id": victim_session}, token_from="/account/sessions",
                  follow_redirects=True)
    assert "That session had already ended" in r.get_data(as_text=True)
    assert victim_browser.get("/dashboard").status_code == 200


def test_an_admin_ends_anyones_sessions(app, login, make_user):
    user = make_user("lead")
    browsers = [sign_in(app.test_client(), user) for _ in range(2)]
    admin = login("admin")
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "2 active sessions" in page
    one = db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)).first()
    post_form(admin, f"/admin/users/{user.id}/sessions", {"session_id": one}, token_from=f"/admin/users/{user.id}")
    assert session_count(user) == 1
    post_form(admin, f"/admin/users/{user.id}/sessions", {"session_id": "all"}, token_from=f"/admin/users/{user.id}")
    assert session_count(user) == 0
    assert all(b.get("/dashboard").status_code == 302 for b in browsers)
    assert admin.get("/dashboard").status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "lead", "viewer"])
def test_only_an_admin_ends_other_peoples_sessions(app, login, make_user, role):
    user = make_user("viewer")
    browser = sign_in(app.test_client(), user)
    client = login(role)
    r = post_form(client, f"/admin/users/{user.id}/sessions", {"session_id": "all"})
    assert r.status_code == 403
    assert browser.get("/dashboard").status_code == 200


def test_a_session_row_stores_no_usable_token(app, make_user):
    client = sign_in(app.test_client(), make_user("viewer"))
    with client.session_transaction() as flask_session:
        token = flask_session["sid"]
    stored = db.session.scalars(select(UserSession.id)).one()
    assert token not in stored and len(stored) == 64
