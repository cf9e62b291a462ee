"""The second factor: mandatory for admins and coordinators, optional for others, with recovery codes."""

import re

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, User
from app.auth.service import create_user
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, totp_code


def password_step(client, user, password=PASSWORD):
    return client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": csrf_token(client)})


def enter_code(client, code: str, path: str = "/sign-in/code"):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def secret_on(page: str) -> str:
    return re.search(r'<code class="app-secret" id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def codes_on(page: str) -> list[str]:
    return re.findall(r'<code class="app-recovery-code">([0-9a-f-]+)</code>', page)


@pytest.fixture
def new_staff(agency_named):
    """A coordinator or admin made without the test shortcut, as `init-admin` or the demo does: no app yet."""

    def make(role: str = "coordinator"):
        user = create_user(None, email=f"new.{role}@example.org", name="New Staff", role=role,
                           agency=agency_named("Community Safety Partnership"), password=PASSWORD)
        db.session.commit()
        return user

    return make


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_staff_set_up_an_authenticator_app_at_first_sign_in(app, new_staff, role):
    user = new_staff(role)
    client = app.test_client()
    r = password_step(client, user)
    assert r.headers["Location"].endswith("/sign-in/set-up")
    assert client.get("/dashboard").status_code == 302  # a password alone does not sign a coordinator in
    page = client.get("/sign-in/set-up").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page  # the QR code, inline
    secret = secret_on(page)  # and the key as text, for people who cannot scan
    r = enter_code(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", "/sign-in/set-up")
    assert r.status_code == 200 and "Enter the 6-digit code the app shows now" in r.get_data(as_text=True)
    r = enter_code(client, pyotp.TOTP(secret).now(), "/sign-in/set-up")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Save your recovery codes" in page and "only time they are shown" in page
    assert len(codes_on(page)) == 10
    assert client.get("/dashboard").status_code == 200
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.has_second_factor and stored.totp_secret == secret
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "second-factor")).entity_id == user.id
    # recovery codes are stored only as hashes
    hashes = list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10 and not set(codes_on(page)) & set(hashes)


def test_a_code_from_the_app_signs_in_and_works_once(app, make_user):
    user = make_user("coordinator")
    client = app.test_client()
    assert password_step(client, user).headers["Location"].endswith("/sign-in/code")
    code = totp_code(user)
    assert enter_code(client, code).status_code == 302
    assert client.get("/dashboard").status_code == 200
    replay = app.test_client()
    password_step(replay, user)
    r = enter_code(replay, code)  # someone who saw the code cannot use it again
    assert r.status_code == 200 and "Enter a correct security code" in r.get_data(as_text=True)
    assert replay.get("/dashboard").status_code == 302
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "sign-in"))
    assert "password and app" in event.summary


def test_the_code_page_needs_a_correct_password_first(app, make_user):
    client = app.test_client()
    r = client.get("/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")
    user = make_user("coordinator")
    password_step(client, user, "wrong password entirely")
    assert client.get("/sign-in/code").status_code == 302


def test_a_password_step_expires(app, make_user):
    app.config["SIGN_IN_PENDING_SECONDS"] = -1  # as if five minutes had passed
    user = make_user("coordinator")
    client = app.test_client()
    password_step(client, user)
    r = client.get("/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")


def _set_up(app, user) -> tuple[str, list[str]]:
    """Set up the app through the pages; returns the secret and the recovery codes."""
    client = app.test_client()
    password_step(client, user)
    secret = secret_on(client.get("/sign-in/set-up").get_data(as_text=True))
    codes = codes_on(enter_code(client, pyotp.TOTP(secret).now(), "/sign-in/set-up").get_data(as_text=True))
    return secret, codes


