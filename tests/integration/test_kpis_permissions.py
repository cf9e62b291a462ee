"""Who may write indicator values and targets: every role against every new write route.

A refused write gets 403 (or, signed out, a redirect to sign in) and changes nothing.
"""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.kpis.models import IndicatorTarget, IndicatorValue
from app.permissions import ALL_ROLES, RETURN_WRITERS, STAFF
from tests.conftest import post_form
from tests.helpers import holds

# Coordinators and admins in these tests belong to the Community Safety Partnership, which owns MA01;
# the Metropolitan Police Service owns DV04. Who may do what comes from the registry (app.permissions).
ROLES = ["admin", "coordinator", "lead_owner", "lead_other", "viewer", "anonymous"]
CSP = "Community Safety Partnership"


def _agency_of(who: str, owner: str) -> str | None:
    """The agency `who` signs in for (None when signed out), as client_for below signs them in."""
    if who == "anonymous":
        return None
    if who == "lead_owner":
        return owner
    if who == "lead_other":
        return "Victim Support" if owner != "Victim Support" else "Metropolitan Police Service"
    return CSP


@pytest.fixture
def client_for(app, login, agency_named):
    def make(who: str, owner: str):
        if who == "anonymous":
            return app.test_client()
        role = "lead" if who.startswith("lead_") else who
        return login(role, agency_named(_agency_of(who, owner)))

    return make


def _token_page(who: str) -> str:
    return "/sign-in" if who == "anonymous" else "/indicators"


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(IndicatorValue.id))),
        db.session.scalar(select(func.count(IndicatorTarget.id))),
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.entity.in_(("indicator_value", "indicator_target"))
            )
        ),
    )


def _may_enter_value(who: str, owner: str) -> bool:
    """can_write_indicator_value: a return writer whose own agency owns the indicator."""
    return holds(who, RETURN_WRITERS) and _agency_of(who, owner) == owner


# The coordinator's agency does not own DV04 but owns MA01.
@pytest.mark.parametrize(("code", "owner"), [("DV04", "Metropolitan Police Service"), ("MA01", CSP)])
@pytest.mark.parametrize("who", ROLES)
def test_entering_a_value(client_for, code, owner, who):
    expected = 302 if who == "anonymous" or _may_enter_value(who, owner) else 403
    client = client_for(who, owner)
    url = f"/indicators/{code}/values/2019-20-Q1"
    before = _counts()
    response = post_form(
        client, url, {f"{code}-value": "10", f"{code}-version": "0"}, token_from=_token_page(who)
    )
    assert response.status_code == expected
    if who == "anonymous":
        assert "/sign-in" in response.headers["Location"]
    if expected == 302 and who != "anonymous":
        assert _counts()[0] == before[0] + 1
    else:
        assert _counts() == before
        assert client.get(url).status_code == expected


@pytest.mark.parametrize("who", ROLES)
def test_setting_a_target(client_for, who):
    expected = 302 if who == "anonymous" or holds(who, STAFF) else 403  # can_set_targets
    client = client_for(who, "Metropolitan Police Service")
    url = "/indicators/DV06/targets/2019-20"
    before = _counts()
    response = post_form(
        client, url, {"basis": "quarter", "value": "25", "note": "HCSP", "expected_latest_id": "0"},
        token_from=_token_page(who),
    )
    assert response.status_code == expected
    if who == "anonymous":
        assert "/sign-in" in response.headers["Location"]
        assert _counts() == before
    elif expected == 302:
        assert _counts()[1] == before[1] + 1
        assert client.get(url).status_code == 200
    else:
        assert _counts() == before
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("path", ["/indicators/DV04/values/2019-20-Q1", "/indicators/DV06/targets/2019-20"])
def test_writes_need_the_csrf_token(login, agency_named, path):
    client = (
        login("lead", agency_named("Metropolitan Police Service"))
        if "values" in path
        else login("coordinator")
    )
    before = _counts()
    response = client.post(
        path,
        data={"DV04-value": "10", "DV04-version": "0", "value": "25", "note": "x", "expected_latest_id": "0"},
    )
    assert response.status_code == 400
    assert _counts() == before


@pytest.mark.parametrize("who", ["admin", "coordinator", "lead_owner", "viewer"])
def test_my_indicators_is_for_leads_and_coordinators(client_for, who):
    expected = 200 if holds(who, RETURN_WRITERS) else 403
    assert client_for(who, "Metropolitan Police Service").get("/my-indicators").status_code == expected


def test_every_signed_in_role_reads_the_catalogue_indicator_and_chart(client_for):
    for who in ("lead_owner" if role == "lead" else role.value for role in ALL_ROLES):
        client = client_for(who, "Metropolitan Police Service")
        for path in ("/indicators", "/indicators/DV04", "/indicators/DV04/chart.svg"):
            assert client.get(path).status_code == 200, (who, path)
    anonymous = client_for("anonymous", "x")
    assert anonymous.get("/indicators/DV04/chart.svg").status_code == 302
