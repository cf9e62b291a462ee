"""Accounts and agencies: every query and write of the auth feature."""

import hashlib
import hmac
import secrets
import smtplib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from app.audit.service import changed_fields, record
from app.auth import rules
from app.auth.models import Agency, AuthAttempt, Role, User, UserSession
from app.auth.password_policy import password_problem
from app.auth.passwords import dummy_verify, hash_password, verify_password
from app.database import utcnow
from app.errors import DuplicateError
from app.extensions import db
from app.mail import send_mail
from app.versioning import bump


def normalise_email(email: str) -> str:
    return email.strip().lower()


class _Anonymous:
    """The actor of an audit event about an address that matches no account."""

    id = None

    def __init__(self, ip: str):
        self.email = f"unknown account ({ip})"


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def record_attempt(ip: str, kind: str, success: bool) -> None:
    """Count one attempt from `ip`; rows older than a day are pruned as we go."""
    db.session.add(AuthAttempt(ip=ip, kind=kind, success=success))
    db.session.execute(delete(AuthAttempt).where(AuthAttempt.at < utcnow() - timedelta(days=1)))


def address_throttled(ip: str, kind: str) -> bool:
    """True when `ip` has used up its allowance of failed attempts (or reset requests) in the current window."""
    config = current_app.config
    limit = config["RESET_IP_LIMIT"] if kind == "reset" else config["SIGN_IN_IP_LIMIT"]
    kinds = ("reset",) if kind == "reset" else ("sign-in", "code")
    since = utcnow() - timedelta(seconds=config["IP_WINDOW_SECONDS"])
    count = db.session.scalar(
        select(func.count()).select_from(AuthAttempt)
        .where(AuthAttempt.ip == ip, AuthAttempt.kind.in_(kinds), AuthAttempt.success.is_(False),
               AuthAttempt.at >= since)
    )
    return count >= limit


def record_failure(user: User, ip: str, kind: str, why: str) -> None:
    """One more failed sign-in for `user`: audited, counted, and the account locked at the limit."""
    now = utcnow()
    outcome = rules.after_failure(user.failed_logins or 0, now)
    user.failed_logins = outcome.failures
    record(user, "sign-in-failed", User.AUDIT_ENTITY, user.id, f"Failed sign-in for {user.email}: {why} (from {ip})")
    record_attempt(ip, kind, False)
    if outcome.locked_now:
        user.locked_until = outcome.locked_until
        record(user, "lockout", User.AUDIT_ENTITY, user.id,
               f"Locked {user.email} for {int(rules.LOCKOUT.total_seconds() // 60)} minutes after "
               f"{rules.MAX_FAILURES} failed sign-ins (from {ip})", None,
               {"locked_until": outcome.locked_until.isoformat()})


def is_locked(user: User) -> bool:
    return rules.is_locked(user.locked_until, utcnow())


def authenticate(email: str, password: str, ip: str = "") -> User | None:
    """The active, unlocked user with this email and password, or None; every failure is audited and counted.

    The same cost and the same answer whether the email is unknown, the password wrong or the account locked.
    A correct password does not reset the failure count: only a completed sign-in does, so the second
    factor cannot be guessed without limit behind a known password.
    """
    user = find_user(email)
    if user is None:
        dummy_verify(password)
        record(_Anonymous(ip), "sign-in-failed", User.AUDIT_ENTITY, None,
               f"Failed sign-in for an unknown address (from {ip})")
        record_attempt(ip, "sign-in", False)
        return None
    if is_locked(user):
        dummy_verify(password)
        record(user, "sign-in-failed", User.AUDIT_ENTITY, user.id,
               f"Refused sign-in for {user.email}: account locked (from {ip})")
        record_attempt(ip, "sign-in", False)
        return None
    if not verify_password(user.password_hash, password):
        record_failure(user, ip, "sign-in", "wrong password")
        return None
    if not user.active:
        record_failure(user, ip, "sign-in", "account deactivated")
        return None
    return user


