"""Second-factor journeys in Chromium: set-up at first sign-in, signing in with a code, and a lost phone."""

import re

import pyotp
from playwright.sync_api import expect

from app.auth import service
from app.extensions import db
from tests.browser.conftest import browser_login, browser_logout, check_axe
from tests.conftest import PASSWORD


def _new_coordinator(agency_named_live):
    """A coordinator as the demo or an invitation makes one: a password, but no authenticator app yet."""
    user = service.create_user(None, email="new.coordinator@example.org", name="Nia Coordinator",
                               role="coordinator", agency=agency_named_live("Community Safety Partnership"),
                               password=PASSWORD)
    db.session.commit()
    return user


def _password_step(page, base_url, user):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_coordinator_sets_up_the_app_at_first_sign_in_then_signs_in_with_a_code(page, live_server,
                                                                               agency_named_live):
    user = _new_coordinator(agency_named_live)
    _password_step(page, live_server, user)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".app-qr svg")).to_be_visible()
    check_axe(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    page.get_by_label("Code from the app").fill("12345")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code the app shows now")

    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.locator(".app-recovery-code")).to_have_count(10)
    check_axe(page)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_text("Signed in as Nia Coordinator")).to_be_visible()

    browser_logout(page, live_server)
    _password_step(page, live_server, user)
    expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
    check_axe(page)
    page.get_by_label("Security code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct security code")
    from tests.conftest import totp_code

    page.get_by_label("Security code").fill(totp_code(user))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Signed in as Nia Coordinator")).to_be_visible()


def test_lost_phone_recovery_code_and_a_new_app(page, live_server, make_user):
    from sqlalchemy import select

    from app.auth import second_factor
    from app.auth.models import User

    user = make_user("coordinator", name="Lou Lostphone")
    codes = second_factor.new_recovery_codes(db.session.get(User, user.id))
    db.session.commit()

    _password_step(page, live_server, user)
    page.get_by_label("Security code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You signed in with a recovery code: you have 9 left")).to_be_visible()

    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    check_axe(page)
    page.get_by_role("link", name=re.compile("Set up the app again")).click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".app-recovery-code")).to_have_count(10)
    db.session.expire_all()
    db.session.rollback()
    assert db.session.scalar(select(User.totp_secret).where(User.id == user.id)) == secret


def test_sessions_page_ends_another_browser(page, live_server, make_user, browser):
    user = make_user("lead", name="Sam Sessions")
    other = browser.new_context()
    other_page = other.new_page()
    browser_login(other_page, live_server, user)
    browser_login(page, live_server, user)
    page.goto(f"{live_server}/account/sessions")
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
    expect(page.get_by_text("2 active sessions")).to_be_visible()
    check_axe(page)
    page.get_by_role("button", name="End all other sessions").click()
    expect(page.get_by_text("Ended 1 other session.")).to_be_visible()
    other_page.goto(f"{live_server}/dashboard")
    assert "/sign-in" in other_page.url
    other.close()


def test_admin_unlocks_a_locked_account_and_ends_its_sessions(page, live_server, make_user, browser):
    from datetime import timedelta

    from app.auth.models import User
    from app.database import utcnow

    lead = make_user("lead", name="Lee Locked")
    other = browser.new_context()
    browser_login(other.new_page(), live_server, lead)
    db.session.rollback()  # a fresh snapshot, so this write does not meet the browser's newer one
    stored = db.session.get(User, lead.id)
    stored.locked_until = utcnow() + timedelta(minutes=15)
    db.session.commit()
    admin = make_user("admin", name="Ada Admin")
    browser_login(page, live_server, admin)
    page.goto(f"{live_server}/admin/users/{lead.id}")
    expect(page.get_by_text("Locked", exact=True)).to_be_visible()
    expect(page.get_by_text("1 active session")).to_be_visible()
    check_axe(page)
    page.get_by_role("button", name="Unlock account").click()
    expect(page.get_by_text("Unlocked")).to_be_visible()
    page.get_by_role("button", name="End all their sessions").click()
    expect(page.get_by_text("Ended 1 session of")).to_be_visible()
    other.close()
