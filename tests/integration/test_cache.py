"""What is built once per data version (app/cache.py): a save shows on the very next request, every
write moves the version on, every worker shares what is kept, and nothing is shared across audiences,
filters or pages that would show something else."""

import re

import pytest
from sqlalchemy import delete, select, update

from app import cache
from app.actions import service as actions_service
from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.cache import CacheEntry, DataVersion
from app.database import utcnow
from app.extensions import db
from app.reports import service as report_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import post_form
from tests.helpers import action
from tests.integration.report_helpers import Q4_2018, load_demo_data, set_value

Q = Quarter(2019, 1)
DASHBOARD = f"/dashboard?quarter={Q.slug}"


def version() -> int:
    db.session.rollback()  # a fresh read, not this test's snapshot
    return db.session.scalar(select(DataVersion.n))


def row(page: str, code: str) -> str:
    found = re.search(rf'<tr class="govuk-table__row" data-action="{code}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {code}"
    return found.group(1)


@pytest.fixture
def police(agency_named):
    return agency_named("Metropolitan Police Service")


@pytest.fixture
def dashboard_builds(monkeypatch):
    """One entry each time the dashboard's figures are gathered (not served from the cache)."""
    calls = []
    real = actions_service.dashboard

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(actions_service, "dashboard", counted)
    return calls


def test_a_submitted_update_shows_on_the_dashboard_on_the_very_next_request(login, police):
    viewer = login("viewer")
    lead = login("lead", police)
    assert "No update" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")
    assert "No update" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")  # now from the cache
    a2 = action("A2")
    response = post_form(lead, f"/actions/{a2.id}/updates/{police.id}/{Q.slug}",
                         {"status": "red", "commentary": "Stalled", "mitigation": "Escalated", "version": "0",
                          "submit_update": "Submit update"})
    assert response.status_code == 302
    assert "Red" in row(viewer.get(DASHBOARD).get_data(as_text=True), "A2")


def test_a_draft_moves_the_version_on_but_never_shows_on_the_dashboard(login, police):
    viewer = login("viewer")
    lead = login("lead", police)
    viewer.get(DASHBOARD)
    before = version()
    a2 = action("A2")
    post_form(lead, f"/actions/{a2.id}/updates/{police.id}/{Q.slug}",
              {"status": "red", "commentary": "Draft", "mitigation": "", "version": "0",
               "save_draft": "Save as draft"})
    assert version() > before
    for client in (viewer, lead):
        assert "No update" in row(client.get(DASHBOARD).get_data(as_text=True), "A2")


def test_the_dashboard_is_built_once_per_version_and_shared_by_every_worker(login, dashboard_builds):
    viewer, other = login("viewer"), login("lead")
    viewer.get(DASHBOARD)
    other.get(DASHBOARD)
    assert len(dashboard_builds) == 1
    # The tests keep one session across requests: end the request's transaction, as a worker does,
    # and be another worker, with nothing in memory: it reads what the first kept in the database.
    db.session.rollback()
    cache.clear_memory()
    other.get(DASHBOARD)
    assert len(dashboard_builds) == 1
    assert db.session.scalar(select(CacheEntry.version).limit(1)) == version()


@pytest.mark.parametrize("first, second", [
    (DASHBOARD, DASHBOARD + "&objective=C"),
    (DASHBOARD + "&objective=C", DASHBOARD + "&objective=B"),
    (DASHBOARD, f"/dashboard?quarter={Q.previous().slug}"),
])
def test_the_dashboard_keeps_each_quarter_and_filter_apart(login, first, second):
    client = login("viewer")
    client.get(first)
    fresh_second = client.get(second).get_data(as_text=True)
    db.session.execute(delete(CacheEntry))
    db.session.commit()
    cache.clear_memory()
    assert _results(client.get(second).get_data(as_text=True)) == _results(fresh_second)
    assert _results(client.get(first).get_data(as_text=True)) != _results(fresh_second)


def test_an_htmx_swap_and_the_whole_page_are_kept_apart(login):
    client = login("viewer")
    page = client.get(DASHBOARD).get_data(as_text=True)
    fragment = client.get(DASHBOARD, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in page and "<html" not in fragment and 'hx-swap-oob="true"' in fragment
    assert "<html" in client.get(DASHBOARD).get_data(as_text=True)


def _results(page: str) -> str:
    return page[page.index('<div id="dashboard-results"'):page.index("</tbody>")]


def test_a_commit_of_the_partnerships_data_moves_the_version_on_once(app, police):
    before = version()
    strategy = calendar.strategy()
    strategy.name = strategy.name + " (renamed)"
    db.session.flush()
    db.session.execute(update(UserSession).values(last_seen_at=utcnow()))  # and a second write
    db.session.commit()
    assert version() == before + 1


def test_a_rolled_back_write_does_not_move_the_version_on(app):
    before = version()
    calendar.strategy().name = "Not kept"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert version() == before


def test_sign_in_sessions_and_the_audit_trail_do_not_empty_the_cache(login):
    client = login("viewer")
    before = version()
    db.session.execute(update(UserSession).values(last_seen_at=utcnow()))
    db.session.commit()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id < 0))
    db.session.commit()
    assert version() == before
    client.get(DASHBOARD)
    assert version() == before


