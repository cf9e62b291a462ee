"""The public progress page (issue 13, section 1): only published, locked quarters, only published figures."""

import csv
import io
import re
from base64 import b64encode
from hashlib import sha256

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cycle import service as cycle_service
from app.extensions import db
from app.public import service
from app.public.routes import GOVUK_INLINE_SCRIPT
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import audit_count
from tests.integration.report_helpers import load_demo_data, small_counts, suppressible_counts

Q = Quarter(2019, 2)  # small_counts gives 2019/20 counts under 5
EARLIER = Quarter(2019, 1)
SECRET_COMMENTARY = "[Demo]"  # every demo update's commentary starts so


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator")


@pytest.fixture
def demo(app):
    load_demo_data()
    small_counts()


def lock(actor, quarter):
    period = calendar.period_to_write(quarter)
    cycle_service.lock(actor, quarter, version=period.version, reason="Closed for the test")
    db.session.commit()


def publish(actor, quarter, published=True, summary="Good progress on refuges."):
    found = service.publication_for(quarter)
    service.set_publication(actor, quarter, version=found.version if found else 0, published=published,
                            summary=summary, locked=calendar.is_locked(quarter))
    db.session.commit()


def urls(quarter):
    return [f"/public/{quarter.slug}", f"/public/{quarter.slug}/actions.csv",
            f"/public/{quarter.slug}/indicators.csv"]


def test_nothing_is_public_until_a_locked_quarter_is_published(demo, client, coordinator):
    body = client.get("/public/").get_data(as_text=True)
    assert "has not published a quarter yet" in body
    for url in urls(Q):
        assert client.get(url).status_code == 404  # unlocked and unpublished
    lock(coordinator, Q)
    for url in urls(Q):
        assert client.get(url).status_code == 404  # locked, not published
    publish(coordinator, Q)
    for url in urls(Q):
        assert client.get(url).status_code == 200
    assert "Progress at 2019/20 Q2" in client.get("/public/").get_data(as_text=True)


def test_a_reopened_quarter_leaves_the_public_page(demo, client, coordinator, make_user):
    lock(coordinator, Q)
    publish(coordinator, Q)
    admin = make_user("admin")
    period = calendar.period_to_write(Q)
    cycle_service.reopen(admin, Q, version=period.version, reason="A correction")
    db.session.commit()
    for url in urls(Q):
        assert client.get(url).status_code == 404
    assert "has not published a quarter yet" in client.get("/public/").get_data(as_text=True)


def test_an_unlocked_quarter_cannot_be_published(demo, coordinator):
    with pytest.raises(service.PublicationError, match="Lock 2019/20 Q2 before publishing it"):
        publish(coordinator, Q)
    db.session.rollback()
    assert service.publication_for(Q) is None


def test_the_page_shows_only_what_the_published_pack_shows(demo, client, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q, summary="Two new refuges opened.")
    body = client.get(f"/public/{Q.slug}").get_data(as_text=True)
    assert "Two new refuges opened." in body
    assert SECRET_COMMENTARY not in body  # no update commentary
    assert "@" not in re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)  # no emails, no contacts
    assert "Returns" not in body and "tracker" not in body.lower()
    for code in re.findall(r'data-indicator="(\w+)"', body):
        row = body.split(f'data-indicator="{code}"')[1].split("</tr>")[0]
        value = re.search(r'data-cell="value">([^<]*)<', row).group(1).strip()
        assert value not in {"1", "2", "3", "4"}, f"{code} shows a small count: {value}"


