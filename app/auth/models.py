"""Agencies and the people who sign in."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import UTCDateTime, utcnow
from app.extensions import db


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    LEAD = "lead"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return {"admin": "Admin", "coordinator": "Coordinator", "lead": "Lead (agency editor)",
                "viewer": "Viewer"}[self.value]

    @property
    def description(self) -> str:
        return {
            "admin": "Manages agencies, users and settings.",
            "coordinator": "Runs the Strategic Group: chases, reviews and signs off updates, sets targets.",
            "lead": "Updates the actions and indicators their own agency leads or owns.",
            "viewer": "Reads dashboards and reports.",
        }[self.value]


class Agency(db.Model):
    AUDIT_ENTITY = "agency"  # what the audit trail calls it
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    # Every spelling the source documents use for this body ("MPS", "Met police"...).
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    stakeholder: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    users: Mapped[list["User"]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"


class AccountRoles:
    """What an account's role and second factor allow. Shared by the User row and by the signed-in user
    a request's session check reads in plain columns (app.auth.sessions.SignedInUser), so both answer
    alike; a class using it has `role`, `active` and `totp_confirmed_at`."""

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to deactivated accounts
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in {r.value for r in roles}

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def needs_second_factor(self) -> bool:
        """Admins and coordinators must use a second factor; others may."""
        return self.has_role(Role.ADMIN, Role.COORDINATOR)


class User(AccountRoles, UserMixin, db.Model):
    AUDIT_ENTITY = "user"  # what the audit trail calls it
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'lead', 'viewer')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Failed sign-ins since the last success or lock; kept in the database so every worker sees it.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to end every session at once (password change, deactivation, role or agency change).
    session_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Base32 TOTP secret; set at enrolment, confirmed once a first code matches.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted TOTP time step: a code is accepted once only (ASVS 2.8.4).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    agency: Mapped[Agency] = relationship(back_populates="users", lazy="joined")

    @property
    def has_password(self) -> bool:
        """False for an invited account whose owner has not yet chosen a password."""
        return not self.password_hash.startswith("!")


class UserSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app when the device is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256: the codes are random, 50 bits each
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthAttempt(db.Model):
    """One sign-in, code or reset attempt from a client address, for throttling by address across workers."""

    __tablename__ = "auth_attempt"
    __table_args__ = (Index("ix_auth_attempt_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # "sign-in", "code" or "reset"
    success: Mapped[bool] = mapped_column(Boolean, default=False)
