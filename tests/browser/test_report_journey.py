"""The HCSP report in Chromium: a coordinator previews the published version and downloads the pack."""

import openpyxl
from playwright.sync_api import expect

from app.extensions import db
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, check_axe
from tests.integration.report_helpers import load_demo_data, set_value

QUARTER = Quarter(2018, 4)


def test_coordinator_previews_the_published_report_and_downloads_the_pack(page, live_server, live_app, make_user,
                                                                         tmp_path):
    load_demo_data()
    set_value("DV03", QUARTER, 3.0)
    db.session.commit()
    coordinator = make_user("coordinator")

    browser_login(page, live_server, coordinator)
    page.get_by_role("link", name="Reports").first.click()
    page.goto(f"{live_server}/reports/{QUARTER.slug}")
    expect(page.get_by_role("heading", name="HCSP quarterly report, 2018/19 Q4")).to_be_visible()
    value = page.locator('[data-indicator="DV03"] [data-cell="value"]')
    expect(value).to_have_text("3")
    check_axe(page)

    page.get_by_role("link", name="Preview the published version (small numbers suppressed)").click()
    expect(page.locator("#published-notice")).to_contain_text("Counts of 1 to 4 are shown as <5")
    expect(page.locator('[data-indicator="DV03"] [data-cell="value"]')).to_have_text("<5")
    check_axe(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the Excel pack (published)").click()
    path = tmp_path / "pack.xlsx"
    download_info.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert "Indicators" in book.sheetnames
    dv03 = next(r for r in book["Indicators"].iter_rows(min_row=5, values_only=True) if r[0] == "DV03")
    assert "<5" in dv03 and 3 not in dv03
