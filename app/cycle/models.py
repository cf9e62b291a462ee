"""The reporting periods' lock and re-open history, and the reminders already sent.

The periods themselves are the calendar's (app.strategy.models.ReportingPeriod).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db

EVENT_KINDS = ("locked", "reopened")
REMINDER_KINDS = ("opening", "due_soon", "overdue")


class PeriodEvent(db.Model):
    """A lock or a re-opening of a period, kept for good so the report can say what happened and why."""

    __tablename__ = "period_event"
    __table_args__ = (CheckConstraint("kind IN ('locked', 'reopened')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # None for a lock with everything accepted

    by: Mapped[User | None] = relationship(lazy="joined")


class ReminderSent(db.Model):
    """One reminder email to one user for one period; the unique key is what stops a second send."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("user_id", "period_id", "kind"),
        CheckConstraint("kind IN ('opening', 'due_soon', 'overdue')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[int] = mapped_column(Integer, default=0)  # how many outstanding items the email listed


NOTICE_KINDS = ("returned", "all_in")


class NoticeSent(db.Model):
    """An email the cycle sent on an event, not on a date: a return sent back to its lead ("returned"),
    or every return of a quarter in, to each coordinator ("all_in"). Kept so the tracker can show who
    was told what and when, and so "all in" goes once per quarter and coordinator."""

    __tablename__ = "notice_sent"
    __table_args__ = (CheckConstraint("kind IN ('returned', 'all_in')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    about: Mapped[str] = mapped_column(String(200), default="")  # which return ("A2 from Police"), never its content

    user: Mapped[User] = relationship(lazy="joined")
