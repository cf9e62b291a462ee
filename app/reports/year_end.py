"""The year-end summary: indicator outturns against target, what closed, carried forward or was retired,
and the action RAG counts by quarter, for the year-end page and the Q4 pack's "Year-end summary" sheet.

Outturns are the financial year to date at Q4 as it stood when Q4 was locked
(`app.kpis.service.as_locked`), so the page, the Q4 report and the pack cannot disagree. Functions flush
and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import STATUS_ORDER, Status
from app.extensions import db
from app.kpis import service as kpi_service
from app.kpis.aggregation import YearAssessment, YearToDate
from app.kpis.charts import band_wording, target_wording
from app.kpis.models import Indicator
from app.kpis.scoring import DirectionOfTravel, Rag, Target
from app.numbers import whole_number
from app.refresh import carry_forward, editing
from app.refresh import service as refresh_service
from app.refresh.models import PlanRefresh
from app.reports import workbook
from app.reports.publication import Cell
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, financial_year_label


@dataclass
class OutturnRow:
    """One indicator's year: the outturn (its year to date at Q4), target, rating and last year's."""

    indicator: Indicator
    assessment: YearAssessment

    @property
    def outturn(self) -> YearToDate:
        return self.assessment.year_to_date

    @property
    def target(self) -> Target | None:
        return self.assessment.target

    @property
    def rag(self) -> Rag:
        return self.assessment.rag

    @property
    def last_year(self) -> YearToDate:
        return self.assessment.last_year

    @property
    def long_term(self) -> DirectionOfTravel:
        return self.assessment.long_term


@dataclass
class CarriedRow:
    action: Action
    new_action: Action | None  # None until the next year's refresh has run


@dataclass
class YearEndSummary:
    year: int
    plan_year: int  # the plan in force at the year's Q4
    refresh: PlanRefresh | None  # the next year's refresh, once it has run
    outturns: list[OutturnRow]
    completed: list[Action]
    carried_forward: list[CarriedRow]
    retired: list[Action]
    rag_by_quarter: list[tuple[Quarter, dict[Status, int]]]

    @property
    def label(self) -> str:
        return financial_year_label(self.year)


def outturns(year: int, standings: list[kpi_service.Standing] | None = None) -> list[OutturnRow]:
    """Every active indicator's outturn for `year`, as it stood at the Q4 lock; four queries.

    `standings` may be passed by a caller that has already assessed the indicators up to Q4.
    """
    if standings is None:
        standings = kpi_service.as_locked(kpi_service.indicators(), Quarter(year, 4))
    return [OutturnRow(s.indicator, s.year) for s in standings]


def year_end(year: int, standings: list[kpi_service.Standing] | None = None) -> YearEndSummary:
    """The year-end summary for financial year `year`: outturns, what closed, carried forward or was
    retired, and the action RAG counts for Q1-Q4. Before the next year's refresh has run, "completed"
    and "carried forward" are what the refresh would do with the Q4 statuses."""
    q4 = Quarter(year, 4)
    plan_year = calendar.plan_year_for(q4)
    refresh = refresh_service.refresh_for(year + 1)
    rag_by_quarter = [(q, actions_service.dashboard(q).counts) for q in q4.year_quarters()]
    retired = [a for a in editing.plan_actions(plan_year) if a.retired_at is not None]
    completed: list[Action] = []
    carried: list[CarriedRow] = []
    if refresh is not None and refresh.from_year == plan_year:
        ids = {o.action_id for o in refresh.outcomes} | {o.new_action_id for o in refresh.outcomes if o.new_action_id}
        by_id = {a.id: a for a in db.session.scalars(select(Action).where(Action.id.in_(ids)))}
        for o in refresh.outcomes:
            if o.outcome == carry_forward.Outcome.CLOSED.value:
                completed.append(by_id[o.action_id])
            elif o.outcome == carry_forward.Outcome.CARRIED_FORWARD.value:
                carried.append(CarriedRow(by_id[o.action_id], by_id.get(o.new_action_id)))
    else:
        refresh = None
        for row in actions_service.partnership_rows(q4):
            if carry_forward.outcome_for(row.status.value) is carry_forward.Outcome.CLOSED:
                completed.append(row.action)
            else:
                carried.append(CarriedRow(row.action, None))
    return YearEndSummary(
        year, plan_year, refresh, outturns(year, standings), completed, carried, retired, rag_by_quarter
    )


def _target_value(target: Target | None) -> float | int | str | None:
    if target is None:
        return None
    if target.value is not None:
        return whole_number(target.value, 2)
    return band_wording(target.lower, target.upper, lambda bound: f"{whole_number(bound, 2)}")


WITHHELD = "Withheld"  # a rating or direction that would hint at a suppressed value


def for_pack(summary: YearEndSummary, published: Mapping[str, Cell] | None = None) -> workbook.YearEnd:
    """The summary shaped for the Q4 pack's "Year-end summary" sheet.

    `published` maps an indicator code to its outturn as the Indicators sheet publishes it (its year to
    date at Q4); a suppressed outturn is shown as its label with rating and direction withheld. Without
    it the partnership's true figures are shown.
    """
    rows = []
    for r in summary.outturns:
        shown: float | int | str | None = whole_number(r.outturn.value, 2)
        rag, long_term = r.rag.label, r.long_term.text
        cell = (published or {}).get(r.indicator.code)
        if cell is not None and (cell.suppressed or isinstance(cell.shown, str)):
            shown, rag, long_term = cell.shown, WITHHELD, WITHHELD
        rows.append(
            workbook.OutturnRow(
                code=r.indicator.code,
                name=r.indicator.name,
                unit=r.indicator.unit_enum.label,
                polarity=r.indicator.polarity_enum.label,
                outturn=shown,
                basis=r.outturn.basis,
                target=_target_value(r.target),
                rag=rag,
                long_term=long_term,
                measure=r.indicator.unit,
                target_text=target_wording(r.target, r.indicator.unit),
            )
        )
    rag_rows = tuple(
        workbook.SummaryRow(
            objective=q.label,
            title=f"Actions in force in {q.label}",
            counts={s.label: counts.get(s, 0) for s in STATUS_ORDER},
        )
        for q, counts in summary.rag_by_quarter
    )
    return workbook.YearEnd(
        year_label=summary.label,
        outturns=tuple(rows),
        completed=tuple(f"{a.code}: {a.title}" for a in summary.completed),
        carried_forward=tuple(f"{c.action.code}: {c.action.title}" for c in summary.carried_forward),
        retired=tuple(f"{a.code}: {a.title} (retired: {a.retired_reason})" for a in summary.retired),
        rag_by_quarter=rag_rows,
    )
