"""The coordinator signs off returns in one sitting, in Chromium: ticks returns on the tracker, confirms and
accepts them together, then works through the review queue. axe checks each page on the way."""

import re

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.extensions import db
from app.kpis import service as kpis_service
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, check_axe

Q = Quarter(2019, 2)


def test_tracker_select_confirm_accept_then_the_queue(page, live_server, make_user, agency_named_live):
    police = agency_named_live("Metropolitan Police Service")
    lead = make_user("lead", police, name="Pat Police")
    coordinator = make_user("coordinator", name="Chris Coordinator")
    first, second, third = actions_service.actions_for(Q, agency_id=police.id)[:3]
    for act in (first, second, third):
        actions_service.save_update(lead, act, police, Q, version=0, status=Status.GREEN,
                                    commentary=f"Progress on {act.code}.", mitigation="", sub_statuses={},
                                    submit=True)
    kpis_service.save_value(lead, kpis_service.indicator_by_code("DV01"), Q, version=0, value=310.0,
                            numerator=None, denominator=None, note="", provisional=False)
    db.session.commit()

    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server}/cycle/{Q.slug}")
    expect(page.locator("#returns-count")).to_contain_text("4 returns: Waiting for review")
    check_axe(page)

    # tick two returns and accept them together, after a confirmation that lists them
    for act in (first, second):
        page.get_by_label(f"Select {act.code} from Police").check()  # noqa: S608 - a label, not SQL
    page.get_by_role("button", name="Accept the selected returns").click()
    expect(page.get_by_role("heading", name="Accept 2 returns")).to_be_visible()
    expect(page.locator(f"tr[data-chosen='{first.code}-Police']")).to_contain_text("Yes")
    expect(page.locator(f"tr[data-chosen='{second.code}-Police']")).to_contain_text("Yes")
    check_axe(page)
    page.get_by_role("button", name="Yes, accept these 2 returns").click()
    expect(page.get_by_text("2 returns accepted")).to_be_visible()
    expect(page.locator("#returns-count")).to_contain_text("2 returns: Waiting for review")

    # the queue: the rest one page each, last quarter's beside, Accept or Return, then the next
    page.get_by_role("link", name="Review them one by one").click()
    expect(page.locator("#queue-position")).to_have_text("Return 1 of 2 waiting for your review")
    expect(page.get_by_role("heading", name=re.compile(f"Review {third.code}:"))).to_be_visible()
    expect(page.locator("#review-compare")).to_contain_text(f"Progress on {third.code}.")
    check_axe(page)
    page.get_by_label("Return to the agency").check()
    page.get_by_label("Comment for the agency").fill("Say who attended.")
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text(f"Action update {third.code} (Police) returned to the agency")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Review DV01:"))).to_be_visible()
    expect(page.locator("#review-rating")).to_be_visible()
    check_axe(page)
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("Indicator value DV01 (Police) accepted")).to_be_visible()
    expect(page.locator("#returns-count")).to_contain_text("0 returns: Waiting for review")
    expect(page.locator("#emails-sent")).to_contain_text(f"Return sent back ({third.code} from Police)")
    check_axe(page)
