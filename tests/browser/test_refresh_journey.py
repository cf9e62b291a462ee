"""The annual refresh in Chromium: the coordinator refreshes the plan for 2019/20 after 2018/19 Q4 is locked,
sets a target, retires an action with a reason and reads the year-end summary. axe checks every page."""

import re

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpi_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, check_axe

Q4 = Quarter(2018, 4)


def test_the_annual_refresh(page, live_server, make_user, agency_named_live):
    csp = agency_named_live("Community Safety Partnership")
    coordinator = make_user("coordinator", csp, name="Chris Coordinator")
    a1 = actions_service.action_by_code(Q4, "A1")
    actions_service.save_update(coordinator, a1, csp, Q4, version=0, status=Status.COMPLETE,
                                commentary="Delivered.", mitigation="", sub_statuses={}, submit=True)
    # Locking is the quarterly cycle's page; here it is done through its service.
    cycle_service.lock(coordinator, Q4, version=calendar.period_for(Q4).version, reason="Year end")
    db.session.commit()

    browser_login(page, live_server, coordinator)
    page.get_by_role("link", name="Plan", exact=True).click()
    expect(page.get_by_role("heading", name="The action plan by year")).to_be_visible()
    check_axe(page)
    page.get_by_role("link", name="Refresh the plan for 2019/20").click()
    expect(page.get_by_role("heading", name="Refresh the plan for 2019/20")).to_be_visible()
    expect(page.locator("#refresh-preview tr[data-code='A1']")).to_contain_text("Closed (complete)")
    expect(page.locator("#refresh-preview tr[data-code='A2']")).to_contain_text("Carried forward")
    check_axe(page)
    arrest = page.locator(f"#target_{kpi_service.indicator_by_code('DV04').id}")
    expect(page.locator(f"label[for='{arrest.get_attribute('id')}']")).to_contain_text("DV04")
    expect(arrest).to_have_value("77")
    arrest.fill("80")
    page.get_by_role("button", name="Refresh the plan").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("A year is refreshed once and this cannot be undone.")
    check_axe(page)
    dialog.get_by_role("button", name="Yes, refresh the plan").click()
    expect(page.get_by_role("heading", name="The 2019/20 action plan")).to_be_visible()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("has been refreshed")
    expect(page.locator("#plan-actions tr[data-code='A1']")).to_have_count(0)
    check_axe(page)

    page.locator("#plan-actions tr[data-code='A2']").get_by_role("link", name=re.compile("Retire")).click()
    expect(page.get_by_role("heading", name="Retire A2")).to_be_visible()
    page.get_by_role("button", name="Retire action").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for retiring this action")
    check_axe(page)
    page.get_by_label("Why is this action being retired?").fill("Merged into B1 by the Strategic Group")
    page.get_by_role("button", name="Retire action").click()
    expect(page.locator("#plan-actions tr[data-code='A2']")).to_contain_text("Retired")

    page.locator("#plan-actions tr[data-code='A3']").get_by_role("link", name=re.compile("Edit")).click()
    expect(page.get_by_role("heading", name=re.compile("Edit A3"))).to_be_visible()
    check_axe(page)
    page.get_by_label("Timescale").fill("December 2019")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("A3 saved")

    page.goto(f"{live_server}/plan/year-end/2018-19")
    expect(page.get_by_role("heading", name="Year-end summary for 2018/19")).to_be_visible()
    expect(page.locator("#completed")).to_contain_text("A1")
    expect(page.locator("#carried")).to_contain_text("A2")
    check_axe(page)
    page.goto(f"{live_server}/plan/year-end/2019-20")
    expect(page.locator("#retired")).to_contain_text("Merged into B1 by the Strategic Group")
    check_axe(page)

    db.session.rollback()  # a fresh snapshot: on SQLite a read transaction keeps the one it began with
    assert kpi_service.target_for(kpi_service.indicator_by_code("DV04"), Quarter(2019, 1)).value == 80
    assert "A2" not in [r.action.code for r in actions_service.dashboard(Quarter(2019, 1)).rows]
