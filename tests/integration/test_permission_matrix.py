"""Every write route, as every role and as a lead of another agency: allowed or 403, and a refusal changes nothing.

The expected answers come from the permission registry (app.permissions: each view's roles and scope),
and the routes from the url_map, so a new route is covered (or fails as unclassified) without editing this file.
"""

import pytest
from sqlalchemy import select

from app.actions.models import Action
from app.cycle import service as cycle_service
from app.extensions import db
from app.permissions import ADMINS, ALL_ROLES, OWN_AGENCY, RETURN_WRITERS, STAFF
from app.refresh import service as refresh_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import action, audit_count, holds
from tests.integration.route_table import FORM_PAGES, form_on, routes, rule_for, world

Q4_2018 = Quarter(2018, 4)
ROLES = ("admin", "coordinator", "lead", "other_lead", "viewer", "anonymous")


def _expected(view, role: str) -> str:
    """What the registry says `role` gets from this write route: "allowed", "forbidden" or "sign in"."""
    rule, scope = view.access_rule, view.access_scope
    if role == "anonymous":
        return "sign in"
    held = "lead" if role == "other_lead" else role
    if held not in {r.value for r in rule}:
        return "forbidden"
    # The objects are the Community Safety Partnership's (A1 and its indicator); "other_lead" is not.
    return "forbidden" if role == "other_lead" and scope == OWN_AGENCY else "allowed"


def _answer(response) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]:
        return "sign in"  # sent to sign in first (signing out also ends on the sign-in page, without next)
    return "allowed" if response.status_code < 500 else f"error {response.status_code}"


@pytest.mark.parametrize("chunk", range(3))
def test_every_write_route_as_every_role(app, login, make_user, agency_named, chunk):
    """Every POST route in the url_map, as every role and as a lead of another agency: the registry's answer.

    A route without an access rule (or with an unknown scope) is unclassified and fails. A refused write
    changes nothing (the audit trail does not grow).
    """
    made = world(make_user, agency_named)
    # The plan's writable year is the refreshed one: refresh it, so the plan routes have an action to edit.
    coordinator = made["coordinator"]
    cycle_service.lock(coordinator, Q4_2018, version=calendar.period_for(Q4_2018).version, reason="Board")
    refresh_service.run_refresh(coordinator, 2019, targets={})
    db.session.commit()
    made["args"]["action_id"] = db.session.scalar(
        select(Action.id).where(Action.code == "A1", Action.plan_year == 2019))
    csp, other = agency_named("Community Safety Partnership"), agency_named("Victim Support")
    clients: dict = {}

    def client_for(role: str):
        # One signed-in client per role, reused; a fresh account after an account route (it may end the
        # session). Fresh accounts, not fresh sign-ins: a second factor's code cannot be used twice.
        if role not in clients:
            held = "lead" if role == "other_lead" else role
            clients[role] = login(user=make_user(held, other if role == "other_lead" else csp))
        return clients[role]

    writes = sorted(endpoint for endpoint, method in routes(app) if method == "POST")
    failures = []
    for endpoint in writes[chunk::3]:
        view = app.view_functions[endpoint]
        rule = getattr(view, "access_rule", None)
        if rule == "public":
            continue
        if not isinstance(rule, tuple) or getattr(view, "access_scope", "unset") not in (None, OWN_AGENCY):
            failures.append(f"{endpoint}: unclassified")
            continue
        url = rule_for(app, endpoint).build({k: made["args"][k] for k in rule_for(app, endpoint).arguments})[1]
        page = FORM_PAGES.get(endpoint, url).format(**made["args"])
        shown_to = next(r for r in ("coordinator", "admin", "lead", "viewer") if _expected(view, r) == "allowed")
        form = form_on(client_for(shown_to), page, url) or {}
        for role in ROLES:
            client = app.test_client() if role == "anonymous" else client_for(role)
            token = csrf_token(client, "/sign-in" if role == "anonymous" else "/dashboard")
            before = audit_count()
            got = _answer(client.post(url, data={**form, "csrf_token": token}))
            wanted = _expected(view, role)
            if got != wanted:
                failures.append(f"{endpoint} as {role}: {got}, the registry says {wanted}")
            elif wanted != "allowed" and audit_count() != before:
                failures.append(f"{endpoint} as {role}: refused, but something was written")
            db.session.rollback()
            if endpoint.startswith("auth."):
                clients.pop(role, None)
    print(f"write routes checked: {len(writes[chunk::3])}", *failures, sep="\n  ")
    assert failures == []


def test_coordinator_cannot_update_an_action_their_agency_does_not_lead(login, agency_named):
    police = agency_named("Metropolitan Police Service")
    client = login("coordinator", agency_named("Community Safety Partnership"))
    a2 = action("A2")
    before = audit_count()
    r = client.post(f"/actions/{a2.id}/updates/{police.id}/2019-20-Q1",
                    data={"status": "green", "commentary": "x", "version": "0", "submit_update": "1",
                          "csrf_token": csrf_token(client, "/dashboard")})
    assert r.status_code == 403 and audit_count() == before


def test_lead_cannot_even_open_another_agencys_form(login, agency_named):
    police = agency_named("Metropolitan Police Service")
    client = login("lead", agency_named("Victim Support"))
    assert client.get(f"/actions/{action('A2').id}/updates/{police.id}/2019-20-Q1").status_code == 403


@pytest.mark.parametrize("path, readers", [
    ("/audit/", STAFF), ("/my-actions", RETURN_WRITERS), ("/admin/users", ADMINS), ("/admin/agencies", ADMINS),
    ("/dashboard", ALL_ROLES),
])
@pytest.mark.parametrize("role", [role.value for role in ALL_ROLES])
def test_read_access_by_role(login, role, path, readers):
    assert login(role).get(path).status_code == (200 if holds(role, readers) else 403)


def test_post_without_csrf_token_is_refused_and_changes_nothing(login, agency_named):
    csp = agency_named("Community Safety Partnership")
    client = login("lead", csp)
    before = audit_count()
    r = client.post(f"/actions/{action('A1').id}/updates/{csp.id}/2019-20-Q1",
                    data={"status": "green", "commentary": "x", "version": "0", "submit_update": "1"})
    assert r.status_code == 400 and "Your form has expired" in r.get_data(as_text=True)
    assert audit_count() == before


def test_htmx_post_with_the_token_in_the_header_is_accepted(login, agency_named):
    csp = agency_named("Community Safety Partnership")
    client = login("lead", csp)
    token = csrf_token(client, "/dashboard")
    r = client.post(f"/actions/{action('A1').id}/updates/{csp.id}/2019-20-Q1",
                    data={"status": "green", "commentary": "x", "version": "0", "save_draft": "1"},
                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert r.status_code == 200 and "Draft of the update on A1 saved" in r.get_data(as_text=True)
