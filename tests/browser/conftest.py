"""Browser fixtures: the real app served on 127.0.0.1 over its own fresh database, driven by Chromium.

Playwright cannot download its own browser here, so Debian's Chromium is used
($CHROMIUM_PATH, default /usr/bin/chromium), with the networking switches that
stop it reaching for the internet.
"""

import os
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import PASSWORD, _config, enrol_if_staff, totp_code

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }


@pytest.fixture
def live_app(database_url):
    app = create_app(_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    """The base URL of the app, served by a real WSGI server in a background thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def make_user(live_app, agency_named_live):
    from app.auth import service

    def make(role: str = "lead", agency=None, email: str | None = None, name: str | None = None):
        import uuid

        agency = agency or agency_named_live("Community Safety Partnership")
        user = service.create_user(None, email=email or f"{role}.{uuid.uuid4().hex[:8]}@example.org",
                                   name=name or f"Test {role.title()}", role=role, agency=agency,
                                   password=PASSWORD)
        enrol_if_staff(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def agency_named_live(live_app):
    from app.auth import service

    def find(name: str):
        agency = service.find_agency(name)
        assert agency is not None, name
        return agency

    return find


def browser_login(page, base_url: str, user, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in page."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.endswith("/sign-in/code"):
        page.get_by_label("Security code").fill(totp_code(user))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()[:2000]


def browser_logout(page, base_url: str) -> None:
    page.goto(f"{base_url}/sign-out")
    page.get_by_role("button", name="Sign out").click()


def check_axe(page) -> None:
    """Fail with axe-core's report if the current page has any accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    # After a click that navigates, Playwright returns once the new page is committed, not loaded: axe
    # once ran on a document whose body was not yet parsed and reported no <main> and no <h1>.
    page.wait_for_load_state()
    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
