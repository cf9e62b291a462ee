"""Search in Chromium: a lead finds their own draft by keyboard; a viewer from another agency does not."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, browser_logout, check_axe

Q = Quarter(2019, 2)


def test_search_finds_words_across_the_plan_and_keeps_drafts_private(page, live_server, make_user,
                                                                       agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police)
    viewer = make_user("viewer", agency_named_live("Victim Support"))
    a2 = db.session.scalar(select(Action).where(Action.code == "A2", Action.plan_year == 2018))
    actions_service.save_update(lead, a2, police, Q, version=0, status=Status.AMBER,
                                commentary="Steering group waits for the tri-borough restructure",
                                mitigation="Escalate to the chief inspector", sub_statuses={}, submit=False)
    db.session.commit()

    browser_login(page, live_server, lead)
    page.get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    check_axe(page)

    # nothing typed: the message sits by the field and the summary takes focus
    page.get_by_role("button", name="Search").press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter words to search for")
    expect(page.locator("#q-error")).to_contain_text("Enter words to search for")
    check_axe(page)

    field = page.get_by_label("Search for")
    field.fill("restructure")
    field.press("Enter")
    expect(page).to_have_title(re.compile("^Search: restructure"))
    results = page.locator("#updates")
    expect(results.get_by_role("heading", name="Updates: 1 found")).to_be_visible()
    expect(results).to_contain_text("Draft")  # the state in words, not colour
    expect(results.locator("mark")).to_have_text("restructure")
    check_axe(page)

    page.get_by_label("Search for").fill("steering")
    page.get_by_label("Actions", exact=True).check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#actions").get_by_role("heading", name=re.compile(r"^Actions: \d+ found"))).to_be_visible()
    expect(page.locator("#updates")).to_have_count(0)  # one kind chosen
    page.locator("#actions").get_by_role("link", name=re.compile("^A2: ")).click()
    expect(page.get_by_role("heading", name=re.compile("^A2: "))).to_be_visible()

    browser_logout(page, live_server)
    browser_login(page, live_server, viewer)
    page.goto(f"{live_server}/search?q=restructure")
    expect(page.locator("#updates").get_by_role("heading", name="Updates: 0 found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("tri-borough restructure")
