"""A pooled PostgreSQL connection is pinged only when it may have died (app/database.py,
ping_when_in_doubt), not before every request: the ping was a round trip on every page (issue 11)."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import changes, database
from app.extensions import db
from tests.conftest import ON_POSTGRES

URL = "/dashboard?quarter=2019-20-Q1"
only_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has no server, no connection to lose, no ping")


@pytest.fixture
def pings(app, monkeypatch) -> list:
    """Every ping the app's engine sends, however it is asked for (pool_pre_ping or our own check)."""
    sent = []
    dialect = db.engine.dialect
    real_ping = dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def _view(client):
    # Each view as a worker that remembers no answer (app/changes.py), so that it asks the database and
    # takes a pooled connection: what these tests are about.
    changes.forget()
    response = client.get(URL)
    assert response.status_code == 200
    # The tests keep one app context (and so one database session) for their whole run; a request in
    # production ends by handing its connections back to the pool, and takes them out again next time.
    db.session.remove()
    return response.get_data(as_text=True)


def test_pages_viewed_one_after_another_send_no_ping(login, police, pings):
    lead = login("lead", police)
    for _ in range(3):
        _view(lead)
    assert pings == []


@only_postgres
def test_a_connection_left_unused_for_a_while_is_pinged_before_use(login, police, pings, monkeypatch):
    lead = login("lead", police)
    _view(lead)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", -1.0)  # every pooled connection is "old"
    _view(lead)
    assert pings


@only_postgres
def test_a_connection_the_server_ended_is_replaced_before_a_page_uses_it(login, police, pings):
    # What a database restart, a failover or a pooler's idle timeout does to the pool: every connection
    # it holds is ended by the server. The next page must not be the one to find out (a 500).
    lead = login("lead", police)
    name = lead.user.name
    _view(lead)
    # From outside the app's pool: a connection of its own would be the one the page just handed back.
    outside = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with outside.connect() as admin:
        others = admin.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).all()
        assert others  # the pool holds the page's connections
        for pid in others:  # each waited for (5 s at most) until its server process has gone
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    outside.dispose()
    assert f"Signed in as {name}" in _view(lead)
    assert pings  # found out by the ping, not by the page's own query
