"""Reflow (WCAG 1.4.10) and target size (2.5.8) on every page, as a coordinator, a lead and an admin.

Every GET page of `app.url_map` is opened, with sample arguments, at two sizes:
- 320 CSS px wide (a small phone);
- a 1280 px window at 400% zoom. Browser zoom divides the CSS viewport by the zoom factor, so this is
  emulated as a 320 x 256 CSS px viewport with deviceScaleFactor 4 (the same 1280 x 1024 device pixels).
The page itself must never scroll sideways. Only a table inside its own scroll region may, and that region
must be focusable (tabindex=0) and named (aria-label or aria-labelledby), so a keyboard user can scroll it
and a screen reader user knows what it holds.
"""

import pytest
from sqlalchemy import select

from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.demo import load_demo
from app.extensions import db
from app.kpis.demo import load_demo_values
from app.kpis.models import Indicator
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login

Q = Quarter(2018, 4)
SIZES = {
    "320px": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "1280px at 400%": {"viewport": {"width": 320, "height": 256}, "device_scale_factor": 4},
}
# Not pages: downloads, images, JSON, the health check and static files.
# Not pages: images, JSON and downloads; a password link needs a real one-time token (its form is
# crawled through the sign-in pages' own layout).
SKIP = {"static", "main.health", "kpis.chart", "reports.chart", "reports.indicators_json", "reports.pack",
        "audit.download", "auth.set_password", "returns_io.download_workbook",
        # CSV downloads and the read API's JSON (its docs page is a page, and is crawled)
        "actions.dashboard_csv", "cycle.returns_csv", "reports.indicators_csv", "public.actions_csv",
        "public.indicators_csv", "api.actions", "api.indicators", "api.quarters", "api.strategy", "api_docs.openapi"}

# Returns what makes a page wider than the viewport, and any scroll container that is not a named,
# focusable region. Visually hidden text counts: it is what escaped .app-table-wrap before (issue 15).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const isRegion = (el) => el.getAttribute("role") === "region" && el.getAttribute("tabindex") === "0"
    && ((el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby"));
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const wide = [];
  const badScrollers = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if ((style.overflowX === "auto" || style.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1
        && !isRegion(el)) {
      badScrollers.push(name(el));
    }
    const box = el.getBoundingClientRect();
    if (!el.closest(".app-table-wrap") && wide.length < 5) {
      if (box.right > width + 1) {
        wide.push(name(el) + " right=" + Math.round(box.right));
      } else if (style.overflowX === "visible" && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
        wide.push(name(el) + " content " + el.scrollWidth + "px in " + el.clientWidth + "px");
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide, badScrollers};
}
"""

# Interactive targets smaller than 24 x 24 CSS px (WCAG 2.2 2.5.8), excluding links inside a sentence,
# which the criterion exempts, and the hidden skip link.
TARGETS_JS = """
() => {
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.classList.contains("govuk-skip-link")) continue;
    if (el.matches(".govuk-radios__input, .govuk-checkboxes__input")) continue;  // the label is the target
    const inText = el.tagName === "A" && el.closest("p, li, dd, figcaption, .govuk-hint")
      && !el.closest(".govuk-summary-card__action, .govuk-service-navigation__item, .govuk-footer__inline-list-item");
    if (inText) continue;
    if (box.width < 24 || box.height < 24) {
      small.push((el.textContent || el.name || el.id).trim().slice(0, 40) + " " + Math.round(box.width) + "x"
        + Math.round(box.height));
    }
  }
  return small;
}
"""


def _sample_urls(app, ctx: dict) -> list[str]:
    """Every GET page with sample arguments, in url_map order."""
    values = {
        "action_id": ctx["action"].id, "agency_id": ctx["agency"].id, "quarter_slug": Q.slug,
        "code": ctx["indicator"].code, "fy": "2018-19", "user_id": ctx["user_id"], "kind": "update",
        "item_id": ctx["update"].id, "purpose": "reset", "token": "not-a-real-token",
    }
    overrides = {
        # the latest plan year's rows are the editable ones; a refresh runs from the next year
        "refresh.edit": {"action_id": ctx["latest_action"].id},
        "refresh.retire": {"action_id": ctx["latest_action"].id},
        "refresh.run": {"fy": "2019-20"},
    }
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIP or "GET" not in rule.methods:
                continue
            args = {name: overrides.get(rule.endpoint, {}).get(name, values[name]) for name in rule.arguments}
            urls.append(url_for(rule.endpoint, **args))
    return sorted(set(urls))


@pytest.fixture
def crawl_data(live_app, agency_named_live):
    """Demo users, a year of demo updates and values: realistic, long content on every page."""
    load_demo()
    load_demo_values()
    calendar.set_current_quarter(None, Q)
    db.session.commit()
    police = agency_named_live("Metropolitan Police Service")
    update = db.session.scalar(select(Update).where(Update.state == "submitted", Update.year == Q.year,
                                                    Update.quarter == Q.number).limit(1))
    action = db.session.scalar(select(Action).where(Action.code == "A2", Action.plan_year == 2018))
    latest = db.session.scalar(select(Action).order_by(Action.plan_year.desc(), Action.id).limit(1))
    assert update is not None and update.status != Status.NO_UPDATE
    return {"action": action, "agency": police, "indicator": db.session.scalar(select(Indicator).limit(1)),
            "update": update, "latest_action": latest}


@pytest.mark.parametrize("role", ["coordinator", "lead", "admin"])
def test_no_page_scrolls_sideways_at_320px_or_400_percent_zoom(browser, live_server, live_app, make_user,
                                                              agency_named_live, crawl_data, role):
    user = make_user(role, agency_named_live("Metropolitan Police Service") if role == "lead" else None)
    ctx = {**crawl_data, "user_id": user.id}
    urls = _sample_urls(live_app, ctx)

    signed_in = browser.new_context(**SIZES["320px"])
    page = signed_in.new_page()
    browser_login(page, live_server, user)
    state = signed_in.storage_state()
    signed_in.close()

    failures, small_targets, visited = [], set(), set()
    for size, options in SIZES.items():
        context = browser.new_context(storage_state=state, **options)
        page = context.new_page()
        for url in urls:
            response = page.goto(live_server + url)
            if response.status in (403, 404):
                continue  # this role cannot open it; another role's crawl does
            assert response.status == 200, f"{url}: {response.status}"
            visited.add(url)
            found = page.evaluate(OVERFLOW_JS)
            if found["scrollWidth"] > found["width"] or found["badScrollers"]:
                failures.append(f"{size} {url}: page {found['scrollWidth']}px wide in {found['width']}px; "
                                f"wider: {found['wide']}; unlabelled scrollers: {found['badScrollers']}")
            if size == "320px":
                small_targets.update(f"{url}: {t}" for t in page.evaluate(TARGETS_JS))
        context.close()
    own_page = {"coordinator": "/cycle/", "lead": "/my-actions", "admin": "/admin/users"}[role]
    assert {own_page, "/dashboard", "/accessibility"} <= visited
    assert failures == [], "\n".join(failures)
    assert not small_targets, "targets under 24 x 24 px:\n" + "\n".join(sorted(small_targets))
