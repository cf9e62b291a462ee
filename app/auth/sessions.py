"""Server-side sessions: each signed-in browser is a row, so signing out (or an admin) really ends it.

The signed cookie carries a random token; the database keeps only its SHA-256.
A session is good while its row exists, its generation matches the user's,
and it is within both the idle and the absolute lifetime.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Row, and_, bindparam, delete, select, update

from app import cache, changes
from app.auth import rules
from app.auth.models import AccountRoles, Agency, User, UserSession
from app.cache import DataVersion
from app.database import autocommit_engine, utcnow
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


@dataclass(frozen=True, eq=False)  # eq: UserMixin's, by id, so it equals the same person's User row
class SignedInUser(AccountRoles, UserMixin):
    """Who a request is signed in as (Flask-Login's current_user): plain values, not the ORM row.

    The session check reads them in one plain query; building the ORM User (and its agency and session
    rows) on every request was half of what a kept dashboard view cost on PostgreSQL (issue 11). Reads of
    the account's identity, role and agency work as on a User, so services that take "the user" take
    either. A write to the account itself (its password, its second factor) goes to `record`, the row;
    the values here are frozen, so setting one fails loudly rather than being lost.
    """

    id: int
    email: str
    name: str
    role: str
    agency_id: int
    agency_name: str
    agency_short_name: str
    active: bool
    demo: bool
    session_generation: int
    totp_confirmed_at: datetime | None

    @classmethod
    def of(cls, user: User) -> "SignedInUser":
        """The signed-in form of a User row (at sign-in, before any session check has read it)."""
        return cls(**{name: getattr(user, name) for name in _USER_VALUES}, agency_name=user.agency.name,
                   agency_short_name=user.agency.short_name)

    @property
    def record(self) -> User:
        """The account's row, read on first use in the request (the session's identity map keeps it)."""
        return db.session.get(User, self.id)

    @property
    def agency(self) -> Agency:
        """The agency's row, for a service that works on it; pages that only name it use agency_name."""
        return db.session.get(Agency, self.agency_id)


# The User columns a SignedInUser carries, then its agency's two names.
_USER_VALUES = ("id", "email", "name", "role", "agency_id", "active", "demo", "session_generation",
                "totp_confirmed_at")
_SIGNED_IN_VALUES = (*_USER_VALUES, "agency_name", "agency_short_name")

# Built once: it runs on every signed-in request. The session row is joined only if it is this token's
# and this user's; the data version rides along (a signed-in page almost always asks for it).
_CHECK = (
    select(*(getattr(User, name) for name in _USER_VALUES),
           Agency.name.label("agency_name"), Agency.short_name.label("agency_short_name"),
           UserSession.generation.label("session_row_generation"), UserSession.created_at,
           UserSession.last_seen_at,
           select(DataVersion.n).where(DataVersion.id == 1).scalar_subquery().label("data_version"))
    .join(Agency, Agency.id == User.agency_id)
    .outerjoin(UserSession, and_(UserSession.id == bindparam("session_id"), UserSession.user_id == User.id))
    .where(User.id == bindparam("user_id"))
)


def _read_check(params: dict) -> Row | None:
    engine = autocommit_engine(db.engine)
    if engine is None:  # SQLite: in the request's transaction, whose BEGIN costs no round trip
        return db.session.connection().execute(_CHECK, params).first()
    with engine.connect() as connection:  # back to the pool at once: the view's queries take it again
        return connection.execute(_CHECK, params).first()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(seconds=config["SESSION_IDLE_SECONDS"]),
            timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"]))


def check(user_id: int, token: str | None) -> tuple[SignedInUser | None, str | None]:
    """Who this cookie's session signs in, or (None, why): "idle", "absolute" or "ended".

    At most one plain query a request (user, agency, this token's session row and the data version); on
    PostgreSQL it runs outside the request's transaction (database.autocommit_engine), so a view that
    needs nothing more from the database opens none. A session is good while its row exists, its
    generation matches the user's, the user is active, and it is within both lifetimes. A live session's
    last_seen is moved on (at most once a minute) and committed at once, because this runs at the start
    of every request, before the view's own transaction.

    A good answer is remembered until anything is written (app/changes.py): the next request of the same
    browser to this worker asks nothing of the database while it is within both lifetimes and its
    last_seen is not yet due. A sign-out, a change to the account and every save are writes, so each is
    heard by every worker on the next request.
    """
    if not token:
        return None, "ended"
    row_id = token_hash(token)
    key = ("signed_in", user_id, row_id)
    now = utcnow()
    seen = changes.seen(db.engine.url)  # before the read: a write committed after this moment changes it
    if not cache.has_written():  # a transaction's own writes are in no remembered answer
        kept = changes.recall(key, seen)
        if kept is not None and _due(kept[0], now) == (None, False):
            cache.note_version(kept[0].data_version)
            return kept[1], None
    found = _read_check({"user_id": user_id, "session_id": row_id})
    if found is None:
        return None, "ended"
    cache.note_version(found.data_version)
    if found.session_row_generation != found.session_generation or not found.active:
        return None, "ended"  # no row for this token and user (None), or one from before a sign-out everywhere
    reason, touch = _due(found, now)
    if reason or touch:
        # Close the reading transaction first: on SQLite a write after a read in one transaction fails at
        # once (no waiting) if another worker wrote in between; a write-first transaction waits its turn.
        db.session.commit()
        if reason:
            db.session.execute(delete(UserSession).where(UserSession.id == row_id))
        else:
            # Quiet: no remembered answer goes stale because last_seen moved on (a worker that remembers
            # an older one only asks again sooner), so the other workers need not hear of it.
            db.session.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now)
                               .execution_options(**{cache.QUIET: True}))
        db.session.commit()
    if reason:
        return None, reason
    user = SignedInUser(**{name: getattr(found, name) for name in _SIGNED_IN_VALUES})
    if not touch:  # a touched row's last_seen is no longer the one read: the next request reads it again
        changes.remember(key, seen, (found, user))
    return user, None


def _due(found: Row, now: datetime) -> tuple[str | None, bool]:
    """What this session's row calls for now: the reason it has ended (idle, absolute) or None, and
    whether its last_seen is due to be moved on."""
    idle, absolute = _limits()
    touch_after = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    return (rules.session_end_reason(found.created_at, found.last_seen_at, now, idle, absolute),
            now - found.last_seen_at >= touch_after)


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
