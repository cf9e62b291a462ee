"""The lead-agency and Strategic Group journeys through real pages in Chromium."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import browser_login, browser_logout, check_axe
from tests.helpers import action as find_action


def test_lead_submits_amber_and_coordinator_sees_it(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police, name="Pat Police")
    coordinator = make_user("coordinator")
    action = find_action("A2")  # led by the police alone

    browser_login(page, live_server, lead)
    expect(page.get_by_role("heading", name=re.compile("My actions for"))).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^A2: ")).click()
    expect(page.get_by_role("heading", name=re.compile("^A2: "))).to_be_visible()

    page.get_by_label("Amber").check()
    page.get_by_label("Commentary on progress").fill("Steering group delayed by the tri-borough restructure.")
    page.get_by_role("button", name="Submit update").click()
    # Amber without mitigation is refused inline, next to the field
    expect(page.locator("#mitigation-error")).to_contain_text("Enter the mitigation and next steps")
    expect(page.locator(".govuk-error-summary")).to_be_visible()

    page.get_by_label("Mitigation and next steps").fill("Chief Inspector to chair an interim meeting in May.")
    page.get_by_role("button", name="Submit update").click()
    expect(page.get_by_text("Update on A2 submitted for")).to_be_visible()

    browser_logout(page, live_server)
    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server}/dashboard")
    row = page.locator("tr[data-action='A2']")
    expect(row).to_contain_text("Amber")
    expect(row).to_contain_text("Police: Amber")
    page.get_by_role("link", name=re.compile(r"^A2: ")).click()
    expect(page.get_by_text("Chief Inspector to chair an interim meeting in May.")).to_be_visible()
    assert action is not None


def test_lead_cannot_open_another_agencys_update_form(page, live_server, make_user, agency_named_live):
    lead = make_user("lead", agency_named_live("Victim Support"))
    police = agency_named_live("Metropolitan Police Service")
    action = find_action("A2")
    browser_login(page, live_server, lead)
    response = page.goto(f"{live_server}/actions/{action.id}/updates/{police.id}/2019-20-Q1")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot do that")).to_be_visible()


def test_dashboard_filters_update_the_list_and_the_url(page, live_server, make_user):
    viewer = make_user("viewer")
    browser_login(page, live_server, viewer)
    page.goto(f"{live_server}/dashboard?quarter=2019-20-Q1")
    total = page.locator("#actions-table tbody tr").count()
    page.get_by_label("Objective", exact=True).select_option("B")
    expect(page).to_have_url(re.compile(r"objective=B"))
    expect(page.locator("#actions-table tbody tr[data-action^='A']")).to_have_count(0)
    b_rows = page.locator("#actions-table tbody tr[data-action^='B']").count()
    assert 0 < b_rows < total
    page.get_by_label("Status", exact=True).select_option("no_update")
    expect(page).to_have_url(re.compile(r"status=no_update"))
    expect(page.locator("#actions-table tbody tr[data-action^='B']")).to_have_count(b_rows)
    # the bookmarked URL shows the same filtered view on a fresh load
    page.reload()
    expect(page.locator("#actions-table tbody tr[data-action^='A']")).to_have_count(0)


def test_pages_have_no_accessibility_violations(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police)
    admin = make_user("admin")
    action = find_action("A2")

    page.goto(f"{live_server}/sign-in")
    check_axe(page)
    browser_login(page, live_server, lead)
    for path in ["/my-actions", f"/actions/{action.id}/updates/{police.id}/2019-20-Q1",
                 "/dashboard", f"/actions/{action.id}", "/sign-out", "/no-such-page"]:
        page.goto(f"{live_server}{path}")
        check_axe(page)
    # a form showing its errors
    page.goto(f"{live_server}/actions/{action.id}/updates/{police.id}/2019-20-Q1")
    page.get_by_role("button", name="Submit update").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_axe(page)

    browser_logout(page, live_server)
    browser_login(page, live_server, admin)
    for path in ["/admin/users", "/admin/users/new", f"/admin/users/{lead.id}", "/admin/agencies",
                 "/admin/agencies/new", f"/admin/agencies/{police.id}", "/admin/settings", "/audit/"]:
        page.goto(f"{live_server}{path}")
        check_axe(page)
