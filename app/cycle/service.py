"""Every query and write of the quarterly cycle.

Functions here flush and never commit: the view or command that calls them commits once.
The tracker loads a quarter in a constant number of queries, whatever the size of the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from blinker import Namespace
from sqlalchemy import select, update

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.audit.service import record
from app.auth.models import Agency, Role, User
from app.cycle import rules
from app.cycle.models import PeriodEvent, ReminderSent, ReportingPeriod
from app.database import utcnow
from app.errors import ConflictError, QuarterLockedError
from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.permissions import can_accept_return
from app.quarters import Quarter

REASON_LIMIT = 2000  # characters

# Sent inside the lock's (or re-opening's) transaction, with the quarter, once the period is written.
# The reports keep a locked quarter's outputs (app.reports.frozen): a signal, because the reports read
# the cycle and so the cycle cannot call them.
_signals = Namespace()
quarter_locked = _signals.signal("quarter-locked")
quarter_reopened = _signals.signal("quarter-reopened")


class ReviewForbiddenError(PermissionError):
    """The reviewer may not take this decision (separation of duties); the message is for the user."""


class ReviewError(ValueError):
    """A review or lock request that cannot be carried out as asked; the message is for the user."""


# --- periods ---------------------------------------------------------------------------------------


def _find_period(quarter: Quarter) -> ReportingPeriod | None:
    return db.session.scalar(
        select(ReportingPeriod).where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
    )


def _default_period(quarter: Quarter) -> ReportingPeriod:
    """A period with the default dates, not added to the session."""
    opens_on, deadline = rules.default_dates(quarter)
    return ReportingPeriod(year=quarter.year, quarter=quarter.number, opens_on=opens_on, deadline=deadline, version=1)


def period_for(quarter: Quarter) -> ReportingPeriod:
    """The quarter's reporting period; read only.

    The seed creates every strategy quarter's period, so reading a page never writes. A quarter
    somehow without one gets an unsaved period with the default dates; the first write to the
    quarter (`period_to_write`) creates the row.
    """
    return _find_period(quarter) or _default_period(quarter)


def ensure_periods() -> int:
    """Create the missing periods of every strategy quarter, with the default dates (flushes); how many."""
    existing = {p.period for p in db.session.scalars(select(ReportingPeriod))}
    missing = [_default_period(q) for q in actions_service.quarters() if q not in existing]
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
    return [existing.get(q) or _default_period(q) for q in actions_service.quarters()]


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


def status_of(period: ReportingPeriod, today: date | None = None) -> rules.PeriodStatus:
    """The period's status on `today` (default: today)."""
    return rules.period_status(today or date.today(), period.opens_on, period.deadline, period.is_locked)


def period_events(quarter: Quarter) -> list[PeriodEvent]:
    """Locks and re-openings of `quarter`, oldest first, each with who, when and why."""
    return list(
        db.session.scalars(
            select(PeriodEvent)
            .join(ReportingPeriod, PeriodEvent.period_id == ReportingPeriod.id)
            .where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
            .order_by(PeriodEvent.at, PeriodEvent.id)
        )
    )


