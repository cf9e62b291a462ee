"""The HCSP quarterly report and the board's Excel pack: gathering a quarter, for an audience.

Everything the report shows is gathered here in a constant number of queries, and small-number
suppression is applied ONCE, here, for the "published" audience: the page, every sheet of the pack and
the JSON output all read the same `Report`, so they cannot disagree. Functions flush and never commit.

A locked quarter always reproduces the same figures: targets are taken as they stood when the quarter
was locked, and nothing reported for a later quarter is read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from app.actions import service as actions_service
from app.actions.rollup import STATUS_ORDER, Movement, Status
from app.actions.service import DashboardRow
from app.audit.service import record
from app.comparators import service as comparators_service
from app.cycle import service as cycle_service
from app.cycle.models import PeriodEvent
from app.database import utcnow
from app.disclosure import SECONDARY_LABEL, Reason
from app.kpis import service as kpi_service
from app.kpis.aggregation import Aggregation, YearAssessment, YearToDate
from app.kpis.charts import describe, format_value, target_wording
from app.kpis.models import Indicator, IndicatorValue
from app.kpis.scoring import NOT_COMPARABLE, Assessment, DirectionOfTravel, Polarity, Rag, Target, Unit
from app.numbers import whole_number
from app.permissions import can_export_partnership
from app.reports import workbook
from app.reports import year_end as year_end_service
from app.reports.publication import Cell, protect_count_cell, protect_rate_cell, protect_year, statement
from app.strategy import service as calendar
from app.strategy.quarters import Quarter

PARTNERSHIP = "partnership"
PUBLISHED = "published"
AUDIENCES = (PUBLISHED, PARTNERSHIP)
MARKING = "OFFICIAL-SENSITIVE: not for publication"
WITHHELD = "Withheld"  # a rating or direction that would hint at a suppressed value
TABLE_QUARTERS = 5  # the same quarter last year to the quarter reported: both directions of travel


class AudienceError(ValueError):
    """An audience that is neither "published" nor "partnership"; the message is for the user."""


class AudienceForbiddenError(PermissionError):
    """The user may not take this audience's figures out of the app."""


# The outputs the report has. The page (and its charts) is read inside the app by the signed-in
# partnership, which sees true values; every other output is an export: a file or data that leaves it.
PAGE = "page"
EXPORTS = ("pack", "json", "csv", "api")


def check_audience(audience: str) -> str:
    """The audience named, or AudienceError."""
    if audience not in AUDIENCES:
        raise AudienceError('Choose the audience "published" or "partnership"')
    return audience


def audience_for(user, requested: list[str], *, default: str, output: str) -> str:
    """The one audience rule of every output (page, pack, JSON, and any CSV or API to come).

    `requested` is every value of the `audience` parameter: none gives `default`; more than one, or
    one that is not an audience, raises AudienceError (a repeated parameter must not let the first
    value win over the one a check read). Partnership figures leave the app only with the
    coordinator or an admin (AudienceForbiddenError otherwise); `audit_export` records each time.
    """
    if len(requested) > 1:
        raise AudienceError("Give the audience once")
    audience = check_audience(requested[0] if requested else default)
    if output != PAGE and audience == PARTNERSHIP and not can_export_partnership(user):
        raise AudienceForbiddenError("Only the coordinator or an admin may export the partnership figures")
    return audience


