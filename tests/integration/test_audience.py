"""One audience rule for every output of the HCSP report (issue 9, defect A).

The signed-in partnership reads true values on the page; partnership figures leave the app (pack, JSON)
only with the coordinator or an admin, and each time that is audited. A repeated or unknown `audience`
parameter is refused on every output, so a check and a use can never read different values.
"""

import csv
import io

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.integration.report_helpers import load_demo_data, small_counts

Q = Quarter(2019, 2)  # small_counts gives 2019/20 counts under 5
BASE = f"/reports/{Q.slug}"
EXPORTS = {"pack": f"{BASE}/pack.xlsx", "json": f"{BASE}/indicators.json", "csv": f"{BASE}/indicators.csv"}
OUTPUTS = {"page": BASE, "chart": f"{BASE}/charts/DV01.svg", **EXPORTS}
ROLES = ["viewer", "lead", "coordinator", "admin"]
MAY_EXPORT = {"coordinator", "admin"}
# indicators.json redirects to the read API, which audits its partnership export as the API's.
AUDIT_ENTITY = {"pack": "report_pack", "json": "report_api", "csv": "report_csv"}


@pytest.fixture
def demo(app):
    load_demo_data()
    small_counts()  # some counts under 5, so the partnership and published figures differ


def exports() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "export").order_by(AuditEvent.id)))


@pytest.mark.parametrize("output", list(EXPORTS))
@pytest.mark.parametrize("role", ROLES)
def test_partnership_exports_are_for_staff_and_audited(demo, login, role, output):
    client = login(role)
    before = len(exports())
    response = client.get(EXPORTS[output] + "?audience=partnership", follow_redirects=True)
    if role in MAY_EXPORT:
        assert response.status_code == 200
        events = exports()
        assert len(events) == before + 1
        assert events[-1].entity == AUDIT_ENTITY[output] and events[-1].actor == client.user.email
        assert events[-1].new == {"quarter": Q.slug, "audience": "partnership"}
    else:
        assert response.status_code == 403
        assert len(exports()) == before


@pytest.mark.parametrize("role", ROLES)
def test_the_published_json_is_suppressed_and_not_audited(demo, login, role):
    client = login(role)
    before = len(exports())
    body = client.get(EXPORTS["json"], follow_redirects=True).get_json()
    assert body["audience"] == "published"
    assert body["suppressed"]["primary"] > 0
    assert len(exports()) == before


@pytest.mark.parametrize("role", ["viewer", "lead"])
def test_the_signed_in_partnership_reads_true_values_on_the_page(demo, login, role):
    client = login(role)
    assert client.get(BASE + "?audience=partnership").status_code == 200
    assert client.get(OUTPUTS["chart"] + "?audience=partnership").status_code == 200


@pytest.mark.parametrize("query", [
    "?audience=partnership&audience=published",
    "?audience=published&audience=partnership",
    "?audience=published&audience=published",
    "?audience=everyone",
    "?audience=",
    "?audience=PARTNERSHIP",
])
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_a_repeated_or_unknown_audience_is_refused(demo, login, output, query):
    client = login("coordinator")
    before = len(exports())
    assert client.get(OUTPUTS[output] + query, follow_redirects=True).status_code == 400
    assert len(exports()) == before


def test_the_quarter_picker_checks_the_audience_too(demo, login):
    client = login("viewer")
    response = client.get(f"/reports?quarter={Q.slug}&audience=partnership&audience=published")
    assert response.status_code == 400


def test_every_export_count_is_one_audit_event_each(demo, login):
    client = login("coordinator")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "export"))
    for _ in range(3):
        assert client.get(EXPORTS["json"] + "?audience=partnership", follow_redirects=True).status_code == 200
    db.session.rollback()
    after = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "export"))
    assert after == before + 3


@pytest.mark.parametrize("audience", ["published", "partnership"])
def test_the_csv_carries_exactly_the_json_figures(demo, login, audience):
    """The indicator table as CSV (issue 12): the same values as the JSON, the same suppression."""
    client = login("coordinator")
    figures = client.get(f"{EXPORTS['json']}?audience={audience}", follow_redirects=True).get_json()
    response = client.get(f"{EXPORTS['csv']}?audience={audience}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"hcsp-indicators-{Q.slug}-{audience}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Code", "Indicator"] and Q.label in header
    assert [row[0] for row in body] == [line["code"] for line in figures["items"]]
    column = header.index(Q.label)
    shown = {line["code"]: line["values"].get(Q.slug) for line in figures["items"]}
    assert {row[0]: row[column] for row in body} == {code: "" if v is None else str(v) for code, v in shown.items()}
    if audience == "published":
        assert figures["suppressed"]["primary"] > 0
