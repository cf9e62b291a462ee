"""Signing in and out, the password hash, the idle timeout and the cookie settings."""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, sign_in


def test_sign_in_and_out(app, make_user):
    user = make_user("viewer")
    client = app.test_client()
    sign_in(client, user)
    assert client.get("/dashboard").status_code == 200
    r = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/sign-out")})
    assert r.status_code == 302
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("nobody@example.org", PASSWORD), ("{user}", "wrong password"), ("", ""), ("{user}", ""),
])
def test_bad_credentials_are_refused_with_a_message(app, make_user, email, password):
    user = make_user("viewer")
    client = app.test_client()
    r = client.post("/sign-in", data={"email": email.format(user=user.email), "password": password,
                                      "csrf_token": csrf_token(client)})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "There is a problem" in body
    assert client.get("/dashboard").status_code == 302


def test_deactivated_accounts_cannot_sign_in(app, make_user):
    user = make_user("viewer")
    user.active = False
    db.session.commit()
    client = app.test_client()
    r = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert r.status_code == 200 and "Enter a correct email address and password" in r.get_data(as_text=True)


def test_passwords_are_stored_as_argon2id(make_user):
    user = make_user("viewer")
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_idle_session_is_signed_out(app, make_user):
    from datetime import timedelta

    from app.auth.models import UserSession

    client = sign_in(app.test_client(), make_user("viewer"))
    row = db.session.scalars(select(UserSession)).one()
    row.last_seen_at -= timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] + 1)
    db.session.commit()
    r = client.get("/dashboard")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert "because you were inactive" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalars(select(UserSession)).all() == []


def test_a_page_view_leaves_the_cookie_alone_and_the_server_keeps_the_idle_limit(app, make_user):
    """The cookie carries only the session's token: it lives as long as a session can and is not signed
    again on every response (issue 11); test_idle_session_is_signed_out shows the idle limit holds."""
    from datetime import timedelta

    client = sign_in(app.test_client(), make_user("viewer"))
    client.get("/dashboard")  # the first page may store its CSRF secret in the session
    assert "Set-Cookie" not in client.get("/dashboard").headers
    assert app.permanent_session_lifetime == timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])


def test_sign_in_does_not_redirect_off_site(app, make_user):
    user = make_user("viewer")
    client = app.test_client()
    r = client.post("/sign-in?next=//evil.example/x", data={"email": user.email, "password": PASSWORD,
                                                            "csrf_token": csrf_token(client)})
    assert r.headers["Location"] == "/"


def test_production_settings_need_a_secret_and_secure_cookies(monkeypatch):
    from app import create_app
    from app.config import Config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": None, "ENV_NAME": "production"})
    assert Config.SESSION_COOKIE_SECURE and Config.SESSION_COOKIE_HTTPONLY
    assert Config.SESSION_COOKIE_SAMESITE == "Lax"


def test_production_hashing_uses_argon2id_at_full_strength():
    from argon2 import PasswordHasher

    from app.config import Config

    assert not hasattr(Config, "ARGON2_PARAMETERS")
    assert PasswordHasher().memory_cost >= 65536 and PasswordHasher().time_cost >= 3
