"""Every query and write of the quarterly cycle.

Functions here flush and never commit: the view or command that calls them commits once.
The tracker loads a quarter in a constant number of queries, whatever the size of the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from blinker import Namespace
from sqlalchemy import Integer, String, and_, cast, func, literal, null, select, union_all

from app.actions import service as actions_service
from app.actions.models import Action, ActionLead, Objective, Update
from app.audit.service import record
from app.auth.models import Agency, Role, User
from app.cycle import deadlines as rules  # the cycle's pure rules (was app/cycle/rules.py)
from app.cycle.models import NoticeSent, PeriodEvent, ReminderSent
from app.database import page_with_total, utcnow
from app.errors import ConflictError
from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.permissions import can_accept_return
from app.strategy import service as calendar
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
class ReturnCounts:
    """One lead agency's returns due and submitted for a quarter, and what follows from them."""

    agency: Agency
    actions_due: int = 0
    actions_submitted: int = 0
    indicators_due: int = 0
    indicators_submitted: int = 0

    def count(self, kind: str, state: str, n: int = 1) -> None:
        """Count `n` returns of `kind` ("action" or "indicator") in `state` as due, and as submitted once
        submitted or accepted."""
        reported = n if state in ("submitted", "accepted") else 0
        if kind == "action":
            self.actions_due += n
            self.actions_submitted += reported
        else:
            self.indicators_due += n
            self.indicators_submitted += reported

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
class AgencyRow(ReturnCounts):
    """The counts with every item loaded (the reminders)."""

    items: list[Item] = field(default_factory=list)

    @property
    def outstanding(self) -> list[Item]:
        return [i for i in self.items if i.outstanding]


@dataclass
class QuarterBoard:
    """A quarter's period, its status and every lead agency's counts, whichever way they were loaded."""

    quarter: Quarter
    period: ReportingPeriod
    status: rules.PeriodStatus
    rows: list[ReturnCounts]

    @property
    def overdue(self) -> bool:
        """Outstanding items are overdue once the deadline has passed and the quarter is not locked."""
        return self.status is rules.PeriodStatus.CLOSED

    @property
    def due(self) -> int:
        return sum(r.due for r in self.rows)

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.rows)

    @property
    def completion(self) -> int | None:
        return rules.completion(self.submitted, self.due)


@dataclass
class Tracker(QuarterBoard):
    """The board with every item loaded: for the reminders, which list each outstanding return."""

    rows: list[AgencyRow]

    @property
    def items(self) -> list[Item]:
        return [i for r in self.rows for i in r.items]

    @property
    def awaiting_review(self) -> list[Item]:
        return [i for i in self.items if i.state == "submitted"]

    @property
    def all_accepted(self) -> bool:
        return all(i.state == "accepted" for i in self.items)


def tracker(quarter: Quarter, today: date | None = None) -> Tracker:
    """Every lead agency's returns for `quarter`: due, submitted, and each item with its saved row, in four
    queries whatever the size of the plan.

    What is due is `_due_returns`, as on the tracker page; the counts follow ReturnCounts.count. Agencies
    with nothing due are left out.
    """
    updates = {u.id: u for u in db.session.scalars(
        select(Update).where(Update.year == quarter.year, Update.quarter == quarter.number)
        .options(*actions_service.LEAN_UPDATE))}
    values = {v.id: v for v in db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.year == quarter.year, IndicatorValue.quarter == quarter.number))}
    rows: dict[int, AgencyRow] = {}
    for line in all_returns(quarter):
        saved = (updates if line.kind == "action" else values).get(line.row_id)
        row = rows.setdefault(line.agency.id, AgencyRow(line.agency))
        row.count(line.kind, line.state)
        row.items.append(Item(line.kind, line.code, line.title, line.agency, line.action_id, line.state, saved,
                              returned=bool(saved and saved.is_returned)))
    period = period_for(quarter)
    ordered = sorted(rows.values(), key=lambda r: r.agency.name.lower())
    return Tracker(quarter, period, status_of(period, today), ordered)


