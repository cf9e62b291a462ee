"""Cache what only changes when the partnership's data changes, across every gunicorn worker.

One number, the data version (`data_version`, a single row), goes up in the same transaction as every
write to the partnership's data. Cached content is stored under (data version, key), so a save is
visible on the very next request, from any worker: the request reads the new version, finds nothing
kept for it and builds afresh. Nothing is ever invalidated by hand, so nothing can be forgotten.

Why a session event rather than a bump in each service: the services flush many kinds of rows from many
modules (and others are adding more), and a forgotten bump would serve stale figures silently. The
event sees every ORM flush and every `session.execute(insert/update/delete)`, and bumps once, just
before the commit: `UPDATE data_version SET n = n + 1` is atomic on SQLite and PostgreSQL, and as the
transaction's last statement it holds PostgreSQL's row lock only for the moment of the commit.

Rows that no cached page shows (sign-in sessions and attempts, the audit trail, reminders, the cache
itself) do not bump it, so a session's "last seen" touch does not empty the cache on every request.

Where content is kept: the database (`cache_entry`, one row per key, replaced when the version moves
on), so it works across workers and machines with no new server, and a test database carries its own.
Each worker also remembers a few recent entries in memory, under the same (version, key).

What is cached must be keyed by everything that changes it (quarter, audience, filters, page), and
never hold anything of one user (names, CSRF tokens, CSP nonces): callers cache fragments, not pages.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import Integer, LargeBinary, String, delete, event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import changes
from app.database import UTCDateTime, utcnow
from app.extensions import db

# Tables whose rows no cached content shows: writing them leaves the data version alone.
NOT_CONTENT = frozenset({
    "data_version", "cache_entry", "user_session", "auth_attempt", "recovery_code", "audit_event",
    "reminder_sent", "alembic_version",
})
MEMORY_ENTRIES = 256  # per worker: the dashboard's pages and the report's charts for a few quarters
_CHANGED, _WROTE, _PENDING = "data_changed", "data_wrote", "data_cache_pending"
_SIGNAL = "data_signal"  # a write other workers must hear of (app/changes.py): all but the quiet ones
QUIET = "quiet"  # execution option of a write no remembered answer depends on (a session's "last seen")


class DataVersion(db.Model):
    """The single row counting writes to the partnership's data (see the module's docstring)."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CacheEntry(db.Model):
    """One cached piece of content: the latest version it was built for, by its key's hash."""

    __tablename__ = "cache_entry"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at = mapped_column(UTCDateTime)


# --- bumping: every write to the partnership's data ------------------------------------------------


