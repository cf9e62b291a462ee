"""Every query and write of the annual refresh and the refreshed plan's editing.

The year-end summary is the reports' (app.reports.year_end).

Functions here flush and never commit: the view (or command) that calls them commits once, so a
refresh is one transaction: every copied action, lead, sub-action, target and the refresh record
are written together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action, ActionLead, Objective, SubAction, SubActionStatus, Update
from app.actions.rollup import Status
from app.actions.timescale import derive_due_date
from app.audit.service import changed_fields, record
from app.auth.models import Agency, User
from app.database import utcnow
from app.errors import DuplicateError
from app.extensions import db
from app.kpis import scoring
from app.kpis import service as kpi_service
from app.kpis.models import Indicator, IndicatorTarget
from app.quarters import Quarter, financial_year_label
from app.refresh import rules
from app.refresh.models import PlanRefresh, RefreshOutcome
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


class RefreshRefusedError(ValueError):
    """The refresh (or a change to the plan) cannot run now; the message says why, for the user."""


# --- which years ------------------------------------------------------------------------------


def strategy_years() -> list[int]:
    """Every financial year of the strategy, oldest first."""
    s = actions_service.strategy()
    return list(range(s.first_year, s.last_year + 1))


def refresh_for(year: int) -> PlanRefresh | None:
    """The refresh that created `year`'s plan, or None if that year has not been refreshed."""
    return db.session.scalar(select(PlanRefresh).where(PlanRefresh.year == year))


def refreshes() -> dict[int, PlanRefresh]:
    """Every refresh keyed by the year it created."""
    return {r.year: r for r in db.session.scalars(select(PlanRefresh))}


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


def _locked_quarters(year: int) -> list[Quarter]:
    from app.cycle.service import is_locked

    return [q for q in Quarter(year, 1).year_quarters() if is_locked(q)]


def _ensure_year_open(year: int, doing: str) -> None:
    # Retiring or adding an action changes every quarter's counts in its year, so a signed-off
    # quarter's report would change: refuse, as the cycle refuses writes to a locked quarter.
    locked = _locked_quarters(year)
    if locked:
        raise RefreshRefusedError(
            f"{locked[0].label} is locked: {doing} now would change its signed-off report. "
            "Ask an admin to re-open it first, or record the change in next year's refresh."
        )


def refusal(year: int) -> str | None:
    """Why the plan cannot be refreshed for `year` now, or None when it can."""
    from app.cycle.service import is_locked

    s = actions_service.strategy()
    later = db.session.scalar(select(func.count()).select_from(PlanRefresh).where(PlanRefresh.year > year))
    return rules.refusal(
        year,
        first_year=s.first_year,
        last_year=s.last_year,
        previous_q4_locked=is_locked(Quarter(year - 1, 4)),
        already_refreshed=refresh_for(year) is not None,
        later_refreshed=bool(later),
        new_year_locked=bool(_locked_quarters(year)),
    )


# --- the refresh ------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    action: Action
    q4_status: Status
    outcome: rules.Outcome
    past_due: bool = False  # carried forward with a due date before the new year starts
    filed_ahead: int = 0  # updates already filed on this row for the new year's quarters (or later)


@dataclass
class TargetRow:
    """One indicator on the refresh's target form, with the target in force now for the new year."""

    indicator: Indicator
    in_force: IndicatorTarget | None  # the new year's decision if one exists, else last year's carried on

    @property
    def is_band(self) -> bool:
        return self.indicator.polarity == scoring.Polarity.BAND.value


@dataclass
class Preview:
    year: int
    from_year: int
    rows: list[PreviewRow]
    targets: list[TargetRow]
    refusal: str | None

    @property
    def label(self) -> str:
        return financial_year_label(self.year)

    def of(self, outcome: rules.Outcome) -> list[PreviewRow]:
        return [r for r in self.rows if r.outcome is outcome]

    @property
    def past_due(self) -> list[PreviewRow]:
        """Carried-forward actions already past their due date: the refresh offers each a new timescale."""
        return [r for r in self.rows if r.past_due]

    @property
    def year_start(self):
        return Quarter(self.year, 1).start


