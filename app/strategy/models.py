"""The strategy (its years and the current quarter) and each quarter's reporting period.

The tables keep their names ("strategy", "reporting_period"); only the classes moved here from
app.actions.models and app.cycle.models, so no migration was needed.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime
from app.extensions import db
from app.strategy.quarters import Quarter


class Strategy(db.Model):
    AUDIT_ENTITY = "strategy"  # what the audit trail calls it
    __tablename__ = "strategy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    first_year: Mapped[int] = mapped_column(Integer)  # financial year start: 2018 is 2018/19
    last_year: Mapped[int] = mapped_column(Integer)
    review: Mapped[str | None] = mapped_column(String(100))
    # The quarter leads are asked to update now ("2019-20-Q1"); None means the quarter containing today.
    current_quarter: Mapped[str | None] = mapped_column(String(10))


class ReportingPeriod(db.Model):
    """One strategy quarter's update window: when it opens, its deadline, and whether it is locked."""

    AUDIT_ENTITY = "reporting_period"  # what the audit trail calls it
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