def _table_names(objects) -> set[str]:
    names = set()
    for obj in objects:
        table = getattr(type(obj), "__table__", None)
        names.add(table.name if table is not None else "")
    return names


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context, _instances) -> None:
    names = _table_names(session.new) | _table_names(session.dirty) | _table_names(session.deleted)
    if names:
        session.info[_WROTE] = session.info[_SIGNAL] = True
    if names - NOT_CONTENT:
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_execute(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    state.session.info[_WROTE] = True
    if not state.execution_options.get(QUIET):
        state.session.info[_SIGNAL] = True
    if getattr(table, "name", None) not in NOT_CONTENT:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    pending = _table_names(session.new) | _table_names(session.dirty) | _table_names(session.deleted)
    if session.info.get(_CHANGED) or (pending - NOT_CONTENT):
        session.execute(update(DataVersion).where(DataVersion.id == 1).values(n=DataVersion.n + 1))
        session.info.pop(_CHANGED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed, rolled back or closed
        session.info.pop(_CHANGED, None)
        session.info.pop(_WROTE, None)
        # Once the outermost transaction is over, never before (a savepoint's end is not a commit): a
        # worker that sees the new signal must find the new data. A rolled-back write signals too, in
        # vain but harmlessly: the workers only ask the database again.
        if session.info.pop(_SIGNAL, None) and has_app_context():
            changes.signal(session.get_bind().url)
        if has_request_context():
            g.pop("data_version", None)  # a commit may have moved it on: read it again
        for engine, hashed, current, value in session.info.pop(_PENDING, []):
            _keep(engine, hashed, current, value)


# --- reading and keeping ---------------------------------------------------------------------------


def version() -> int | None:
    """The data version this request reads (once per request); None when the table has no row."""
    if has_request_context() and "data_version" in g:
        return g.data_version
    found = db.session.scalar(select(DataVersion.n).where(DataVersion.id == 1))
    if has_request_context():
        g.data_version = found
    return found


def has_written() -> bool:
    """Whether this request's transaction holds writes not yet committed (then nothing kept applies)."""
    return bool(db.session.info.get(_WROTE))


def note_version(found: int | None) -> None:
    """Take the data version read by another query of this request's transaction (see version())."""
    if has_request_context():
        g.data_version = found


def bump() -> None:
    """Move the data version on now, in the session's transaction (writes outside the ORM's sight)."""
    db.session.execute(update(DataVersion).where(DataVersion.id == 1).values(n=DataVersion.n + 1))


def key_hash(key: tuple) -> str:
    return hashlib.sha256(json.dumps(key, default=str, separators=(",", ":")).encode()).hexdigest()


_memory_lock = threading.Lock()
_stores = 0


def _memory() -> OrderedDict[tuple[int, str], bytes]:
    """This app's recent entries. Per app, not per process: two apps on two databases (the tests, the
    bench) can both be at version 7 with different data."""
    return current_app.extensions.setdefault("data_version_cache", OrderedDict())


def clear_memory() -> None:
    """Forget this worker's recent entries (as a freshly started worker has none)."""
    with _memory_lock:
        _memory().clear()
        current_app.extensions.pop("data_version_remembered", None)
    changes.forget()


def _remember_in_memory(entry: tuple[int, str], value: bytes) -> None:
    with _memory_lock:
        memory = _memory()
        memory[entry] = value
        memory.move_to_end(entry)
        while len(memory) > MEMORY_ENTRIES:
            memory.popitem(last=False)


def get_or_build_bytes(key: tuple, build: Callable[[], bytes]) -> tuple[bytes, int | None]:
    """The content kept for `key` at this data version, else build() kept; with the version (None: not cached).

    A request that has already written in its transaction builds without keeping: its own writes are
    not committed, so what it sees is not yet the data at any version.
    """
    current = version()
    if current is None or has_written():
        return build(), None
    hashed = key_hash(key)
    entry = (current, hashed)
    with _memory_lock:
        memory = _memory()
        if entry in memory:
            memory.move_to_end(entry)
            return memory[entry], current
    kept = db.session.scalar(select(CacheEntry.value).where(CacheEntry.key == hashed,
                                                            CacheEntry.version == current))
    if kept is not None:
        _remember_in_memory(entry, kept)
        return kept, current
    value = build()
    # Kept once this request's transaction has ended (its session is closed): on SQLite a write on
    # another connection while this one reads could stop this transaction from writing afterwards.
    db.session.info.setdefault(_PENDING, []).append((db.engine, hashed, current, value))
    _remember_in_memory(entry, value)
    return value, current


def get_or_build(key: tuple, build: Callable[[], Any]) -> Any:
    """get_or_build_bytes for JSON-able content (strings, numbers, lists, dicts)."""
    value, _ = get_or_build_bytes(key, lambda: json.dumps(build()).encode())
    return json.loads(value)


def remembered(key: tuple, build: Callable[[], Any]) -> Any:
    """build(), kept in this worker's memory for the current data version only (never in cache_entry).

    For small values every request needs (the current quarter): they cost a query each time, and a
    row of cache_entry each would cost as much to read. The value must be immutable, as it is shared.
    """
    current = version()
    if current is None or has_written():
        return build()
    with _memory_lock:
        kept = current_app.extensions.get("data_version_remembered")
        if kept is None or kept[0] != current:
            kept = (current, {})  # a new version: what was remembered for the old one is dropped
            current_app.extensions["data_version_remembered"] = kept
        if key in kept[1]:
            return kept[1][key]
    value = build()
    with _memory_lock:
        kept[1][key] = value
    return value


def _keep(engine, hashed: str, current: int, value: bytes) -> None:
    """Store on a connection of its own, committed at once: a GET request's session never commits.

    A failure to keep (a busy database) only means the next request builds again.
    """
    global _stores
    _stores += 1
    try:
        with engine.begin() as conn:
            table = CacheEntry.__table__
            conn.execute(delete(table).where(table.c.key == hashed))
            conn.execute(table.insert().values(key=hashed, version=current, value=value, stored_at=utcnow()))
            if _stores % 100 == 0:  # now and then, drop what older versions left behind
                conn.execute(delete(table).where(table.c.version < current))
    except SQLAlchemyError:
        pass  # kept next time
