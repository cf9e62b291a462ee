"""A coordinator collects a quarter from spreadsheets in Chromium (issue 12): downloads two agencies' return
workbooks, fills them (as the agencies would), uploads one with an error, fixes it, confirms both; a second
coordinator bulk-accepts the returns on the tracker and locks the quarter."""

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, browser_logout
from tests.returns_helpers import fill

Q = Quarter(2019, 2)


def _upload(page, live_server, agency, path):
    page.goto(f"{live_server}/returns/{agency.id}/{Q.slug}")
    page.get_by_label("Upload the filled-in workbook").set_input_files(str(path))
    page.get_by_label("Submit them for review").check()
    page.get_by_role("button", name="Upload and preview").click()


def test_a_quarter_collected_from_spreadsheets_reviewed_and_locked(page, live_server, make_user, agency_named_live,
                                                                 tmp_path):
    police = agency_named_live("Metropolitan Police Service")
    police_action = actions_service.actions_for(Q, agency_id=police.id)[0]
    other = next(lead.agency for a in actions_service.actions_for(Q) for lead in a.leads
                 if lead.agency_id != police.id and not a.is_led_by(police.id))
    other_action = actions_service.actions_for(Q, agency_id=other.id)[0]
    collector = make_user("coordinator", name="Cam Collector")
    reviewer = make_user("coordinator", name="Rae Reviewer")  # a coordinator never accepts their own upload
    calendar.set_current_quarter(None, Q)
    db.session.commit()

    browser_login(page, live_server, collector)
    books = {}
    for agency in (police, other):
        page.goto(f"{live_server}/returns/{agency.id}/{Q.slug}")
        with page.expect_download() as downloading:
            page.locator("#download-workbook").click()
        books[agency.id] = downloading.value.path().read_bytes()

    wrong = tmp_path / "police.xlsx"
    wrong.write_bytes(fill(books[police.id], {police_action.code: {"status": "Red", "commentary": "Stalled"}}))
    _upload(page, live_server, police, wrong)
    expect(page.locator("#upload-problems")).to_contain_text("Nothing was saved: 1 problem to fix")
    expect(page.locator("#upload-problems")).to_contain_text("Enter the mitigation")

    right = tmp_path / "police-fixed.xlsx"
    right.write_bytes(fill(books[police.id], {police_action.code: {
        "status": "Red", "commentary": "Stalled", "mitigation": "Escalated to the VAWG Strategic Group"}}))
    _upload(page, live_server, police, right)
    page.get_by_role("button", name="Save these 1 changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 rows from police-fixed.xlsx saved")

    theirs = tmp_path / "other.xlsx"
    theirs.write_bytes(fill(books[other.id], {other_action.code: {"status": "Green", "commentary": "On track"}}))
    _upload(page, live_server, other, theirs)
    page.get_by_role("button", name="Save these 1 changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 rows from other.xlsx saved")
    browser_logout(page, live_server)

    browser_login(page, live_server, reviewer)
    page.goto(f"{live_server}/cycle/{Q.slug}")
    expect(page.locator("#returns-count")).to_contain_text("2 returns: Waiting for review")
    for box in page.locator("#bulk-accept input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Accept the selected returns").click()
    page.get_by_role("button", name="Yes, accept these 2 returns").click()
    expect(page.get_by_text("2 returns accepted")).to_be_visible()
    expect(page.locator("#returns-count")).to_contain_text("0 returns: Waiting for review")

    page.get_by_label("Reason for closing with returns missing").fill("The other agencies report next quarter.")
    page.get_by_role("button", name="Close the quarter with returns missing").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, close the quarter with returns missing").click()
    expect(page.get_by_text(f"{Q.label} is locked")).to_be_visible()
