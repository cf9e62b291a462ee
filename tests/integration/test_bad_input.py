"""Bad input never causes a server error, on any route (issue 9, defect F).

The table walks `app.url_map`, so a new route is covered without editing this file. Every route is
called with its path's integers past 64 bits, with hostile query parameters, and (for forms) with each
field in turn given a NUL byte, a control character, a number past 64 bits, a number of 2^31, and a
date with a missing part. Every answer must be below 500.
"""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.extensions import db
from app.kpis.models import Indicator
from app.quarters import Quarter
from tests.conftest import csrf_token

Q = Quarter(2019, 1)
HUGE = str(2**64)  # past any 64-bit integer column or parameter
INT31 = str(2**31)  # past a 32-bit INTEGER column
SENTINEL = 987654321  # stands for an id in a built URL, then replaced
FIELD_VALUES = {"NUL byte": "a\x00b", "control character": "a\x07b", "64-bit overflow": HUGE, "2^31": INT31}
QUERIES = [f"?agency={HUGE}", f"?page={HUGE}", "?page=-1", "?quarter=%00", "?audience=%00",
           f"?objective={HUGE}", "?status=%00", "?entity=%00", "?code=%00"]
SKIP = {"static"}


class FormScraper(HTMLParser):
    """Every <form method="post"> of a page: its action and its fields' first values."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._form: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append((a.get("action") or "", self._form))
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit",):
            if a.get("type") in ("radio", "checkbox") and a["name"] in self._form:
                return
            self._form.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and self._select not in self._form and a.get("value"):
            self._form[self._select] = [a["value"]]
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.setdefault(a["name"], [""])
        elif tag == "button" and a.get("name"):
            self._form[a["name"]] = [a.get("value") or "1"]

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[self._textarea] = [data]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _form_on(client, page: str, action: str) -> dict[str, list[str]] | None:
    scraper = FormScraper()
    scraper.feed(client.get(page).get_data(as_text=True))
    for form_action, fields in scraper.forms:
        if form_action.split("?")[0] == action or (form_action == "" and page.split("?")[0] == action):
            return {k: v for k, v in fields.items() if k != "csrf_token"}
    return None


def _world(make_user, agency_named) -> dict:
    """Users and rows the routes' arguments point at."""
    csp = agency_named("Community Safety Partnership")
    coordinator = make_user("coordinator", csp)
    a1 = db.session.scalar(select(Action).where(Action.code == "A1", Action.plan_year == 2018))
    upd = actions_service.save_update(coordinator, a1, csp, Q, version=0, status=Status.GREEN, commentary="x",
                                      mitigation="", sub_statuses={}, submit=True)
    indicator = db.session.scalar(select(Indicator).where(Indicator.owner_agency_id == csp.id,
                                                          Indicator.frequency == "quarterly").limit(1))
    db.session.commit()
    target = make_user("viewer", agency_named("Victim Support"))  # the account the admin routes change
    return {"coordinator": coordinator, "admin": make_user("admin", csp), "viewer": make_user("viewer", csp),
            "args": {"action_id": a1.id, "agency_id": csp.id, "quarter_slug": Q.slug, "kind": "update",
                     "item_id": upd.id, "code": indicator.code, "fy": "2019-20", "user_id": target.id,
                     "purpose": "reset", "token": "not-a-real-token"}}


# POST-only routes take their form from the page that shows it.
FORM_PAGES = {"cycle.set_dates": "/cycle/{quarter_slug}", "cycle.lock": "/cycle/{quarter_slug}",
              "cycle.reopen": "/cycle/{quarter_slug}", "admin.reset_password": "/admin/users/{user_id}",
              "auth.logout": "/sign-out"}


def _routes(app):
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rows.append((rule.endpoint, method))
    return sorted(set(rows))


def _rule(app, endpoint):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _requests(app, client, endpoint: str, method: str, args: dict) -> list[tuple[str, str, dict | None]]:
    """(description, url, form) for every bad input of this route and method."""
    rule = _rule(app, endpoint)
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
    form = _form_on(client, page, url) or {}
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
    assert len(_routes(app)) > 40


@pytest.mark.parametrize("chunk", range(4))
def test_no_bad_input_causes_a_server_error(app, login, make_user, agency_named, chunk):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # count the 500s instead of stopping at the first
    world = _world(make_user, agency_named)
    # Signed in once, before any bad input: a route may change the accounts it is given.
    clients = {role: login(user=world[role]) for role in ("coordinator", "admin", "viewer")}
    routes = _routes(app)[chunk::4]
    failures = []
    for endpoint, method in routes:
        client, token_page = _client_for(app, clients, endpoint)
        if endpoint == "auth.logout":  # signing out ends the session: not the shared one
            client = login(user=world["viewer"])
        token = csrf_token(client, token_page) if method == "POST" else None
        for what, url, form in _requests(app, client, endpoint, method, world["args"]):
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
