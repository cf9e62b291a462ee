"""Every query and write of the quarterly cycle.

Functions here flush and never commit: the view or command that calls them commits once.
The tracker loads a quarter in a constant number of queries, whatever the size of the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from blinker import Namespace
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.audit.service import record
from app.auth.models import Agency, Role, User
from app.cycle import deadlines as rules  # the cycle's pure rules (was app/cycle/rules.py)
from app.cycle.models import PeriodEvent, ReminderSent
from app.database import utcnow
from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.permissions import can_accept_return
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter
from app.strategy.service import ensure_unlocked, period_for, period_to_write, periods
from app.versioning import bump

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


def set_dates(actor: User, quarter: Quarter, *, version: int, opens_on: date, deadline: date) -> ReportingPeriod:
    """Change the window of `quarter`. The deadline must fall after the open date (ReviewError otherwise)."""
    if deadline <= opens_on:
        raise ReviewError("The deadline must be after the date the window opens")
    period = period_to_write(quarter)
    old = {"opens_on": period.opens_on.isoformat(), "deadline": period.deadline.isoformat()}
    bump(period, version, opens_on=opens_on, deadline=deadline)
    new = {"opens_on": opens_on.isoformat(), "deadline": deadline.isoformat()}
    record(actor, "set-dates", ReportingPeriod.AUDIT_ENTITY, period.id, f"Set the {quarter.label} update window",
           old, new)
    return period


# --- the submission tracker ------------------------------------------------------------------------


@dataclass
class Item:
    """One return due from one agency: an action update or an indicator value."""

    kind: str  # "action" or "indicator"
    code: str
    title: str
    agency: Agency
    path: str  # where the lead fills it in
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


def _path(endpoint: str, fallback: str, **values) -> str:
    try:
        return url_for(endpoint, **values)
    except (BuildError, RuntimeError):
        return fallback


def _indicator_path(indicator: Indicator, quarter: Quarter) -> str:
    return _path(
        "kpis.enter_value",
        f"/indicators/{indicator.code}/values/{quarter.slug}",
        code=indicator.code,
        quarter_slug=quarter.slug,
    )


def _update_path(action: Action, agency_id: int, quarter: Quarter) -> str:
    return f"/actions/{action.id}/updates/{agency_id}/{quarter.slug}"


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
                    _update_path(action, lead.agency_id, quarter),
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
                _indicator_path(indicator, quarter),
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
    entity, what = item.AUDIT_ENTITY, item.review_subject
    old = {"state": item.state, "review_comment": item.review_comment}
    new = {"state": "accepted" if accept else "draft", "review_comment": None if accept else comment}
    bump(item, version, type(item).state == "submitted", reviewed_by_id=actor.id, reviewed_at=utcnow(), **new)
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
    bump(period, version, locked_at=now, locked_by_id=actor.id, lock_reason=stored_reason)
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
        ReportingPeriod.AUDIT_ENTITY,
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
    bump(period, version, locked_at=None, locked_by_id=None, lock_reason=None)
    db.session.add(PeriodEvent(period_id=period.id, kind="reopened", at=now, by_id=actor.id, reason=reason))
    db.session.flush()
    record(
        actor,
        "reopen",
        ReportingPeriod.AUDIT_ENTITY,
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


def reminder_email(reminder: Reminder, public_url: str) -> tuple[str, str]:
    """(subject, body) of a reminder: the items and their links, never a value or a commentary."""
    quarter = reminder.period.period
    deadline = reminder.period.deadline.strftime("%-d %B %Y")
    subject = {
        rules.ReminderKind.OPENING: f"VAWG action plan: {quarter.label} updates are open",
        rules.ReminderKind.DUE_SOON: f"VAWG action plan: {quarter.label} updates are due by {deadline}",
        rules.ReminderKind.OVERDUE: f"VAWG action plan: {quarter.label} updates are overdue",
    }[reminder.kind]
    opening = {
        rules.ReminderKind.OPENING: f"The update window for {quarter.label} is open. The deadline is {deadline}.",
        rules.ReminderKind.DUE_SOON: f"The deadline for {quarter.label} updates is {deadline}, in three working days.",
        rules.ReminderKind.OVERDUE: f"The deadline for {quarter.label} updates was {deadline}. "
        "These returns are now overdue.",
    }[reminder.kind]
    base = public_url.rstrip("/")
    agency = reminder.items[0].agency.name if reminder.items else reminder.user.agency.name
    lines = [
        f"Dear {reminder.user.name},",
        "",
        opening,
        "",
        f"{agency} still has {len(reminder.items)} return{'' if len(reminder.items) == 1 else 's'} to submit:",
        "",
    ]
    for item in reminder.items:
        note = (
            " (returned for changes)"
            if item.returned
            else (" (draft not yet submitted)" if item.state == "draft" else "")
        )
        lines.append(f"- {item.kind_label} {item.code}: {item.title}{note}")
        lines.append(f"  {base}{item.path}")
    lines += [
        "",
        f"Sign in at {base}/ to see all your agency's actions.",
        "",
        "Havering Community Safety Partnership - VAWG action plan",
        "You receive this because you are a lead for your agency. Reply to the VAWG officer with questions.",
    ]
    return subject, "\n".join(lines)
