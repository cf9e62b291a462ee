"""The declarative base, its constraint naming convention and shared column types, a page of a query
with its total, and how the app's connections behave: SQLite's transactions, PostgreSQL's reads
outside a transaction and its check of a pooled connection before use."""

import select as io_select  # poll(): the standard library's, not SQLAlchemy's select()
import time
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, MetaData, Row, Select, event, exc, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

# Named constraints keep Alembic migrations stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no time zones, so values are normalised to UTC on the way in
    and tagged as UTC on the way out; PostgreSQL stores timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def page_with_total(session: Session, query: Select, page: int, per_page: int | None) -> tuple[list[Row], int]:
    """Rows `page` of `query` (per_page None: all of them), and how many rows it has in all.

    One statement: the count rides along on every row as a window over the whole selection, where a
    count of its own read the whole selection a second time (issue 11). A page past the end has no row
    to carry it, so only then is it counted on its own.
    """
    limited = query.add_columns(func.count().over().label("in_all")).limit(per_page)
    rows = session.execute(limited.offset((page - 1) * (per_page or 0))).all()
    if rows:
        return rows, rows[0].in_all
    if page == 1:
        return rows, 0
    return rows, session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


# --- SQLite transactions ---------------------------------------------------------------------------
# pysqlite, left to itself, emits no BEGIN before a SELECT or a SAVEPOINT, so a request whose first
# write sits inside `begin_nested()` committed that write on its own when the savepoint was released,
# and a later failure (the audit event) could not undo it. SQLAlchemy's documented pysqlite recipe
# ("Serializable isolation / Savepoints / Transactional DDL"): take transaction control away from
# the driver and emit BEGIN ourselves, so every SQLAlchemy transaction is a real SQLite transaction.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if not _is_sqlite(dbapi_connection):
        return
    # Foreign keys are off by default; WAL lets readers carry on while one request writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Milliseconds a request waits for the write lock: write requests hold it whole (below), so a
    # busy moment on a slow machine must not turn into "database is locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    dbapi_connection.isolation_level = None  # the driver stops managing transactions: we BEGIN


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # On the driver's connection, below SQLAlchemy's cursor events: starting a transaction is not a
    # query, and the tests that count a page's queries must not count it.
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _write_request() else "BEGIN")


def _write_request() -> bool:
    """True inside a request that may write (POST and the like).

    Such a request takes SQLite's write lock when its transaction starts, so two writers are
    serialised whole: a save cannot read "not locked" while a lock of the quarter is committing
    (PostgreSQL gets the same from the period's row lock, see app.strategy.service.ensure_unlocked).
    """
    return has_request_context() and request.method not in SAFE_METHODS


def autocommit_engine(engine: Engine) -> Engine | None:
    """The engine for a read that may run on its own, outside the request's transaction; None on SQLite.

    On PostgreSQL a transaction costs two round trips of its own, BEGIN before the first statement and
    ROLLBACK at the end; for the one query a signed-in view may make (its user, session and the data
    version) that was half its talk with the database (issue 11). Under PostgreSQL's READ COMMITTED each
    statement reads its own snapshot anyway, so one read alone is the same inside a transaction or out.
    Its connections come from the same pool in autocommit mode (psycopg sends no BEGIN, and a ROLLBACK
    with no transaction open sends nothing). SQLite's BEGIN costs no round trip (the database is
    in-process), so there the read stays in the request's transaction.
    """
    if engine.dialect.name != "postgresql":
        return None
    # Built once per app and engine: execution_options() makes a new engine object each call (0.1 ms).
    # Kept on the app, not in a module-level map, so a test's app takes its engine with it when it goes.
    kept = current_app.extensions.get("autocommit_engine")
    if kept is None or kept[0] is not engine:
        kept = current_app.extensions["autocommit_engine"] = (engine, engine.execution_options(
            isolation_level="AUTOCOMMIT"))
    return kept[1]


# --- PostgreSQL: a pooled connection is pinged only when it may have died ---------------------------
# SQLAlchemy's pool_pre_ping sends a statement before every checkout: a round trip on every request,
# which was half of what a kept dashboard view said to PostgreSQL (issue 11). A connection that was in
# use a moment ago and whose socket has nothing to say is alive: a server that restarts, fails over or
# ends an idle session (idle_session_timeout, a pooler) closes its end, and that makes the socket
# readable. So the ping is kept for the two cases where it can find something: a readable socket, or
# a connection that sat unused long enough for a firewall to have forgotten it.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "idle_since"  # in each pool record's info: time.monotonic() when last returned


def ping_when_in_doubt(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection at checkout when it may have died (see above).

    A failed ping raises InvalidatePoolError, as pool_pre_ping does: the pool drops this connection and
    every older one (a dead connection means the server went away) and hands out a fresh one, so the
    request never sees the dead one. SQLite has no server and no ping.
    """
    if engine.dialect.name == "sqlite":
        return

    def stamp(_dbapi_connection, record, *_):
        record.info[_IDLE_SINCE] = time.monotonic()

    def check(dbapi_connection, record, _proxy):
        idle_for = time.monotonic() - record.info.get(_IDLE_SINCE, float("-inf"))
        if idle_for < PING_AFTER_IDLE_SECONDS and not _has_something_to_say(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # whatever the driver raises for a dead connection
            raise exc.InvalidatePoolError(f"ping failed: {error}") from error
        if not alive:
            raise exc.InvalidatePoolError("ping failed")

    event.listen(engine, "connect", stamp)  # a new connection has just proved itself
    event.listen(engine, "checkin", stamp)
    event.listen(engine, "checkout", check)


def _has_something_to_say(dbapi_connection) -> bool:
    """True when an idle connection's socket is readable (the server closed it or sent a goodbye) or
    the driver already knows it is broken. An idle PostgreSQL connection otherwise receives nothing."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    poller = io_select.poll()
    poller.register(dbapi_connection.fileno(), io_select.POLLIN)
    return bool(poller.poll(0))
