"""Shared fixtures: a fresh database per test, factories, and signed-in clients per role.

The database comes from a template built once per run by running the real
Alembic migrations and the real seed, then copied for each test (a file copy
on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL). Set TEST_DATABASE_URL
to a PostgreSQL server URL to run the whole suite there.
"""

import html
import os
import re
import shutil
import uuid
from collections.abc import Callable

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from app.extensions import db

PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# Every app of a test run, and a second app on one test's database (another worker), shares one folder
# of change signals (app/changes.py); each test's database has its own file in it. Set by signal_dir.
_SIGNALS: dict[str, str] = {}
ON_POSTGRES = PG_URL.startswith("postgresql")


def _build(url: str) -> None:
    """Migrate and seed the database at `url`."""
    from flask_migrate import upgrade

    from app.actions.seed import load_plan

    app = create_app(_config(url))
    with app.app_context():
        upgrade(revision="heads")
        load_plan()
        from app.kpis.seed import load_indicators

        load_indicators()
        db.session.commit()
        db.engine.dispose()


def _config(url: str) -> dict:
    return {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url,
        "ENV_NAME": "test",
        "CHANGE_SIGNAL_DIR": _SIGNALS["dir"],
    }


@pytest.fixture(scope="session", autouse=True)
def signal_dir(tmp_path_factory):
    """The run's folder of change signals, kept with pytest's other temporary folders (autouse: first)."""
    _SIGNALS["dir"] = str(tmp_path_factory.mktemp("change-signals"))


def _admin_engine():
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    if ON_POSTGRES:
        name = f"vawg_template_{uuid.uuid4().hex[:8]}"
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _build(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        yield name
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        _build(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(template_database, tmp_path):
    """A fresh copy of the migrated, seeded database for this test alone."""
    if ON_POSTGRES:
        name = f"vawg_test_{uuid.uuid4().hex[:12]}"
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The tests keep an app context pushed (to use db.session between requests),
    and Flask then reuses it for each request, so `g` (where Flask-WTF caches
    the CSRF token) would otherwise leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        for key in list(vars(g)):
            delattr(g, key)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url):
    app = create_app(_config(database_url))
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories ------------------------------------------------------------------------------

@pytest.fixture
def make_agency(app) -> Callable:
    from app.auth import service

    def make(name: str | None = None, short_name: str | None = None):
        name = name or f"Agency {uuid.uuid4().hex[:6]}"
        agency = service.create_agency(None, name=name, short_name=short_name or name[:20])
        db.session.commit()
        return agency

    return make


@pytest.fixture
def agency_named(app) -> Callable:
    from app.auth import service

    def find(name: str):
        agency = service.find_agency(name)
        assert agency is not None, name
        return agency

    return find


@pytest.fixture
def make_user(app, agency_named) -> Callable:
    from app.auth import service

    def make(role: str = "lead", agency=None, email: str | None = None, name: str | None = None):
        agency = agency or agency_named("Community Safety Partnership")
        email = email or f"{role}.{uuid.uuid4().hex[:8]}@example.org"
        user = service.create_user(None, email=email, name=name or f"Test {role.title()}", role=role,
                                   agency=agency, password=PASSWORD)
        enrol_if_staff(user)
        db.session.commit()
        return user

    return make


def enrol_if_staff(user) -> None:
    """Give admins and coordinators an authenticator app, as they must have one to sign in."""
    from app.auth import second_factor

    if user.needs_second_factor:
        second_factor.enrol(None, user, second_factor.new_secret(), None)


def totp_code(user) -> str:
    """The next code the user's authenticator app would show that the app has not yet accepted.

    Codes are single-use, so a user signed in twice within one 30-second step gets the next step's
    code (accepted as clock drift); a third time in the same step waits for the step to turn.
    """
    import time

    import pyotp
    from sqlalchemy import select

    from app.auth.models import User

    # A fresh read: on SQLite the test's own transaction would otherwise keep the snapshot it began
    # with, from before the browser (another thread) enrolled a new app or used a code.
    db.session.rollback()
    secret, last = db.session.execute(
        select(User.totp_secret, User.totp_last_step).where(User.id == user.id)).one()
    step = int(time.time() // 30)
    wanted = max(step, (last if last is not None else -1) + 1)
    if wanted > step + 1:
        time.sleep(max(0.0, (wanted - 1) * 30 - time.time()) + 0.1)
    return pyotp.TOTP(secret).at(wanted * 30)


_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path: str = "/sign-in") -> str:
    """The CSRF token the app puts on every page's <body>, read as a browser would."""
    page = client.get(path)
    match = _TOKEN.search(html.unescape(page.get_data(as_text=True)))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def sign_in(client, user, password: str = PASSWORD):
    """Sign in through the real pages, entering the authenticator code when the account has one."""
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/sign-in/code"):
        token = csrf_token(client, "/sign-in/code")
        response = client.post("/sign-in/code", data={"code": totp_code(user), "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def login(app, make_user) -> Callable:
    """login("lead", agency=...) -> a test client signed in as a new user of that role."""

    def do(role: str = "lead", agency=None, user=None):
        user = user or make_user(role, agency)
        client = app.test_client()
        sign_in(client, user)
        client.user = user
        return client

    return do


@pytest.fixture
def police(agency_named):
    """The Metropolitan Police Service: it leads many actions and owns DV04."""
    return agency_named("Metropolitan Police Service")


@pytest.fixture
def police_lead(login, police):
    """A test client signed in as a lead of the police."""
    return login("lead", police)


def post_form(client, url: str, data: dict, token_from: str | None = None, **kwargs):
    """POST `data` with a CSRF token taken from the page at `token_from` (default: the same URL)."""
    token = csrf_token(client, token_from or "/dashboard")
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


class Mailbox:
    """Messages received by a real SMTP server on 127.0.0.1 (aiosmtpd)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import email
        from email.policy import default

        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def link(self, address: str) -> str:
        """The path of the one-time link in the latest message to `address`."""
        body = self.to(address)[-1].get_body(("plain",)).get_content()
        match = re.search(r"https?://[^/\s]+(/set-password/\S+)", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def mailbox(app):
    """Point the app's mail at a real SMTP server for this test; yields the messages it receives."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      PUBLIC_URL="https://vawg.havering.example")
    yield box
    controller.stop()
