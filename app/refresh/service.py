"""Every query and write of the annual refresh itself: which years, whether it may run, and running it.

Editing the refreshed plan is app.refresh.editing; the year-end summary is the reports' (app.reports.year_end).

Functions here flush and never commit: the view (or command) that calls them commits once, so a
refresh is one transaction: every copied action, lead, sub-action, target and the refresh record
are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Action, ActionLead, Objective, SubAction, Update
from app.actions.rollup import Status
from app.actions.timescale import derive_due_date
from app.audit.service import record
from app.auth.models import User
from app.database import utcnow
from app.extensions import db
from app.kpis import scoring
from app.kpis import service as kpi_service
from app.kpis.models import Indicator, IndicatorTarget
from app.refresh import carry_forward
from app.refresh.models import PlanRefresh, RefreshOutcome
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, financial_year_label


class RefreshRefusedError(ValueError):
    """The refresh (or a change to the plan) cannot run now; the message says why, for the user."""


# --- which years ------------------------------------------------------------------------------


def strategy_years() -> list[int]:
    """Every financial year of the strategy, oldest first."""
    s = calendar.strategy()
    return list(range(s.first_year, s.last_year + 1))


def refresh_for(year: int) -> PlanRefresh | None:
    """The refresh that created `year`'s plan, or None if that year has not been refreshed."""
    return db.session.scalar(select(PlanRefresh).where(PlanRefresh.year == year))


def refreshes() -> dict[int, PlanRefresh]:
    """Every refresh keyed by the year it created."""
    return {r.year: r for r in db.session.scalars(select(PlanRefresh))}


def locked_quarters(year: int) -> list[Quarter]:
    return [q for q in Quarter(year, 1).year_quarters() if calendar.is_locked(q)]


def refusal(year: int) -> str | None:
    """Why the plan cannot be refreshed for `year` now, or None when it can."""
    s = calendar.strategy()
    later = db.session.scalar(select(func.count()).select_from(PlanRefresh).where(PlanRefresh.year > year))
    return carry_forward.refusal(
        year,
        first_year=s.first_year,
        last_year=s.last_year,
        previous_q4_locked=calendar.is_locked(Quarter(year - 1, 4)),
        already_refreshed=refresh_for(year) is not None,
        later_refreshed=bool(later),
        new_year_locked=bool(locked_quarters(year)),
    )


# --- the refresh ------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    action: Action
    q4_status: Status
    outcome: carry_forward.Outcome
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

    def of(self, outcome: carry_forward.Outcome) -> list[PreviewRow]:
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
    from_year = calendar.plan_year_for(q4)
    rows = [PreviewRow(r.action, r.status, carry_forward.outcome_for(r.status.value))
            for r in actions_service.partnership_rows(q4)]
    retired = db.session.scalars(
        select(Action).join(Objective)
        .where(Action.plan_year == from_year, Action.retired_at.is_not(None))
        .order_by(Objective.code, Action.position)
    )
    rows += [PreviewRow(a, Status.NO_UPDATE, carry_forward.outcome_for(None, retired=True)) for a in retired]
    year_start = Quarter(year, 1).start
    ahead = _filed_ahead([r.action.id for r in rows], year)
    for row in rows:
        row.filed_ahead = len(ahead.get(row.action.id, []))
        row.past_due = (row.outcome is carry_forward.Outcome.CARRIED_FORWARD
                        and carry_forward.is_past_due(row.action.due_date, year_start))
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
    problem = carry_forward.timescale_problem(old.code, old.timescale, text, due, Quarter(new.plan_year, 1).start)
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
    that `carry_forward.timescale_problem` refuses). Raises RefreshRefusedError (nothing written) when the
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
    ahead = _filed_ahead([r.action.id for r in rows if r.outcome is carry_forward.Outcome.CARRIED_FORWARD], year)
    target_list = target_rows(year)
    refresh = PlanRefresh(year=year, from_year=from_year, run_at=utcnow(), run_by_id=getattr(actor, "id", None))
    db.session.add(refresh)
    db.session.flush()  # the unique year stops a second, simultaneous refresh here

    for row in rows:
        new = _copy_action(row.action, year) if row.outcome is carry_forward.Outcome.CARRIED_FORWARD else None
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

    def codes(outcome: carry_forward.Outcome) -> list[str]:
        return [r.action.code for r in rows if r.outcome is outcome]

    record(actor, "refresh", PlanRefresh.AUDIT_ENTITY, refresh.id,
           f"Refreshed the plan for {financial_year_label(year)} from {financial_year_label(from_year)}",
           None,
           {"year": year, "from_year": from_year, "closed": codes(carry_forward.Outcome.CLOSED),
            "carried_forward": codes(carry_forward.Outcome.CARRIED_FORWARD),
            "retired": codes(carry_forward.Outcome.RETIRED),
            "targets_set": set_count, "updates_moved": sum(len(v) for v in ahead.values())})
    return refresh