def signed_in(user: User, ip: str, how: str) -> None:
    """A completed sign-in: reset the failure count and audit it."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record(user, "sign-in", User.AUDIT_ENTITY, user.id, f"Signed in {user.email} with {how} (from {ip})")
    record_attempt(ip, "sign-in", True)


def unlock(actor, user: User) -> None:
    """Lift a lockout before its 15 minutes are up."""
    old = {"locked_until": user.locked_until.isoformat() if user.locked_until else None,
           "failed_logins": user.failed_logins}
    user.locked_until = None
    user.failed_logins = 0
    record(actor, "unlock", User.AUDIT_ENTITY, user.id, f"Unlocked {user.email}", old,
           {"locked_until": None, "failed_logins": 0})


def record_reset_request(user: User, ip: str) -> None:
    record(user, "reset-requested", User.AUDIT_ENTITY, user.id,
           f"Password reset link requested for {user.email} (from {ip})")


def record_link_sent(actor, user: User, kind: str, how: str = "emailed") -> None:
    what = "an invitation link" if kind == "invitation" else "a password reset link"
    record(actor, f"{kind}-link", User.AUDIT_ENTITY, user.id, f"{how.capitalize()} {what} for {user.email}")


def record_sessions_ended(actor, user: User, summary: str) -> None:
    record(actor, "end-sessions", User.AUDIT_ENTITY, user.id, f"{user.email}: {summary}")


def generate_password() -> str:
    """A random password to show once: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


def _unusable_password() -> str:
    # A value argon2 can never match: the account has no password until its owner chooses one.
    return "!" + secrets.token_hex(16)


# --- single-use links sent by email --------------------------------------------------------

PURPOSES = {"invitation": "INVITATION_MAX_AGE_SECONDS", "reset": "RESET_MAX_AGE_SECONDS"}


def _fingerprint(user: User) -> str:
    # Changes whenever a password is set (argon2 salts every hash), so a used link stops working, and so
    # does every other link sent before it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"vawg-account-{purpose}")


