"""Reporting periods, their lock and re-open history, and the reminders already sent."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.quarters import Quarter

EVENT_KINDS = ("locked", "reopened")
REMINDER_KINDS = ("opening", "due_soon", "overdue")


class ReportingPeriod(db.Model):
    """One strategy quarter's update window: when it opens, its deadline, and whether it is locked."""

    __tablename__ = "reporting_period"
    __table_args__ = (
        UniqueConstraint("year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_number"),
        CheckConstraint("deadline > opens_on", name="deadline_after_open"),
        CheckConstraint("(locked_at IS NULL) = (locked_by_id IS NULL)", name="lock_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)  # financial year start
    quarter: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Why the quarter was closed with items missing; None when it locked with everything accepted.
    lock_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id], lazy="joined")

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


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
