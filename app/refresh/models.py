"""What each year's refresh did: who ran it, when, and what became of every action of the year before."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db


class PlanRefresh(db.Model):
    """One run of the annual refresh; a financial year is refreshed at most once (unique year)."""

    AUDIT_ENTITY = "plan_refresh"  # what the audit trail calls it
    __tablename__ = "plan_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)  # the new plan year: 2019 is 2019/20
    from_year: Mapped[int] = mapped_column(Integer)  # the plan year it was refreshed from
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    run_by: Mapped[User | None] = relationship(lazy="joined")
    outcomes: Mapped[list["RefreshOutcome"]] = relationship(
        back_populates="refresh", cascade="all, delete-orphan", lazy="selectin",
        order_by="RefreshOutcome.id",
    )


class RefreshOutcome(db.Model):
    """What the refresh did with one action of the previous plan year."""

    __tablename__ = "plan_refresh_outcome"
    __table_args__ = (
        UniqueConstraint("refresh_id", "action_id"),
        CheckConstraint("outcome IN ('closed', 'carried_forward', 'retired')", name="outcome_known"),
        CheckConstraint(
            "(outcome = 'carried_forward') = (new_action_id IS NOT NULL)", name="carried_has_new_row"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refresh_id: Mapped[int] = mapped_column(ForeignKey("plan_refresh.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"))  # the previous year's row
    outcome: Mapped[str] = mapped_column(String(20))
    new_action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"))  # the carried-forward row
    code: Mapped[str] = mapped_column(String(10))  # as it stood, so the record reads without joins
    q4_status: Mapped[str] = mapped_column(String(10))  # partnership status at the previous Q4

    refresh: Mapped[PlanRefresh] = relationship(back_populates="outcomes")
