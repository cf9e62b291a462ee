"""Whole journeys with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrows), in Chromium.

At every key press the test asserts where focus is, that it is visible (the GOV.UK yellow focus state)
and that nothing covers it (WCAG 2.4.7, 2.4.11); after every htmx swap, where focus went and what was
announced (static/js/app.js). No click, fill or check is used after sign-in set-up.
"""

import re

from playwright.sync_api import expect

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.auth.models import Agency
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import PASSWORD, browser_login, check_axe
from tests.helpers import action

Q = Quarter(2019, 2)

# What has focus, whether its focus state shows, and whether anything sits on top of it.
FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const yellow = "rgb(255, 221, 0)";
  const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
  const styles = [getComputedStyle(el)];
  if (label && el.matches(".govuk-radios__input, .govuk-checkboxes__input")) {
    styles.push(getComputedStyle(label, "::before"), getComputedStyle(label, "::after"));
  }
  const visible = styles.some((s) => (s.outlineStyle !== "none" && s.outlineColor === yellow
      && parseFloat(s.outlineWidth) >= 2) || s.boxShadow.includes(yellow) || s.backgroundColor === yellow);
  // A link wrapping over two lines has two boxes; its first line is where it starts.
  const target = label && el.matches(".govuk-radios__input, .govuk-checkboxes__input") ? label : el;
  const box = target.getClientRects()[0] || target.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), window.innerWidth - 1);
  const y = Math.min(Math.max(box.top + Math.min(box.height / 2, 10), 0), window.innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  const inView = box.bottom > 0 && box.top < window.innerHeight;
  const covered = !inView || !hit || !(el.contains(hit) || hit === el || (label && label.contains(hit)));
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "", value: el.value || "",
    type: el.getAttribute("type") || "", checked: !!el.checked,
    text: (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 80),
    classes: typeof el.className === "string" ? el.className : "",
    visible, covered, title: document.title,
  };
}
"""


def focus(page) -> dict:
    state = page.evaluate(FOCUS_JS)
    assert state is not None, "focus was lost to <body>"
    return state


def check_focus(page) -> dict:
    """The focused element, asserting its focus state shows and nothing hides it."""
    state = focus(page)
    assert state["visible"], f"focus is not visible on {state}"
    assert not state["covered"], f"focus is obscured or off screen: {state}"
    return state


def tab_to(page, matches, key: str = "Tab", limit: int = 80) -> dict:
    """Press Tab (or Shift+Tab) until `matches(focus)`, checking the focus state at every stop on the way."""
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_JS) is not None, f"focus was lost to <body> after {path} on {page.url}"
        state = check_focus(page)
        path.append(state["text"] or state["id"])
        if matches(state):
            return state
    raise AssertionError(f"never reached the target; focus went through: {path}")


def follow(page, key: str = "Enter") -> None:
    """Press `key` on a focused link or a non-htmx submit button, and wait for the new page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def named(text: str):
    return lambda f: f["text"] == text


def starts(text: str):
    return lambda f: f["text"].startswith(text)


def field(id_: str):
    return lambda f: f["id"] == id_


def live_region(page):
    return page.locator("#app-live-region")


def _police() -> Agency:
    from app.auth import service

    return service.find_agency("Metropolitan Police Service")


def test_lead_signs_in_and_submits_an_amber_update_by_keyboard(page, live_server, make_user):
    police = _police()
    lead = make_user("lead", police, name="Pat Police")
    calendar.set_current_quarter(None, Q)
    db.session.commit()

    # sign in, typing into the form
    page.goto(f"{live_server}/sign-in")
    tab_to(page, field("email"))
    page.keyboard.type(lead.email)
    tab_to(page, field("password"))
    page.keyboard.type(PASSWORD)
    tab_to(page, named("Sign in"))
    follow(page)
    expect(page.get_by_role("heading", name="My actions for 2019/20 Q2")).to_be_visible()

    # open A2's update from My actions
    tab_to(page, starts("A2: "))
    follow(page)
    expect(page.get_by_role("heading", name=re.compile("^A2: "))).to_be_visible()

    # choose Amber with the arrow keys: Tab lands on the first radio, each arrow moves and selects
    state = tab_to(page, lambda f: f["name"] == "status")
    assert state["value"] == "complete"
    for _ in range(2):
        page.keyboard.press("ArrowDown")
    state = check_focus(page)
    assert (state["value"], state["checked"]) == ("amber", True)

    tab_to(page, field("commentary"))
    page.keyboard.type("Steering group delayed by the tri-borough restructure.")
    tab_to(page, named("Submit update"))
    page.keyboard.press("Enter")

    # fails once: focus moves to the error summary and the title says there is an error
    summary = page.locator("#update-form .govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Update A2 for 2019/20 Q2"))
    assert check_focus(page)["classes"].startswith("govuk-error-summary")
    check_axe(page)

    # the summary's link takes focus to the field; fix it and submit
    tab_to(page, starts("Enter the mitigation and next steps"))
    page.keyboard.press("Enter")
    expect(page.locator("#mitigation")).to_be_focused()
    check_focus(page)
    page.keyboard.type("Chief Inspector to chair an interim meeting in May.")
    tab_to(page, named("Submit update"))
    page.keyboard.press("Enter")

    banner = page.locator("#update-form .govuk-notification-banner--success")
    expect(banner).to_be_focused()
    expect(banner).to_contain_text("Update on A2 submitted for 2019/20 Q2")
    expect(page).to_have_title(re.compile(r"^Update A2 for 2019/20 Q2"))
    check_focus(page)
    check_axe(page)

    # Shift+Tab goes back up the page from the banner without losing focus
    tab_to(page, starts("See the whole action"), key="Shift+Tab")