def _bump(period: ReportingPeriod, version: int, **values) -> None:
    """Write `values` to the period only if it is still at `version`; ConflictError otherwise."""
    result = db.session.execute(
        update(ReportingPeriod)
        .where(ReportingPeriod.id == period.id, ReportingPeriod.version == version)
        .values(version=ReportingPeriod.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(period)
    if result.rowcount != 1:
        raise ConflictError(period)


def set_dates(actor: User, quarter: Quarter, *, version: int, opens_on: date, deadline: date) -> ReportingPeriod:
    """Change the window of `quarter`. The deadline must fall after the open date (ReviewError otherwise)."""
    if deadline <= opens_on:
        raise ReviewError("The deadline must be after the date the window opens")
    period = period_to_write(quarter)
    old = {"opens_on": period.opens_on.isoformat(), "deadline": period.deadline.isoformat()}
    _bump(period, version, opens_on=opens_on, deadline=deadline)
    new = {"opens_on": opens_on.isoformat(), "deadline": deadline.isoformat()}
    record(actor, "set-dates", "reporting_period", period.id, f"Set the {quarter.label} update window", old, new)
    return period


# --- the submission tracker ------------------------------------------------------------------------


@dataclass
class Item:
    """One return due from one agency: an action update or an indicator value.

    Data only: the page or email that shows it builds its link (an action's by `action_id`, agency
    and quarter; an indicator's by `code` and quarter).
    """

    kind: str  # "action" or "indicator"
    code: str
    title: str
    agency: Agency
    action_id: int | None  # the action row for an action update; None for an indicator value
    state: str  # "missing", "draft", "submitted" or "accepted"
    row: Update | IndicatorValue | None = None
    returned: bool = False  # a draft the coordinator sent back with a comment

    @property
    def outstanding(self) -> bool:
        return self.state in ("missing", "draft")

    @property
    def kind_label(self) -> str:
        return "Action update" if self.kind == "action" else "Indicator value"


@dataclass
class AgencyRow:
    agency: Agency
    actions_due: int = 0
    actions_submitted: int = 0
    indicators_due: int = 0
    indicators_submitted: int = 0
    items: list[Item] = field(default_factory=list)

    @property
    def outstanding(self) -> list[Item]:
        return [i for i in self.items if i.outstanding]

    @property
    def due(self) -> int:
        return self.actions_due + self.indicators_due

    @property
    def submitted(self) -> int:
        return self.actions_submitted + self.indicators_submitted

    @property
    def completion(self) -> int | None:
        return rules.completion(self.submitted, self.due)


@dataclass
class Tracker:
    quarter: Quarter
    period: ReportingPeriod
    status: rules.PeriodStatus
    rows: list[AgencyRow]

    @property
    def overdue(self) -> bool:
        """Outstanding items are overdue once the deadline has passed and the quarter is not locked."""
        return self.status is rules.PeriodStatus.CLOSED

    @property
    def items(self) -> list[Item]:
        return [i for r in self.rows for i in r.items]

    @property
    def due(self) -> int:
        return sum(r.due for r in self.rows)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.rows)

    @property
    def completion(self) -> int | None:
        return rules.completion(self.submitted, self.due)

    @property
    def awaiting_review(self) -> list[Item]:
        return [i for i in self.items if i.state == "submitted"]

    @property
    def all_accepted(self) -> bool:
        return all(i.state == "accepted" for i in self.items)


def tracker(quarter: Quarter, today: date | None = None) -> Tracker:
    """Every lead agency's returns for `quarter`: due, submitted, and each item's state, in six queries.

    An action update is submitted once the agency has submitted it (accepted counts too); an indicator
    value once a submitted or accepted value exists. Agencies with nothing due are left out.
    """
    period = period_for(quarter)
    actions = actions_service.actions_for(quarter, lean=True)  # with leads and objective, no sub-actions
    updates = {
        (u.action_id, u.agency_id): u
        for u in db.session.scalars(select(Update).where(Update.year == quarter.year, Update.quarter == quarter.number)
                                    .options(*actions_service.LEAN_UPDATE))
    }
    indicators = [
        i
        for i in db.session.scalars(select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.code))
        if i.takes_value_in(quarter)
    ]
    values = {
        v.indicator_id: v
        for v in db.session.scalars(
            select(IndicatorValue).where(IndicatorValue.year == quarter.year, IndicatorValue.quarter == quarter.number)
        )
    }

    rows: dict[int, AgencyRow] = {}

    def row_for(agency: Agency) -> AgencyRow:
        return rows.setdefault(agency.id, AgencyRow(agency))

    for action in actions:
        for lead in action.leads:
            upd = updates.get((action.id, lead.agency_id))
            state = upd.state if upd else "missing"
            row = row_for(lead.agency)
            row.actions_due += 1
            row.actions_submitted += state in ("submitted", "accepted")
            row.items.append(
                Item(
                    "action",
                    action.code,
                    action.title,
                    lead.agency,
                    action.id,
                    state,
                    upd,
                    returned=bool(upd and upd.is_returned),
                )
            )
    for indicator in indicators:
        val = values.get(indicator.id)
        state = val.state if val else "missing"
        row = row_for(indicator.owner)
        row.indicators_due += 1
        row.indicators_submitted += state in ("submitted", "accepted")
        row.items.append(
            Item(
                "indicator",
                indicator.code,
                indicator.name,
                indicator.owner,
                None,
                state,
                val,
                returned=bool(val and val.is_returned),
            )
        )
    ordered = sorted(rows.values(), key=lambda r: r.agency.name.lower())
    period_status = status_of(period, today)
    return Tracker(quarter, period, period_status, ordered)


# --- review ------------------------------------------------------------------------------------------


def review(
    actor: User, item: Update | IndicatorValue, *, version: int, accept: bool, comment: str = ""
) -> Update | IndicatorValue:
    """Accept a submitted update or value, or return it to its agency as a draft with a comment.

    `version` is the item's version the reviewer saw; a change since raises ConflictError, as does an
    item that is no longer waiting for review. Returning needs a comment (ReviewError); accepting one's
    own agency's submission that one submitted raises ReviewForbiddenError; a locked quarter raises
    QuarterLockedError. Nothing is written in any of those cases.
    """
    ensure_unlocked(Quarter(item.year, item.quarter))
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ReviewError("Enter a comment saying what needs to change")
    if accept and not can_accept_return(actor, item):
        raise ReviewForbiddenError(
            "You submitted this return for your own agency, so someone else must accept it "
            "(separation of duties). Ask another coordinator to review it."
        )
    model = type(item)
    entity, what = item.AUDIT_ENTITY, item.review_subject
    old = {"state": item.state, "review_comment": item.review_comment}
    new = {"state": "accepted" if accept else "draft", "review_comment": None if accept else comment}
    result = db.session.execute(
        update(model)
        .where(model.id == item.id, model.version == version, model.state == "submitted")
        .values(version=model.version + 1, reviewed_by_id=actor.id, reviewed_at=utcnow(), **new)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item)
    if result.rowcount != 1:
        raise ConflictError(item)
    quarter = Quarter(item.year, item.quarter)
    verb = "accept" if accept else "return"
    summary = f"Accepted {what} for {quarter.label}" if accept else f"Returned {what} for {quarter.label} to the agency"
    record(actor, verb, entity, item.id, summary, old, new)
    return item


