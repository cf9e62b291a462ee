"""Performance indicators: the catalogue, each year's targets and the lead agencies' quarterly values."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.actions.models import Objective
from app.auth.models import Agency, User
from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.kpis.aggregation import Aggregation, Decision, TargetBasis
from app.kpis.scoring import Polarity, Unit
from app.returns import RETURN_STATES, ReturnState, ReviewableReturn
from app.strategy.quarters import Quarter

FREQUENCIES = ("quarterly", "annual")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Indicator(db.Model):
    """One measure of the catalogue, with the baseline and target the source documents give for it."""

    AUDIT_ENTITY = "indicator"  # what the audit trail calls it
    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(_in("unit", [u.value for u in Unit]), name="unit_known"),
        CheckConstraint(_in("polarity", [p.value for p in Polarity]), name="polarity_known"),
        CheckConstraint(_in("frequency", FREQUENCIES), name="frequency_known"),
        CheckConstraint(_in("aggregation", [a.value for a in Aggregation]), name="aggregation_known"),
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance_not_negative"),
        CheckConstraint(
            "band_lower IS NULL OR band_upper IS NULL OR band_lower <= band_upper", name="band_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    counting: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(10), default="quarterly")
    # How the quarters combine into a year (app.kpis.aggregation): flow, snapshot, rate or cumulative.
    aggregation: Mapped[str] = mapped_column(
        String(12), default=Aggregation.FLOW.value, server_default=Aggregation.FLOW.value
    )
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("objective.id"), index=True)
    action_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    polarity: Mapped[str] = mapped_column(String(20))
    band_lower: Mapped[float | None] = mapped_column(Float)
    band_upper: Mapped[float | None] = mapped_column(Float)
    # A fraction of the target (0.1 = 10%); None means the corporate default.
    tolerance: Mapped[float | None] = mapped_column(Float)
    headline: Mapped[bool] = mapped_column(Boolean, default=False)
    suppress: Mapped[bool] = mapped_column(Boolean, default=True)
    suppress_reason: Mapped[str | None] = mapped_column(Text)
    suppress_zeros: Mapped[bool] = mapped_column(Boolean, default=False)

    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_numerator: Mapped[int | None] = mapped_column(Integer)
    baseline_denominator: Mapped[int | None] = mapped_column(Integer)
    baseline_period: Mapped[str | None] = mapped_column(Text)
    baseline_published_as: Mapped[str | None] = mapped_column(Text)
    baseline_source: Mapped[str | None] = mapped_column(String(200))
    baseline_line: Mapped[int | None] = mapped_column(Integer)
    baseline_passage: Mapped[str | None] = mapped_column(Text)

    # Where the documents' target comes from; None when no document states one.
    target_source: Mapped[str | None] = mapped_column(String(200))
    target_line: Mapped[int | None] = mapped_column(Integer)
    target_passage: Mapped[str | None] = mapped_column(Text)

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[Agency] = relationship(lazy="joined")
    objective: Mapped[Objective | None] = relationship(lazy="joined")

    @property
    def unit_enum(self) -> Unit:
        return Unit(self.unit)

    @property
    def polarity_enum(self) -> Polarity:
        return Polarity(self.polarity)

    @property
    def aggregation_enum(self) -> Aggregation:
        return Aggregation(self.aggregation)

    @property
    def cumulative(self) -> bool:
        """True when each quarter reports the financial year to date."""
        return self.aggregation == Aggregation.CUMULATIVE.value

    @property
    def reports_in(self) -> tuple[int, ...]:
        """The quarter numbers the indicator takes a value in: all four, or Q4 for an annual one."""
        return (4,) if self.is_annual else (1, 2, 3, 4)

    @property
    def is_rate(self) -> bool:
        """True when the value can be entered as numerator and denominator."""
        return self.unit in (Unit.PERCENTAGE.value, Unit.RATE_PER_1000.value)

    @property
    def is_annual(self) -> bool:
        return self.frequency == "annual"

    def takes_value_in(self, quarter: Quarter) -> bool:
        """Quarterly indicators report every quarter; annual ones once a year, in Q4."""
        return not self.is_annual or quarter.number == 4

    def __repr__(self) -> str:
        return f"<Indicator {self.code}>"


class IndicatorTarget(db.Model):
    """One target decision for one indicator and financial year.

    Append-only: a change is a new row, so the history stays and a quarter rated
    against an earlier decision can be rated again exactly as it was.
    """

    AUDIT_ENTITY = "indicator_target"  # what the audit trail calls it
    __tablename__ = "indicator_target"
    __table_args__ = (
        Index("ix_indicator_target_lookup", "indicator_id", "year", "set_at"),
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance_not_negative"),
        CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="band_ordered"),
        CheckConstraint(_in("basis", [b.value for b in TargetBasis]), name="basis_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    year: Mapped[int] = mapped_column(Integer)  # financial year start: 2019 is 2019/20
    # "quarter": `value` is each quarter's target; "year": `value` is the year's outturn target.
    basis: Mapped[str] = mapped_column(
        String(10), default=TargetBasis.QUARTER.value, server_default=TargetBasis.QUARTER.value
    )
    value: Mapped[float | None] = mapped_column(Float)
    # Quarterly profile: with basis "quarter" that quarter's own target, with basis "year" the year-to-date
    # target at the end of that quarter (a trajectory); None means `value` applies (see app.kpis.aggregation).
    q1: Mapped[float | None] = mapped_column(Float)
    q2: Mapped[float | None] = mapped_column(Float)
    q3: Mapped[float | None] = mapped_column(Float)
    q4: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    tolerance: Mapped[float | None] = mapped_column(Float)  # fraction of the target; None = indicator's
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    set_by: Mapped[User | None] = relationship(lazy="joined")

    def profile_value(self, quarter_number: int) -> float | None:
        return getattr(self, f"q{quarter_number}")

    @property
    def profile(self) -> list[float | None]:
        return [self.q1, self.q2, self.q3, self.q4]

    @property
    def basis_enum(self) -> TargetBasis:
        return TargetBasis(self.basis)

    def decision(self, default_tolerance: float) -> Decision:
        """This decision as the pure aggregation rules take it; tolerance falls back to `default_tolerance`."""
        return Decision(
            self.basis_enum, self.value, (self.q1, self.q2, self.q3, self.q4), self.lower, self.upper,
            self.tolerance if self.tolerance is not None else default_tolerance,
        )


class IndicatorValue(ReviewableReturn, db.Model):
    """One quarter's value of one indicator, entered by its owner agency: a return (app.returns)."""

    AUDIT_ENTITY = "indicator_value"

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_number"),
        CheckConstraint(_in("state", RETURN_STATES), name="state_known"),
        CheckConstraint("numerator IS NULL OR numerator >= 0", name="numerator_not_negative"),
        CheckConstraint("denominator IS NULL OR denominator > 0", name="denominator_positive"),
        CheckConstraint(
            "numerator IS NULL OR denominator IS NULL OR numerator <= denominator",
            name="numerator_within_denominator",
        ),
        Index("ix_indicator_value_year_quarter", "year", "quarter"),  # one quarter's values (0006)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[int | None] = mapped_column(BigInteger)  # 64-bit: large populations as denominators
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default=ReturnState.SUBMITTED.value)  # saving submits
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id], lazy="joined")
    indicator: Mapped[Indicator] = relationship()  # loaded when asked: only a review needs it

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    @property
    def owner_agency_id(self) -> int:
        return self.indicator.owner_agency_id

    @property
    def submitter_id(self) -> int | None:
        return self.entered_by_id

    @property
    def review_subject(self) -> str:
        return f"the value of {self.indicator.code}"