def audit_export(actor, quarter: Quarter, audience: str, output: str) -> None:
    """Record a partnership export (true values leaving the app) in the audit trail, in this transaction."""
    if audience != PARTNERSHIP:
        return
    what = {"pack": "pack", "json": "indicator figures (JSON)", "csv": "indicator figures (CSV)",
            "api": "indicator figures (API)"}.get(output, output)
    record(actor, "export", f"report_{output}", None,
           f"Exported the partnership (unsuppressed) {what} for {quarter.label}",
           None, {"quarter": quarter.slug, "audience": audience})


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
    year: YearAssessment | None = None  # the financial year to date at the quarter reported (true values)

    @property
    def ytd_note(self) -> str:
        """Why the year to date is incomplete ("incomplete: Q2 missing"); "" when it is complete or empty."""
        if self.year is None or self.year.year_to_date.complete or self.year_to_date.shown is None:
            return ""
        missing = ", ".join(f"Q{n}" for n in self.year.year_to_date.missing)
        return f"incomplete: {missing} missing" if missing else "incomplete"
    chart_suppressed: frozenset[Quarter] = frozenset()  # the chart's gaps that are suppression, not missing data

    @property
    def value(self) -> Cell:
        return self.cells[-1]

    @property
    def unit(self) -> Unit:
        return Unit(self.indicator.unit)

    @property
    def target_text(self) -> str:
        return target_wording(self.target, self.unit)

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
    year_end_summary: year_end_service.YearEndSummary | None = None
    notes: list[str] = field(default_factory=list)
    # Each indicator's comparison with other boroughs (app.comparators), by code.
    comparisons: dict[str, list] = field(default_factory=dict)

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
    def comparison_lines(self) -> list[tuple[IndicatorLine, comparators_service.Comparison]]:
        """Each indicator's comparisons with other boroughs, as (line, comparison), in the report's order."""
        return [(line, c) for line in self.indicators for c in self.comparisons.get(line.indicator.code, [])]

    def hides_comparator_figures(self, line: IndicatorLine) -> bool:
        """Whether a comparison's average and Havering figure are left out: in a published output, for a
        count (a count of people is disclosure-controlled). A borough's published rate is already public,
        and the rank and quartile reveal no count, so they always show."""
        return self.published and line.indicator.unit == "count"

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
    locked_at = calendar.locked_at(quarter)
    events = cycle_service.period_events(quarter)
    board_returns = cycle_service.tracker_summary(quarter)
    returns = [
        ReturnLine(r.agency.name, r.actions_due, r.actions_submitted, r.indicators_due, r.indicators_submitted)
        for r in board_returns.rows
    ]
    standings = kpi_service.as_locked(kpi_service.indicators(), quarter, locked_at=locked_at)
    lines, suppressed = _indicator_lines(standings, quarter, audience, threshold)
    by_id = comparators_service.comparisons_for([line.indicator for line in lines])
    comparisons = {line.indicator.code: by_id[line.indicator.id] for line in lines if line.indicator.id in by_id}
    result = Report(
        quarter=quarter, audience=audience, strategy=calendar.strategy().name, generated_at=utcnow(),
        counts=board.counts, counts_by_objective=board.counts_by_objective,
        movement_counts=board.movement_counts, rows=rows, exceptions=exceptions, completions=completions,
        indicators=lines, returns=returns, locked_at=locked_at, events=events, threshold=threshold,
        suppressed=suppressed, comparisons=comparisons,
    )
    if quarter.number == 4:
        # The year-end outturns are the same standings' years to date, and the published pack shows each
        # outturn exactly as the Indicators sheet publishes that year to date.
        summary = year_end_service.year_end(quarter.year, standings)
        result.year_end_summary = summary
        published = {line.indicator.code: line.year_to_date for line in lines} if audience == PUBLISHED else None
        result.year_end = year_end_service.for_pack(summary, published)
    return result


def _indicator_lines(
    standings: list[kpi_service.Standing], quarter: Quarter, audience: str, threshold: int
) -> tuple[list[IndicatorLine], tuple[int, int]]:
    """Every indicator's line from its standing at the quarter reported (kpi_service.as_locked)."""
    columns = _columns(quarter)
    lines: list[IndicatorLine] = []
    primary = secondary = 0
    for standing in standings:
        indicator = standing.indicator
        assessed = standing.series
        shown_columns = [q for q in columns if indicator.takes_value_in(q)]
        reported = {q: v for q, v in standing.value_rows.items() if v.is_reported}
        cells, exempt_reason = _cells_for(indicator, reported, quarter, audience, threshold,
                                          standing.year.year_to_date)
        column_cells = [cells.get(("q", q), Cell(_plain(reported.get(q)))) for q in shown_columns]
        ytd = cells.get(("ytd", quarter), Cell(None))
        if audience == PUBLISHED:
            shown_keys = [("q", q) for q in shown_columns] + [("ytd", quarter)]
            for key in shown_keys:
                reason = cells.get(key, Cell(None)).reason
                primary += reason in (Reason.PRIMARY, Reason.RATE)
                secondary += reason is Reason.SECONDARY
        current = standing.current
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
            year=standing.year,
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
    return None if row is None else whole_number(row.value)


