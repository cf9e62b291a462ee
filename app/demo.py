"""Demonstration users and two years of plausible quarterly updates, for trying the app out.

The story: the strategy started in April 2018. Every lead agency reported each quarter of 2018/19; the
coordinator accepted the returns and locked each quarter; the plan was refreshed for 2019/20 (actions
Complete at 2018/19 Q4 closed, the rest carried forward, most overdue ones with a new timescale); 2019/20
Q1 and Q2 were reported, accepted and locked the same way. The current quarter is 2019/20 Q3, and its
update window is open: some returns are accepted, some submitted and waiting for review, one was returned
to its agency with a comment, some are drafts and some are missing.

Everything made here is flagged `demo` and labelled "Demo data" wherever it appears, and commentary
starts with "[Demo]", so nobody mistakes it for a real return. Deterministic (a fixed random seed), and
skipped if present. `load_demo` adds the users and updates as submitted; `run_demo_cycle` then reviews,
locks and refreshes through the same service functions the pages use, so every step is audited and
every lock is a recorded event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.auth import service as auth_service
from app.auth.models import Agency, Role, User
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis.models import IndicatorValue
from app.permissions import can_accept_return
from app.refresh import service as refresh_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, default_dates

DEMO_DOMAIN = "demo.havering.example"
DEMO_YEAR = 2018  # 2018/19: the first year of the strategy
# The current quarter of the demo: two years of history (2018/19 and 2019/20 to date) to look back on.
DEMO_CURRENT = Quarter(2019, 3)
DEMO_REFRESH_YEAR = 2019  # the plan is refreshed once in the demo, for 2019/20
# The demo's window for the current quarter stays open this long after the demo is loaded: windows are
# judged against today's date, and the demo's quarter is in the past.
OPEN_FOR = timedelta(days=28)
NEW_TIMESCALE = "March 2020"  # agreed at the demo's refresh for most actions carried forward overdue

_PROGRESS = [
    "Delivered as planned this quarter; attendance from all partners.",
    "Work continues; two sessions held and feedback collected.",
    "Progress on track; next steps agreed at the Strategic Group.",
    "Resources confirmed and delivery started.",
    "Referral pathway reviewed with partners; no issues raised.",
    "Briefings delivered to front-line teams; evaluation forms returned.",
]
_SLIPPAGE = [
    "Delayed by staff vacancies; recruitment under way.",
    "Partner data not yet received, so reporting is behind schedule.",
    "Venue and funding not confirmed; options being explored.",
    "Information-sharing agreement still awaiting sign-off by one partner.",
]
_MITIGATION = [
    "Interim cover agreed with the Community Safety team; review at next Strategic Group.",
    "Escalated to the HCSP; data-sharing agreement being finalised.",
    "Chair to write to the partner's director; revised date to be agreed next quarter.",
]
_COMPLETE = [
    "Completed: delivered and signed off at the Strategic Group.",
    "Completed: the work is now part of business as usual.",
]
_RETURN_COMMENT = ("[Demo] Please say which sub-actions slipped and add the mitigation agreed at the "
                   "Strategic Group before resubmitting.")

# How a lead agency's status moves from one quarter to the next (a Markov chain): most work stays on
# track, slippage tends to persist for a quarter or two, and red is rare and usually recovers.
_NEXT = {
    Status.GREEN: ((Status.GREEN, 0.80), (Status.AMBER, 0.16), (Status.RED, 0.04)),
    Status.AMBER: ((Status.GREEN, 0.45), (Status.AMBER, 0.42), (Status.RED, 0.13)),
    Status.RED: ((Status.GREEN, 0.15), (Status.AMBER, 0.55), (Status.RED, 0.30)),
}
_START = ((Status.GREEN, 0.70), (Status.AMBER, 0.25), (Status.RED, 0.05))
MISSING_SHARE = 0.04  # of returns in the quarters already locked: a few never came in
CURRENT_MISSING, CURRENT_DRAFT = 0.18, 0.10  # of returns in the current quarter, before the deadline


@dataclass
class DemoResult:
    users: int = 0
    updates: int = 0
    password: str | None = None


@dataclass
class DemoCycleResult:
    accepted: int = 0
    returned: int = 0
    locked: list[str] | None = None
    refreshed: bool = False


def demo_quarters() -> list[Quarter]:
    """Every quarter the demo reports on, oldest first: 2018/19 Q1 to the current quarter."""
    return [q for q in Quarter(DEMO_YEAR, 1).year_quarters() + Quarter(DEMO_YEAR + 1, 1).year_quarters()
            if q <= DEMO_CURRENT]


def _pick(rng: random.Random, table) -> Status:
    roll, total = rng.random(), 0.0
    for status, share in table:
        total += share
        if roll < total:
            return status
    return table[-1][0]


def _when(rng: random.Random, quarter: Quarter) -> datetime:
    """A plausible submission time: in the fortnight either side of the quarter's end, in office hours."""
    day = quarter.end + timedelta(days=rng.randint(-12, 14))
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=UTC)


