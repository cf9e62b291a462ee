"""The dashboard's list of actions pages through the plan; the counts and roll-ups stay whole-plan."""

import html
import re

import pytest

from app.actions import service
from app.actions.rollup import Movement, Status, count_by_status
from app.extensions import db
from app.kpis import service as kpi_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.factories import add_update
from tests.integration.report_helpers import load_demo_data, set_value

Q = Quarter(2019, 1)


def submit(code: str, agency, quarter: Quarter, status: str, state: str = "submitted") -> None:
    action = service.action_by_code(quarter, code)
    add_update(action, agency.id, quarter, status, state=state, commentary="c", mitigation="m")
    db.session.commit()


def listed(body: str) -> list[str]:
    return re.findall(r'data-action="([^"]+)"', body)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(service, "DASHBOARD_PAGE_SIZE", 10)


def test_pages_together_list_every_action_once_in_plan_order(login, small_pages):
    client = login("viewer")
    everything = [r.action.code for r in service.dashboard(Q).rows]
    assert len(everything) > 20  # the seeded plan spans three pages of ten
    pages = []
    for number in (1, 2, 3):
        body = client.get(f"/dashboard?quarter={Q.slug}&page={number}").get_data(as_text=True)
        assert f"(page {number} of 3)" in body
        pages.append(listed(body))
    assert [len(p) for p in pages[:2]] == [10, 10]
    assert sum(pages, []) == everything


def test_the_links_keep_the_filters(login, agency_named, monkeypatch):
    monkeypatch.setattr(service, "DASHBOARD_PAGE_SIZE", 2)
    police = agency_named("Metropolitan Police Service")
    client = login("viewer")
    led = [r.action.code for r in service.dashboard(Q, agency_id=police.id).rows]
    assert len(led) > 4
    body = client.get(f"/dashboard?quarter={Q.slug}&agency={police.id}").get_data(as_text=True)
    assert listed(body) == led[:2]
    assert f"{len(led)} actions match the filters (page 1 of" in body
    nxt = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', body)
    assert nxt, "no link to the next page"
    href = nxt.group(1).replace("&amp;", "&")
    assert f"agency={police.id}" in href and f"quarter={Q.slug}" in href and "page=2" in href
    assert listed(client.get(href).get_data(as_text=True)) == led[2:4]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "4", "99999999999999999999"])
def test_a_page_that_is_not_there_is_not_found(login, small_pages, page):
    assert login("viewer").get(f"/dashboard?quarter={Q.slug}&page={page}").status_code == 404


def test_one_page_shows_no_pagination(login):
    body = login("viewer").get(f"/dashboard?quarter={Q.slug}").get_data(as_text=True)
    assert "govuk-pagination" not in body and "(page 1 of" not in body


