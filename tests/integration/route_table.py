"""The app's routes as a table, for the tests that walk `app.url_map` (bad input, the permission matrix).

`world()` builds the rows a route's arguments point at; `form_on()` reads the form a page shows, so a
POST route is called with the fields its own page would send.
"""

from html.parser import HTMLParser

from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.api import tokens
from app.extensions import db
from app.kpis.models import Indicator
from app.strategy.quarters import Quarter

Q = Quarter(2019, 1)
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


def form_on(client, page: str, action: str) -> dict[str, list[str]] | None:
    scraper = FormScraper()
    scraper.feed(client.get(page).get_data(as_text=True))
    for form_action, fields in scraper.forms:
        if form_action.split("?")[0] == action or (form_action == "" and page.split("?")[0] == action):
            return {k: v for k, v in fields.items() if k != "csrf_token"}
    return None


def world(make_user, agency_named) -> dict:
    """Users and rows the routes' arguments point at."""
    csp = agency_named("Community Safety Partnership")
    coordinator = make_user("coordinator", csp)
    a1 = db.session.scalar(select(Action).where(Action.code == "A1", Action.plan_year == 2018))
    upd = actions_service.save_update(coordinator, a1, csp, Q, version=0, status=Status.GREEN, commentary="x",
                                      mitigation="", sub_statuses={}, submit=True)
    indicator = db.session.scalar(select(Indicator).where(Indicator.owner_agency_id == csp.id,
                                                          Indicator.frequency == "quarterly").limit(1))
    api_token, _ = tokens.create(coordinator, "Route table")  # revoked by the coordinator's own client
    db.session.commit()
    target = make_user("viewer", agency_named("Victim Support"))  # the account the admin routes change
    return {"coordinator": coordinator, "admin": make_user("admin", csp), "viewer": make_user("viewer", csp),
            "args": {"action_id": a1.id, "agency_id": csp.id, "quarter_slug": Q.slug, "kind": "update",
                     "item_id": upd.id, "code": indicator.code, "fy": "2019-20", "user_id": target.id,
                     "purpose": "reset", "token": "not-a-real-token",
                     "token_id": api_token.id}}


# POST-only routes take their form from the page that shows it.
FORM_PAGES = {"cycle.set_dates": "/cycle/{quarter_slug}", "cycle.lock": "/cycle/{quarter_slug}",
              "cycle.reopen": "/cycle/{quarter_slug}", "admin.reset_password": "/admin/users/{user_id}",
              "auth.logout": "/sign-out", "api_tokens.revoke": "/account/api-tokens",
              # The tracker's ticked returns, confirmed: the confirmation page carries the form.
              "cycle.accept_selected": "/cycle/{quarter_slug}/accept?item=update-{item_id}",
              # The confirm forms are on the preview an upload shows; without one, only the token is missing.
              "returns_io.confirm_workbook": "/returns/{agency_id}/{quarter_slug}",
              "returns_io.confirm_values": "/my-indicators/upload"}


def routes(app):
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rows.append((rule.endpoint, method))
    return sorted(set(rows))


def rule_for(app, endpoint):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