# --- the tracker page: counts in SQL, one page of returns ---------------------------------------------
#
# Both views of the quarter start from `_due_returns`, the one definition of what is due. `tracker` above
# also loads every saved return as an object, which only the reminders need (they list each outstanding
# return). The page, the lock's check, the report and the demo need far less, and at 100 times the plan
# loading everything cost 23 times the 1x time (issue 11): here the counts are one GROUP BY over the
# quarter's returns, and the list is one page.

RETURNS_PAGE_SIZE = 50  # returns listed per page of the tracker; the seeded plan's waiting list fits on one

# The tracker's list of returns shows one of these; "waiting" (submitted, to review) first.
SHOW = {
    "waiting": "Waiting for review",
    "outstanding": "Outstanding (not started, draft or returned)",
    "accepted": "Accepted",
    "all": "All returns",
}
_SHOW_STATES = {"waiting": ("submitted",), "outstanding": ("missing", "draft"), "accepted": ("accepted",),
                "all": ("missing", "draft", "submitted", "accepted")}


def _due_returns(quarter: Quarter):
    """Every return due for `quarter` as one SQL subquery (nothing loaded): one row per action and lead
    agency of the plan in force, and per active indicator reporting that quarter, with its row (if any).

    Columns: kind ("action"/"indicator"), code, title, agency_id, action_id (None for an indicator),
    row_id (the update's or value's id, None when missing), state ("missing" when there is no row),
    returned (a draft with the coordinator's comment), submitter_id, and sort keys.
    """
    on_quarter = (Update.year == quarter.year, Update.quarter == quarter.number)
    actions_part = (
        select(
            literal("action", String).label("kind"), Action.code.label("code"), Action.title.label("title"),
            ActionLead.agency_id.label("agency_id"), Action.id.label("action_id"), Update.id.label("row_id"),
            func.coalesce(Update.state, "missing").label("state"),
            and_(Update.state == "draft", Update.review_comment.is_not(None)).label("returned"),
            Update.submitted_by_id.label("submitter_id"),
            Objective.code.label("group_key"), Action.position.label("position"),
        )
        .join(ActionLead, ActionLead.action_id == Action.id)
        .join(Objective, Objective.id == Action.objective_id)
        .outerjoin(Update, and_(Update.action_id == Action.id, Update.agency_id == ActionLead.agency_id, *on_quarter))
        .where(Action.plan_year == calendar.plan_year_for(quarter), Action.retired_at.is_(None))
    )
    indicators_part = (
        select(
            literal("indicator", String), Indicator.code, Indicator.name, Indicator.owner_agency_id,
            cast(null(), Integer), IndicatorValue.id, func.coalesce(IndicatorValue.state, "missing"),
            and_(IndicatorValue.state == "draft", IndicatorValue.review_comment.is_not(None)),
            IndicatorValue.entered_by_id, Indicator.code, literal(0, Integer),
        )
        .outerjoin(IndicatorValue, and_(IndicatorValue.indicator_id == Indicator.id,
                                        IndicatorValue.year == quarter.year, IndicatorValue.quarter == quarter.number))
        .where(Indicator.active.is_(True))
    )
    if quarter.number != 4:  # annual indicators report once a year, in Q4 (Indicator.takes_value_in)
        indicators_part = indicators_part.where(Indicator.frequency != "annual")
    return union_all(actions_part, indicators_part).subquery("due")


@dataclass
class AgencyCounts(ReturnCounts):
    """One lead agency's returns for the quarter, counted in SQL."""

    waiting: int = 0  # submitted, not yet reviewed

    @property
    def outstanding(self) -> int:
        return self.due - self.submitted


@dataclass
class TrackerSummary(QuarterBoard):
    """The tracker page's figures (also the lock's check, the report's returns table and the demo's lock):
    every agency's counts, the period and its status."""

    rows: list[AgencyCounts]

    @property
    def waiting(self) -> int:
        return sum(r.waiting for r in self.rows)

    @property
    def accepted(self) -> int:
        return self.submitted - self.waiting

    @property
    def all_accepted(self) -> bool:
        return self.accepted == self.due