def _completing(rng: random.Random, actions: list[Action]) -> dict[int, Quarter]:
    """The quarter each completing action is reported Complete by all its leads.

    About half the actions due by March 2019 finish in 2018/19 Q4 and close at the refresh (the rest
    carry forward overdue); one other action finishes in the current quarter.
    """
    due_by = Quarter(DEMO_YEAR, 4).end
    due = sorted((a for a in actions if a.due_date is not None and a.due_date <= due_by), key=lambda a: a.code)
    done = {a.id: Quarter(DEMO_YEAR, 4) for a in rng.sample(due, len(due) // 2)}
    others = sorted((a for a in actions if a.id not in done and a not in due), key=lambda a: a.code)
    if others:
        done[rng.choice(others).id] = DEMO_CURRENT
    return done


def load_demo() -> DemoResult:
    """Add demo users and updates from 2018/19 Q1 to the current quarter unless they exist; flushes only.

    Updates are added as submitted (a few missing, and in the current quarter some drafts too) on the
    row in force for each quarter; `run_demo_cycle` then reviews and locks them.
    """
    result = DemoResult()
    if db.session.scalar(select(User).where(User.demo.is_(True)).limit(1)):
        return result
    rng = random.Random(2018)  # noqa: S311 - demo data, not security
    result.password = auth_service.generate_password()

    strategy = calendar.strategy()
    first_year_actions = list(db.session.scalars(
        select(Action).where(Action.plan_year == strategy.first_year).order_by(Action.id)))
    lead_agencies = sorted({lead.agency for a in first_year_actions for lead in a.leads}, key=lambda a: a.name)

    csp = auth_service.find_agency("Community Safety Partnership") or lead_agencies[0]
    people: list[tuple[str, str, Role, Agency]] = [
        (f"coordinator@{DEMO_DOMAIN}", "Demo Coordinator", Role.COORDINATOR, csp),
        (f"viewer@{DEMO_DOMAIN}", "Demo Board Member", Role.VIEWER, csp),
    ]
    for agency in lead_agencies:
        slug = "".join(ch for ch in agency.short_name.lower() if ch.isalnum())
        people.append((f"lead.{slug}@{DEMO_DOMAIN}", f"Demo Lead ({agency.short_name})", Role.LEAD, agency))
    leads_by_agency: dict[int, User] = {}
    for email, name, role, agency in people:
        user = auth_service.create_user(None, email=email, name=name, role=role, agency=agency,
                                        password=result.password, demo=True)
        result.users += 1
        if role is Role.LEAD:
            leads_by_agency[agency.id] = user

    completing = _completing(rng, first_year_actions)
    status_of: dict[tuple[int, int], Status] = {}  # (first-year action id, agency id) -> last status
    for quarter in demo_quarters():
        current = quarter == DEMO_CURRENT
        for first in first_year_actions:
            done_at = completing.get(first.id)
            if done_at is not None and done_at < quarter:
                continue  # closed at the refresh: nothing more to report
            # File on the row in force for the quarter, so a demo loaded after a real refresh still fits.
            action = actions_service.row_in_force(first, quarter)
            if action is None or action.retired_at is not None:
                continue
            for lead in action.leads:
                key = (first.id, lead.agency_id)
                previous = status_of.get(key)
                status = _pick(rng, _NEXT[previous] if previous else _START)
                if done_at == quarter:
                    status = Status.COMPLETE
                status_of[key] = status
                roll = rng.random()
                if roll < (CURRENT_MISSING if current else MISSING_SHARE):
                    continue  # this return never came in (or has not come in yet)
                draft = current and roll < CURRENT_MISSING + CURRENT_DRAFT
                author = leads_by_agency.get(lead.agency_id)
                if status is Status.COMPLETE:
                    text = rng.choice(_COMPLETE)
                else:
                    text = rng.choice(_SLIPPAGE if status.needs_mitigation else _PROGRESS)
                when = _when(rng, quarter)
                db.session.add(Update(
                    action_id=action.id, agency_id=lead.agency_id, year=quarter.year, quarter=quarter.number,
                    status=status.value, commentary=f"[Demo] {text}",
                    mitigation=f"[Demo] {rng.choice(_MITIGATION)}" if status.needs_mitigation else "",
                    state="draft" if draft else "submitted", demo=True,
                    updated_by_id=author.id if author else None, updated_at=when,
                    submitted_by_id=None if draft or author is None else author.id,
                    submitted_at=None if draft else when,
                ))
                result.updates += 1
    strategy.current_quarter = DEMO_CURRENT.slug
    db.session.flush()
    return result


def _demo_coordinator() -> User:
    return db.session.scalar(select(User).where(User.demo.is_(True), User.role == Role.COORDINATOR.value))


def _accept_all(actor: User, quarter: Quarter, rng: random.Random | None = None, share: float = 1.0) -> int:
    """Accept the quarter's submitted demo updates and values (all, or about `share` of them)."""
    accepted = 0
    items = list(db.session.scalars(
        select(Update).where(Update.year == quarter.year, Update.quarter == quarter.number,
                             Update.state == "submitted", Update.demo.is_(True)).order_by(Update.id)))
    items += list(db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.year == quarter.year, IndicatorValue.quarter == quarter.number,
                                     IndicatorValue.state == "submitted", IndicatorValue.demo.is_(True))
        .order_by(IndicatorValue.id)))
    for item in items:
        if share < 1.0 and rng is not None and rng.random() >= share:
            continue
        if not can_accept_return(actor, item):
            continue
        cycle_service.review(actor, item, version=item.version, accept=True)
        accepted += 1
    return accepted


