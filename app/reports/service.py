"""The HCSP quarterly report and the board's Excel pack: gathering a quarter, for an audience.

Everything the report shows is gathered here in a constant number of queries, and small-number
suppression is applied ONCE, here, for the "published" audience: the page, every sheet of the pack and
the JSON output all read the same `Report`, so they cannot disagree. Functions flush and never commit.

A locked quarter always reproduces the same figures: targets are taken as they stood when the quarter
was locked, and nothing reported for a later quarter is read.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.rollup import STATUS_ORDER, Movement, Status
from app.actions.service import DashboardRow
from app.audit.service import record
from app.cycle import service as cycle_service
from app.cycle.models import PeriodEvent
from app.database import utcnow
from app.disclosure import Reason
from app.extensions import db
from app.kpis import service as kpi_service
from app.kpis.charts import format_value
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.kpis.scoring import NOT_COMPARABLE, Assessment, DirectionOfTravel, Polarity, Rag, Target, Unit
from app.quarters import Quarter
from app.reports import workbook
from app.reports.publication import Cell, protect_rate_cell, protect_year, statement

PARTNERSHIP = "partnership"
PUBLISHED = "published"
AUDIENCES = (PUBLISHED, PARTNERSHIP)
MARKING = "OFFICIAL-SENSITIVE: not for publication"
NO_TARGET = "No target agreed"
WITHHELD = "Withheld"  # a rating or direction that would hint at a suppressed value
TABLE_QUARTERS = 5  # the same quarter last year to the quarter reported: both directions of travel


class AudienceError(ValueError):
    """An audience that is neither "published" nor "partnership"; the message is for the user."""


def check_audience(audience: str) -> str:
    """The audience named, or AudienceError."""
    if audience not in AUDIENCES:
        raise AudienceError('Choose the audience "published" or "partnership"')
    return audience


@dataclass
class IndicatorLine:
    """One indicator's row of the report, with its values as this audience sees them."""

    indicator: Indicator
    quarters: list[Quarter]  # the table's columns, oldest first
    cells: list[Cell]  # one per column
    year_to_date: Cell
    target: Target | None
    rag: Rag | None  # None: withheld because the value is suppressed
    short_term: DirectionOfTravel | None  # None: withheld
    long_term: DirectionOfTravel | None
    chart: list[Assessment]  # strategy quarters up to the one reported, suppressed values as gaps
    exempt_reason: str | None = None  # why this indicator's values are published as they are
    chart_suppressed: frozenset[Quarter] = frozenset()  # the chart's gaps that are suppression, not missing data

    @property
    def value(self) -> Cell:
        return self.cells[-1]

    @property
    def unit(self) -> Unit:
        return Unit(self.indicator.unit)

    @property
    def target_text(self) -> str:
        if self.target is None:
            return NO_TARGET
        if self.target.value is not None:
            return format_value(self.target.value, self.unit)
        low = format_value(self.target.lower, self.unit) if self.target.lower is not None else "no minimum"
        high = format_value(self.target.upper, self.unit) if self.target.upper is not None else "no maximum"
        return f"{low} to {high}"

    @property
    def rag_label(self) -> str:
        return WITHHELD if self.rag is None else self.rag.label

    @property
    def rag_css(self) -> str:
        return "none" if self.rag is None else self.rag.css

    @staticmethod
    def direction_text(direction: DirectionOfTravel | None) -> str:
        return WITHHELD if direction is None else direction.text

    def show(self, cell: Cell) -> str:
        """A cell as text on the page: "<5", "[c]", "12", "84.2%"; "No value" when none was reported."""
        if isinstance(cell.shown, str):
            return cell.shown
        return format_value(cell.shown, self.unit)


@dataclass
class ReturnLine:
    agency: str
    actions_due: int
    actions_submitted: int
    indicators_due: int
    indicators_submitted: int

    @property
    def outstanding(self) -> int:
        return self.actions_due + self.indicators_due - self.actions_submitted - self.indicators_submitted


