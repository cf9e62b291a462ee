"""Creating, listing, revoking and checking API tokens. Functions flush and never commit.

A token is shown to its user once, when made; only its SHA-256 hash is stored, so neither the
database nor a backup holds a working token. Each token expires (DEFAULT_DAYS unless the user
chooses, at most MAX_DAYS), and every creation and revocation is audited.
"""

import secrets
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.service import record
from app.auth.models import User
from app.database import utcnow
from app.extensions import db

PREFIX = "hvt_"  # recognisable in a leaked file or a secret scanner
DEFAULT_DAYS = 90
MAX_DAYS = 365
NAME_MAX = 100


def token_hash(token: str) -> str:
    return sha256(token.encode()).hexdigest()


def create(user: User, name: str, days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token for `user`, with the token itself (to show once); audited."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token),
                   created_at=utcnow(), expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    record(user, "create", "api_token", row.id, f"Created the API token \"{name}\", expiring "
           f"{row.expires_at:%-d %b %Y}", None, {"name": name, "expires_at": row.expires_at.isoformat()})
    return row, token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = utcnow()
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                               ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of `user`'s own tokens; None when it is not theirs or already revoked. Audited."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    db.session.flush()
    record(user, "revoke", "api_token", row.id, f"Revoked the API token \"{row.name}\"",
           {"revoked_at": None}, {"revoked_at": row.revoked_at.isoformat()})
    return row


def user_for(token: str, now: datetime | None = None) -> User | None:
    """The active user a token belongs to, or None for an unknown, revoked or expired token."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row.user if row.user.active else None
