"""The session cookie's serializer and the CSRF token's signature are made once, not on every request
(app/signing.py): each session must still get its own token, accepted, and the cookie must still
follow the secret keys."""

import pytest

from app import signing
from tests.conftest import csrf_token, post_form

PAGES = ["/dashboard", "/my-actions", "/dashboard?quarter=2019-20-Q1"]


@pytest.fixture
def signatures(monkeypatch) -> list[str]:
    """Every token Flask-WTF signs, in order."""
    made = []

    def counted():
        token = original()
        made.append(token)
        return token

    original = signing.generate_csrf
    monkeypatch.setattr(signing, "generate_csrf", counted)
    return made


def test_a_session_is_signed_one_token_for_its_pages_and_that_token_is_accepted(login, police, signatures):
    lead = login("lead", police)
    signatures.clear()  # signing in made the session's first token
    tokens = {csrf_token(lead, page) for page in PAGES}
    assert len(tokens) == 1 and len(signatures) == 1
    # A form posted with it reaches its own checks ("Your form has expired" would be a 400).
    response = post_form(lead, "/account/password", {"current": "wrong", "password": "x", "confirm": "x"})
    assert response.status_code == 200 and "Your form has expired" not in response.get_data(as_text=True)


def test_two_sessions_never_get_each_others_token(login, police):
    first, second = login("lead", police), login("lead", police)
    views = [csrf_token(client, "/dashboard") for client in (first, second, first, second)]
    assert views[0] == views[2] and views[1] == views[3] and views[0] != views[1]
    refused = second.post("/account/password", data={"current": "wrong", "password": "x", "confirm": "x",
                                                      "csrf_token": views[0]})
    assert refused.status_code == 400


def test_a_token_is_signed_afresh_once_its_reuse_time_is_over(login, police, signatures, monkeypatch):
    lead = login("lead", police)
    csrf_token(lead, "/dashboard")
    signatures.clear()
    csrf_token(lead, "/dashboard")
    assert signatures == []  # reused
    later = signing.time.monotonic() + signing.CSRF_REUSE_SECONDS + 1
    monkeypatch.setattr(signing.time, "monotonic", lambda: later)
    fresh = csrf_token(lead, "/dashboard")
    assert signatures == [fresh]


def test_only_so_many_sessions_tokens_are_remembered(app, login, police, monkeypatch):
    monkeypatch.setattr(signing, "CSRF_REMEMBERED", 2)
    for client in (login("lead", police), login("lead", police), login("lead", police)):
        csrf_token(client, "/dashboard")
    assert len(app.extensions["signed_csrf_tokens"]) == 2


def test_the_cookie_follows_the_secret_keys(app, login, police):
    lead = login("lead", police)
    assert lead.get("/dashboard").status_code == 200
    old = app.secret_key
    try:
        # A new key with the old one as a fallback: the cookie signed with the old key still opens.
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a-new-secret-key-for-this-test", [old]
        assert lead.get("/dashboard").status_code == 200
        # The old key dropped: the cookie no longer opens, so the browser is asked to sign in.
        app.config["SECRET_KEY_FALLBACKS"] = []
        response = lead.get("/dashboard")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = old, []
