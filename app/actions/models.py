"""The strategy's action plan and the lead agencies' quarterly updates."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Agency, User
from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.returns import RETURN_STATES, ReturnState, ReviewableReturn
from app.strategy.models import Strategy
from app.strategy.quarters import Quarter


class Objective(db.Model):
    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("strategy_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"))
    code: Mapped[str] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(Text)

    strategy: Mapped[Strategy] = relationship()


class ActionLead(db.Model):
    """One lead agency of one action; joint leads give several rows."""

    __tablename__ = "action_lead"

    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order as named in the plan

    agency: Mapped[Agency] = relationship(lazy="joined")


class Action(db.Model):
    """A numbered action of the plan, as it stands for one plan year.

    The annual refresh carries an unfinished action forward as a new row that
    points at its predecessor, so editing the new year never rewrites the old.
    """

    AUDIT_ENTITY = "action"  # what the audit trail calls it
    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("plan_year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"), index=True)
    plan_year: Mapped[int] = mapped_column(Integer)  # financial year start the row belongs to
    code: Mapped[str] = mapped_column(String(10))
    number: Mapped[int | None] = mapped_column(Integer)  # None for the plan's unnumbered row
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list)
    resources: Mapped[str | None] = mapped_column(Text)
    timescale: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    lead_text: Mapped[str | None] = mapped_column(Text)
    lead_contact: Mapped[str | None] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"))
    # The refreshed year's plan is edited in app.refresh: optimistic version, and retirement with a reason.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_reason: Mapped[str | None] = mapped_column(Text)
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    objective: Mapped[Objective] = relationship(lazy="joined")
    # "subquery", not "selectin": selectin loads in chunks of 500 parents, so a plan of thousands of
    # actions would cost a query per 500; a subquery load is one query whatever the size (issue 11).
    leads: Mapped[list[ActionLead]] = relationship(
        order_by=ActionLead.position, cascade="all, delete-orphan", lazy="subquery"
    )
    sub_actions: Mapped[list["SubAction"]] = relationship(
        order_by="SubAction.number", cascade="all, delete-orphan", lazy="subquery"
    )

    @property
    def lead_agencies(self) -> list[Agency]:
        return [lead.agency for lead in self.leads]

    def is_led_by(self, agency_id: int) -> bool:
        return any(lead.agency_id == agency_id for lead in self.leads)


class SubAction(db.Model):
    __tablename__ = "sub_action"
    __table_args__ = (UniqueConstraint("action_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class Update(ReviewableReturn, db.Model):
    """One lead agency's update on one action for one quarter: a return (app.returns)."""

    AUDIT_ENTITY = "action_update"

    __tablename__ = "action_update"
    __table_args__ = (
        UniqueConstraint("action_id", "agency_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_number"),
        CheckConstraint(
            "status IS NULL OR status IN ('complete', 'green', 'amber', 'red')", name="status_known"
        ),
        CheckConstraint(f"state IN {RETURN_STATES}", name="state_known"),
        # One quarter's updates, and its roll-up read from the index alone (0006, widened in 0009).
        Index("ix_action_update_quarter_rollup", "year", "quarter", "action_id", "state", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # financial year start
    quarter: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(10))  # None while a draft has no status yet
    commentary: Mapped[str] = mapped_column(Text, default="")
    mitigation: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default=ReturnState.DRAFT.value)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    action: Mapped[Action] = relationship()
    agency: Mapped[Agency] = relationship(lazy="joined")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], lazy="joined")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="joined")
    sub_statuses: Mapped[list["SubActionStatus"]] = relationship(
        cascade="all, delete-orphan", lazy="subquery"  # one query whatever the number of updates
    )

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def owner_agency_id(self) -> int:
        return self.agency_id

    @property
    def submitter_id(self) -> int | None:
        return self.submitted_by_id

    @property
    def review_subject(self) -> str:
        return f"the {self.agency.short_name} update on {self.action.code}"


class SubActionStatus(db.Model):
    __tablename__ = "sub_action_status"
    __table_args__ = (
        UniqueConstraint("update_id", "sub_action_id"),
        CheckConstraint("status IN ('complete', 'green', 'amber', 'red')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("action_update.id", ondelete="CASCADE"), index=True)
    sub_action_id: Mapped[int] = mapped_column(ForeignKey("sub_action.id"))
    status: Mapped[str] = mapped_column(String(10))
