"""The read API (issue 13, section 2): audiences, tokens, paging, ETags, problem+json, and the OpenAPI
document every response here is checked against."""

import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import select

from app.api import tokens
from app.api.models import ApiToken
from app.audit.models import AuditEvent
from app.database import utcnow
from app.extensions import db
from app.reports import frozen
from app.reports.service import PUBLISHED
from tests.conftest import post_form
from tests.helpers import audit_count
from tests.integration.test_public import EARLIER, Q, demo, lock, publish  # noqa: F401 - fixture

SPEC_CACHE: dict = {}


def spec(client) -> dict:
    if "spec" not in SPEC_CACHE:
        SPEC_CACHE["spec"] = client.get("/api/v1/openapi.json").get_json()
    return SPEC_CACHE["spec"]


def call(client, url: str, token: str | None = None, **headers):
    """GET an API address and check the response against its schema in the OpenAPI document."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.get(url, headers=headers)
    assert response.status_code != 500, url
    if response.status_code == 304:
        return response
    path = url.split("?")[0]
    documented = spec(client)["paths"][path]["get"]["responses"]
    assert str(response.status_code) in documented, (url, response.status_code, response.get_data(as_text=True))
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    expected = "application/problem+json" if response.status_code >= 400 else "application/json"
    assert response.mimetype == expected
    Draft202012Validator({**schema, "components": spec(client)["components"]}).validate(response.get_json())
    return response


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator")


def token_for(user, days=90) -> str:
    _, token = tokens.create(user, "Test", days)
    db.session.commit()
    return token


def small_count_shown(items) -> list:
    """Every value from 1 to 4 among the figures (a number, not a suppression mark)."""
    found = []
    for item in items:
        for value in [*item["values"].values(), item["year_to_date"]]:
            if isinstance(value, int | float) and 1 <= value <= 4:
                found.append((item["code"], value))
    return found


def test_the_openapi_document_is_valid_3_1(client):
    document = spec(client)
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert {"/api/v1/quarters", "/api/v1/strategy", "/api/v1/actions", "/api/v1/indicators"} <= set(document["paths"])


def test_the_docs_page_lists_the_endpoints_without_a_cdn(client):
    response = client.get("/api/v1/docs")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "GET /api/v1/indicators" in body
    # Every script, stylesheet and image is served by the app itself. (Searching the page for "cdn"
    # failed once: the random CSRF token in the page happened to contain those letters.)
    sources = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"', body)
    assert sources and all(source.startswith(("/static/", "data:")) for source in sources), sources
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "http" not in policy


def test_anonymous_callers_see_nothing_unpublished_or_unlocked(demo, client, coordinator):  # noqa: F811
    assert call(client, "/api/v1/quarters").get_json()["items"] == []
    for url in ["/api/v1/indicators", f"/api/v1/indicators?quarter={Q.slug}", f"/api/v1/actions?quarter={Q.slug}"]:
        assert call(client, url).status_code == 404
    lock(coordinator, Q)
    assert call(client, f"/api/v1/indicators?quarter={Q.slug}").status_code == 404  # locked, not published
    assert call(client, "/api/v1/quarters").get_json()["items"] == []
    publish(coordinator, Q)
    assert [q["slug"] for q in call(client, "/api/v1/quarters").get_json()["items"]] == [Q.slug]
    body = call(client, "/api/v1/indicators?per_page=200").get_json()
    assert body["quarter"] == Q.slug and body["audience"] == PUBLISHED
    assert body["items"] == [{**line, **{k: item[k] for k in ("unit", "polarity", "headline")}}
                             for line, item in zip(frozen.figures(Q, PUBLISHED)["indicators"], body["items"],
                                                   strict=True)]
    assert call(client, f"/api/v1/actions?quarter={EARLIER.slug}").status_code == 404  # unlocked, unpublished
    actions = call(client, "/api/v1/actions?per_page=200").get_json()
    assert actions["total"] == len(actions["items"]) > 0
    assert "[Demo]" not in str(actions)  # no commentary


def test_no_published_figure_is_a_count_from_1_to_4_unless_exempt(demo, client, coordinator):  # noqa: F811
    from app.kpis.models import Indicator
    lock(coordinator, Q)
    publish(coordinator, Q)
    exempt = set(db.session.scalars(select(Indicator.code).where(Indicator.suppress.is_(False))))
    counts = set(db.session.scalars(select(Indicator.code).where(Indicator.unit == "count")))
    items = call(client, "/api/v1/indicators?per_page=200").get_json()["items"]
    shown = [(code, v) for code, v in small_count_shown(items) if code in counts and code not in exempt]
    assert shown == []
    # the partnership audience has them: the test could fail
    staff = token_for(coordinator)
    true_items = call(client, "/api/v1/indicators?per_page=200&audience=partnership", staff).get_json()["items"]
    assert [(c, v) for c, v in small_count_shown(true_items) if c in counts and c not in exempt]


def test_anonymous_callers_cannot_ask_for_the_partnership_figures(demo, client, coordinator):  # noqa: F811
    lock(coordinator, Q)
    publish(coordinator, Q)
    response = call(client, "/api/v1/indicators?audience=partnership")
    assert response.status_code == 401
    assert response.get_json()["detail"].startswith("Send an API token")


def test_a_token_sees_what_its_user_sees(demo, client, make_user, coordinator):  # noqa: F811
    lead = token_for(make_user("lead"))
    # Unlocked and unpublished: the user sees it on screen, so the token does too, as published figures.
    body = call(client, f"/api/v1/indicators?quarter={Q.slug}&per_page=200", lead).get_json()
    assert body["audience"] == PUBLISHED
    assert [i["values"] for i in body["items"]] == [i["values"] for i in frozen.figures(Q, PUBLISHED)["indicators"]]
    assert len(call(client, "/api/v1/quarters?per_page=200", lead).get_json()["items"]) > 1
    # Partnership figures leave the app only with the coordinator or an admin, audited each time.
    assert call(client, f"/api/v1/indicators?quarter={Q.slug}&audience=partnership", lead).status_code == 403
    staff = token_for(coordinator)
    before = audit_count()
    body = call(client, f"/api/v1/indicators?quarter={Q.slug}&audience=partnership", staff).get_json()
    assert body["audience"] == "partnership"
    assert audit_count() == before + 1


def test_a_token_makes_no_session(demo, client, make_user):  # noqa: F811
    token = token_for(make_user("lead"))
    response = call(client, "/api/v1/strategy", token)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.get("/dashboard").status_code == 302  # still not signed in


def test_a_signed_in_browser_reads_the_api_as_its_user(demo, login, client):  # noqa: F811
    """The app's own session counts as its user (no token needed in the browser); anonymous does not."""
    viewer = login("viewer")
    body = call(viewer, f"/api/v1/indicators?quarter={Q.slug}&per_page=200").get_json()  # unpublished
    assert [i["values"] for i in body["items"]] == [i["values"] for i in frozen.figures(Q, PUBLISHED)["indicators"]]
    assert call(viewer, f"/api/v1/indicators?quarter={Q.slug}&audience=partnership").status_code == 403
    assert call(client, f"/api/v1/indicators?quarter={Q.slug}").status_code == 404  # the same, anonymous
    response = call(viewer, "/api/v1/quarters")
    assert response.headers["Cache-Control"] == "no-store" and "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize(("query", "target"), [
    ("", "audience"),  # no audience: the API's default (published)
    ("?audience=published", "audience=published"),
    ("?audience=partnership", "audience=partnership"),
])
def test_the_reports_indicators_json_is_now_the_api(demo, login, query, target):  # noqa: F811
    """The report's one-off figures endpoint redirects (308) to /api/v1/indicators, same quarter and audience."""
    client = login("coordinator")
    response = client.get(f"/reports/{Q.slug}/indicators.json{query}")
    assert response.status_code == 308
    location = response.headers["Location"]
    assert location.startswith("/api/v1/indicators?") and f"quarter={Q.slug}" in location
    assert "per_page=200" in location and (target in location) == bool(query)
    before = audit_count()
    followed = client.get(f"/reports/{Q.slug}/indicators.json{query}", follow_redirects=True)
    direct = call(client, location)
    assert followed.get_json() == direct.get_json() and followed.get_json()["items"]
    # A partnership export is audited by the API, once per call (two calls here).
    assert audit_count() == before + (2 if "partnership" in query else 0)