@dataclass
class Report:
    """Everything the HCSP quarterly report shows for one quarter and audience."""

    quarter: Quarter
    audience: str
    strategy: str
    generated_at: datetime
    counts: dict[Status, int]
    counts_by_objective: list[tuple]  # (Objective, {Status: n})
    movement_counts: dict[Movement, int]
    rows: list[DashboardRow]
    exceptions: list[DashboardRow]
    completions: list[DashboardRow]
    indicators: list[IndicatorLine]
    returns: list[ReturnLine]
    locked_at: datetime | None
    events: list[PeriodEvent]
    threshold: int
    suppressed: tuple[int, int] = (0, 0)  # (primary, secondary) values withheld in what is published
    year_end: workbook.YearEnd | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.audience == PUBLISHED

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def not_submitted(self) -> list[ReturnLine]:
        return [r for r in self.returns if r.outstanding]

    @property
    def headline_indicators(self) -> list[IndicatorLine]:
        return [line for line in self.indicators if line.indicator.headline]

    @property
    def total_actions(self) -> int:
        return sum(self.counts.values())

    @property
    def status_note(self) -> str:
        """Whether the quarter is locked, with every lock and re-opening, as one sentence each."""
        parts = []
        for event in self.events:
            when = event.at.strftime("%-d %b %Y")
            who = f" by {event.by.name}" if event.by else ""
            if event.kind == "locked":
                because = f" with returns missing because {event.reason}" if event.reason else ""
                parts.append(f"Locked on {when}{who}{because}.")
            else:
                parts.append(f"Re-opened on {when}{who} because {event.reason}.")
        head = (f"{self.quarter.label} is locked: these figures are final." if self.locked
                else f"{self.quarter.label} is not locked: figures may still change.")
        return " ".join([head, *parts])

    @property
    def disclosure_statement(self) -> str:
        return statement(self.threshold)

    @property
    def suppression_note(self) -> str:
        primary, secondary = self.suppressed
        total = primary + secondary
        return f"{total} value{'' if total == 1 else 's'} suppressed ({primary} primary, {secondary} secondary)"


# --- gathering ----------------------------------------------------------------------------------------


def report(quarter: Quarter, audience: str = PARTNERSHIP) -> Report:
    """The HCSP report for `quarter` as `audience` may see it, in a constant number of queries.

    "partnership" shows true values; "published" applies small-number suppression to every published
    count and rate (see app.reports.publication). A locked quarter uses the targets in force when it
    was locked.
    """
    check_audience(audience)
    threshold = current_app.config["DISCLOSURE_THRESHOLD"]
    board = actions_service.dashboard(quarter)
    rows = board.rows
    exceptions = ([r for r in rows if r.status is Status.RED] + [r for r in rows if r.status is Status.AMBER])
    completions = [r for r in rows if r.status is Status.COMPLETE and r.previous_status is not Status.COMPLETE]
    locked_at = cycle_service.locked_at(quarter)
    events = cycle_service.period_events(quarter)
    board_returns = cycle_service.tracker(quarter)
    returns = [
        ReturnLine(r.agency.name, r.actions_due, r.actions_submitted, r.indicators_due, r.indicators_submitted)
        for r in board_returns.rows
    ]
    lines, suppressed = _indicator_lines(quarter, audience, locked_at, threshold)
    result = Report(
        quarter=quarter, audience=audience, strategy=actions_service.strategy().name, generated_at=utcnow(),
        counts=board.counts, counts_by_objective=board.counts_by_objective,
        movement_counts=board.movement_counts, rows=rows, exceptions=exceptions, completions=completions,
        indicators=lines, returns=returns, locked_at=locked_at, events=events, threshold=threshold,
        suppressed=suppressed,
    )
    if quarter.number == 4:
        result.year_end = _year_end(quarter)
        if result.year_end is not None and audience == PUBLISHED:
            result.year_end = _protect_year_end(result.year_end, lines, quarter)
    return result


def _protect_year_end(year_end: workbook.YearEnd, lines: list[IndicatorLine], quarter: Quarter) -> workbook.YearEnd:
    """The year-end outturns as the published Q4 pack shows them: the same cells as the Indicators sheet.

    A year total is the year to date at Q4; a "Qn value" outturn is that quarter's published value. A
    suppressed outturn's rating and direction are withheld, as in the indicator table.
    """
    by_code = {line.indicator.code: line for line in lines}
    rows = []
    for row in year_end.outturns:
        line = by_code.get(row.code)
        if line is None or line.exempt_reason or not row.values or row.values[0] is None:
            rows.append(row)
            continue
        basis = row.quarters[0] if row.quarters else ""
        cell = line.year_to_date
        if "Year total" not in basis:
            found = re.search(r"Q([1-4]) value", basis)
            number = int(found.group(1)) if found else 4
            cell = next((c for q, c in zip(line.quarters, line.cells, strict=True)
                         if q == Quarter(quarter.year, number)), Cell(None))
        if isinstance(cell.shown, str) or cell.suppressed:
            row = dataclasses.replace(row, values=(cell.shown,), rag=WITHHELD, long_term=WITHHELD)
        rows.append(row)
    return dataclasses.replace(year_end, outturns=tuple(rows))


