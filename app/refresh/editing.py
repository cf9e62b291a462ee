"""Every query and write of editing the refreshed plan: which plan year may change, and editing,
retiring and adding its actions.

The refresh itself is app.refresh.service. Functions here flush and never commit: the view commits once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select

from app.actions.models import Action, ActionLead, Objective, SubAction, SubActionStatus
from app.actions.timescale import derive_due_date
from app.audit.service import changed_fields, record
from app.auth.models import Agency, User
from app.database import utcnow
from app.errors import DuplicateError
from app.extensions import db
from app.refresh.service import RefreshRefusedError, locked_quarters, refresh_for
from app.strategy.quarters import financial_year_label
from app.versioning import bump

REASON_LIMIT = 2000  # characters: a short paragraph on why an action is retired


class PlanYearReadOnlyError(Exception):
    """The action belongs to a plan year that is not the refreshed plan in force: it stays as it was."""

    def __init__(self, action: Action | None = None, year: int | None = None):
        year = action.plan_year if action is not None else year
        super().__init__(
            f"The {financial_year_label(year)} plan is read-only: only the latest refreshed year's plan can "
            "be changed, so earlier years' plans, updates and reports stay exactly as they were."
        )
        self.year = year


# --- which plan year may change ------------------------------------------------------------


def latest_plan_year() -> int | None:
    return db.session.scalar(select(func.max(Action.plan_year)))


def writable_year() -> int | None:
    """The plan year that may be changed: the latest one, and only once a refresh created it.

    The seeded first year and every year a later refresh superseded are read-only.
    """
    latest = latest_plan_year()
    if latest is None or refresh_for(latest) is None:
        return None
    return latest


def is_writable(action: Action) -> bool:
    return action.plan_year == writable_year()


def ensure_writable(action: Action) -> None:
    """Raise PlanYearReadOnlyError unless `action` is in the refreshed plan in force."""
    if not is_writable(action):
        raise PlanYearReadOnlyError(action)


def _ensure_year_open(year: int, doing: str) -> None:
    # Retiring or adding an action changes every quarter's counts in its year, so a signed-off
    # quarter's report would change: refuse, as the cycle refuses writes to a locked quarter.
    locked = locked_quarters(year)
    if locked:
        raise RefreshRefusedError(
            f"{locked[0].label} is locked: {doing} now would change its signed-off report. "
            "Ask an admin to re-open it first, or record the change in next year's refresh."
        )


# --- editing the refreshed plan --------------------------------------------------------------


def plan_actions(year: int) -> list[Action]:
    """Every action row of plan year `year` (retired ones too), in plan order."""
    return list(db.session.scalars(
        select(Action).join(Objective).where(Action.plan_year == year).order_by(Objective.code, Action.position)
    ))


def _snapshot(action: Action) -> dict:
    return {
        "title": action.title,
        "timescale": action.timescale,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "outcomes": list(action.outcomes or []),
        "sub_actions": [s.text for s in action.sub_actions],
        "leads": [lead.agency.short_name for lead in action.leads],
        "retired": action.retired_at is not None,
        "retired_reason": action.retired_reason,
    }


def _clean_lines(lines: Sequence[str]) -> list[str]:
    return [line.strip() for line in lines if line and line.strip()]


def _agencies(lead_ids: Sequence[int]) -> list[Agency]:
    ids = list(dict.fromkeys(lead_ids))  # keep the order chosen, drop repeats
    found = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(ids)))}
    if not ids or len(found) != len(ids):
        raise ValueError("Select at least one lead agency")
    return [found[i] for i in ids]


def _sync_children(action: Action, sub_actions: list[str], agencies: list[Agency]) -> None:
    by_number = {s.number: s for s in action.sub_actions}
    for number, text in enumerate(sub_actions, start=1):
        if number in by_number:
            by_number[number].text = text
        else:
            action.sub_actions.append(SubAction(number=number, text=text))
    for number, sub in by_number.items():
        if number > len(sub_actions):
            action.sub_actions.remove(sub)
    by_agency = {lead.agency_id: lead for lead in action.leads}
    wanted = [a.id for a in agencies]
    for lead in list(action.leads):
        if lead.agency_id not in wanted:
            action.leads.remove(lead)
    for position, agency in enumerate(agencies):
        if agency.id in by_agency:
            by_agency[agency.id].position = position
        else:
            action.leads.append(ActionLead(agency_id=agency.id, position=position))


def _sub_actions_in_use(action: Action, keep: int) -> list[int]:
    """Numbers above `keep` whose sub-action has a status reported against it (so cannot be removed)."""
    doomed = [s.id for s in action.sub_actions if s.number > keep]
    if not doomed:
        return []
    used = set(db.session.scalars(
        select(SubActionStatus.sub_action_id).where(SubActionStatus.sub_action_id.in_(doomed))))
    return [s.number for s in action.sub_actions if s.id in used]


def edit_action(actor: User, action: Action, *, version: int, title: str, timescale: str,
                outcomes: Sequence[str], sub_actions: Sequence[str], lead_ids: Sequence[int]) -> Action:
    """Change an action of the refreshed plan; the due date is re-derived from the timescale.

    `version` is the version the form was built from; if someone saved since, ConflictError carries
    their version and nothing is written. A read-only year raises PlanYearReadOnlyError; removing a
    sub-action that a lead has reported a status on raises ValueError (message for the user).
    Permission is checked by the caller.
    """
    ensure_writable(action)
    subs = _clean_lines(sub_actions)
    agencies = _agencies(lead_ids)
    in_use = _sub_actions_in_use(action, len(subs))
    if in_use:
        raise ValueError(f"Sub-action {in_use[0]} already has a status reported against it: keep it, "
                         "and change its wording instead of removing it")
    old = _snapshot(action)
    timescale = timescale.strip()
    bump(action, version, title=title.strip(), timescale=timescale or None,
         due_date=derive_due_date(timescale), outcomes=_clean_lines(outcomes))
    _sync_children(action, subs, agencies)
    db.session.flush()
    db.session.refresh(action)
    before, after = changed_fields(old, _snapshot(action))
    record(actor, "update", Action.AUDIT_ENTITY, action.id,
           f"Edited {action.code} in the {financial_year_label(action.plan_year)} plan", before, after)
    return action


def retire_action(actor: User, action: Action, *, version: int, reason: str) -> Action:
    """Retire an action of the refreshed plan with a reason: it leaves the dashboard and "My actions".

    Refused (RefreshRefusedError) once a quarter of its year is locked, and for a read-only year.
    """
    ensure_writable(action)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Enter the reason for retiring this action")
    if action.retired_at is not None:
        raise RefreshRefusedError(f"{action.code} is already retired")
    _ensure_year_open(action.plan_year, f"retiring {action.code}")
    old = _snapshot(action)
    bump(action, version, retired_at=utcnow(), retired_reason=reason, retired_by_id=getattr(actor, "id", None))
    before, after = changed_fields(old, _snapshot(action))
    record(actor, "retire", Action.AUDIT_ENTITY, action.id,
           f"Retired {action.code} from the {financial_year_label(action.plan_year)} plan", before, after)
    return action


CODE_RE = re.compile(r"^[A-Z]\d{1,3}[a-z]?$")


def add_action(actor: User, year: int, *, objective: Objective, code: str, title: str, timescale: str,
               lead_ids: Sequence[int], outcomes: Sequence[str] = (), sub_actions: Sequence[str] = ()) -> Action:
    """Add a new action to the refreshed plan for `year`; its code must be unused in that year.

    DuplicateError for a code already in the year; PlanYearReadOnlyError for a year that is not
    the refreshed plan in force; RefreshRefusedError once a quarter of the year is locked.
    """
    if year != writable_year():
        raise PlanYearReadOnlyError(year=year)
    _ensure_year_open(year, "adding an action")
    code = code.strip()
    if db.session.scalar(select(Action.id).where(Action.plan_year == year,
                                                 func.upper(Action.code) == code.upper())):
        raise DuplicateError(f"{code} is already an action in the {financial_year_label(year)} plan: "
                             "choose another code")
    agencies = _agencies(lead_ids)
    position = db.session.scalar(
        select(func.coalesce(func.max(Action.position), 0))
        .where(Action.plan_year == year, Action.objective_id == objective.id)
    ) + 1
    digits = re.search(r"\d+", code)
    timescale = timescale.strip()
    action = Action(objective_id=objective.id, plan_year=year, code=code,
                    number=int(digits.group()) if digits else None,
                    position=position, title=title.strip(), outcomes=_clean_lines(outcomes),
                    timescale=timescale or None, due_date=derive_due_date(timescale), version=1)
    action.sub_actions = [SubAction(number=n, text=t) for n, t in enumerate(_clean_lines(sub_actions), start=1)]
    action.leads = [ActionLead(agency_id=a.id, position=p) for p, a in enumerate(agencies)]
    db.session.add(action)
    db.session.flush()
    db.session.refresh(action)
    record(actor, "create", Action.AUDIT_ENTITY, action.id,
           f"Added {action.code} to the {financial_year_label(year)} plan", None, _snapshot(action))
    return action
