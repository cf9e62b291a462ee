"""The strategy's calendar: its quarters, the current quarter, the plan year in force, and each quarter's
reporting period and lock.

Every feature reads the calendar from here; this package imports no feature package, so there is no
import cycle to dodge. Functions flush and never commit: the view or command that calls them commits once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import column, func, select, table

from app.audit.service import record
from app.auth.models import User
from app.extensions import db
from app.strategy.models import ReportingPeriod, Strategy
from app.strategy.quarters import Quarter, QuarterError, default_dates, strategy_quarters

# The plan year in force is read from the plan's own rows. The calendar names the one column it needs
# rather than importing app.actions.models, which would put the calendar above the features again.
_action = table("action", column("plan_year"))


class QuarterLockedError(Exception):
    """The quarter is locked (signed off): nothing in it may change until an admin re-opens it."""

    def __init__(self, quarter):
        super().__init__(f"{quarter.label} is locked: it was signed off, so nothing in it can change. "
                         "Ask an admin to re-open it if something must be corrected.")
        self.quarter = quarter


# --- the strategy and its quarters -------------------------------------------------------------

def strategy() -> Strategy:
    """The one strategy the app runs (the seed creates it)."""
    found = db.session.scalar(select(Strategy).order_by(Strategy.id).limit(1))
    if found is None:
        raise LookupError("No strategy loaded: run `flask --app wsgi seed`.")
    return found


def quarters() -> list[Quarter]:
    """Every quarter of the strategy, oldest first."""
    s = strategy()
    return strategy_quarters(s.first_year, s.last_year)


def parse_strategy_quarter(text: str) -> Quarter:
    """The quarter named by `text` ("2019-20-Q2"), refusing one outside the strategy with a clear message."""
    quarter = Quarter.parse(text)
    all_quarters = quarters()
    if quarter not in all_quarters:
        raise QuarterError(
            f"{quarter.label} is outside the strategy, which runs from "
            f"{all_quarters[0].label} to {all_quarters[-1].label}"
        )
    return quarter


def current_quarter(today: date | None = None) -> Quarter:
    """The quarter leads are asked to update: the one the coordinator set, else today's, kept inside the strategy."""
    s = strategy()
    if s.current_quarter:
        return Quarter.parse(s.current_quarter)
    all_quarters = quarters()
    today_q = Quarter.containing(today or date.today())
    return min(max(today_q, all_quarters[0]), all_quarters[-1])


def set_current_quarter(actor: User, quarter: Quarter) -> None:
    s = strategy()
    old = s.current_quarter
    s.current_quarter = quarter.slug
    record(actor, "update", Strategy.AUDIT_ENTITY, s.id, f"Set the current quarter to {quarter.label}",
           {"current_quarter": old}, {"current_quarter": quarter.slug})


def plan_year_for(quarter: Quarter) -> int:
    """The plan year in force for `quarter`: the latest refreshed plan that starts no later than its year.

    Until a year's refresh has been run, the previous year's plan stays in force.
    """
    year = db.session.scalar(select(func.max(_action.c.plan_year)).where(_action.c.plan_year <= quarter.year))
    if year is None:
        year = db.session.scalar(select(func.min(_action.c.plan_year)))
    return year if year is not None else quarter.year


# --- reporting periods and the lock --------------------------------------------------------------

def _find_period(quarter: Quarter) -> ReportingPeriod | None:
    return db.session.scalar(
        select(ReportingPeriod).where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
    )


def _default_period(quarter: Quarter) -> ReportingPeriod:
    """A period with the default dates, not added to the session."""
    opens_on, deadline = default_dates(quarter)
    return ReportingPeriod(year=quarter.year, quarter=quarter.number, opens_on=opens_on, deadline=deadline, version=1)


def period_for(quarter: Quarter) -> ReportingPeriod:
    """The quarter's reporting period; read only.

    The seed creates every strategy quarter's period, so reading a page never writes. A quarter
    somehow without one (a database older than that) gets an unsaved period with the default dates;
    the first write to the quarter (`period_to_write`) creates the row.
    """
    return _find_period(quarter) or _default_period(quarter)


def ensure_periods() -> int:
    """Create the missing periods of every strategy quarter, with the default dates (flushes); how many."""
    existing = {p.period for p in db.session.scalars(select(ReportingPeriod))}
    missing = [_default_period(q) for q in quarters() if q not in existing]
    db.session.add_all(missing)
    db.session.flush()
    return len(missing)


def period_to_write(quarter: Quarter) -> ReportingPeriod:
    """The quarter's period, locked for the rest of this transaction, created if missing (flushes).

    Every write to a quarter and the lock itself go through here, so they are serialised on the
    period's row: on PostgreSQL the row lock (SELECT ... FOR UPDATE) makes a save wait while the
    quarter is being locked, and read the lock once it is committed; on SQLite a write request holds
    the database's write lock from its first statement (app.database), which serialises them whole.
    """
    query = (
        select(ReportingPeriod)
        .where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
        # OF: the joined `locked_by` is an outer join, which PostgreSQL will not lock.
        .with_for_update(of=ReportingPeriod)
        .execution_options(populate_existing=True)
    )
    period = db.session.scalar(query)
    if period is None:
        db.session.add(_default_period(quarter))
        db.session.flush()
        period = db.session.scalar(query)
    return period


def periods() -> list[ReportingPeriod]:
    """Every strategy quarter's period, oldest first; read only (see `period_for`)."""
    existing = {p.period: p for p in db.session.scalars(select(ReportingPeriod))}
    return [existing.get(q) or _default_period(q) for q in quarters()]


def is_locked(quarter: Quarter) -> bool:
    """True when the quarter is signed off; a quarter without a period row is not locked."""
    return locked_at(quarter) is not None


def locked_at(quarter: Quarter) -> datetime | None:
    """When the quarter was locked, or None while it is not locked."""
    return db.session.scalar(
        select(ReportingPeriod.locked_at).where(
            ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number
        )
    )


def ensure_unlocked(quarter: Quarter) -> ReportingPeriod:
    """Raise QuarterLockedError if `quarter` is locked; every write to a quarter's returns calls it first.

    It takes the period's row lock (`period_to_write`) and holds it until the transaction ends, so a
    lock of the quarter cannot commit between this check and the write.
    """
    period = period_to_write(quarter)
    if period.is_locked:
        raise QuarterLockedError(quarter)
    return period
