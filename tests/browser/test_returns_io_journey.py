"""Spreadsheet returns in Chromium: download the return workbook, fill it in, upload with an error, fix it, confirm."""

from playwright.sync_api import expect

from tests.browser.conftest import browser_login, browser_logout, check_axe
from tests.returns_helpers import fill


def test_lead_returns_a_workbook_and_the_coordinator_can_collect_one(page, live_server, make_user, agency_named_live,
                                                                     tmp_path):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police, name="Pat Police")
    coordinator = make_user("coordinator")  # made before the server writes: SQLite has one writer at a time
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/my-actions")
    page.locator("#return-workbook-link a").click()
    expect(page.get_by_role("heading", name="Return workbook for")).to_be_visible()
    check_axe(page)

    with page.expect_download() as downloading:
        page.locator("#download-workbook").click()
    data = downloading.value.path().read_bytes()
    wrong = tmp_path / "police-return.xlsx"
    wrong.write_bytes(fill(data, {"A2": {"status": "Amber", "commentary": "Slipping"}}, {"DV01": {"value": 301}}))
    page.get_by_label("Upload the filled-in workbook").set_input_files(str(wrong))
    page.get_by_label("Submit them for review").check()
    page.get_by_role("button", name="Upload and preview").click()
    problems = page.locator("#upload-problems")
    expect(problems).to_contain_text("Nothing was saved: 1 problem to fix")
    expect(problems).to_contain_text("column H (Mitigation (required for Amber and Red)): Enter the mitigation")
    check_axe(page)

    page.get_by_role("link", name="Upload the corrected file").click()
    right = tmp_path / "police-return-fixed.xlsx"
    right.write_bytes(fill(data, {"A2": {"status": "Amber", "commentary": "Slipping",
                                         "mitigation": "Extra sessions booked"}}, {"DV01": {"value": 301}}))
    page.get_by_label("Upload the filled-in workbook").set_input_files(str(right))
    page.get_by_label("Submit them for review").check()
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#upload-counts")).to_contain_text("2 new, 0 changed")
    expect(page.locator("#upload-rows")).to_contain_text("(none) → Extra sessions booked")
    check_axe(page)
    page.get_by_role("button", name="Save these 2 changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "2 rows from police-return-fixed.xlsx saved for Metropolitan Police Service")

    page.goto(f"{live_server}/my-indicators/upload")
    expect(page.get_by_role("heading", name="Upload indicator values")).to_be_visible()
    check_axe(page)

    browser_logout(page, live_server)
    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server}/returns")
    check_axe(page)
    page.get_by_label("Agency").select_option(label="Metropolitan Police Service")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-caption-l")).to_have_text("Metropolitan Police Service")
