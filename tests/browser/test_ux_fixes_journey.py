"""Issue 15 and issue 8 part 6 in Chromium: saving then submitting without reloading, the review state,
the dashboard heading, the audit table's width, and the phone layout."""

import re

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, check_axe
from tests.helpers import action as find_action

Q = Quarter(2019, 1)
PHONE = {"width": 320, "height": 640}  # the narrowest phone WCAG reflow asks for


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _inside_viewport(page, locator) -> None:
    """The element is within the screen's width, reached by scrolling down only (no region scrolled sideways)."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollLeft = 0; })")
    page.evaluate("y => window.scrollTo(0, y)", locator.evaluate("e => e.getBoundingClientRect().top + window.scrollY"))
    box = locator.bounding_box()
    width = page.evaluate("document.documentElement.clientWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)


def test_lead_saves_a_draft_then_submits_without_reloading(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police, name="Pat Police")
    action = find_action("A2")
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/actions/{action.id}/updates/{police.id}/{Q.slug}")
    page.get_by_label("Green").check()
    page.get_by_label("Commentary on progress").fill("Half way through the training plan.")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Draft of the update on A2 saved")).to_be_visible()
    assert page.url.endswith(Q.slug)  # swapped in place, not reloaded
    page.get_by_label("Commentary on progress").fill("Training plan delivered to every borough team.")
    page.get_by_role("button", name="Submit update").click()
    expect(page.get_by_text("Update on A2 submitted for 2019/20 Q1")).to_be_visible()
    expect(page.get_by_text("Someone else saved this update")).to_have_count(0)
    expect(page.locator("#update-form")).to_contain_text("This update is submitted")
    check_axe(page)


def test_review_state_row_follows_the_decision(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police)
    upd = actions_service.save_update(lead, find_action("A2"), police, Q, version=0, status=Status.GREEN,
                                      commentary="On track.", mitigation="", sub_statuses={}, submit=True)
    db.session.commit()
    browser_login(page, live_server, make_user("coordinator"))
    page.goto(f"{live_server}/cycle/{Q.slug}/review/update/{upd.id}")
    expect(page.locator("#review-state")).to_have_text("Submitted, waiting for review")
    page.get_by_label("Return to the agency").check()
    page.get_by_label("Comment for the agency").fill("Say how many officers were trained.")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("returned to the agency")
    expect(page.locator("#review-state")).to_have_text("Returned to the agency for changes")
    expect(page.locator("#review-state")).to_have_count(1)


def test_dashboard_heading_and_title_follow_the_quarter(page, live_server, make_user):
    browser_login(page, live_server, make_user("viewer"))
    page.goto(f"{live_server}/dashboard?quarter=2019-20-Q1")
    page.get_by_label("Quarter").select_option("2019-20-Q3")
    expect(page).to_have_url(re.compile("quarter=2019-20-Q3"))
    expect(page.get_by_role("heading", level=1)).to_have_text("RAG dashboard for 2019/20 Q3")
    expect(page).to_have_title(re.compile("^RAG dashboard for 2019/20 Q3"))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_audit_table_fits_the_page(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    long_email = "a.very.long.email.address.for.testing.widths@metropolitan-police.example.org"
    lead = make_user("lead", police, email=long_email)
    actions_service.save_update(lead, find_action("A2"), police, Q, version=0, status=Status.AMBER,
                                commentary="x" * 300, mitigation="Averyveryverylongwordwithoutanyspaces" * 4,
                                sub_statuses={}, submit=True)
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, live_server, make_user("admin"))
    page.goto(f"{live_server}/audit/")
    table = page.locator("#audit-table").bounding_box()
    main = page.locator("main").bounding_box()
    assert table["width"] <= main["width"] + 1, (table, main)
    _no_sideways_scroll(page)
    check_axe(page)


def test_on_a_phone_the_dashboard_status_and_last_quarter_need_no_sideways_scroll(
        page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police)
    action = find_action("B1")  # joint lead with the police, long sub-actions
    # leads paste links to their evidence: a long unbroken address must wrap, not widen the page
    link = "https://www.havering.gov.uk/downloads/file/1234/vawg-partnership-training-evaluation-report-2018-19.pdf"
    for quarter in (Quarter(2018, 4), Q):
        actions_service.save_update(lead, action, police, quarter, version=0, status=Status.GREEN,
                                    commentary=f"Partnership training delivered. Evaluation: {link}",
                                    mitigation="", sub_statuses={}, submit=True)
    db.session.commit()
    page.set_viewport_size(PHONE)
    browser_login(page, live_server, lead)

    page.goto(f"{live_server}/dashboard?quarter={Q.slug}")
    _no_sideways_scroll(page)
    status = page.locator(f"tr[data-action='{action.code}'] td.app-dashboard-status")
    expect(status).to_contain_text("Green")
    _inside_viewport(page, status)
    check_axe(page)

    page.goto(f"{live_server}/actions/{action.id}/updates/{police.id}/{Q.slug}")
    _no_sideways_scroll(page)
    last = page.get_by_role("heading", name="Last quarter")
    _inside_viewport(page, last)
    _inside_viewport(page, page.get_by_text("Partnership training delivered.").first)
    check_axe(page)


def test_save_that_meets_a_lock_keeps_the_typed_text(page, live_server, make_user, agency_named_live):
    from app.cycle import service as cycle_service

    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police)
    coordinator = make_user("coordinator")
    action = find_action("A2")
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/actions/{action.id}/updates/{police.id}/{Q.slug}")
    page.get_by_label("Green").check()
    page.get_by_label("Commentary on progress").fill("Written with care before the board meeting.")
    # the coordinator locks the quarter while the lead is typing (from a fresh snapshot: on SQLite a write
    # from an older read snapshot than the browser's sign-in meets "database is locked")
    db.session.rollback()
    cycle_service.lock(coordinator, Q, version=calendar.period_for(Q).version, reason="Board tomorrow")
    db.session.commit()
    page.get_by_role("button", name="Submit update").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("2019/20 Q1 is locked: your update was not saved")
    expect(page.get_by_label("Commentary on progress")).to_have_value("Written with care before the board meeting.")
    expect(page.get_by_label("Commentary on progress")).not_to_be_editable()
    expect(page.get_by_role("heading", name="Last quarter")).to_be_visible()  # the page was not replaced
    check_axe(page)
