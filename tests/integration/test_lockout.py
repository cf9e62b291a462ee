"""Throttling sign-in: 10 failures lock an account for 15 minutes, and a client address has its own limit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in

BAD = "Enter a correct email address and password"


def attempt(client, email: str, password: str):
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def error_summary(response) -> str:
    body = response.get_data(as_text=True)
    start = body.index('class="govuk-error-summary"')
    return body[start:body.index("</div>", start)]


def events(verb: str, user=None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)
    if user is not None:
        query = query.where(AuditEvent.entity_id == user.id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("failures, locked", [(9, False), (10, True)])
def test_the_tenth_failure_locks_the_account(app, make_user, failures, locked):
    user = make_user("viewer")
    client = app.test_client()
    for _ in range(failures):
        assert BAD in attempt(client, user.email, "wrong password entirely").get_data(as_text=True)
    r = attempt(client, user.email, PASSWORD)
    assert (r.status_code == 200) is locked  # locked: the right password is refused
    assert (r.status_code == 302) is not locked
    db.session.expire_all()
    assert (db.session.get(User, user.id).locked_until is not None) is locked


def test_locked_unknown_and_wrong_password_get_the_same_message(app, make_user):
    user = make_user("viewer")
    other = make_user("viewer")
    client = app.test_client()
    for _ in range(10):
        attempt(client, user.email, "wrong password entirely")
    locked = attempt(client, user.email, PASSWORD)
    wrong = attempt(client, other.email, "wrong password entirely")
    unknown = attempt(client, "nobody@example.org", PASSWORD)
    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    assert error_summary(locked) == error_summary(wrong) == error_summary(unknown)
    assert BAD in error_summary(locked)


def test_the_counter_lives_in_the_database_and_a_success_resets_it(app, make_user):
    user = make_user("viewer")
    for _ in range(3):
        attempt(app.test_client(), user.email, "wrong password entirely")  # a new client each time: no cookie state
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 3
    sign_in(app.test_client(), user)
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0


def test_the_lock_lifts_after_fifteen_minutes(app, make_user):
    user = make_user("viewer")
    client = app.test_client()
    for _ in range(10):
        attempt(client, user.email, "wrong password entirely")
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.locked_until is not None
    assert attempt(client, user.email, PASSWORD).status_code == 200
    stored.locked_until -= timedelta(minutes=15)
    db.session.commit()
    assert attempt(client, user.email, PASSWORD).status_code == 302


def test_every_success_failure_and_lockout_is_audited(app, make_user):
    user = make_user("viewer")
    client = app.test_client()
    attempt(client, "nobody@example.org", "whatever password")
    for _ in range(10):
        attempt(client, user.email, "wrong password entirely")
    attempt(client, user.email, PASSWORD)  # refused while locked
    assert len(events("sign-in-failed", user)) == 11
    assert "account locked" in events("sign-in-failed", user)[-1].summary
    assert [e.summary for e in events("sign-in-failed") if e.entity_id is None] == [
        "Failed sign-in for an unknown address (from 127.0.0.1)"]
    [lockout] = events("lockout", user)
    assert "after 10 failed sign-ins" in lockout.summary and lockout.new["locked_until"]
    user.locked_until = None
    db.session.commit()
    sign_in(app.test_client(), user)
    [success] = events("sign-in", user)
    assert success.actor == user.email and "with password" in success.summary


def test_an_admin_unlocks_an_account(app, login, make_user):
    user = make_user("lead")
    client = app.test_client()
    for _ in range(10):
        attempt(client, user.email, "wrong password entirely")
    admin = login("admin")
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Locked" in page and "Unlock account" in page
    assert "Locked" in admin.get("/admin/users").get_data(as_text=True)
    r = post_form(admin, f"/admin/users/{user.id}/unlock", {}, token_from=f"/admin/users/{user.id}")
    assert r.status_code == 302
    assert attempt(client, user.email, PASSWORD).status_code == 302
    [event] = events("unlock", user)
    assert event.actor == admin.user.email and event.new == {"locked_until": None, "failed_logins": 0}


@pytest.mark.parametrize("role", ["coordinator", "lead", "viewer"])
def test_only_an_admin_can_unlock(login, make_user, role):
    user = make_user("viewer")
    user.locked_until = user.created_at + timedelta(days=365 * 10)
    db.session.commit()
    client = login(role)
    r = post_form(client, f"/admin/users/{user.id}/unlock", {})
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None


def test_a_client_address_is_throttled_across_accounts(app, make_user):
    app.config["SIGN_IN_IP_LIMIT"] = 3
    user = make_user("viewer")
    client = app.test_client()
    for n in range(3):  # different unknown accounts: no single account is ever locked
        assert attempt(client, f"guess{n}@example.org", "wrong password entirely").status_code == 200
    r = attempt(client, user.email, PASSWORD)
    assert r.status_code == 429 and "Too many attempts" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is None
    # another address is not affected
    other = app.test_client()
    r = other.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)},
                   environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert r.status_code == 302


def test_the_address_limit_has_a_production_default_and_is_configurable(monkeypatch):
    import importlib

    import app.config

    assert app.config.Config.SIGN_IN_IP_LIMIT == 50 and app.config.Config.IP_WINDOW_SECONDS == 15 * 60
    monkeypatch.setenv("SIGN_IN_IP_LIMIT", "7")
    try:
        assert importlib.reload(app.config).Config.SIGN_IN_IP_LIMIT == 7
    finally:
        monkeypatch.delenv("SIGN_IN_IP_LIMIT")
        importlib.reload(app.config)


def test_failed_codes_count_towards_the_lockout(app, make_user):
    from tests.conftest import totp_code

    user = make_user("coordinator")
    client = app.test_client()
    r = attempt(client, user.email, PASSWORD)
    assert r.headers["Location"].endswith("/sign-in/code")
    good = totp_code(user)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(10):
        r = client.post("/sign-in/code", data={"code": wrong, "csrf_token": csrf_token(client, "/sign-in/code")})
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None
    # the pending sign-in is over: the good code no longer gets in, and the password is refused while locked
    r = client.get("/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")
    assert attempt(client, user.email, PASSWORD).status_code == 200


def test_behind_a_proxy_each_forwarded_address_is_throttled_on_its_own(database_url):
    from app import create_app
    from tests.conftest import FreshGlobalsClient, _config

    proxied = create_app(_config(database_url) | {"PROXY_HOPS": 1, "SIGN_IN_IP_LIMIT": 2})
    proxied.test_client_class = FreshGlobalsClient
    with proxied.app_context():
        proxy = {"REMOTE_ADDR": "10.0.0.1"}  # every request arrives from the proxy
        client = proxied.test_client()
        for _ in range(2):
            r = client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong password entirely",
                                              "csrf_token": csrf_token(client)},
                            environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
            assert r.status_code == 200
        blocked = client.post("/sign-in", data={"email": "x@example.org", "password": "y", "csrf_token":
                                                csrf_token(client)},
                              environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
        other = client.post("/sign-in", data={"email": "x@example.org", "password": "y", "csrf_token":
                                              csrf_token(client)},
                            environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.9"})
        assert blocked.status_code == 429 and other.status_code == 200
        db.session.remove()
        db.engine.dispose()
