"""Passwords people choose: invitations and resets by emailed single-use links, and the command line."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User, UserSession
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in

NEW = "purple tractor lemonade"


def choose(client, link: str, password: str = NEW, confirm: str | None = None):
    return client.post(link, data={"password": password, "confirm": confirm or password,
                                   "csrf_token": csrf_token(client, link)})


@pytest.fixture
def invited(login, agency_named, mailbox):
    """Invite a lead through Admin > Users; returns (user, link)."""
    admin = login("admin")
    post_form(admin, "/admin/users/new", {"email": "invitee@example.org", "name": "In Vitee", "role": "lead",
                                          "agency": str(agency_named("Victim Support").id)})
    user = db.session.scalar(select(User).where(User.email == "invitee@example.org"))
    return user, mailbox.link(user.email)


def test_an_invited_person_chooses_a_password_and_signs_in(app, invited):
    user, link = invited
    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    assert "Choose your password" in page and user.email in page
    r = choose(client, link)
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")
    sign_in(app.test_client(), user, NEW)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "invitation")).entity_id == user.id


def test_an_invited_account_cannot_sign_in_before_choosing_a_password(app, invited):
    user, _ = invited
    client = app.test_client()
    for guess in ("", "!", user.password_hash):
        r = client.post("/sign-in", data={"email": user.email, "password": guess or "x", "csrf_token":
                                          csrf_token(client)})
        assert r.status_code == 200


def test_a_link_works_once(app, invited):
    user, link = invited
    choose(app.test_client(), link)
    r = app.test_client().get(link)
    assert r.status_code == 400 and "expired or has already been used" in r.get_data(as_text=True)
    client = app.test_client()
    r = client.post(link, data={"password": "another good passphrase", "confirm": "another good passphrase",
                                "csrf_token": csrf_token(client)})
    assert r.status_code == 400
    sign_in(app.test_client(), user, NEW)


@pytest.mark.parametrize("mangle", [
    lambda link: link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"),  # tampered signature
    lambda link: link.replace("/invitation/", "/reset/"),  # a token for one purpose is not good for another
])
def test_a_tampered_link_is_refused(app, invited, mangle):
    _, link = invited
    assert app.test_client().get(mangle(link)).status_code == 400


def test_an_invitation_expires_after_seven_days(app, invited):
    _, link = invited
    assert app.config["INVITATION_MAX_AGE_SECONDS"] == 7 * 24 * 60 * 60
    app.config["INVITATION_MAX_AGE_SECONDS"] = -1  # as if the week had passed
    assert app.test_client().get(link).status_code == 400


@pytest.mark.parametrize("password, confirm, message", [
    ("short", None, "Password must be 12 characters or more"),
    ("leavemealone", None, "on a list of common passwords"),
    ("Password1234!", None, "on a list of common passwords"),
    ("invitee@example.org", None, "Choose a password that is not your email address"),
    (NEW, NEW + "x", "Enter the same password twice"),
    ("", "", "Enter a new password"),
])
def test_a_refused_password_says_why(app, invited, password, confirm, message):
    _, link = invited
    client = app.test_client()
    r = choose(client, link, password, confirm)
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert choose(client, link).status_code == 302  # the link still works after a refusal


def test_forgotten_password_by_email(app, make_user, mailbox):
    user = make_user("viewer")
    browser = sign_in(app.test_client(), user)
    client = app.test_client()
    r = post_form(client, "/forgot-password", {"email": user.email.upper()}, token_from="/forgot-password")
    known = r.get_data(as_text=True)
    r = post_form(client, "/forgot-password", {"email": "nobody@example.org"}, token_from="/forgot-password")
    unknown = r.get_data(as_text=True)
    # the same answer whether or not there is an account, and mail only to the real one
    assert "Check your email" in known and "Check your email" in unknown
    assert [m["To"] for m in mailbox.messages] == [user.email]
    link = mailbox.link(user.email)
    assert link.startswith("/set-password/reset/")
    assert choose(app.test_client(), link).status_code == 302
    assert browser.get("/dashboard").status_code == 302  # a reset signs out every session
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)) is None
    sign_in(app.test_client(), user, NEW)
    assert app.test_client().get(link).status_code == 400


def test_a_reset_link_expires_after_an_hour(app, make_user, mailbox):
    user = make_user("viewer")
    post_form(app.test_client(), "/forgot-password", {"email": user.email}, token_from="/forgot-password")
    assert app.config["RESET_MAX_AGE_SECONDS"] == 60 * 60
    app.config["RESET_MAX_AGE_SECONDS"] = -1
    assert app.test_client().get(mailbox.link(user.email)).status_code == 400


def test_a_reset_lifts_a_lockout(app, make_user, mailbox):
    user = make_user("viewer")
    client = app.test_client()
    for _ in range(10):
        client.post("/sign-in", data={"email": user.email, "password": "wrong password entirely",
                                      "csrf_token": csrf_token(client)})
    post_form(client, "/forgot-password", {"email": user.email}, token_from="/forgot-password")
    choose(app.test_client(), mailbox.link(user.email))
    sign_in(app.test_client(), user, NEW)


def test_reset_requests_are_throttled_by_address(app, make_user, mailbox):
    app.config["RESET_IP_LIMIT"] = 2
    user = make_user("viewer")
    client = app.test_client()
    for _ in range(2):
        assert post_form(client, "/forgot-password", {"email": user.email}, token_from="/forgot-password").status_code \
            == 200
    r = post_form(client, "/forgot-password", {"email": user.email}, token_from="/forgot-password")
    assert r.status_code == 429 and len(mailbox.messages) == 2


def test_admin_sends_a_reset_link_and_never_sees_a_password(app, login, make_user, mailbox):
    user = make_user("lead")
    admin = login("admin")
    r = post_form(admin, f"/admin/users/{user.id}/reset-password", {}, token_from=f"/admin/users/{user.id}",
                  follow_redirects=True)
    assert "Sent a password reset link to" in r.get_data(as_text=True)
    assert choose(app.test_client(), mailbox.link(user.email)).status_code == 302
    sign_in(app.test_client(), user, NEW)


def test_a_mail_failure_is_reported_not_a_server_error(app, login, agency_named):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    admin = login("admin")
    r = post_form(admin, "/admin/users/new", {"email": "unlucky@example.org", "name": "Un Lucky", "role": "viewer",
                                              "agency": str(agency_named("Victim Support").id)}, follow_redirects=True)
    assert r.status_code == 200 and "Could not send an invitation" in r.get_data(as_text=True)
    assert "Send the invitation again" in r.get_data(as_text=True)


# --- the command line ----------------------------------------------------------------------

def _link_from(output: str) -> str:
    line = next(word for word in output.split() if "/set-password/" in word)
    return line[line.index("/set-password/"):]


def test_init_admin_prints_a_one_time_link_and_the_admin_sets_up_the_app(app):
    import pyotp

    from tests.integration.test_two_factor import codes_on, secret_on

    result = app.test_cli_runner().invoke(args=["init-admin"])
    assert result.exit_code == 0, result.output
    assert "one-time link" in result.output and "password:" not in result.output
    link = _link_from(result.output)
    client = app.test_client()
    assert choose(client, link).status_code == 302
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    r = client.post("/sign-in", data={"email": admin.email, "password": NEW, "csrf_token": csrf_token(client)})
    assert r.headers["Location"].endswith("/sign-in/set-up")
    secret = secret_on(client.get("/sign-in/set-up").get_data(as_text=True))
    r = client.post("/sign-in/set-up", data={"code": pyotp.TOTP(secret).now(),
                                             "csrf_token": csrf_token(client, "/sign-in/set-up")})
    assert len(codes_on(r.get_data(as_text=True))) == 10
    assert client.get("/admin/users").status_code == 200
    again = app.test_cli_runner().invoke(args=["init-admin"])
    assert admin.email in again.output and "/set-password/" not in again.output


def test_reset_password_command_prints_a_link(app, make_user):
    user = make_user("viewer")
    result = app.test_cli_runner().invoke(args=["reset-password", user.email])
    assert result.exit_code == 0 and "works once" in result.output
    assert choose(app.test_client(), _link_from(result.output)).status_code == 302
    sign_in(app.test_client(), user, NEW)


def test_create_user_command_sends_an_invitation(app, mailbox):
    result = app.test_cli_runner().invoke(args=["create-user", "officer@met.example", "--agency", "MPS",
                                                "--role", "lead"])
    assert result.exit_code == 0 and "Invitation emailed" in result.output, result.output
    assert mailbox.link("officer@met.example").startswith("/set-password/invitation/")


def test_remove_second_factor_command(app, make_user):
    user = make_user("admin")
    result = app.test_cli_runner().invoke(args=["remove-second-factor", user.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_second_factor
    client = app.test_client()
    r = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert r.headers["Location"].endswith("/sign-in/set-up")


def test_using_a_newer_link_kills_the_older_ones(app, make_user, mailbox):
    user = make_user("viewer")
    for _ in range(2):
        post_form(app.test_client(), "/forgot-password", {"email": user.email}, token_from="/forgot-password")
    bodies = [m.get_body(("plain",)).get_content() for m in mailbox.to(user.email)]
    first, second = (b[b.index("/set-password/"):].split()[0] for b in bodies)
    assert first != second
    assert choose(app.test_client(), second).status_code == 302
    assert app.test_client().get(first).status_code == 400
