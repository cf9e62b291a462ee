"""Server-side sessions: each signed-in browser is a row, so signing out (or an admin) really ends it.

The signed cookie carries a random token; the database keeps only its SHA-256.
A session is good while its row exists, its generation matches the user's,
and it is within both the idle and the absolute lifetime.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, select, update

from app import cache
from app.auth import rules
from app.auth.models import User, UserSession
from app.cache import DataVersion
from app.database import outside_transaction, utcnow
from app.extensions import db

_HASH = re.compile(r"[0-9a-f]{64}")
USER_AGENT_MAX = 300  # characters kept of the browser's description


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, ip: str, user_agent: str) -> str:
    """Record a new signed-in browser and return the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(id=token_hash(token), user_id=user.id, generation=user.session_generation,
                               created_at=now, last_seen_at=now, user_agent=(user_agent or "")[:USER_AGENT_MAX],
                               ip=ip or ""))
    return token


def user_with_session(user_id: int, token: str | None) -> tuple[User | None, UserSession | None]:
    """The user and this cookie's session row, read in one query (one round trip a request, not two).

    The row is None when there is none for this token and user; check() then looks it up as before.
    On PostgreSQL the read runs outside the request's transaction (database.outside_transaction), so a
    view that needs nothing more from the database opens none.
    """
    if not token:
        return db.session.get(User, user_id), None
    found = db.session.execute(_USER_WITH_SESSION, {"user_id": user_id, "session_id": token_hash(token)},
                               bind_arguments=outside_transaction(db.engine)).first()
    if found is None:
        return None, None
    # The data version rides along (a signed-in page almost always asks for it): one round trip less.
    cache.note_version(found[2])
    return found[0], found[1]


# Built once: it runs on every signed-in request.
_USER_WITH_SESSION = (
    select(User, UserSession, select(DataVersion.n).where(DataVersion.id == 1).scalar_subquery())
    .outerjoin(UserSession, and_(UserSession.id == bindparam("session_id"), UserSession.user_id == User.id))
    .where(User.id == bindparam("user_id"))
)


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(seconds=config["SESSION_IDLE_SECONDS"]),
            timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"]))


def check(user: User, token: str | None, row: UserSession | None = None) -> tuple[UserSession | None, str | None]:
    """The live session row for this cookie token, or (None, why): "idle", "absolute" or "ended".

    `row` is the token's row when the caller has read it already (user_with_session). A live session's
    last_seen is moved on (at most once a minute) and committed at once, because this runs at the start
    of every request, before the view's own transaction.
    """
    if not token:
        return None, "ended"
    if row is None or row.id != token_hash(token):
        row = db.session.get(UserSession, token_hash(token))
    if row is None or row.user_id != user.id or row.generation != user.session_generation:
        return None, "ended"
    now = utcnow()
    idle, absolute = _limits()
    reason = rules.session_end_reason(row.created_at, row.last_seen_at, now, idle, absolute)
    touch = (now - row.last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]
    if reason or touch:
        row_id = row.id
        # Close the reading transaction first: on SQLite a write after a read in one transaction fails at
        # once (no waiting) if another worker wrote in between; a write-first transaction waits its turn.
        db.session.commit()
        if reason:
            db.session.execute(delete(UserSession).where(UserSession.id == row_id))
        else:
            db.session.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))
        db.session.commit()
    return (None, reason) if reason else (row, None)


def end(token: str | None) -> int:
    """End the session this cookie token belongs to (sign-out); returns how many rows went (0 or 1)."""
    if not token:
        return 0
    return db.session.execute(delete(UserSession).where(UserSession.id == token_hash(token))).rowcount or 0


def end_one(user: User, session_id: str) -> bool:
    """End one of `user`'s sessions by its id; False when it is not theirs or already over."""
    if not _HASH.fullmatch(session_id):
        return False  # not an id we ever issued (PostgreSQL would also refuse a NUL in the comparison)
    result = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id))
    return bool(result.rowcount)


def end_others(user: User, keep_token: str | None) -> int:
    """End all of `user`'s sessions except this browser's; returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.id != token_hash(keep_token))
    return db.session.execute(query).rowcount or 0


def active_for(user: User) -> list[UserSession]:
    """The user's sessions still within their limits, newest activity first."""
    now = utcnow()
    idle, absolute = _limits()
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.generation == user.session_generation)
        .order_by(UserSession.last_seen_at.desc())
    )
    return [r for r in rows if rules.session_end_reason(r.created_at, r.last_seen_at, now, idle, absolute) is None]