def _cells_for(
    indicator: Indicator, reported: dict[Quarter, IndicatorValue], quarter: Quarter, audience: str, threshold: int,
    ytd: YearToDate,
) -> tuple[dict[tuple[str, Quarter], Cell], str | None]:
    """Every quarter's value up to `quarter` (keys ("q", Quarter)) and the year to date ("ytd", quarter).

    The partnership sees true values. The published audience sees counts protected year by year as the
    successive packs published them, and rates withheld when built on a small count. `ytd` is the year to
    date (app.kpis.aggregation) whose published cell is worked out here. Returns the reason an indicator
    is exempt from suppression, when it is.
    """
    unit = Unit(indicator.unit)
    kind = indicator.aggregation_enum
    cells: dict[tuple[str, Quarter], Cell] = {}
    years = sorted({q.year for q in reported} | {quarter.year})
    is_count = unit is Unit.COUNT
    exempt_reason = None
    if not indicator.suppress:
        exempt_reason = indicator.suppress_reason or "Not subject to suppression."
    elif unit is Unit.MONEY:
        exempt_reason = "Money, not a count of people: not subject to suppression."

    protect = audience == PUBLISHED and indicator.suppress and unit is not Unit.MONEY
    # A flow's quarters add into a published year to date, and a cumulative (or annual) series' quarters
    # differ by in-quarter amounts, so both are protected across the year; a snapshot's quarters are
    # independent counts that add into nothing, so primary suppression alone protects them.
    across_year = protect and is_count and kind is not Aggregation.SNAPSHOT
    for year in years:
        upto = 4 if year < quarter.year else quarter.number
        by_number = {n: (reported[Quarter(year, n)].value if Quarter(year, n) in reported else None)
                     for n in range(1, 5)}
        if across_year:
            state = protect_year(by_number, cumulative=indicator.cumulative or indicator.is_annual, upto=upto,
                                 threshold=threshold, suppress_zeros=indicator.suppress_zeros)
            for (key, n), cell in state.items():
                if key in ("q", "ytd"):
                    cells[(key, Quarter(year, n))] = cell
            continue
        for n in range(1, upto + 1):
            q = Quarter(year, n)
            row = reported.get(q)
            if protect and is_count:
                cells[("q", q)] = protect_count_cell(_plain(row), threshold=threshold,
                                                     suppress_zeros=indicator.suppress_zeros)
            elif protect and indicator.is_rate and row is not None:
                cells[("q", q)] = protect_rate_cell(_plain(row), row.numerator, row.denominator,
                                                    threshold=threshold)
            else:
                cells[("q", q)] = Cell(_plain(row))
    cells[("ytd", quarter)] = _ytd_cell(indicator, cells, quarter, ytd, protect=protect, threshold=threshold)
    return cells, exempt_reason


def _ytd_cell(indicator: Indicator, cells: dict[tuple[str, Quarter], Cell], quarter: Quarter, ytd: YearToDate,
              *, protect: bool, threshold: int) -> Cell:
    """The year to date as published: the true figure, or one no reader can difference a hidden quarter from."""
    if ytd.value is None:
        return Cell(None)
    if not protect:
        return Cell(whole_number(ytd.value))
    rests_on = [cells.get(("q", Quarter(quarter.year, n)), Cell(None)) for n in ytd.rests_on]
    kind = indicator.aggregation_enum
    if len(ytd.rests_on) == 1 and (kind in (Aggregation.SNAPSHOT, Aggregation.CUMULATIVE) or indicator.is_annual
                                   or ytd.rests_on == (1,)):
        # The year to date is one quarter's figure repeated: publish it exactly as that quarter's cell.
        return rests_on[0]
    if Unit(indicator.unit) is Unit.COUNT:
        # A flow: protect_year protected this pack's total together with its quarters.
        return cells.get(("ytd", quarter), Cell(None))
    if any(cell.suppressed for cell in rests_on):
        # A year-to-date rate beside its quarters' rates would let a withheld quarter be worked out.
        return Cell(SECONDARY_LABEL, Reason.SECONDARY)
    return protect_rate_cell(ytd.value, ytd.numerator, ytd.denominator, threshold=threshold)


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
            quarters=tuple(line.quarters),
            values=tuple(_cell_value(c) for c in line.cells),
            targets=tuple(_chart_target(line, q) for q in line.quarters),
            target=line.target_text if line.target is None or line.target.value is None else line.target.value,
            rag=line.rag_label, short_term=line.direction_text(line.short_term),
            long_term=line.direction_text(line.long_term), headline=line.indicator.headline,
            year_to_date=_ytd_value(line),
            disclosure=(f"Not suppressed: {line.exempt_reason}" if line.exempt_reason and data.published else ""),
            measure=line.unit.value, target_text=line.target_text,
            bands=tuple(_chart_band(line, q) for q in line.quarters),
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
        comparisons=tuple(_comparison_row(data, line, c) for line, c in data.comparison_lines),
    )