# --- the report page and its charts ------------------------------------------------------------------


@pytest.fixture
def demo(app):
    load_demo_data()


def test_a_saved_value_shows_in_the_report_on_the_very_next_request(demo, login):
    client = login("viewer")
    url = f"/reports/{Q4_2018.slug}?audience=partnership"
    line = report_service.report(Q4_2018).headline_indicators[0]
    assert "987,654" not in client.get(url).get_data(as_text=True)
    set_value(line.indicator.code, Q4_2018, 987654.0)
    db.session.commit()
    assert "987,654" in client.get(url).get_data(as_text=True)


def test_the_report_keeps_each_audience_apart(demo, login):
    client = login("coordinator")
    partnership = client.get(f"/reports/{Q4_2018.slug}?audience=partnership").get_data(as_text=True)
    published = client.get(f"/reports/{Q4_2018.slug}?audience=published").get_data(as_text=True)
    marking = report_service.MARKING
    assert marking in partnership and marking not in published
    assert marking in client.get(f"/reports/{Q4_2018.slug}?audience=partnership").get_data(as_text=True)


def _chart_url() -> tuple[str, str]:
    line = report_service.report(Q4_2018).headline_indicators[0]
    return f"/reports/{Q4_2018.slug}/charts/{line.indicator.code}.svg", line.indicator.code


def test_a_chart_has_an_etag_and_answers_304_while_it_is_unchanged(demo, login):
    client = login("viewer")
    url, _ = _chart_url()
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_write_to_the_charted_indicator_changes_the_etag(demo, login):
    client = login("viewer")
    url, code = _chart_url()
    before = client.get(url).headers["ETag"]
    set_value(code, Q4_2018, 4321.0)
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


def test_a_chart_is_drawn_once_per_version(demo, login, monkeypatch):
    from app.kpis import charts

    drawn = []
    real = charts.chart_svg
    monkeypatch.setattr(charts, "chart_svg", lambda *a: drawn.append(a) or real(*a))
    charts._chart_svg_for.cache_clear()
    url, code = _chart_url()
    viewer, coordinator = login("viewer"), login("coordinator")
    viewer.get(url)
    db.session.rollback()  # the request's transaction ends, as in a worker
    cache.clear_memory()  # another worker
    coordinator.get(url)
    assert len(drawn) == 1
    set_value(code, Q4_2018, 55.0)
    db.session.commit()
    viewer.get(url)
    assert len(drawn) == 2


def test_an_unknown_chart_is_not_found_each_time(demo, login):
    client = login("viewer")
    for _ in range(2):
        assert client.get(f"/reports/{Q4_2018.slug}/charts/NOPE.svg").status_code == 404
