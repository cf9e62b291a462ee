"""Every write route of the annual refresh, as every role: allowed or 403, and a refusal changes nothing."""

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.cycle import service as cycle_service
from app.extensions import db
from app.permissions import ALL_ROLES, STAFF
from app.refresh import service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import PEOPLE, action, audit_count, holds


def _prepare(make_user, refresh: bool):
    coordinator = make_user("coordinator")
    a1 = db.session.scalar(select(Action).where(Action.code == "A1", Action.plan_year == 2018))
    lead = a1.leads[0]
    actions_service.save_update(make_user("lead", lead.agency), a1, lead.agency, Quarter(2018, 4), version=0,
                                status=Status.COMPLETE, commentary="Done", mitigation="", sub_statuses={},
                                submit=True)
    period = calendar.period_for(Quarter(2018, 4))
    cycle_service.lock(coordinator, Quarter(2018, 4), version=period.version, reason="Board")
    if refresh:
        service.run_refresh(coordinator, 2019)
    db.session.commit()


def _a3_form():
    a3 = action("A3", 2019)
    return {"title": "Changed", "timescale": "March 2020", "leads": [str(a3.leads[0].agency_id)],
            "version": str(a3.version)}


# route -> (needs a refreshed year, builder of (url, data)). "lead" leads A3 (Community Safety Partnership):
# leading an action gives no right to change the plan.
WRITE_ROUTES = {
    "run the refresh": (False, lambda: ("/plan/refresh/2019-20", {"confirm": "Refresh the plan"})),
    "edit an action": (True, lambda: (f"/plan/actions/{action('A3', 2019).id}/edit", _a3_form())),
    "retire an action": (True, lambda: (f"/plan/actions/{action('A3', 2019).id}/retire",
                                        {"reason": "Done elsewhere", "version": str(action('A3', 2019).version)})),
    "add an action": (True, lambda: ("/plan/2019-20/actions/new",
                                      {"objective": "A", "code": "A40", "title": "New", "version": "0",
                                       "leads": [str(action('A3', 2019).leads[0].agency_id)]})),
}


@pytest.mark.parametrize("route", WRITE_ROUTES)
@pytest.mark.parametrize("role", PEOPLE)
def test_write_route_access(app, login, make_user, agency_named, route, role):
    csp = agency_named("Community Safety Partnership")
    other = agency_named("Victim Support")
    needs_refresh, build = WRITE_ROUTES[route]
    _prepare(make_user, needs_refresh)
    url, data = build()

    if role == "anonymous":
        client = app.test_client()
        token = csrf_token(client, "/sign-in")
    else:
        client = login("lead" if role == "other_lead" else role, other if role == "other_lead" else csp)
        token = csrf_token(client, "/dashboard")
    before = audit_count()
    actions_before = db.session.scalar(select(func.count()).select_from(Action))
    response = client.post(url, data={**data, "csrf_token": token})

    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif holds(role, STAFF):  # can_manage_plan
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        assert audit_count() > before, "an allowed write is audited"
        return
    else:
        assert response.status_code == 403
    assert audit_count() == before, "a refused write changes nothing"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Action)) == actions_before


@pytest.mark.parametrize("path, readers", [
    ("/plan", STAFF), ("/plan/2018-19", STAFF), ("/plan/refresh/2019-20", STAFF),
    ("/plan/year-end/2018-19", ALL_ROLES),
])
@pytest.mark.parametrize("role", [role.value for role in ALL_ROLES])
def test_read_access_by_role(login, role, path, readers):
    assert login(role).get(path).status_code == (200 if holds(role, readers) else 403)


def test_plan_nav_item_only_for_staff(login):
    assert 'href="/plan"' in login("coordinator").get("/dashboard").get_data(as_text=True)
    assert 'href="/plan"' not in login("viewer").get("/dashboard").get_data(as_text=True)
