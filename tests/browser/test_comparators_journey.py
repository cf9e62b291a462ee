"""A coordinator imports comparator figures with one bad row, fixes it, and sees Havering's rank (Chromium)."""

from playwright.sync_api import expect

from tests.browser.conftest import browser_login, check_axe

HEADER = "indicator,group,area,period,value,numerator,denominator,source,published\n"
ROWS = [("Havering", "30"), ("Barking and Dagenham", "25"), ("Bexley", "35"), ("Bromley", "40")]


def _file(bad: bool) -> dict:
    lines = [f"DV05,London boroughs,{area},2018/19,{'thirty' if bad and area == 'Bexley' else value},,,"
             "MOPAC dashboard,2019-07-31" for area, value in ROWS]
    return {"name": "boroughs.csv", "mimeType": "text/csv", "buffer": (HEADER + "\n".join(lines)).encode()}


def test_coordinator_imports_comparators_and_sees_the_rank(page, live_server, make_user):
    browser_login(page, live_server, make_user("coordinator"))
    page.goto(f"{live_server}/indicators/DV05")
    page.get_by_role("link", name="Import comparator figures").click()
    check_axe(page)

    page.get_by_label("Comparator file (CSV)").set_input_files(_file(bad=True))
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Row 4, column value: Enter the value as a number")
    expect(page.get_by_role("button", name="Import these figures")).to_have_count(0)
    check_axe(page)

    page.get_by_role("link", name="Fix the file and check it again").click()
    page.get_by_label("Comparator file (CSV)").set_input_files(_file(bad=False))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#preview-table")).to_contain_text("New")
    check_axe(page)
    page.get_by_role("button", name="Import these figures").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Imported 4 comparator figures")

    page.goto(f"{live_server}/indicators/DV05")
    expect(page.locator("#comparisons")).to_be_visible()
    expect(page.locator("body")).to_contain_text("3rd best of 4")
    expect(page.locator("body")).to_contain_text("16th best of 32")  # the JSNA's stated rank
    check_axe(page)