def _year_end(quarter: Quarter) -> workbook.YearEnd | None:
    # The annual refresh (app.refresh) provides the year-end sheet; until it exists the Q4 pack has none.
    try:
        refresh = importlib.import_module("app.refresh.service")
    except ImportError:
        return None
    build = getattr(refresh, "year_end_pack", None)
    return build(quarter.year) if build is not None else None


def _indicator_lines(
    quarter: Quarter, audience: str, locked_at: datetime | None, threshold: int
) -> tuple[list[IndicatorLine], tuple[int, int]]:
    """Every active indicator's line; three queries (indicators, values, targets) whatever the size."""
    found = [i for i in kpi_service.indicators()]
    ids = [i.id for i in found]
    values: dict[int, list[IndicatorValue]] = defaultdict(list)
    targets: dict[int, list[IndicatorTarget]] = defaultdict(list)
    if ids:
        # Nothing after the quarter reported is read, so a later quarter's returns cannot change it.
        for row in db.session.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids))):
            if (row.year, row.quarter) <= (quarter.year, quarter.number):
                values[row.indicator_id].append(row)
        rows = db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(ids)))
        for row in sorted(rows, key=lambda r: (r.set_at, r.id)):
            # A locked quarter is rated against the targets as they stood when it was locked.
            if locked_at is None or row.set_at <= locked_at:
                targets[row.indicator_id].append(row)

    strategy_quarters = [q for q in actions_service.quarters() if q <= quarter]
    columns = _columns(quarter)
    lines: list[IndicatorLine] = []
    primary = secondary = 0
    for indicator in found:
        assessed = kpi_service._assess(indicator, values[indicator.id], targets[indicator.id], strategy_quarters)
        by_quarter = {Quarter(a.year, a.quarter): a for a in assessed}
        shown_columns = [q for q in columns if indicator.takes_value_in(q)]
        reported = {v.period: v for v in values[indicator.id] if v.counts}
        cells, exempt_reason = _cells_for(indicator, reported, quarter, audience, threshold)
        column_cells = [cells.get(("q", q), Cell(_plain(reported.get(q)))) for q in shown_columns]
        ytd = cells.get(("ytd", quarter), Cell(None))
        if audience == PUBLISHED:
            shown_keys = [("q", q) for q in shown_columns] + [("ytd", quarter)]
            for key in shown_keys:
                reason = cells.get(key, Cell(None)).reason
                primary += reason in (Reason.PRIMARY, Reason.RATE)
                secondary += reason is Reason.SECONDARY
        current = by_quarter.get(quarter)
        rag = current.rag if current else Rag.NO_RATING
        short = current.short_term if current else NOT_COMPARABLE
        long = current.long_term if current else NOT_COMPARABLE
        if audience == PUBLISHED:
            hidden = {q for (kind, q), cell in cells.items() if kind == "q" and cell.suppressed}
            if quarter in hidden:
                rag = None
            span = {quarter, quarter.previous()} | ({quarter.previous().previous()} if indicator.cumulative else set())
            if span & hidden:
                short = None
            if {quarter, quarter.same_quarter_last_year()} & hidden:
                long = None
        else:
            hidden = set()
        target = current.target if current else None
        chart = [_gap(a) if Quarter(a.year, a.quarter) in hidden else a for a in assessed]
        lines.append(IndicatorLine(
            indicator=indicator, quarters=shown_columns, cells=column_cells, year_to_date=ytd, target=target,
            rag=rag, short_term=short, long_term=long, chart=chart, exempt_reason=exempt_reason,
            chart_suppressed=frozenset(hidden),
        ))
    return lines, (primary, secondary)


def _gap(assessment: Assessment) -> Assessment:
    return dataclasses.replace(assessment, value=None, rag=Rag.NO_RATING, short_term=NOT_COMPARABLE,
                               long_term=NOT_COMPARABLE, in_quarter_value=None)