def test_lost_phone_recovery_code_then_set_up_the_app_again(app, new_staff):
    user = new_staff("coordinator")
    old_secret, codes = _set_up(app, user)
    # the phone is lost: a recovery code signs in, once
    client = app.test_client()
    password_step(client, user)
    r = enter_code(client, codes[0].upper())  # case and the hyphen do not matter
    assert r.status_code == 302
    assert "you have 9 left" in client.get("/account").get_data(as_text=True)
    again = app.test_client()
    password_step(again, user)
    assert "Enter a correct security code" in enter_code(again, codes[0]).get_data(as_text=True)
    # ...then set up the new phone from Your account
    page = client.get("/account/two-factor").get_data(as_text=True)
    new_secret = secret_on(page)
    r = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(new_secret).now()},
                  token_from="/account/two-factor")
    new_codes = codes_on(r.get_data(as_text=True))
    assert len(new_codes) == 10 and new_secret != old_secret
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == new_secret
    # the old recovery codes stop working
    later = app.test_client()
    password_step(later, user)
    assert "Enter a correct security code" in enter_code(later, codes[1]).get_data(as_text=True)
    assert enter_code(later, new_codes[0]).status_code == 302


def test_lost_phone_and_codes_an_admin_removes_the_second_factor(app, login, make_user):
    user = make_user("coordinator")
    browser = sign_in(app.test_client(), user)
    admin = login("admin")
    r = post_form(admin, f"/admin/users/{user.id}/remove-second-factor", {}, token_from=f"/admin/users/{user.id}",
                  follow_redirects=True)
    assert "They will set up a new authenticator app when they next sign in" in r.get_data(as_text=True)
    assert browser.get("/dashboard").status_code == 302  # signed out everywhere
    client = app.test_client()
    assert password_step(client, user).headers["Location"].endswith("/sign-in/set-up")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "second-factor-removed")).actor == \
        admin.user.email


@pytest.mark.parametrize("role", ["coordinator", "lead", "viewer"])
def test_only_an_admin_removes_someones_second_factor(login, make_user, role):
    user = make_user("coordinator")
    r = post_form(login(role), f"/admin/users/{user.id}/remove-second-factor", {})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user.id).has_second_factor


def test_the_second_factor_is_optional_for_leads_and_viewers(app, login):
    client = login("lead")  # signed in with a password alone
    page = client.get("/account").get_data(as_text=True)
    assert "Two-factor authentication" in page and "Off" in page
    secret = secret_on(client.get("/account/two-factor").get_data(as_text=True))
    post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()}, token_from="/account/two-factor")
    other = app.test_client()
    assert password_step(other, client.user).headers["Location"].endswith("/sign-in/code")  # now asked for a code
    r = post_form(client, "/account/two-factor/remove", {}, token_from="/account", follow_redirects=True)
    assert "Two-factor authentication is turned off" in r.get_data(as_text=True)
    assert password_step(app.test_client(), client.user).status_code == 302
    assert password_step(app.test_client(), client.user).headers["Location"] == "/"


def test_staff_cannot_turn_the_second_factor_off(login):
    client = login("coordinator")
    assert "Turn off two-factor" not in client.get("/account").get_data(as_text=True)
    assert post_form(client, "/account/two-factor/remove", {}, token_from="/account").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, client.user.id).has_second_factor


def test_new_recovery_codes_replace_the_old(app, new_staff):
    user = new_staff("admin")
    _, old_codes = _set_up(app, user)
    client = app.test_client()
    password_step(client, user)
    enter_code(client, old_codes[0])
    r = post_form(client, "/account/recovery-codes", {}, token_from="/account")
    new_codes = codes_on(r.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    later = app.test_client()
    password_step(later, user)
    assert enter_code(later, old_codes[1]).status_code == 200
    assert enter_code(later, new_codes[0]).status_code == 302


def test_demo_coordinator_signs_in_with_the_printed_password_and_sets_up_the_app(app):
    from app.demo import load_demo

    result = load_demo()
    db.session.commit()
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@demo.havering.example"))
    client = app.test_client()
    r = password_step(client, coordinator, result.password)
    assert r.headers["Location"].endswith("/sign-in/set-up")
    lead = db.session.scalar(select(User).where(User.role == "lead", User.demo.is_(True)).limit(1))
    assert password_step(app.test_client(), lead, result.password).headers["Location"] == "/"