def test_coordinator_filters_reviews_and_locks_by_keyboard(page, live_server, make_user):
    police = _police()
    lead = make_user("lead", police)
    coordinator = make_user("coordinator", name="Chris Coordinator")
    calendar.set_current_quarter(None, Q)
    a2 = action("A2")
    actions_service.save_update(lead, a2, police, Q, version=0, status=Status.GREEN,
                                commentary="Steering group met twice.", mitigation="", sub_statuses={}, submit=True)
    db.session.commit()

    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server}/dashboard?quarter={Q.slug}")

    # filter by objective with the arrow keys: the list swaps, focus stays on the filter, the count is read out
    tab_to(page, field("objective"))
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"objective=A"))
    expect(live_region(page)).to_have_text(re.compile(r"^Showing \d+ actions? for 2019/20 Q2 matching the filters$"))
    expect(page.locator("#objective")).to_be_focused()
    check_focus(page)
    check_axe(page)

    # open the action from the filtered list
    tab_to(page, starts("A2: "))
    follow(page)
    expect(page.get_by_role("heading", name=re.compile("A2"))).to_be_visible()

    # to the quarter's returns, and review A2
    tab_to(page, named("Quarterly cycle"))
    follow(page)
    tab_to(page, named("2019/20 Q2"))
    follow(page)
    tab_to(page, starts("Review A2"))
    follow(page)
    expect(page.get_by_role("heading", name=re.compile("Review A2"))).to_be_visible()
    state = tab_to(page, lambda f: f["name"] == "decision")
    assert state["value"] == "accept"
    page.keyboard.press("ArrowDown")
    assert check_focus(page)["value"] == "return"
    tab_to(page, field("comment"))
    page.keyboard.type("Say what the steering group decided.")
    tab_to(page, named("Save decision"))
    page.keyboard.press("Enter")
    banner = page.locator("#review-form .govuk-notification-banner--success")
    expect(banner).to_be_focused()
    check_focus(page)
    check_axe(page)

    # back to the quarter and lock it: the confirmation keeps focus inside until it is closed
    tab_to(page, starts("Back to the returns waiting for review"))
    follow(page)
    tab_to(page, field("lock-reason"))
    page.keyboard.type("Strategic Group agreed to report with the returns received.")
    opener = tab_to(page, named("Close the quarter with returns missing"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert check_focus(page)["text"] == "Cancel"
    seen = [tab_to(page, lambda f: True)["text"] for _ in range(3)]
    assert seen == ["Yes, close the quarter with returns missing", "Cancel",
                    "Yes, close the quarter with returns missing"], "Tab wraps inside the dialog"
    assert tab_to(page, lambda f: True, key="Shift+Tab")["text"] == "Cancel"
    check_axe(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert check_focus(page)["text"] == opener["text"], "focus returns to the button that opened the dialog"
    expect(page.locator("#period-status")).not_to_have_text("Locked")

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(page, named("Yes, close the quarter with returns missing"), key="Shift+Tab")
    follow(page)
    expect(page.locator("#period-status")).to_have_text("Locked")
    check_axe(page)


def test_lead_enters_an_indicator_value_inline_by_keyboard(page, live_server, make_user):
    lead = make_user("lead", _police())
    browser_login(page, live_server, lead)
    page.goto(f"{live_server}/my-indicators?quarter=2019-20-Q1")

    # a value out of range: focus goes to the card's error summary
    tab_to(page, field("DV05-value"))
    page.keyboard.type("130")
    tab_to(page, named("Save value for DV05"))
    page.keyboard.press("Enter")
    expect(page.locator("#value-row-DV05 .govuk-error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    check_focus(page)

    tab_to(page, field("DV05-value"))
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    tab_to(page, named("Save value for DV05"))
    page.keyboard.press("Space")
    banner = page.locator("#value-row-DV05 .govuk-notification-banner--success")
    expect(banner).to_be_focused()
    expect(banner).to_contain_text("DV05 value for 2019/20 Q1 saved")
    expect(page).not_to_have_title(re.compile("^Error: "))
    check_focus(page)
    check_axe(page)

    # the next card is one Tab sequence away; focus was never lost to the top of the page
    tab_to(page, lambda f: f["id"].startswith("DV06") or f["text"].startswith("History and chart"))