def _columns(quarter: Quarter) -> list[Quarter]:
    columns = [quarter]
    while len(columns) < TABLE_QUARTERS:
        columns.insert(0, columns[0].previous())
    return columns


def _plain(row: IndicatorValue | None) -> int | float | None:
    if row is None or row.value is None:
        return None
    return int(row.value) if float(row.value).is_integer() else row.value


def _cells_for(
    indicator: Indicator, reported: dict[Quarter, IndicatorValue], quarter: Quarter, audience: str, threshold: int
) -> tuple[dict[tuple[str, Quarter], Cell], str | None]:
    """Every quarter's value up to `quarter` (keys ("q", Quarter)) and the year to date ("ytd", quarter).

    The partnership sees true values. The published audience sees counts protected year by year as the
    successive packs published them, and rates withheld when built on a small count. Returns the reason
    an indicator is exempt from suppression, when it is.
    """
    unit = Unit(indicator.unit)
    cells: dict[tuple[str, Quarter], Cell] = {}
    years = sorted({q.year for q in reported} | {quarter.year})
    is_count = unit is Unit.COUNT
    exempt_reason = None
    if not indicator.suppress:
        exempt_reason = indicator.suppress_reason or "Not subject to suppression."
    elif unit is Unit.MONEY:
        exempt_reason = "Money, not a count of people: not subject to suppression."

    protect_counts = audience == PUBLISHED and indicator.suppress and is_count
    for year in years:
        upto = 4 if year < quarter.year else quarter.number
        by_number = {n: (reported[Quarter(year, n)].value if Quarter(year, n) in reported else None)
                     for n in range(1, 5)}
        if protect_counts:
            state = protect_year(by_number, cumulative=indicator.cumulative or indicator.is_annual, upto=upto,
                                 threshold=threshold, suppress_zeros=indicator.suppress_zeros)
            for (kind, n), cell in state.items():
                if kind in ("q", "ytd"):
                    cells[(kind, Quarter(year, n))] = cell
        else:
            for n in range(1, upto + 1):
                q = Quarter(year, n)
                row = reported.get(q)
                if audience == PUBLISHED and indicator.suppress and indicator.is_rate and row is not None:
                    cells[("q", q)] = protect_rate_cell(_plain(row), row.numerator, row.denominator,
                                                        threshold=threshold)
                else:
                    cells[("q", q)] = Cell(_plain(row))
            if is_count and not indicator.cumulative and not indicator.is_annual:
                for n in range(2, upto + 1):
                    parts = [by_number[k] for k in range(1, n + 1) if by_number[k] is not None]
                    cells[("ytd", Quarter(year, n))] = Cell(_whole(sum(parts)) if parts else None)
    if is_count and (indicator.cumulative or indicator.is_annual):
        # The latest figure of a year-to-date series is itself the year to date.
        latest = next((cells[("q", q)] for q in reversed(quarter.year_quarters()[: quarter.number])
                       if ("q", q) in cells and cells[("q", q)].shown is not None), None)
        cells[("ytd", quarter)] = Cell(latest.shown, None) if latest else Cell(None)
    return cells, exempt_reason


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- the pack -------------------------------------------------------------------------------------


def _updates_text(row: DashboardRow, attribute: str) -> str:
    return "\n".join(f"{u.agency.short_name}: {getattr(u, attribute)}" for u in row.updates if getattr(u, attribute))


def _cell_value(cell: Cell) -> int | float | str | None:
    # Rates to one decimal place, as the page shows them; counts are whole already.
    if isinstance(cell.shown, float):
        return round(cell.shown, 1)
    return cell.shown


