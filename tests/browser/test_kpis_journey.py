"""Indicators in Chromium: a lead enters values inline; a coordinator sees the ratings and the chart."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import browser_login, browser_logout, check_axe


def test_lead_enters_values_inline_and_coordinator_sees_ratings_and_chart(
    page, live_server, make_user, agency_named_live
):
    lead = make_user("lead", agency_named_live("Metropolitan Police Service"), name="Pat Police")
    coordinator = make_user("coordinator")

    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/my-indicators?quarter=2019-20-Q1")
    expect(page.get_by_role("heading", name="My indicators for 2019/20 Q1")).to_be_visible()
    check_axe(page)

    row = page.locator("#value-row-DV04")
    row.locator("#DV04-numerator").fill("70")
    row.locator("#DV04-denominator").fill("84")
    row.get_by_role("button", name="Save value for DV04").click()
    # the card swaps itself: the new value and its rating show at once, without a page load
    row = page.locator("#value-row-DV04")
    expect(row).to_contain_text("DV04 value for 2019/20 Q1 saved")
    expect(row).to_contain_text("83.3%")
    expect(row.locator(".govuk-tag")).to_have_text("Green")
    assert "/my-indicators" in page.url

    row = page.locator("#value-row-DV05")
    row.locator("#DV05-value").fill("130")
    row.get_by_role("button", name="Save value for DV05").click()
    expect(page.locator("#value-row-DV05")).to_contain_text("The value must be a percentage from 0 to 100")
    page.locator("#DV05-value").fill("30")
    page.locator("#value-row-DV05").get_by_role("button", name="Save value for DV05").click()
    expect(page.locator("#value-row-DV05 .govuk-tag").first).to_have_text("Red")

    row = page.locator("#value-row-DV01")
    row.locator("#DV01-value").fill("7")
    row.get_by_role("button", name="Save value for DV01").click()
    expect(page.locator("#value-row-DV01")).to_contain_text("No rating")

    browser_logout(page, live_server)
    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server}/indicators?quarter=2019-20-Q1")
    expect(page.locator("tr[data-indicator='DV04']")).to_contain_text("Green")
    expect(page.locator("tr[data-indicator='DV05']")).to_contain_text("Red")
    expect(page.locator("tr[data-indicator='DV06']")).to_contain_text("No target agreed")
    check_axe(page)

    page.get_by_role("link", name=re.compile(r"^DV04: ")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^DV04: "))).to_be_visible()
    chart = page.locator("img.app-chart__image")
    expect(chart).to_have_attribute("alt", re.compile(r"Latest: 83\.3% in 2019/20 Q1"))
    # decode() waits for the image to load (wait_for_function would need eval, which the CSP forbids)
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    expect(page.locator("#series-table tr[data-quarter='2019-20-Q1']")).to_contain_text("Green")
    expect(page.locator("#value-history")).to_contain_text(lead.email)
    check_axe(page)

    page.goto(f"{live_server}/indicators/DV06/targets/2019-20")
    expect(page.get_by_role("heading", name="Target for 2019/20")).to_be_visible()
    check_axe(page)
    page.get_by_label("Target", exact=True).fill("25")
    page.get_by_label("Reason for this target").fill("Agreed by the HCSP, April 2019")
    page.get_by_role("button", name="Save target").click()
    # the basis is a required choice: the error says what to do, next to the field and in the summary
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether the target is for each quarter")
    check_axe(page)
    page.get_by_label("For the year: the year-end outturn is judged against this target").check()
    page.get_by_role("button", name="Save target").click()
    expect(page.locator("#target-history")).to_contain_text("Agreed by the HCSP, April 2019")
    expect(page.locator("#target-history")).to_contain_text("For the year")


def test_value_entry_works_without_javascript(browser, live_server, make_user, agency_named_live):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    lead = make_user("lead", agency_named_live("Community Safety Partnership"))
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/indicators/MA01/values/2019-20-Q2")
    page.locator("#MA01-value").fill("9")
    page.get_by_role("button", name="Save value for MA01").click()
    expect(page.get_by_text("MA01 value for 2019/20 Q2 saved")).to_be_visible()
    assert "/my-indicators" in page.url
    context.close()
