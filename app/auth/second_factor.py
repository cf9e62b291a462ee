"""The second factor: TOTP (RFC 6238, as authenticator apps do it) and single-use recovery codes."""

import hashlib
import hmac
import secrets

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select

from app.audit.service import record
from app.auth.models import RecoveryCode, User
from app.database import utcnow
from app.extensions import db

RECOVERY_CODES = 10  # how many codes a user holds at once
STEP = 30  # seconds: the TOTP time step every authenticator app uses
DRIFT_STEPS = 1  # accept the code one step either side, for a phone clock a little out


def new_secret() -> str:
    """A random 160-bit base32 secret (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no image file, so the CSP needs no data: images)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#0b0c0c", light="#ffffff",
                                                 title="QR code for your authenticator app")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _clean(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step whose code this is, if it is within the drift allowance and newer than `last_step`.

    None when it does not match or was already used: each code signs in once only.
    """
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else utcnow().timestamp()) // STEP)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            return step
    return None


def _code_hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits, 10 hex characters, shown as two groups of five
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    return codes


def enrol(actor, user: User, secret: str, code: str | None) -> list[str] | None:
    """Confirm a new authenticator app with its first code; returns fresh recovery codes, or None if the code
    is wrong. A code of None (tests and the command line only) skips the check."""
    step = None
    if code is not None:
        step = matching_step(secret, code, None)
        if step is None:
            return None
    replacing = user.has_second_factor
    user.totp_secret = secret
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    record(actor or user, "second-factor", User.AUDIT_ENTITY, user.id,
           f"{'Replaced' if replacing else 'Set up'} the authenticator app of {user.email}")
    return _new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    record(user, "recovery-codes", User.AUDIT_ENTITY, user.id, f"{user.email} made new recovery codes")
    return _new_recovery_codes(user)


def remove(actor, user: User) -> None:
    """Take away the second factor (device and codes lost, or a non-staff user turning it off)."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(actor, "second-factor-removed", User.AUDIT_ENTITY, user.id, f"Removed the second factor of {user.email}")


def verify(user: User, code: str) -> str | None:
    """How `code` proved the second factor ("app" or "recovery code"), or None; a used code never works again."""
    step = matching_step(user.totp_secret or "", code, user.totp_last_step) if user.totp_secret else None
    if step is not None:
        user.totp_last_step = step
        return "app"
    cleaned = _clean(code)
    if len(cleaned) != 10:
        return None
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(cleaned), RecoveryCode.used_at.is_(None)))
    if row is None:
        return None
    row.used_at = utcnow()
    return "recovery code"


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0