@pytest.mark.parametrize("header", ["Bearer hvt_unknown", "Bearer ", "Basic dXNlcjpwYXNz", "hvt_no_scheme"])
def test_an_unknown_or_malformed_token_is_refused(client, header):
    response = call(client, "/api/v1/quarters", Authorization=header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.get_json()) == {"type", "title", "status", "detail"}


def test_revoked_and_expired_tokens_are_refused(client, make_user):
    user = make_user("lead")
    revoked, expired = token_for(user), token_for(user)
    assert call(client, "/api/v1/quarters", revoked).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(revoked)))
    tokens.revoke(user, row.id)
    old = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(expired)))
    old.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert call(client, "/api/v1/quarters", revoked).status_code == 401
    assert call(client, "/api/v1/quarters", expired).status_code == 401


def test_a_deactivated_users_token_is_refused(client, make_user):
    user = make_user("lead")
    token = token_for(user)
    user.active = False
    db.session.commit()
    assert call(client, "/api/v1/quarters", token).status_code == 401


def test_paging(client, make_user):
    token = token_for(make_user("lead"))
    whole = call(client, "/api/v1/quarters?per_page=200", token).get_json()
    first = call(client, "/api/v1/quarters?per_page=3", token).get_json()
    assert first["total"] == whole["total"] and first["items"] == whole["items"][:3]
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    second = call(client, first["links"]["next"], token).get_json()
    assert second["items"] == whole["items"][3:6]
    last = call(client, first["links"]["last"], token).get_json()
    assert last["links"]["next"] is None and last["items"] == whole["items"][(last["page"] - 1) * 3:]
    beyond = call(client, "/api/v1/quarters?page=999&per_page=3", token).get_json()
    assert beyond["items"] == []


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=abc", "per_page=0", "per_page=201", "per_page=1e9", "page=99999999999999999999",
    "quarter=nonsense", "quarter=1900-01-Q1", "quarter=2019-20-Q9", "audience=everyone",
    "audience=published&audience=partnership",
    "quarter=%00", "page=%F0%9F%92%A9", "per_page=", "quarter=" + "x" * 500,
])
def test_bad_parameters_are_clear_problems_never_a_500(client, make_user, query):
    token = token_for(make_user("coordinator"))
    response = call(client, f"/api/v1/indicators?{query}", token)
    assert 400 <= response.status_code < 500
    assert response.get_json()["detail"]


