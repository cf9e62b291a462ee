"""Accounts and agencies: every query and write of the auth feature."""

import secrets

from sqlalchemy import func, select, update

from app.audit.service import changed_fields, record
from app.auth.models import Agency, Role, User
from app.auth.passwords import dummy_verify, hash_password, verify_password
from app.database import utcnow
from app.errors import ConflictError, DuplicateError
from app.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost whether or not the email exists)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def generate_password() -> str:
    """A random password to show once: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


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
                password: str, demo: bool = False) -> User:
    """Add an account; raises DuplicateError when the email is taken."""
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise DuplicateError("An account with this email address already exists")
    user = User(email=email, name=name.strip(), role=Role(role).value, agency=agency,
                password_hash=hash_password(password), demo=demo)
    db.session.add(user)
    db.session.flush()
    record(actor, "create", "user", user.id, f"Created account {email}", None, _user_snapshot(user))
    return user


def update_user(actor, user: User, *, version: int, name: str, role: Role | str, agency: Agency,
                active: bool) -> User:
    """Change an account, refusing with ConflictError if it changed since `version` was read."""
    old = _user_snapshot(user)
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, User.version == version)
        .values(name=name.strip(), role=Role(role).value, agency_id=agency.id, active=active,
                version=User.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    if result.rowcount != 1:
        raise ConflictError(user)
    before, after = changed_fields(old, _user_snapshot(user))
    record(actor, "update", "user", user.id, f"Changed account {user.email}", before, after)
    return user


def reset_password(actor, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.version += 1
    record(actor, "reset-password", "user", user.id, f"Reset the password of {user.email}")


def create_agency(actor, *, name: str, short_name: str, aliases: list[str] | None = None,
                  stakeholder: bool = False) -> Agency:
    """Add an agency; raises DuplicateError when the name is taken."""
    name = name.strip()
    if db.session.scalar(select(func.count()).select_from(Agency).where(func.lower(Agency.name) == name.lower())):
        raise DuplicateError("An agency with this name already exists")
    agency = Agency(name=name, short_name=short_name.strip(), aliases=aliases or [], stakeholder=stakeholder)
    db.session.add(agency)
    db.session.flush()
    record(actor, "create", "agency", agency.id, f"Created agency {name}", None, _agency_snapshot(agency))
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
    result = db.session.execute(
        update(Agency)
        .where(Agency.id == agency.id, Agency.version == version)
        .values(name=name, short_name=short_name.strip(), active=active, version=Agency.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(agency)
    if result.rowcount != 1:
        raise ConflictError(agency)
    before, after = changed_fields(old, _agency_snapshot(agency))
    record(actor, "update", "agency", agency.id, f"Changed agency {agency.name}", before, after)
    return agency