def _lock(actor: User, quarter: Quarter) -> bool:
    if calendar.is_locked(quarter):
        return False
    board = cycle_service.tracker_summary(quarter)
    waiting = board.due - board.accepted
    reason = "" if not waiting else (
        f"[Demo] Closed for the Strategic Group with {waiting} "
        f"return{'s' if waiting != 1 else ''} not received by the deadline; chased by the VAWG officer.")
    cycle_service.lock(actor, quarter, version=board.period.version, reason=reason)
    return True


def _refresh(actor: User) -> bool:
    """Refresh the plan for 2019/20 as a coordinator would: keep each target in force, and give every
    action carried forward overdue but one (left overdue on purpose, to show the flag) a new timescale."""
    if refresh_service.refusal(DEMO_REFRESH_YEAR) is not None:
        return False
    preview = refresh_service.preview(DEMO_REFRESH_YEAR)
    targets = {
        row.indicator.id: refresh_service.TargetChoice(row.in_force.value, row.in_force.lower, row.in_force.upper)
        for row in preview.targets if row.in_force is not None
    }
    overdue = sorted(preview.past_due, key=lambda r: r.action.code)
    timescales = {row.action.id: NEW_TIMESCALE for row in overdue[1:]}
    refresh_service.run_refresh(actor, DEMO_REFRESH_YEAR, targets=targets, timescales=timescales)
    return True


def run_demo_cycle(today: date | None = None) -> DemoCycleResult:
    """Review, lock and refresh the demo's quarters through the cycle's own services; flushes only.

    Every quarter before the current one is accepted and locked (with a reason where returns are
    missing), the plan is refreshed for 2019/20 between 2018/19 Q4 and 2019/20 Q1, and in the current
    quarter about half the submitted returns are accepted and exactly one is returned with a comment.
    The current quarter's window is kept open until OPEN_FOR after `today`.
    """
    result = DemoCycleResult(locked=[])
    actor = _demo_coordinator()
    if actor is None:
        return result
    rng = random.Random(201920)  # noqa: S311 - demo data, not security
    for quarter in demo_quarters():
        if quarter.year == DEMO_REFRESH_YEAR and quarter.number == 1:
            result.refreshed = _refresh(actor)
        if quarter == DEMO_CURRENT:
            break
        result.accepted += _accept_all(actor, quarter)
        if _lock(actor, quarter):
            result.locked.append(quarter.label)

    result.accepted += _accept_all(actor, DEMO_CURRENT, rng, share=0.5)
    returned = db.session.scalar(
        select(Update).where(Update.year == DEMO_CURRENT.year, Update.quarter == DEMO_CURRENT.number,
                             Update.state == "submitted", Update.demo.is_(True),
                             Update.status.in_([Status.AMBER.value, Status.RED.value]))
        .order_by(Update.id).limit(1))
    if returned is not None:
        cycle_service.review(actor, returned, version=returned.version, accept=False, comment=_RETURN_COMMENT)
        result.returned = 1

    period = calendar.period_for(DEMO_CURRENT)
    opens_on, deadline = default_dates(DEMO_CURRENT)
    deadline = max(deadline, (today or date.today()) + OPEN_FOR)
    if (period.opens_on, period.deadline) != (opens_on, deadline):
        cycle_service.set_dates(actor, DEMO_CURRENT, version=period.version, opens_on=opens_on, deadline=deadline)
    db.session.flush()
    return result