def make_link_token(user: User, purpose: str) -> str:
    """A signed token for `user` that works once, until the password changes, and expires by `purpose`."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user), "n": secrets.token_hex(4)})


def user_for_token(token: str, purpose: str) -> User | None:
    """The account a still-valid link was made for, or None if it expired, was used or was tampered with."""
    try:
        data = _serializer(purpose).loads(token, max_age=current_app.config[PURPOSES[purpose]])
    except BadData:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or not hmac.compare_digest(str(data.get("f")), _fingerprint(user)):
        return None
    return user


def link_url(user: User, purpose: str) -> str:
    """The full address of a one-time link, with PUBLIC_URL so it also works from the command line."""
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/set-password/{purpose}/{make_link_token(user, purpose)}"


def invitation_email(user: User) -> tuple[str, str]:
    """Subject and body of the email that invites a new account holder to choose a password."""
    days = current_app.config["INVITATION_MAX_AGE_SECONDS"] // 86400
    second = ("\nAs a " + user.role_enum.label.lower() + " you will then set up an authenticator app on your phone "
              "(a second factor).\n") if user.needs_second_factor else ""
    return ("Your account for the Havering VAWG action plan",
            f"Hello {user.name},\n\nAn account has been made for you on the Havering VAWG action plan "
            f"({user.role_enum.label}, {user.agency.name}).\n\nChoose your password here (this link works once, "
            f"for {days} days):\n{link_url(user, 'invitation')}\n{second}\n"
            "If you were not expecting this, you can ignore this email.\n")


def reset_email(user: User) -> tuple[str, str]:
    """Subject and body of a password reset email."""
    minutes = current_app.config["RESET_MAX_AGE_SECONDS"] // 60
    return ("Reset your password for the Havering VAWG action plan",
            f"Hello {user.name},\n\nSomeone asked to reset the password for {user.email}.\n\n"
            f"Choose a new password here (this link works once, for {minutes} minutes):\n"
            f"{link_url(user, 'reset')}\n\nIf it was not you, ignore this email: your password has not changed.\n")


def send_account_email(user: User, kind: str) -> bool:
    """Email an invitation or a reset link; False (and logged) when the mail server refused it."""
    subject, body = invitation_email(user) if kind == "invitation" else reset_email(user)
    try:
        send_mail(user.email, subject, body)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("could not send the %s email to user %s", kind, user.id)
        return False
    return True


def set_password(actor, user: User, password: str, how: str) -> None:
    """Store a new password chosen by its owner, end every session, lift any lockout, and audit it."""
    problem = password_problem(password, user.email)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(password)
    user.version += 1
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user)
    record(actor, how, User.AUDIT_ENTITY, user.id, {
        "invitation": f"{user.email} chose a password (invitation accepted)",
        "reset": f"{user.email} reset their password from an emailed link",
        "change-password": f"{user.email} changed their password",
    }[how])


def end_all_sessions(user: User) -> int:
    """Sign the user out everywhere: a new session generation, and their session rows deleted."""
    user.session_generation = (user.session_generation or 1) + 1
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return result.rowcount or 0


def agencies(include_inactive: bool = True) -> list[Agency]:
    query = select(Agency).order_by(Agency.name)
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    return list(db.session.scalars(query))


def find_agency(name: str) -> Agency | None:
    """The agency with this name, short name or alias (case-insensitive), or None."""
    wanted = name.strip().lower()
    for agency in agencies():
        names = [agency.name, agency.short_name, *(agency.aliases or [])]
        if wanted in (n.lower() for n in names):
            return agency
    return None


def users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def _user_snapshot(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role,
            "agency": user.agency.name if user.agency else None, "active": user.active}


def _agency_snapshot(agency: Agency) -> dict:
    return {"name": agency.name, "short_name": agency.short_name, "active": agency.active,
            "stakeholder": agency.stakeholder}


def create_user(actor, *, email: str, name: str, role: Role | str, agency: Agency,
                password: str | None = None, demo: bool = False) -> User:
    """Add an account; raises DuplicateError when the email is taken.

    Without `password` the account is invited: it cannot sign in until its owner chooses a password
    through the emailed link (the admin never sees one).
    """
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise DuplicateError("An account with this email address already exists")
    user = User(email=email, name=name.strip(), role=Role(role).value, agency=agency,
                password_hash=hash_password(password) if password else _unusable_password(), demo=demo)
    db.session.add(user)
    db.session.flush()
    record(actor, "create", User.AUDIT_ENTITY, user.id, f"Created account {email}", None, _user_snapshot(user))
    return user


def update_user(actor, user: User, *, version: int, name: str, role: Role | str, agency: Agency,
                active: bool) -> User:
    """Change an account, refusing with ConflictError if it changed since `version` was read."""
    old = _user_snapshot(user)
    bump(user, version, name=name.strip(), role=Role(role).value, agency_id=agency.id, active=active)
    before, after = changed_fields(old, _user_snapshot(user))
    if {"role", "agency", "active"} & after.keys():
        # What the person may see or do has changed: their open sessions must not keep the old rights.
        end_all_sessions(user)
    record(actor, "update", User.AUDIT_ENTITY, user.id, f"Changed account {user.email}", before, after)
    return user


def create_agency(actor, *, name: str, short_name: str, aliases: list[str] | None = None,
                  stakeholder: bool = False) -> Agency:
    """Add an agency; raises DuplicateError when the name is taken."""
    name = name.strip()
    if db.session.scalar(select(func.count()).select_from(Agency).where(func.lower(Agency.name) == name.lower())):
        raise DuplicateError("An agency with this name already exists")
    agency = Agency(name=name, short_name=short_name.strip(), aliases=aliases or [], stakeholder=stakeholder)
    db.session.add(agency)
    db.session.flush()
    record(actor, "create", Agency.AUDIT_ENTITY, agency.id, f"Created agency {name}", None, _agency_snapshot(agency))
    return agency


def update_agency(actor, agency: Agency, *, version: int, name: str, short_name: str, active: bool) -> Agency:
    """Rename or (de)activate an agency, refusing with ConflictError on a stale `version`."""
    name = name.strip()
    clash = db.session.scalar(
        select(Agency).where(func.lower(Agency.name) == name.lower(), Agency.id != agency.id)
    )
    if clash:
        raise DuplicateError("An agency with this name already exists")
    old = _agency_snapshot(agency)
    bump(agency, version, name=name, short_name=short_name.strip(), active=active)
    before, after = changed_fields(old, _agency_snapshot(agency))
    record(actor, "update", Agency.AUDIT_ENTITY, agency.id, f"Changed agency {agency.name}", before, after)
    return agency
