"""A whole quarter in Chromium: open it, a lead submits, the coordinator returns one item, the lead
resubmits, the coordinator accepts and locks. axe checks every cycle page on the way."""

import re

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, browser_logout, check_axe

Q = Quarter(2019, 2)


def submit_update(page, base, action, agency, text):
    page.goto(f"{base}/actions/{action.id}/updates/{agency.id}/{Q.slug}")
    page.get_by_label("Green").check()
    page.get_by_label("Commentary on progress").fill(text)
    page.get_by_role("button", name="Submit update").click()
    expect(page.get_by_text(f"Update on {action.code} submitted for")).to_be_visible()


def review(page, base, code, decision, comment=""):
    page.goto(f"{base}/cycle/{Q.slug}")
    page.locator(f"tr[data-review='{code}-Police']").get_by_role("link", name=re.compile("Review")).click()
    expect(page.get_by_role("heading", name=re.compile(f"Review {code}:"))).to_be_visible()
    check_axe(page)
    page.get_by_label(decision).check()
    if comment:
        page.get_by_label("Comment for the agency").fill(comment)
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def test_a_whole_quarter(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police, name="Pat Police")
    coordinator = make_user("coordinator", name="Chris Coordinator")
    calendar.set_current_quarter(None, Q)
    db.session.commit()
    first, second = actions_service.actions_for(Q, agency_id=police.id)[:2]

    # the coordinator opens the quarter: its window runs until a deadline still to come
    browser_login(page, live_server, coordinator)
    page.get_by_role("link", name="Quarterly cycle").click()
    expect(page.get_by_role("heading", name="Quarterly cycle")).to_be_visible()
    check_axe(page)
    page.get_by_role("link", name="2019/20 Q2").click()
    # axe must read the quarter's page, not the moment between two pages (CI once caught it there)
    expect(page.get_by_role("heading", name="2019/20 Q2 returns and sign-off", level=1)).to_be_visible()
    check_axe(page)
    deadline = page.get_by_role("group", name="Deadline")
    deadline.get_by_label("Day").fill("31")
    deadline.get_by_label("Month").fill("12")
    deadline.get_by_label("Year").fill("2030")
    page.get_by_role("button", name="Save dates").click()
    expect(page.get_by_text("Dates for 2019/20 Q2 saved")).to_be_visible()
    expect(page.locator("#period-status")).to_have_text("Open")
    browser_logout(page, live_server)

    # the lead submits two updates
    browser_login(page, live_server, lead)
    submit_update(page, live_server, first, police, "Steering group met twice.")
    submit_update(page, live_server, second, police, "Training delivered to 40 officers.")
    browser_logout(page, live_server)

    # the coordinator returns one and accepts the other
    browser_login(page, live_server, coordinator)
    review(page, live_server, first.code, "Return to the agency", "Say what the steering group decided.")
    review(page, live_server, second.code, "Accept")
    browser_logout(page, live_server)

    # the lead sees the comment and resubmits
    browser_login(page, live_server, lead)
    expect(page.get_by_text("Returned for changes: Say what the steering group decided.")).to_be_visible()
    page.goto(f"{live_server}/actions/{first.id}/updates/{police.id}/{Q.slug}")
    expect(page.locator("#returned-comment")).to_contain_text("Say what the steering group decided.")
    check_axe(page)
    page.get_by_label("Commentary on progress").fill("Steering group met twice and agreed the MARAC protocol.")
    page.get_by_role("button", name="Submit update").click()
    expect(page.get_by_text(f"Update on {first.code} submitted for")).to_be_visible()
    browser_logout(page, live_server)

    # the coordinator accepts it and locks the quarter, recording why some returns are missing
    browser_login(page, live_server, coordinator)
    review(page, live_server, first.code, "Accept")
    page.goto(f"{live_server}/cycle/{Q.slug}")
    expect(page.locator("#returns-count")).to_contain_text("0 returns: Waiting for review")
    page.get_by_label("Reason for closing with returns missing").fill(
        "Strategic Group agreed to report with the returns received.")
    page.get_by_role("button", name="Close the quarter with returns missing").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, close the quarter with returns missing").click()
    expect(page.get_by_text("2019/20 Q2 is locked")).to_be_visible()
    expect(page.locator("#period-status")).to_have_text("Locked")
    expect(page.locator("#period-events")).to_contain_text("closed with returns missing because")
    check_axe(page)

    # a locked quarter's form is read-only and says why
    browser_logout(page, live_server)
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/actions/{first.id}/updates/{police.id}/{Q.slug}")
    expect(page.locator("#quarter-locked-notice")).to_contain_text("2019/20 Q2 is locked.")
    expect(page.get_by_label("Commentary on progress")).not_to_be_editable()
    expect(page.get_by_role("button", name="Submit update")).to_have_count(0)