def test_etag_and_if_none_match(client, make_user):
    token = token_for(make_user("lead"))
    first = call(client, "/api/v1/quarters", token)
    etag = first.headers["ETag"]
    again = client.get("/api/v1/quarters", headers={"Authorization": f"Bearer {token}", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = call(client, "/api/v1/quarters?per_page=2", token, **{"If-None-Match": etag})
    assert other.status_code == 200


def test_anonymous_responses_may_be_cached(demo, client, coordinator):  # noqa: F811
    lock(coordinator, Q)
    publish(coordinator, Q)
    response = call(client, "/api/v1/indicators")
    assert response.headers["Cache-Control"].startswith("public")
    assert "Authorization" in response.headers["Vary"]
    token = token_for(coordinator)
    assert call(client, "/api/v1/indicators", token).headers["Cache-Control"] == "no-store"


# --- the token page ---------------------------------------------------------------------------------


def test_a_user_creates_a_token_shown_once_stored_as_a_hash_and_audited(login, client):
    browser = login("lead")
    assert "API tokens" in browser.get("/account").get_data(as_text=True)
    before = audit_count()
    page = post_form(browser, "/account/api-tokens", {"name": "Power BI", "days": "30"},
                     token_from="/account/api-tokens").get_data(as_text=True)
    token = re.search(r'id="new-token">(hvt_[^<]+)<', page).group(1)
    assert audit_count() == before + 1
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Power BI"))
    assert row.token_hash == tokens.token_hash(token) and token not in row.token_hash
    assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30, seconds=5)
    assert token not in browser.get("/account/api-tokens").get_data(as_text=True)  # shown once
    assert call(client, "/api/v1/quarters", token).status_code == 200
    post_form(browser, f"/account/api-tokens/{row.id}/revoke", {}, token_from="/account/api-tokens")
    assert audit_count() == before + 2
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.verb == "revoke" and event.entity == "api_token"
    assert call(client, "/api/v1/quarters", token).status_code == 401


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "days": "90"}, "Enter a name for the token"),
    ({"name": "x", "days": "0"}, "Enter a number of days from 1 to 365"),
    ({"name": "x", "days": "366"}, "Enter a number of days from 1 to 365"),
    ({"name": "x", "days": ""}, "Enter a number of days from 1 to 365"),
])
def test_the_token_form_explains_its_errors(login, data, message):
    browser = login("lead")
    before = audit_count()
    page = post_form(browser, "/account/api-tokens", data, token_from="/account/api-tokens").get_data(as_text=True)
    assert message in page and "hvt_" not in page
    assert audit_count() == before


def test_nobody_revokes_another_users_token(login, make_user, client):
    owner = make_user("lead")
    token = token_for(owner)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(token)))
    other = login("lead")
    post_form(other, f"/account/api-tokens/{row.id}/revoke", {}, token_from="/account/api-tokens")
    assert call(client, "/api/v1/quarters", token).status_code == 200
