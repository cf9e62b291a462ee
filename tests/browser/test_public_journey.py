"""An anonymous resident reads the public progress page in Chromium: by keyboard, at 320 px, in print."""

import re

from playwright.sync_api import expect

from app.cycle import service as cycle_service
from app.extensions import db
from app.public import service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import check_axe
from tests.browser.test_keyboard import follow, starts, tab_to
from tests.browser.test_reflow import OVERFLOW_JS, SIZES
from tests.integration.report_helpers import load_demo_data, small_counts

Q, EARLIER = Quarter(2019, 2), Quarter(2019, 1)


def test_a_resident_reads_the_public_page(browser, live_server, make_user):
    load_demo_data()
    small_counts()
    coordinator = make_user("coordinator")
    for quarter in (EARLIER, Q):
        period = calendar.period_to_write(quarter)
        cycle_service.lock(coordinator, quarter, version=period.version, reason="Closed for the test")
        service.set_publication(coordinator, quarter, version=0, published=True, locked=True,
                                summary=f"Summary for residents, {quarter.label}.")
        db.session.commit()

    context = browser.new_context()  # no sign-in, no cookies
    page = context.new_page()
    page.goto(f"{live_server}/public/")
    expect(page.get_by_role("heading", name="Progress at 2019/20 Q2", level=1)).to_be_visible()
    expect(page.locator("#public-summary")).to_have_text("Summary for residents, 2019/20 Q2.")
    expect(page.locator("#status-counts")).to_contain_text("Red")  # statuses in words, not colour alone
    check_axe(page)

    # by keyboard to the earlier quarter
    tab_to(page, starts("Progress at 2019/20 Q1"))
    follow(page)
    expect(page.get_by_role("heading", name="Progress at 2019/20 Q1", level=1)).to_be_visible()
    check_axe(page)

    # the open-data file downloads without signing in
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Every published indicator")).click()
    assert download.value.suggested_filename == f"havering-vawg-indicators-{EARLIER.slug}.csv"

    # printable: the header, footer and links to other quarters stay off paper
    page.emulate_media(media="print")
    expect(page.locator("header.govuk-template__header")).to_be_hidden()
    page.emulate_media(media="screen")
    context.close()

    for options in SIZES.values():
        narrow = browser.new_context(**options)
        page = narrow.new_page()
        page.goto(f"{live_server}/public/{Q.slug}")
        found = page.evaluate(OVERFLOW_JS)
        assert found["scrollWidth"] <= found["width"] and not found["badScrollers"], found
        narrow.close()