def tracker_summary(quarter: Quarter, today: date | None = None) -> TrackerSummary:
    """Every lead agency's due, submitted and waiting counts for `quarter`, by agency name; two queries
    whatever the size of the plan (one GROUP BY, one for the agencies). Agencies with nothing due are left out."""
    due = _due_returns(quarter)
    counts = db.session.execute(
        select(due.c.agency_id, due.c.kind, due.c.state, func.count()).group_by(due.c.agency_id, due.c.kind,
                                                                                due.c.state))
    rows: dict[int, AgencyCounts] = {}
    for agency_id, kind, state, n in counts:
        row = rows.setdefault(agency_id, AgencyCounts(None))
        row.count(kind, state, n)
        row.waiting += n if state == "submitted" else 0
    for agency in db.session.scalars(select(Agency).where(Agency.id.in_(rows))):
        rows[agency.id].agency = agency
    period = period_for(quarter)
    ordered = sorted(rows.values(), key=lambda r: r.agency.name.lower())
    return TrackerSummary(quarter, period, status_of(period, today), ordered)


@dataclass
class ReturnLine:
    """One return in the tracker's list or the review queue: data only, the page builds its links."""

    kind: str  # "action" or "indicator"
    code: str
    title: str
    agency: Agency
    action_id: int | None
    row_id: int | None  # None while nothing has been saved
    state: str  # "missing", "draft", "submitted" or "accepted"
    returned: bool
    submitter_id: int | None = None

    @property
    def owner_agency_id(self) -> int:
        """As on a return (app.returns), so can_accept_return judges a line without loading its row."""
        return self.agency.id

    @property
    def key(self) -> str:
        """The return's name in a form or a URL: "update-12", "value-5"."""
        return f"{self.review_kind}-{self.row_id}"

    @property
    def kind_label(self) -> str:
        return "Action update" if self.kind == "action" else "Indicator value"

    @property
    def review_kind(self) -> str:
        """The review page's name for this kind of return (its URL's `kind`)."""
        return "update" if self.kind == "action" else "value"

    @property
    def state_label(self) -> str:
        if self.returned:
            return "Returned for changes"
        return {"missing": "Not started", "draft": "Draft", "submitted": "Waiting for review",
                "accepted": "Accepted"}[self.state]


def _returns_query(quarter: Quarter, show: str, agency_id: int | None):
    """The returns `show` names, each with its agency (not ordered)."""
    due = _due_returns(quarter)
    query = (select(due, Agency).join(Agency, Agency.id == due.c.agency_id)
             .where(due.c.state.in_(_SHOW_STATES[show])))
    if agency_id is not None:
        query = query.where(due.c.agency_id == agency_id)
    return due, query


def returns_page(quarter: Quarter, *, show: str = "waiting", agency_id: int | None = None, page: int = 1,
                 per_page: int = RETURNS_PAGE_SIZE) -> tuple[list[ReturnLine], int]:
    """One page of the quarter's returns that `show` names (a key of SHOW), optionally of one agency,
    by agency then plan order (actions before indicators), and how many there are in all.

    One query: the count rides along on every row as a window over the whole selection, where a
    count of its own read every return due a second time (issue 11; database.page_with_total).
    """
    due, query = _returns_query(quarter, show, agency_id)
    rows, total = page_with_total(db.session, query.order_by(*_queue_order(due)), page, per_page)
    return [_line(r) for r in rows], total


def all_returns(quarter: Quarter, *, show: str = "all", agency_id: int | None = None) -> list[ReturnLine]:
    """Every return that `show` names, in the tracker's order, for the CSV download; one query."""
    due, query = _returns_query(quarter, show, agency_id)
    return [_line(r) for r in db.session.execute(query.order_by(*_queue_order(due)))]


def _line(r) -> ReturnLine:
    return ReturnLine(r.kind, r.code, r.title, r.Agency, r.action_id, r.row_id, r.state, bool(r.returned),
                      r.submitter_id)


def _queue_order(due):
    return (func.lower(Agency.name), due.c.kind, due.c.group_key, due.c.position, due.c.code)


def review_queue(actor: User, quarter: Quarter) -> list[ReturnLine]:
    """The returns of `quarter` waiting for review, in the tracker's order, leaving out those `actor`
    may not accept (their own submissions: separation of duties); one query."""
    due, query = _returns_query(quarter, "waiting", None)
    lines = [_line(r) for r in db.session.execute(query.order_by(*_queue_order(due)))]
    return [line for line in lines if can_accept_return(actor, line)]