def test_no_published_output_carries_a_count_from_1_to_4(demo, client, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)
    text = client.get(f"/public/{Q.slug}/indicators.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index(Q.label)
    json = client.get(f"/reports/{Q.slug}/indicators.json?audience=published")  # anonymous: sign in asked
    assert json.status_code in (302, 401)

    counts = suppressible_counts()
    shown = {row[0]: row[column] for row in rows[1:] if row[0] in counts}
    assert shown and not any(value in {"1", "1.0", "2", "2.0", "3", "3.0", "4", "4.0"} for value in shown.values())
    assert any(value.startswith("<") for value in shown.values())


def test_actions_csv_has_statuses_and_nothing_internal(demo, client, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)
    response = client.get(f"/public/{Q.slug}/actions.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Objective", "Action", "Title", "Lead agencies", "Status", "Previous quarter", "Movement",
                       "Overdue"]
    assert len(rows) > 20 and all(SECRET_COMMENTARY not in cell for row in rows for cell in row)


def test_earlier_quarters_are_listed_and_reachable(demo, client, coordinator):
    for quarter in (EARLIER, Q):
        lock(coordinator, quarter)
        publish(coordinator, quarter)
    body = client.get("/public/").get_data(as_text=True)
    assert "Progress at 2019/20 Q2" in body and f'href="/public/{EARLIER.slug}"' in body
    assert client.get(f"/public/{EARLIER.slug}").status_code == 200


def test_public_pages_are_cacheable_and_carry_no_session(demo, client, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)
    first = client.get(f"/public/{Q.slug}")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers.get("ETag")
    assert "Set-Cookie" not in first.headers
    again = client.get(f"/public/{Q.slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    publish(coordinator, Q, summary="A new summary")
    changed = client.get(f"/public/{Q.slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "A new summary" in changed.get_data(as_text=True)


def test_the_one_inline_script_is_allowed_by_its_hash(demo, client, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)
    response = client.get(f"/public/{Q.slug}")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", response.get_data(as_text=True), flags=re.S)
    assert scripts == [GOVUK_INLINE_SCRIPT], "GOV.UK Frontend's template changed: update GOVUK_INLINE_SCRIPT"
    digest = b64encode(sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]
    assert "nonce" not in response.headers["Content-Security-Policy"]


def test_a_signed_in_visitors_copy_is_never_shared(demo, login, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)
    response = login("viewer").get(f"/public/{Q.slug}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


# --- the coordinator's switch ------------------------------------------------------------------------


def test_publishing_through_the_page_is_audited(demo, login, coordinator, client):
    lock(coordinator, Q)
    staff = login(user=coordinator)
    page = staff.get(f"/public/{Q.slug}/publication")
    assert page.status_code == 200 and "Public progress page" in page.get_data(as_text=True)
    before = audit_count()

    token = csrf_token(staff, f"/public/{Q.slug}/publication")
    response = staff.post(f"/public/{Q.slug}/publication",
                          data={"csrf_token": token, "published": "yes", "summary": "For residents", "version": "0"})
    assert response.status_code == 302
    assert audit_count() == before + 1
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert (event.verb, event.entity, event.actor) == ("publish", "publication", coordinator.email)
    assert event.old is None and event.new == {"published": True, "summary": "For residents"}
    assert client.get(f"/public/{Q.slug}").status_code == 200
    response = staff.post(f"/public/{Q.slug}/publication",
                          data={"csrf_token": token, "published": "no", "summary": "", "version": "1"})
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event.verb == "withdraw" and event.old == {"published": True, "summary": "For residents"}
    assert client.get(f"/public/{Q.slug}").status_code == 404


def test_a_second_editor_gets_a_conflict(demo, login, coordinator):
    lock(coordinator, Q)
    publish(coordinator, Q)  # version 1 now; the second editor's form still says 0
    staff = login("coordinator")

    token = csrf_token(staff, f"/public/{Q.slug}/publication")
    before = audit_count()
    response = staff.post(f"/public/{Q.slug}/publication",
                          data={"csrf_token": token, "published": "no", "summary": "", "version": "0"})
    assert response.status_code == 409
    assert "Someone else changed this quarter" in response.get_data(as_text=True)
    assert audit_count() == before
    db.session.expire_all()
    assert service.publication_for(Q).published is True


@pytest.mark.parametrize(("data", "message"), [
    ({"summary": "x"}, "Select whether to publish this quarter"),
    ({"published": "yes", "summary": "x" * 2001}, "Keep the summary to 2000 characters or fewer"),
])
def test_bad_input_gets_a_message(demo, login, coordinator, data, message):
    lock(coordinator, Q)
    staff = login(user=coordinator)

    token = csrf_token(staff, f"/public/{Q.slug}/publication")
    response = staff.post(f"/public/{Q.slug}/publication", data={"csrf_token": token, "version": "0", **data})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert service.publication_for(Q) is None


def test_publishing_an_unlocked_quarter_through_the_page_says_why(demo, login, coordinator):
    staff = login(user=coordinator)

    token = csrf_token(staff, f"/public/{Q.slug}/publication")
    response = staff.post(f"/public/{Q.slug}/publication",
                          data={"csrf_token": token, "published": "yes", "summary": "", "version": "0"})
    assert response.status_code == 200
    assert "Lock 2019/20 Q2 before publishing it" in response.get_data(as_text=True)
    assert service.publication_for(Q) is None


@pytest.mark.parametrize("role", ["lead", "viewer", "admin"])
def test_only_the_coordinator_publishes(demo, login, coordinator, role):
    lock(coordinator, Q)
    other = login(role)
    assert other.get(f"/public/{Q.slug}/publication").status_code == 403


def test_the_locked_quarters_page_links_to_its_publication(demo, login, coordinator):
    staff = login(user=coordinator)
    assert f"/public/{Q.slug}/publication" not in staff.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    lock(coordinator, Q)
    assert f"/public/{Q.slug}/publication" in staff.get(f"/cycle/{Q.slug}").get_data(as_text=True)
