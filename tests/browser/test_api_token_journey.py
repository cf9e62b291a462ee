"""An analyst makes an API token on their account page and reads /api/v1/indicators with it, as Power BI would."""

from playwright.sync_api import expect

from app.strategy.quarters import Quarter
from tests.browser.conftest import browser_login, check_axe
from tests.integration.report_helpers import load_demo_data, small_counts

Q = Quarter(2019, 2)


def test_an_analyst_creates_a_token_and_reads_the_indicators(browser, live_server, make_user):
    load_demo_data()
    small_counts()
    analyst = make_user("viewer", name="Ana Analyst")
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, live_server, analyst)

    page.goto(f"{live_server}/account")
    page.get_by_role("link", name="Create and revoke API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    check_axe(page)

    # the form's errors, GOV.UK style, before the token is made
    page.get_by_label("Days until it expires").fill("400")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the token")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a number of days from 1 to 365")
    check_axe(page)

    page.get_by_label("Name").fill("Power BI")
    page.get_by_label("Days until it expires").fill("30")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("hvt_")
    expect(page.get_by_role("cell", name="Power BI", exact=True)).to_be_visible()
    check_axe(page)

    # the page links to the API's docs, served by the app itself (no CDN script under the app's CSP)
    page.get_by_role("link", name="read API").click()
    expect(page.get_by_role("heading", name="GET /api/v1/indicators")).to_be_visible()
    check_axe(page)

    # Power BI sends no cookie: a fresh request context with only the header
    api = browser.new_context().request
    response = api.get(f"{live_server}/api/v1/indicators?quarter={Q.slug}&per_page=200",
                       headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    body = response.json()
    assert body["audience"] == "published" and body["quarter"] == Q.slug and body["items"]
    assert "set-cookie" not in response.headers

    # the page shows the token once only; revoking it stops it at once
    page.goto(f"{live_server}/account/api-tokens")
    expect(page.locator("#new-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke Power BI").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Revoked the token")
    refused = api.get(f"{live_server}/api/v1/indicators", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