def test_counts_from_rows_equal_the_roll_up_of_the_actions_themselves(app, agency_named):
    # The counts and movement come from bare rows in SQL; they must equal the per-action roll-up.
    police, council = agency_named("Metropolitan Police Service"), agency_named("Community Safety Partnership")
    before = Q.previous()
    codes = [a.code for a in service.actions_for(Q)]
    for i, code in enumerate(codes[:12]):
        submit(code, police, before, ["green", "amber", "red", "complete"][i % 4])
        submit(code, police, Q, ["red", "green", "amber", "green"][i % 4])
    submit(codes[12], council, Q, "amber", state="draft")  # a draft counts for nothing
    submit(codes[13], council, Q, "red", state="accepted")
    board = service.dashboard(Q, page=1, per_page=5)
    rows = service.partnership_rows(Q)
    assert board.counts == count_by_status(r.status for r in rows)
    assert board.movement_counts == {m: sum(r.movement is m for r in rows) for m in Movement}
    assert board.total == len(rows) and len(board.rows) == 5
    # Every page's rows (ranked for the page alone) read as the whole plan's roll-up reads them.
    by_code = {r.action.code: r for r in rows}
    pages = range(1, -(-len(rows) // 5) + 1)
    paged = [row for page in pages for row in service.dashboard(Q, page=page, per_page=5).rows]
    assert [row.action.code for row in paged] == [r.action.code for r in rows]
    for row in paged:
        full = by_code[row.action.code]
        assert (row.status, row.previous_status, row.movement, row.overdue) == (
            full.status, full.previous_status, full.movement, full.overdue)
    assert {row.previous_status for row in paged} > {Status.NO_UPDATE}, "no previous status: the case could not fail"
    assert board.counts[Status.NO_UPDATE] == len(codes) - 13
    action = service.action_by_code(Q, codes[13])
    assert next(r for r in rows if r.action.id == action.id).status is Status.RED


FILTERS = [{"status": s.value} for s in Status] + [{"status": "overdue"}, {"objective": "B"},
                                                  {"objective": "D", "status": "red"}, {"agency": "police"}]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(f.values()))
def test_each_filter_in_sql_lists_what_the_per_action_rules_pick(app, agency_named, filters):
    # The filters and page are SQL (issue 11); "overdue" is read off the groups the pure rule judged.
    police, council = agency_named("Metropolitan Police Service"), agency_named("Community Safety Partnership")
    quarter = Quarter(2020, 4)  # late in the plan: many due dates have passed
    codes = [a.code for a in service.actions_for(quarter)]
    for i, code in enumerate(codes[:16]):
        submit(code, police, quarter.previous(), ["green", "amber", "red", "complete"][i % 4])
        submit(code, police, quarter, ["red", "green", "amber", "complete", "green"][i % 5])
    submit(codes[16], council, quarter, "red", state="draft")
    chosen = {k: v for k, v in filters.items() if k != "agency"}
    if "agency" in filters:
        chosen["agency_id"] = police.id
    rows = service.partnership_rows(quarter)
    led = {a.id for a in service.actions_for(quarter, agency_id=police.id)}
    expected = [r.action.code for r in rows
                if ("objective" not in chosen or r.action.objective.code == chosen["objective"])
                and ("agency_id" not in chosen or r.action.id in led)
                and (chosen.get("status") in (None, "overdue") or r.status.value == chosen["status"])
                and (chosen.get("status") != "overdue" or r.overdue)]
    board = service.dashboard(quarter, **chosen, page=1, per_page=500)
    assert [r.action.code for r in board.rows] == expected and board.total == len(expected)
    if chosen == {"status": "overdue"}:
        assert expected, "no overdue action: the case could not fail"


def test_my_actions_pages_through_the_agency_s_actions(login, agency_named, monkeypatch):
    monkeypatch.setattr(service, "MY_ACTIONS_PAGE_SIZE", 2)
    police = agency_named("Metropolitan Police Service")
    client = login("lead", agency=police)
    quarter = calendar.current_quarter()
    led = [a for a in service.actions_for(quarter, agency_id=police.id)]
    assert len(led) > 4
    last = -(-len(led) // 2)
    seen = []
    for number in range(1, last + 1):
        body = client.get(f"/my-actions?page={number}").get_data(as_text=True)
        assert f"{len(led)} actions led by" in body and f"(page {number} of {last})" in body
        seen += re.findall(r"/actions/(\d+)/updates/", body)
    assert [int(i) for i in seen] == [a.id for a in led]
    assert client.get(f"/my-actions?page={last + 1}").status_code == 404
    assert client.get("/my-actions?page=x").status_code == 404
    # The whole count comes with any page, and with none: a page past the end has no row to carry it.
    assert service.my_actions_page(police.id, quarter, 2, per_page=2)[1] == len(led)
    assert service.my_actions_page(police.id, quarter, last + 1, per_page=2) == ([], len(led))


def test_my_actions_names_the_other_leads_of_a_jointly_led_action(police_lead, police):
    body = html.unescape(police_lead.get("/my-actions").get_data(as_text=True))
    joint = [a for a in service.actions_for(calendar.current_quarter(), agency_id=police.id) if len(a.leads) > 1]
    assert joint, "no jointly led action: the case could not fail"
    for action in joint:
        others = ", ".join(lead.agency.short_name for lead in action.leads if lead.agency_id != police.id)
        row = body[body.index(f"{action.code}: "):]
        assert f"Joint lead with {others}</span>" in row[:row.index("</td>")]
    assert f"Joint lead with {police.short_name}" not in body and "Joint lead with </span>" not in body


def test_the_catalogue_pages_through_the_indicators_keeping_the_filters(login, monkeypatch):
    monkeypatch.setattr(kpi_service, "CATALOGUE_PAGE_SIZE", 5)
    client = login("viewer")
    everything = [r.indicator.code for r in kpi_service.catalogue(Q)]
    last = -(-len(everything) // 5)
    assert last > 2
    seen = []
    for number in range(1, last + 1):
        body = client.get(f"/indicators?quarter={Q.slug}&page={number}").get_data(as_text=True)
        assert f"{len(everything)} indicators (page {number} of {last})" in body
        seen += re.findall(r'href="/indicators/([A-Z0-9-]+)[?"]', body)
    assert seen == everything
    # A rating filter holds across pages: every row on page 2 has the rating asked for.
    rated = [r.indicator.code for r in kpi_service.catalogue(Q, rag="no_rating")]
    assert len(rated) > 5
    body = client.get(f"/indicators?quarter={Q.slug}&rag=no_rating").get_data(as_text=True)
    nxt = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', body)
    href = nxt.group(1).replace("&amp;", "&")
    assert "rag=no_rating" in href and "page=2" in href
    page_two = client.get(href).get_data(as_text=True)
    assert re.findall(r'href="/indicators/([A-Z0-9-]+)[?"]', page_two)[:5] == rated[5:10]
    assert client.get(f"/indicators?quarter={Q.slug}&page={last + 1}").status_code == 404


def _whole_history_rows(found, quarter: Quarter):
    """The catalogue's rows read the old way, from every year: what the windowed read must equal."""
    rows = []
    for standing in kpi_service.as_locked(found, quarter):
        latest = next((a for a in reversed(standing.series) if a.value is not None), None)
        rows.append((standing.indicator.code, latest, standing.target))
    return rows


@pytest.mark.parametrize("quarter", [Quarter(2018, 1), Quarter(2019, 3), Quarter(2020, 2), Quarter(2021, 4)],
                         ids=lambda q: q.slug)
def test_the_catalogue_reads_two_years_back_and_shows_what_the_whole_history_shows(app, quarter):
    load_demo_data()
    set_value("DV03", Quarter(2017, 2), 9.0)  # the year before the strategy: a comparator only
    found = kpi_service.indicators()
    stale = next(i for i in found if i.code == "DV05")
    set_value(stale.code, Quarter(2018, 1), 40.0)  # then nothing: its latest is years old by 2021/22
    db.session.commit()
    shown = [(r.indicator.code, r.assessment, r.target) for r in kpi_service.catalogue(quarter)]
    assert shown == _whole_history_rows(found, quarter)
    assert any(assessment is not None for _, assessment, _ in shown)