def pack_data(quarter: Quarter, audience: str = PUBLISHED, data: Report | None = None) -> workbook.PackData:
    """The pack's content for `quarter` and `audience`, from the same Report the page shows."""
    data = data or report(quarter, audience)
    summary = [
        workbook.SummaryRow(obj.code, obj.title, {s.label: counts[s] for s in STATUS_ORDER})
        for obj, counts in data.counts_by_objective
    ] + [workbook.SummaryRow(workbook.OVERALL_OBJECTIVE, "All objectives",
                             {s.label: data.counts[s] for s in STATUS_ORDER})]
    actions = tuple(
        workbook.ActionRow(
            code=r.action.code, objective=r.action.objective.code, title=r.action.title,
            leads=", ".join(a.name for a in r.action.lead_agencies), timescale=r.action.timescale or "",
            due_date=r.action.due_date, overdue=r.overdue, status=r.status.label, movement=r.movement.label,
            commentary=_updates_text(r, "commentary"), mitigation=_updates_text(r, "mitigation"),
            updates="\n".join(
                [f"{u.agency.short_name}: {Status(u.status).label}" for u in r.updates]
                + ([f"Not submitted: {', '.join(a.short_name for a in r.waiting_on)}"] if r.waiting_on else [])
            ),
        )
        for r in data.rows
    )
    indicators = tuple(
        workbook.IndicatorRow(
            code=line.indicator.code, name=line.indicator.name, owner=line.indicator.owner.name,
            unit=line.unit.label, polarity=Polarity(line.indicator.polarity).label,
            quarters=tuple(q.label for q in line.quarters),
            values=tuple(_cell_value(c) for c in line.cells),
            targets=tuple(_chart_target(line, q) for q in line.quarters),
            target=line.target_text if line.target is None or line.target.value is None else line.target.value,
            rag=line.rag_label, short_term=line.direction_text(line.short_term),
            long_term=line.direction_text(line.long_term), headline=line.indicator.headline,
            year_to_date=_cell_value(line.year_to_date),
            disclosure=(f"Not suppressed: {line.exempt_reason}" if line.exempt_reason and data.published else ""),
        )
        for line in data.indicators
    )
    returns = tuple(
        workbook.ReturnRow(r.agency, r.actions_due, r.actions_submitted, r.indicators_due, r.indicators_submitted)
        for r in data.returns
    )
    return workbook.PackData(
        strategy=data.strategy,
        quarter=data.quarter.label,
        generated_at=data.generated_at,
        audience=data.audience,
        marking=None if data.published else MARKING,
        disclosure_statement=(statement(data.threshold) if data.published
                              else "Partnership version: true values, nothing suppressed. Not for publication."),
        suppressed=data.suppressed,
        status_note=data.status_note,
        summary=tuple(summary),
        movement={m.label: n for m, n in data.movement_counts.items()},
        actions=actions,
        indicators=indicators,
        returns=returns,
        year_end=data.year_end,
    )


def _chart_target(line: IndicatorLine, quarter: Quarter) -> float | None:
    found = next((a for a in line.chart if (a.year, a.quarter) == (quarter.year, quarter.number)), None)
    return found.target.value if found and found.target is not None else None


def build(quarter: Quarter, audience: str = PUBLISHED, actor=None, data: Report | None = None) -> bytes:
    """The pack as .xlsx bytes. A partnership pack is audited (actor None: the command line); flushes only."""
    check_audience(audience)
    content = workbook.build_pack(pack_data(quarter, audience, data))
    if audience == PARTNERSHIP:
        record(actor, "export", "report_pack", None,
               f"Exported the partnership (unsuppressed) pack for {quarter.label}",
               None, {"quarter": quarter.slug, "audience": audience})
    return content


def as_json(data: Report) -> dict:
    """The indicator table as JSON, with exactly the values the page and pack show for the audience."""
    return {
        "quarter": data.quarter.slug,
        "audience": data.audience,
        "suppressed": {"primary": data.suppressed[0], "secondary": data.suppressed[1]},
        "indicators": [
            {
                "code": line.indicator.code,
                "name": line.indicator.name,
                "values": {q.slug: c.shown for q, c in zip(line.quarters, line.cells, strict=True)},
                "year_to_date": line.year_to_date.shown,
                "target": line.target_text if line.target is None or line.target.value is None
                else line.target.value,
                "rag": line.rag_label,
                "short_term": line.direction_text(line.short_term),
                "long_term": line.direction_text(line.long_term),
            }
            for line in data.indicators
        ],
    }


def chart_points(data: Report, code: str) -> IndicatorLine | None:
    """The indicator line whose chart to draw, or None for an unknown code."""
    return next((line for line in data.indicators if line.indicator.code == code.upper()), None)


def parse_quarter(text: str) -> Quarter:
    """A strategy quarter from its slug; QuarterError with a message otherwise."""
    return actions_service.parse_strategy_quarter(text)


__all__ = [
    "AUDIENCES", "MARKING", "PARTNERSHIP", "PUBLISHED", "AudienceError", "IndicatorLine", "Report",
    "as_json", "build", "chart_points", "check_audience", "pack_data", "report",
]