def _previous_rows(year: int) -> tuple[int, list[PreviewRow]]:
    """The plan in force at the previous year's Q4 and what the refresh would do with each action."""
    q4 = Quarter(year - 1, 4)
    from_year = actions_service.plan_year_for(q4)
    rows = [PreviewRow(r.action, r.status, rules.outcome_for(r.status.value))
            for r in actions_service.partnership_rows(q4)]
    retired = db.session.scalars(
        select(Action).join(Objective)
        .where(Action.plan_year == from_year, Action.retired_at.is_not(None))
        .order_by(Objective.code, Action.position)
    )
    rows += [PreviewRow(a, Status.NO_UPDATE, rules.outcome_for(None, retired=True)) for a in retired]
    year_start = Quarter(year, 1).start
    ahead = _filed_ahead([r.action.id for r in rows], year)
    for row in rows:
        row.filed_ahead = len(ahead.get(row.action.id, []))
        row.past_due = (row.outcome is rules.Outcome.CARRIED_FORWARD
                        and rules.is_past_due(row.action.due_date, year_start))
    return from_year, rows


def _filed_ahead(action_ids: list[int], year: int) -> dict[int, list[Update]]:
    """Updates filed on these rows for quarters of `year` or later, by action id, in one query.

    Until the refresh runs the previous plan stays in force, so leads file the new year's first
    quarter on the old rows; the refresh moves them to the carried-forward rows.
    """
    grouped: dict[int, list[Update]] = {}
    if not action_ids:
        return grouped
    for upd in db.session.scalars(
        select(Update).where(Update.action_id.in_(action_ids), Update.year >= year)
        .order_by(Update.action_id, Update.year, Update.quarter, Update.agency_id)
    ):
        grouped.setdefault(upd.action_id, []).append(upd)
    return grouped


def target_rows(year: int) -> list[TargetRow]:
    """The rated (non-contextual) active indicators with the target in force for `year`, in two queries."""
    found = [i for i in kpi_service.indicators() if i.polarity != scoring.Polarity.CONTEXTUAL.value]
    in_force = kpi_service.targets_in_force(found, year)
    return [TargetRow(i, in_force[i.id]) for i in found]


def preview(year: int) -> Preview:
    """What refreshing the plan for `year` would do, and whether it may run now."""
    from_year, rows = _previous_rows(year)
    return Preview(year, from_year, rows, target_rows(year), refusal(year))


@dataclass(frozen=True)
class TargetChoice:
    """A target typed on the refresh form; all None means "no target agreed"."""

    value: float | None = None
    lower: float | None = None
    upper: float | None = None

    @property
    def blank(self) -> bool:
        return self.value is None and self.lower is None and self.upper is None


def _copy_action(old: Action, year: int) -> Action:
    """A new row for `year` with the old row's content, leads and sub-actions, pointing back at it."""
    new = Action(
        objective_id=old.objective_id, plan_year=year, code=old.code, number=old.number,
        position=old.position, title=old.title, detail=old.detail, outcomes=list(old.outcomes or []),
        resources=old.resources, timescale=old.timescale, due_date=old.due_date, lead_text=old.lead_text,
        lead_contact=old.lead_contact, impact=old.impact, note=old.note, predecessor_id=old.id, version=1,
    )
    new.leads = [ActionLead(agency_id=lead.agency_id, position=lead.position) for lead in old.leads]
    new.sub_actions = [SubAction(number=sub.number, text=sub.text) for sub in old.sub_actions]
    db.session.add(new)
    return new


def _move_filed_updates(actor: User | None, old: Action, new: Action, updates: list[Update]) -> None:
    """Give `new` (the carried-forward row) the updates filed on `old` for the new year's quarters.

    Moving, rather than making every reader follow the lineage, keeps one owner per update: the
    dashboard, My actions, the tracker and the report read the row in force and find them there.
    Only quarters of the new plan year or later move (and none of them can be locked, or the refresh
    would have been refused), so the old year's locked reports keep their figures. Sub-action
    statuses follow the sub-action of the same number on the new row, which the copy kept.
    """
    new_sub_ids = {s.number: s.id for s in new.sub_actions}
    old_numbers = {s.id: s.number for s in old.sub_actions}
    label = financial_year_label(new.plan_year)
    for upd in updates:
        upd.action = new
        for sub_status in upd.sub_statuses:
            sub_status.sub_action_id = new_sub_ids[old_numbers[sub_status.sub_action_id]]
        record(actor, "carry-forward", Update.AUDIT_ENTITY, upd.id,
               f"Moved the {upd.agency.short_name} update on {old.code} for {upd.period.label} "
               f"to the carried-forward {label} row", {"action_id": old.id}, {"action_id": new.id})