def queue_neighbours(queue: list[ReturnLine], key: str) -> tuple[int | None, ReturnLine | None]:
    """Where the return named `key` stands in `queue` (1-based; None when it is not waiting) and the
    return to open after it: the next one, else the first still waiting that is not this one."""
    keys = [line.key for line in queue]
    if key in keys:
        at = keys.index(key)
        after = queue[at + 1:] or [line for line in queue[:at]]
        return at + 1, (after[0] if after else None)
    return None, (queue[0] if queue else None)


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


class BulkAcceptError(ValueError):
    """Some of the returns chosen cannot be accepted, so none was; `rows` names each with its reason."""

    def __init__(self, message: str, rows: list[str]):
        super().__init__(message)
        self.rows = rows


RETURN_MODELS = {"update": Update, "value": IndicatorValue}  # a return's kind, as in review URLs and forms


def parse_keys(keys: list[str]) -> list[tuple[str, int]]:
    """("update", 12) for "update-12", in order, without repeats; anything else in `keys` is dropped."""
    found: list[tuple[str, int]] = []
    for key in keys:
        kind, _, number = (key or "").partition("-")
        if kind in RETURN_MODELS and number.isascii() and number.isdigit() and len(number) <= 9:
            pair = (kind, int(number))
            if pair not in found:
                found.append(pair)
    return found


def load_returns(quarter: Quarter, keys: list[tuple[str, int]]) -> list[Update | IndicatorValue]:
    """The returns `keys` name that belong to `quarter`, in the order given; unknown ones are left out."""
    rows: dict[tuple[str, int], Update | IndicatorValue] = {}
    for kind, model in RETURN_MODELS.items():
        ids = [i for k, i in keys if k == kind]
        if ids:
            for row in db.session.scalars(select(model).where(
                    model.id.in_(ids), model.year == quarter.year, model.quarter == quarter.number)):
                rows[(kind, row.id)] = row
    return [rows[k] for k in keys if k in rows]


def return_label(item: Update | IndicatorValue) -> str:
    """A return as a person names it: "A2 from Police", "DV01 from Police"."""
    if isinstance(item, Update):
        return f"{item.action.code} from {item.agency.short_name}"
    return f"{item.indicator.code} from {item.indicator.owner.short_name}"


def bulk_accept(actor: User, quarter: Quarter, chosen: list[tuple[Update | IndicatorValue, int]]) -> int:
    """Accept every (return, version seen) in `chosen`, all or none, each through `review` (so each is
    audited); how many. Refused whole, naming the rows: any return the actor submitted for their own
    agency (ReviewForbiddenError first, before anything is written) or any changed since it was seen or no
    longer waiting (BulkAcceptError, after which the caller rolls back). A locked quarter raises
    QuarterLockedError; nothing chosen raises ReviewError.
    """
    if not chosen:
        raise ReviewError("Select the returns to accept")
    ensure_unlocked(quarter)
    own = [return_label(item) for item, _ in chosen if not can_accept_return(actor, item)]
    if own:
        raise ReviewForbiddenError(
            "You submitted these returns for your own agency, so someone else must accept them "
            f"(separation of duties): {', '.join(own)}. Nothing was accepted.")
    changed = []
    for item, version in chosen:
        label = return_label(item)  # before the write: a conflict leaves the row as it was
        try:
            review(actor, item, version=version, accept=True)
        except ConflictError:
            changed.append(label)
    if changed:
        raise BulkAcceptError(
            f"{len(changed)} of the returns changed since you chose them (or are no longer waiting for "
            "review), so none was accepted. Check them and choose again.", changed)
    return len(chosen)


# --- locking and re-opening ------------------------------------------------------------------------


