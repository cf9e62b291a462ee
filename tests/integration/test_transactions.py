"""A request is one transaction on SQLite as on PostgreSQL: a failed audit write leaves nothing behind,
and reading a page never writes (issue 9, defect C)."""

import pytest
from sqlalchemy import event, func, select

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpi_service
from app.kpis.models import Indicator
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import action

Q = Quarter(2019, 1)


# The page cache (app/cache.py) is filled by reading: it holds copies of what pages show, not data.
NOT_DATA = {"cache_entry"}


def snapshot() -> dict[str, list[str]]:
    """Every committed row of every data table, read on a connection of its own."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
            for table in db.metadata.sorted_tables if table.name not in NOT_DATA
        }


@pytest.fixture
def failing_audit(app):
    """The audit write raises, as when the audit table is full or its disk fails."""

    def explode(*_args, **_kwargs):
        raise RuntimeError("the audit write failed")

    event.listen(AuditEvent, "before_insert", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the user sees the 500 page, as in production
    yield
    event.remove(AuditEvent, "before_insert", explode)


def _indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def _update(user, code="A1", submit=True, quarter=Q):
    act = action(code)
    agency = user.agency
    found = actions_service.find_update(act, agency.id, quarter)
    upd = actions_service.save_update(user, act, agency, quarter, version=found.version if found else 0,
                                      status=Status.GREEN, commentary="On track", mitigation="",
                                      sub_statuses={}, submit=submit)
    db.session.commit()
    return upd


def _value(user, code="DV01"):
    row = kpi_service.save_value(user, _indicator(code), Q, version=0, value=12.0, numerator=None,
                                 denominator=None, note="", provisional=False)
    db.session.commit()
    return row


def _lock(coordinator, quarter=Q):
    cycle_service.lock(coordinator, quarter, version=calendar.period_for(quarter).version, reason="Board")
    db.session.commit()


def _prepare_refresh(ctx):
    # The 2019/20 refresh needs 2018/19 Q4 locked; editing the refreshed plan needs the refresh run.
    _lock(ctx["coordinator"], Quarter(2018, 4))


def _refreshed(ctx):
    from app.refresh import service as refresh_service

    _prepare_refresh(ctx)
    refresh_service.run_refresh(ctx["coordinator"], 2019)
    db.session.commit()


# name -> (who posts, preparation returning nothing, builder of (method, url, data))
WRITES = {
    "first save of an update": (
        "csp_lead", None,
        lambda c: ("POST", f"/actions/{action('A1').id}/updates/{c['csp'].id}/{Q.slug}",
                   {"status": "green", "commentary": "x", "mitigation": "", "version": "0", "save_draft": "1"})),
    "second save of an update": (
        "csp_lead", lambda c: _update(c["csp_lead"], submit=False),
        lambda c: ("POST", f"/actions/{action('A1').id}/updates/{c['csp'].id}/{Q.slug}",
                   {"status": "amber", "commentary": "y", "mitigation": "z", "version": "1",
                    "submit_update": "1"})),
    "first value of an indicator": (
        "police_lead", None,
        lambda c: ("POST", f"/indicators/DV01/values/{Q.slug}",
                   {"DV01-value": "12", "DV01-note": "", "DV01-version": "0"})),
    "changed value of an indicator": (
        "police_lead", lambda c: _value(c["police_lead"]),
        lambda c: ("POST", f"/indicators/DV01/values/{Q.slug}",
                   {"DV01-value": "13", "DV01-note": "", "DV01-version": "1"})),
    "a target": (
        "coordinator", None,
        lambda c: ("POST", "/indicators/DV06/targets/2019-20",
                   {"value": "25", "basis": "quarter", "note": "HCSP", "expected_latest_id": "0"})),
    "a review": (
        "coordinator", lambda c: _update(c["csp_lead"]),
        lambda c: ("POST", f"/cycle/{Q.slug}/review/update/{c['last'].id}",
                   {"decision": "accept", "version": str(c["last"].version)})),
    "a lock": (
        "coordinator", None,
        lambda c: ("POST", f"/cycle/{Q.slug}/lock",
                   {"lock-version": str(calendar.period_for(Q).version), "lock-reason": "Board"})),
    "a re-opening": (
        "admin", lambda c: _lock(c["coordinator"]),
        lambda c: ("POST", f"/cycle/{Q.slug}/reopen",
                   {"reopen-version": str(calendar.period_for(Q).version), "reopen-reopen_reason": "Fix"})),
    "the update window": (
        "coordinator", None,
        lambda c: ("POST", f"/cycle/{Q.slug}/dates",
                   {"dates-version": str(calendar.period_for(Q).version),
                    "dates-opens_on": ["1", "6", "2019"], "dates-deadline": ["31", "7", "2019"]})),
    "the current quarter": (
        "admin", None, lambda c: ("POST", "/admin/settings", {"quarter": "2020-21-Q1"})),
    "a new agency": (
        "admin", None, lambda c: ("POST", "/admin/agencies/new", {"name": "Havering Mind", "short_name": "Mind"})),
    "an agency": (
        "admin", None,
        lambda c: ("POST", f"/admin/agencies/{c['csp'].id}",
                   {"name": "Community Safety Partnership", "short_name": "CSP team", "active": "y",
                    "version": str(c["csp"].version)})),
    "a new user": (
        "admin", None,
        lambda c: ("POST", "/admin/users/new",
                   {"email": "new@example.org", "name": "New", "role": "lead", "agency": str(c["csp"].id)})),
    "a user": (
        "admin", None,
        lambda c: ("POST", f"/admin/users/{c['police_lead'].id}",
                   {"name": "Renamed", "role": "viewer", "agency": str(c["csp"].id), "active": "y",
                    "version": str(c["police_lead"].version)})),
    "a password reset": (
        "admin", None, lambda c: ("POST", f"/admin/users/{c['police_lead'].id}/reset-password", {})),
    "the annual refresh": (
        "coordinator", _prepare_refresh,
        lambda c: ("POST", "/plan/refresh/2019-20", {"confirm": "Refresh the plan"})),
    "an action of the refreshed plan": (
        "coordinator", _refreshed,
        lambda c: ("POST", f"/plan/actions/{action('A3', 2019).id}/retire",
                   {"reason": "Done elsewhere", "version": str(action("A3", 2019).version)})),
    "a partnership pack": (
        "coordinator", None, lambda c: ("GET", f"/reports/{Q.slug}/pack.xlsx?audience=partnership", None)),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_a_failed_audit_write_leaves_nothing_behind(login, make_user, agency_named, name, request):
    csp = agency_named("Community Safety Partnership")
    police = agency_named("Metropolitan Police Service")
    ctx = {"csp": csp, "coordinator": make_user("coordinator", csp), "csp_lead": make_user("lead", csp),
           "police_lead": make_user("lead", police)}
    role, prepare, build = WRITES[name]
    if prepare is not None:
        ctx["last"] = prepare(ctx)
    client = login(user=ctx[role]) if role in ctx else login(role)
    method, url, data = build(ctx)
    token = csrf_token(client, "/dashboard")
    db.session.commit()
    before = snapshot()

    request.getfixturevalue("failing_audit")
    response = client.post(url, data={**data, "csrf_token": token}) if method == "POST" else client.get(url)

    assert response.status_code == 500, "the write reached its audit event"
    db.session.rollback()
    assert snapshot() == before, "nothing of the failed request was kept"


@pytest.mark.parametrize("path", [
    f"/reports/{Q.slug}", f"/reports/{Q.slug}/indicators.json", f"/reports/{Q.slug}/pack.xlsx",
    "/cycle/", f"/cycle/{Q.slug}", "/dashboard", "/my-actions", "/indicators", "/my-indicators",
])
def test_reading_a_page_writes_nothing(login, path):
    client = login("coordinator")
    db.session.commit()
    before = snapshot()
    assert client.get(path, follow_redirects=True).status_code == 200  # indicators.json: 308 to the API
    db.session.rollback()
    assert snapshot() == before


def test_every_strategy_quarter_has_its_period_after_the_seed(app):
    assert db.session.scalar(select(func.count()).select_from(ReportingPeriod)) == len(calendar.quarters())


def test_seeding_twice_adds_no_second_period(app):
    from app.actions.seed import load_plan

    load_plan()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReportingPeriod)) == len(calendar.quarters())