# --- locking and re-opening ------------------------------------------------------------------------


def lock(
    actor: User, quarter: Quarter, *, version: int, reason: str = "", today: date | None = None
) -> ReportingPeriod:
    """Lock (sign off) the quarter. With every return accepted no reason is needed; otherwise the
    reason for closing with items missing or unreviewed is required (ReviewError). Already locked
    raises QuarterLockedError; a period changed since `version` raises ConflictError."""
    ensure_unlocked(quarter)  # from here on, no save to the quarter can commit until this lock does
    reason = (reason or "").strip()
    board = tracker(quarter, today)
    if not board.all_accepted and not reason:
        waiting = len([i for i in board.items if i.state != "accepted"])
        raise ReviewError(
            f"{waiting} return{'s are' if waiting != 1 else ' is'} not accepted yet: "
            "enter the reason for closing the quarter with items missing"
        )
    period = board.period
    now = utcnow()
    stored_reason = reason or None
    _bump(period, version, locked_at=now, locked_by_id=actor.id, lock_reason=stored_reason)
    db.session.add(PeriodEvent(period_id=period.id, kind="locked", at=now, by_id=actor.id, reason=stored_reason))
    db.session.flush()
    summary = (
        f"Locked {quarter.label} with every return accepted"
        if stored_reason is None
        else f"Closed {quarter.label} with returns missing"
    )
    record(
        actor,
        "lock",
        "reporting_period",
        period.id,
        summary,
        {"locked": False},
        {"locked": True, "reason": stored_reason},
    )
    quarter_locked.send(quarter)
    return period


def reopen(actor: User, quarter: Quarter, *, version: int, reason: str) -> ReportingPeriod:
    """Re-open a locked quarter (admins only: the caller checks), with a required reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Enter the reason for re-opening the quarter")
    period = period_to_write(quarter)
    if not period.is_locked:
        raise ReviewError(f"{quarter.label} is not locked")
    old = {"locked": True, "locked_at": period.locked_at.isoformat(), "reason": period.lock_reason}
    now = utcnow()
    _bump(period, version, locked_at=None, locked_by_id=None, lock_reason=None)
    db.session.add(PeriodEvent(period_id=period.id, kind="reopened", at=now, by_id=actor.id, reason=reason))
    db.session.flush()
    record(
        actor,
        "reopen",
        "reporting_period",
        period.id,
        f"Re-opened {quarter.label}",
        old,
        {"locked": False, "reason": reason},
    )
    quarter_reopened.send(quarter)
    return period


# --- reminders ---------------------------------------------------------------------------------------


@dataclass
class Reminder:
    user: User
    period: ReportingPeriod
    kind: rules.ReminderKind
    items: list[Item]


def due_reminders(today: date) -> list[Reminder]:
    """The reminders to send on `today`: each active lead of an agency with outstanding returns, in each
    quarter whose reminder point has come, leaving out any (user, period, kind) already sent."""
    due: list[tuple[ReportingPeriod, rules.ReminderKind]] = []
    for period in periods():
        kind = rules.reminder_due(today, period.opens_on, period.deadline, period.is_locked)
        if kind is not None:
            due.append((period, kind))
    if not due:
        return []
    leads_by_agency: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        select(User).where(User.active.is_(True), User.role == Role.LEAD.value).order_by(User.email)
    ):
        leads_by_agency[user.agency_id].append(user)
    sent = set(
        tuple(r) for r in db.session.execute(select(ReminderSent.user_id, ReminderSent.period_id, ReminderSent.kind))
    )
    reminders = []
    for period, kind in due:
        for row in tracker(period.period, today).rows:
            outstanding = row.outstanding
            if not outstanding:
                continue
            for user in leads_by_agency.get(row.agency.id, []):
                if (user.id, period.id, kind.value) not in sent:
                    reminders.append(Reminder(user, period, kind, outstanding))
    return reminders


def record_reminder(reminder: Reminder) -> ReminderSent:
    """Record that `reminder` is being sent (flushes). If it was already sent, the unique key on
    (user, period, kind) raises IntegrityError: the caller rolls back and skips it.

    No savepoint here: on SQLite a savepoint that opens a transaction commits when released.
    """
    row = ReminderSent(
        user_id=reminder.user.id,
        period_id=reminder.period.id,
        kind=reminder.kind.value,
        sent_at=utcnow(),
        items=len(reminder.items),
    )
    db.session.add(row)
    db.session.flush()
    return row