def lock(
    actor: User, quarter: Quarter, *, version: int, reason: str = "", today: date | None = None
) -> ReportingPeriod:
    """Lock (sign off) the quarter. With every return accepted no reason is needed; otherwise the
    reason for closing with items missing or unreviewed is required (ReviewError). Already locked
    raises QuarterLockedError; a period changed since `version` raises ConflictError."""
    ensure_unlocked(quarter)  # from here on, no save to the quarter can commit until this lock does
    reason = (reason or "").strip()
    board = tracker_summary(quarter, today)
    if not board.all_accepted and not reason:
        waiting = board.due - board.accepted
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


# --- notices: emails on an event (app.cycle.notices sends them after the commit) ----------------------


def line_of(item: Update | IndicatorValue) -> ReturnLine:
    """A saved return as a line of the tracker, for an email's link and name."""
    if isinstance(item, Update):
        return ReturnLine("action", item.action.code, item.action.title, item.agency, item.action_id, item.id,
                          item.state, item.is_returned, item.submitter_id)
    indicator = item.indicator
    return ReturnLine("indicator", indicator.code, indicator.name, indicator.owner, None, item.id, item.state,
                      item.is_returned, item.submitter_id)


def returned_recipients(item: Update | IndicatorValue) -> list[User]:
    """Who hears that a return was sent back: the person who submitted it, or, if they cannot act on it
    (gone, or an import), the active leads of its agency."""
    submitter = db.session.get(User, item.submitter_id) if item.submitter_id else None
    if submitter is not None and submitter.active and submitter.agency_id == item.owner_agency_id:
        return [submitter]
    return list(db.session.scalars(select(User).where(
        User.active.is_(True), User.role == Role.LEAD.value, User.agency_id == item.owner_agency_id)
        .order_by(User.email)))


def all_in_recipients(quarter: Quarter) -> tuple[ReportingPeriod | None, list[User]]:
    """When every return due for `quarter` is in (submitted or accepted): its period and the active
    coordinators not yet told so; (None, []) while any is missing or a draft."""
    summary = tracker_summary(quarter)
    period = summary.period
    if summary.due == 0 or summary.submitted < summary.due or period.id is None or period.is_locked:
        return None, []
    told = select(NoticeSent.user_id).where(NoticeSent.period_id == period.id, NoticeSent.kind == "all_in")
    return period, list(db.session.scalars(select(User).where(
        User.active.is_(True), User.role == Role.COORDINATOR.value, User.id.not_in(told)).order_by(User.email)))


def record_notice(user: User, period: ReportingPeriod, kind: str, about: str = "") -> NoticeSent:
    """Record that a notice went to `user` (flushes)."""
    row = NoticeSent(user_id=user.id, period_id=period.id, kind=kind, sent_at=utcnow(), about=about[:200])
    db.session.add(row)
    db.session.flush()
    return row


SENT_LIMIT = 50  # emails listed on the tracker, newest first


@dataclass
class SentLine:
    """One email the cycle sent for a quarter: to whom, what, when (never what it said)."""

    user: User
    what: str
    sent_at: datetime


_SENT_WORDS = {"opening": "Reminder: the window is open", "due_soon": "Reminder: due in three working days",
               "overdue": "Reminder: overdue", "returned": "Return sent back", "all_in": "Every return is in"}


def sent_for(period: ReportingPeriod) -> tuple[list[SentLine], int]:
    """The reminders and notices sent for `period`'s quarter, newest first (at most SENT_LIMIT), and how
    many in all; none for a period not yet saved."""
    if period.id is None:
        return [], 0
    reminders = select(ReminderSent.user_id, ReminderSent.kind, literal("", String).label("about"),
                       ReminderSent.sent_at).where(ReminderSent.period_id == period.id)
    notices = select(NoticeSent.user_id, NoticeSent.kind, NoticeSent.about, NoticeSent.sent_at).where(
        NoticeSent.period_id == period.id)
    sent = union_all(reminders, notices).subquery()
    total = db.session.scalar(select(func.count()).select_from(sent))
    rows = db.session.execute(select(sent, User).join(User, User.id == sent.c.user_id)
                              .order_by(sent.c.sent_at.desc(), User.email).limit(SENT_LIMIT))
    lines = [SentLine(r.User, _SENT_WORDS[r.kind] + (f" ({r.about})" if r.about else ""), r.sent_at) for r in rows]
    return lines, total
