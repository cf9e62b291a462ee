"""Bad input never causes a server error, on any route (issue 9, defect F).

The table walks `app.url_map`, so a new route is covered without editing this file. Every route is
called with its path's integers past 64 bits, with hostile query parameters, and (for forms) with each
field in turn given a NUL byte, a control character, a number past 64 bits, a number of 2^31, and a
date with a missing part. Every answer must be below 500.
"""

import pytest
from werkzeug.routing import IntegerConverter

from app.extensions import db
from tests.conftest import csrf_token
from tests.integration.route_table import FORM_PAGES, Q, form_on, routes, rule_for, world

HUGE = str(2**64)  # past any 64-bit integer column or parameter
INT31 = str(2**31)  # past a 32-bit INTEGER column
SENTINEL = 987654321  # stands for an id in a built URL, then replaced
FIELD_VALUES = {"NUL byte": "a\x00b", "control character": "a\x07b", "64-bit overflow": HUGE, "2^31": INT31}
QUERIES = [f"?agency={HUGE}", f"?page={HUGE}", "?page=-1", "?quarter=%00", "?audience=%00",
           f"?objective={HUGE}", "?status=%00", "?entity=%00", "?code=%00"]


def _requests(app, client, endpoint: str, method: str, args: dict) -> list[tuple[str, str, dict | None]]:
    """(description, url, form) for every bad input of this route and method."""
    rule = rule_for(app, endpoint)
    good = {name: args[name] for name in rule.arguments}
    url = rule.build(good)[1]
    found = []
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            found.append((f"{name}={HUGE}", rule.build(good | {name: SENTINEL})[1].replace(str(SENTINEL), HUGE), None))
    if method == "GET":
        found += [(f"query {q}", url + q, None) for q in QUERIES]
        return found
    page = FORM_PAGES.get(endpoint, url).format(**args)
    form = form_on(client, page, url) or {}
    found.append(("as shown", url, form))
    for field, values in form.items():
        for what, bad in FIELD_VALUES.items():
            found.append((f"{field}: {what}", url, form | {field: [bad] * len(values)}))
        if len(values) == 3:  # a GOV.UK date input: day, month, year under one name
            found.append((f"{field}: a missing part", url, form | {field: ["1", "", "2019"]}))
            found.append((f"{field}: only two parts", url, form | {field: ["1", "9"]}))
    return found


def _client_for(app, clients, endpoint):
    """(client, page to read a CSRF token from): signed in with a role the route admits."""
    rule = getattr(app.view_functions[endpoint], "access_rule", "public")
    if rule == "public":
        return app.test_client(), "/sign-in"
    roles = {r.value for r in rule}
    role = next(r for r in ("coordinator", "admin", "viewer") if r in roles)
    return clients[role], "/dashboard"


def test_every_route_is_in_the_table(app):
    assert len(routes(app)) > 40


@pytest.mark.parametrize("chunk", range(4))
def test_no_bad_input_causes_a_server_error(app, login, make_user, agency_named, chunk):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # count the 500s instead of stopping at the first
    made = world(make_user, agency_named)
    # Signed in once, before any bad input: a route may change the accounts it is given.
    clients = {role: login(user=made[role]) for role in ("coordinator", "admin", "viewer")}
    failures = []
    for endpoint, method in routes(app)[chunk::4]:
        client, token_page = _client_for(app, clients, endpoint)
        if endpoint == "auth.logout":  # signing out ends the session: not the shared one
            client = login(user=made["viewer"])
        token = csrf_token(client, token_page) if method == "POST" else None
        for what, url, form in _requests(app, client, endpoint, method, made["args"]):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={**(form or {}), "csrf_token": token})
            if response.status_code >= 500:
                failures.append(f"{method} {endpoint} {what}: {response.status_code}")
            response.close()  # a streamed download holds its request context until closed
            db.session.rollback()
    print(f"5xx in chunk {chunk}: {len(failures)}", *failures, sep="\n  ")
    assert failures == []


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_byte_at_sign_in_is_a_field_error(client, make_user, field):
    user = make_user("viewer")
    token = csrf_token(client, "/sign-in")
    data = {"email": user.email, "password": "x", "csrf_token": token} | {field: "a\x00b@example.org"}
    response = client.post("/sign-in", data=data)
    assert response.status_code == 200
    assert "control characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/dashboard\r\nSet-Cookie: x=1", "/dashboard%0d%0aX: 1", "/\x00",
                                    "//evil.example", "/\\evil.example"])
def test_a_crafted_next_after_sign_in_goes_home(client, make_user, target):
    from tests.conftest import PASSWORD

    user = make_user("viewer")
    token = csrf_token(client, "/sign-in")
    query = target.replace("\r", "%0d").replace("\n", "%0a").replace("\x00", "%00")
    response = client.post("/sign-in?next=" + query,
                           data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    # Refused before sign-in (a control character in the query) or followed only to the home page.
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"] in ("/", "http://localhost/")


@pytest.mark.parametrize(("target", "followed"), [
    ("/dashboard?quarter=2019-20-Q1", True), ("/reports/2019-20-Q1", True),
    ("/dashboard\r\nSet-Cookie: x=1", False), ("/\x00", False), ("/a\tb", False),
    ("//evil.example", False), ("/\\evil.example", False), ("https://evil.example/", False), ("", False), (None, False),
])
def test_sign_in_follows_only_plain_same_site_paths(app, target, followed):
    from app.auth.routes import _safe_next

    with app.test_request_context("/sign-in"):
        assert (_safe_next(target) == target) is followed


@pytest.mark.parametrize("parts", [["1", "9"], ["1", "", "2019"], ["", "", ""], ["1"]])
def test_a_date_with_a_missing_part_is_shown_again_with_a_message(login, parts):
    client = login("coordinator")
    token = csrf_token(client, f"/cycle/{Q.slug}")
    response = client.post(f"/cycle/{Q.slug}/dates", data={
        "csrf_token": token, "dates-version": "1", "dates-opens_on": parts, "dates-deadline": ["31", "7", "2019"]})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter the date the window opens" in body
    assert 'name="dates-opens_on"' in body  # the date input is drawn again, with what was typed


def test_a_query_parameter_with_a_nul_is_refused(login):
    assert login("coordinator").get("/audit/?entity=%00").status_code == 400