def _set_new_timescale(actor: User | None, old: Action, new: Action, text: str) -> None:
    """Give a carried-forward row the timescale agreed at the refresh, re-deriving its due date (audited)."""
    text = text.strip()
    due = derive_due_date(text)
    problem = rules.timescale_problem(old.code, old.timescale, text, due, Quarter(new.plan_year, 1).start)
    if problem:
        raise ValueError(problem)
    if text == (old.timescale or "").strip():
        return
    before = {"timescale": new.timescale, "due_date": new.due_date.isoformat() if new.due_date else None}
    new.timescale, new.due_date = text, due
    record(actor, "update", Action.AUDIT_ENTITY, new.id,
           f"Set a new timescale for {new.code} at the {financial_year_label(new.plan_year)} refresh",
           before, {"timescale": text, "due_date": due.isoformat() if due else None})


def _set_targets(actor: User | None, year: int, rows: list[TargetRow],
                 choices: Mapping[int, TargetChoice]) -> int:
    label = financial_year_label(year)
    written = 0
    for row in rows:
        choice = choices.get(row.indicator.id, TargetChoice())
        current = row.in_force
        same = current is not None and (current.value, current.lower, current.upper) == (
            choice.value, choice.lower, choice.upper)
        if current is not None and current.year == year and same:
            continue  # already agreed for this year exactly so
        if choice.blank and (current is None or (current.value, current.lower, current.upper) == (None,) * 3):
            continue  # no target before and none now: nothing to record
        kpi_service.set_target(
            actor, row.indicator, year,
            value=choice.value, profile=None, lower=choice.lower, upper=choice.upper,
            tolerance=current.tolerance if current is not None else None,
            basis=current.basis if current is not None else "quarter",
            note=(f"No target agreed at the {label} plan refresh" if choice.blank
                  else f"Agreed at the {label} plan refresh"),
        )
        written += 1
    return written


def run_refresh(actor: User | None, year: int, *, targets: Mapping[int, TargetChoice] | None = None,
                timescales: Mapping[int, str] | None = None) -> PlanRefresh:
    """Refresh the plan for `year`: close what was Complete at the previous Q4, carry the rest forward
    as new rows (with leads and sub-actions, and the updates already filed for `year`'s quarters),
    set the year's targets and new timescales, and record it all.

    `timescales` maps an old action's id to the timescale agreed for its carried-forward row; only
    actions carried forward past their due date take one (ValueError otherwise, or for a timescale
    that `rules.timescale_problem` refuses). Raises RefreshRefusedError (nothing written) when the
    refresh may not run. Flushes only: the caller commits, so a failure anywhere leaves nothing
    behind once the transaction is rolled back.
    """
    reason = refusal(year)
    if reason:
        raise RefreshRefusedError(reason)
    from_year, rows = _previous_rows(year)
    timescales = dict(timescales or {})
    past_due_ids = {r.action.id for r in rows if r.past_due}
    unknown = sorted(set(timescales) - past_due_ids)
    if unknown:
        raise ValueError(f"Only actions carried forward past their due date take a new timescale (not {unknown})")
    ahead = _filed_ahead([r.action.id for r in rows if r.outcome is rules.Outcome.CARRIED_FORWARD], year)
    target_list = target_rows(year)
    refresh = PlanRefresh(year=year, from_year=from_year, run_at=utcnow(), run_by_id=getattr(actor, "id", None))
    db.session.add(refresh)
    db.session.flush()  # the unique year stops a second, simultaneous refresh here

    for row in rows:
        new = _copy_action(row.action, year) if row.outcome is rules.Outcome.CARRIED_FORWARD else None
        if new is not None:
            db.session.flush()
            _move_filed_updates(actor, row.action, new, ahead.get(row.action.id, []))
            if row.action.id in timescales:
                _set_new_timescale(actor, row.action, new, timescales[row.action.id])
        refresh.outcomes.append(RefreshOutcome(
            action_id=row.action.id, outcome=row.outcome.value, new_action_id=new.id if new else None,
            code=row.action.code, q4_status=row.q4_status.value,
        ))
    db.session.flush()
    set_count = _set_targets(actor, year, target_list, targets or {})

    def codes(outcome: rules.Outcome) -> list[str]:
        return [r.action.code for r in rows if r.outcome is outcome]

    record(actor, "refresh", PlanRefresh.AUDIT_ENTITY, refresh.id,
           f"Refreshed the plan for {financial_year_label(year)} from {financial_year_label(from_year)}",
           None,
           {"year": year, "from_year": from_year, "closed": codes(rules.Outcome.CLOSED),
            "carried_forward": codes(rules.Outcome.CARRIED_FORWARD), "retired": codes(rules.Outcome.RETIRED),
            "targets_set": set_count, "updates_moved": sum(len(v) for v in ahead.values())})
    return refresh


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
