"""Every write route, as every role and as a lead of another agency: allowed or 403, and a refusal changes nothing."""

import pytest

from tests.conftest import csrf_token
from tests.helpers import action, audit_count

ROLES = ["admin", "coordinator", "lead", "other_lead", "viewer", "anonymous"]


# route -> (builder of (url, form data), roles allowed). "lead" is a lead of the agency owning the object;
# the Community Safety Partnership leads A1, so a coordinator (also in that agency) may update A1 too.
WRITE_ROUTES = {
    "update own agency action": (
        lambda ctx: (f"/actions/{ctx['a1'].id}/updates/{ctx['csp'].id}/2019-20-Q1",
                     {"status": "green", "commentary": "ok", "version": "0", "submit_update": "Submit update"}),
        {"coordinator", "lead"}),
    "create user": (
        lambda ctx: ("/admin/users/new", {"email": "new.person@example.org", "name": "New Person", "role": "viewer",
                                          "agency": str(ctx["csp"].id)}),
        {"admin"}),
    "edit user": (
        lambda ctx: (f"/admin/users/{ctx['victim'].id}", {"name": "Renamed", "role": "viewer",
                                                         "agency": str(ctx["csp"].id), "active": "y",
                                                         "version": str(ctx["victim"].version)}),
        {"admin"}),
    "reset password": (lambda ctx: (f"/admin/users/{ctx['victim'].id}/reset-password", {}), {"admin"}),
    "create agency": (lambda ctx: ("/admin/agencies/new", {"name": "New Charity", "short_name": "Charity"}), {"admin"}),
    "edit agency": (
        lambda ctx: (f"/admin/agencies/{ctx['csp'].id}", {"name": "Community Safety Partnership",
                                                          "short_name": "CSP team", "active": "y",
                                                          "version": str(ctx["csp"].version)}),
        {"admin"}),
    "set current quarter": (lambda ctx: ("/admin/settings", {"quarter": "2019-20-Q2"}), {"admin", "coordinator"}),
}


@pytest.mark.parametrize("route", WRITE_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_write_route_access(app, login, make_user, agency_named, route, role):
    csp = agency_named("Community Safety Partnership")
    other = agency_named("Victim Support")
    ctx = {"csp": csp, "a1": action("A1"), "victim": make_user("viewer", csp)}
    build, allowed = WRITE_ROUTES[route]
    url, data = build(ctx)

    if role == "anonymous":
        client = app.test_client()
        token = csrf_token(client, "/sign-in")
    else:
        client = login("lead" if role == "other_lead" else role, other if role == "other_lead" else csp)
        token = csrf_token(client, "/dashboard")
    before = audit_count()
    response = client.post(url, data={**data, "csrf_token": token})

    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert audit_count() == before
    elif role in allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:400]
        assert audit_count() > before, "an allowed write is audited"
    else:
        assert response.status_code == 403
        assert audit_count() == before, "a refused write changes nothing"


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


@pytest.mark.parametrize("role, path, status", [
    ("viewer", "/audit/", 403), ("lead", "/audit/", 403), ("coordinator", "/audit/", 200), ("admin", "/audit/", 200),
    ("viewer", "/my-actions", 403), ("admin", "/my-actions", 403), ("lead", "/my-actions", 200),
    ("coordinator", "/admin/users", 403), ("lead", "/admin/agencies", 403), ("viewer", "/dashboard", 200),
])
def test_read_access_by_role(login, role, path, status):
    assert login(role).get(path).status_code == status


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