def _comparison_row(data: Report, line: IndicatorLine,
                    comparison: comparators_service.Comparison) -> workbook.ComparisonRow:
    where = comparison.position
    if where.average is None:
        note, average, havering = "Not published by the source", None, None
    elif data.hides_comparator_figures(line):
        note, average, havering = "Not shown (counts of people)", None, None
    else:
        note, average, havering = "", round(where.average, 1), where.value
    return workbook.ComparisonRow(
        code=line.indicator.code, indicator=line.indicator.name,
        compared=f"{comparison.measure}, {comparison.group}, {comparison.period}",
        position=where.wording, quartile=where.quartile_wording, average=average, havering=havering,
        figures_note=note, source=comparison.cited)


def _ytd_value(line: IndicatorLine) -> int | float | str | None:
    # An incomplete year to date goes to the pack as text with its reason, so no reader takes it as the year.
    value = _cell_value(line.year_to_date)
    if line.ytd_note and not isinstance(value, str):
        return f"{line.show(line.year_to_date)} ({line.ytd_note})"
    return value


def _chart_target(line: IndicatorLine, quarter: Quarter) -> float | None:
    found = next((a for a in line.chart if (a.year, a.quarter) == (quarter.year, quarter.number)), None)
    return found.target.value if found and found.target is not None else None


def _chart_band(line: IndicatorLine, quarter: Quarter) -> tuple[float | None, float | None] | None:
    found = next((a for a in line.chart if (a.year, a.quarter) == (quarter.year, quarter.number)), None)
    if found is None or found.target is None or not found.target.has_band:
        return None
    return (found.target.lower, found.target.upper)


def build(quarter: Quarter, audience: str = PUBLISHED, actor=None, data: Report | None = None) -> bytes:
    """The pack as .xlsx bytes. A partnership pack is audited (actor None: the command line); flushes only."""
    check_audience(audience)
    content = workbook.build_pack(pack_data(quarter, audience, data))
    audit_export(actor, quarter, audience, "pack")
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
                "year_to_date_note": line.ytd_note,
                "target": line.target_text if line.target is None or line.target.value is None
                else line.target.value,
                "rag": line.rag_label,
                "short_term": line.direction_text(line.short_term),
                "long_term": line.direction_text(line.long_term),
            }
            for line in data.indicators
        ],
    }


def figures_table(figures: dict) -> tuple[list[str], list[list]]:
    """The indicator figures (as_json's shape) as a CSV's header and rows: one row per indicator, one
    column per quarter shown, so the CSV carries exactly the values the JSON, page and pack show."""
    slugs = list(dict.fromkeys(slug for line in figures["indicators"] for slug in line["values"]))
    header = ["Code", "Indicator", *(Quarter.parse(slug).label for slug in slugs), "Year to date",
              "Year to date note", "Target", "Rating", "Short-term movement", "Long-term movement"]
    rows = [[line["code"], line["name"], *(line["values"].get(slug) for slug in slugs), line["year_to_date"],
             line["year_to_date_note"], line["target"], line["rag"], line["short_term"], line["long_term"]]
            for line in figures["indicators"]]
    return header, rows


def indicator_line(quarter: Quarter, audience: str, code: str) -> IndicatorLine | None:
    """One indicator's line exactly as the whole report has it, gathered alone; None for an unknown code.

    A chart image needs one line, not the whole report: the report page shows several charts, and
    rebuilding the dashboard, tracker and every indicator for each image multiplied the page's cost.
    Suppression is worked out per indicator, so the line alone is the line in the report.
    """
    check_audience(audience)
    found = [i for i in kpi_service.indicators() if i.code == code.upper()]
    if not found:
        return None
    standings = kpi_service.as_locked(found, quarter, locked_at=calendar.locked_at(quarter))
    lines, _ = _indicator_lines(standings, quarter, audience, current_app.config["DISCLOSURE_THRESHOLD"])
    return lines[0]


def chart_descriptions(data: Report) -> dict[str, str]:
    """Each headline chart's text alternative: what it shows, in words, with its suppressed gaps named."""
    return {
        line.indicator.code: describe(line.indicator.name, line.indicator.unit, line.indicator.polarity,
                                      line.chart, suppressed=line.chart_suppressed)
        for line in data.headline_indicators
    }


def parse_quarter(text: str) -> Quarter:
    """A strategy quarter from its slug; QuarterError with a message otherwise."""
    return calendar.parse_strategy_quarter(text)


__all__ = [
    "AUDIENCES", "MARKING", "PARTNERSHIP", "PUBLISHED", "AudienceError", "IndicatorLine", "Report",
    "as_json", "audience_for", "audit_export", "build", "check_audience", "indicator_line",
    "pack_data", "report",
]
