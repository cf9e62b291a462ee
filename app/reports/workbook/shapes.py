"""The pack's data shapes: plain dataclasses the reports service fills, and the app's words the pack uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.actions.rollup import STATUS_ORDER, Movement
from app.kpis.scoring import Rag
from app.strategy.quarters import Quarter

# The words the app shows, in the app's order: the pack's columns and colour rules match its screens.
STATUS_LABELS = tuple(status.label for status in STATUS_ORDER)


RAG_LABELS = tuple(rag.label for rag in Rag)


MOVEMENT_LABELS = tuple(movement.label for movement in Movement)


SHEET_NAMES = ("Cover", "Summary", "Action plan", "Exceptions", "Indicators", "Indicator charts", "Comparisons",
               "Returns")


YEAR_END_SHEET = "Year-end summary"


OVERALL_OBJECTIVE = "All"


@dataclass(frozen=True)
class SummaryRow:
    """Action counts by status for one objective (or quarter); objective "All" is the overall row."""

    objective: str
    title: str
    counts: dict[str, int]


@dataclass(frozen=True)
class ActionRow:
    """One action's partnership status for the quarter, with who said what in `updates`."""

    code: str
    objective: str
    title: str
    leads: str
    timescale: str
    due_date: date | None
    overdue: bool
    status: str
    movement: str
    commentary: str
    mitigation: str
    updates: str


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator's recent quarters, oldest first; the last quarter is the one reported."""

    code: str
    name: str
    owner: str
    unit: str
    polarity: str
    quarters: tuple[Quarter, ...]
    values: tuple[float | int | str | None, ...]
    targets: tuple[float | None, ...]
    target: float | str | None
    rag: str
    short_term: str
    long_term: str
    headline: bool
    # The financial year to date, as published (a suppressed or incomplete one arrives as text).
    year_to_date: float | int | str | None = None
    # Why this indicator's values are published unsuppressed, shown in a "Disclosure" column.
    disclosure: str = ""
    # What the values measure: "count", "percentage" (values in points, 39.6 for 39.6%),
    # "rate_per_1000" or "money"; it sets the number format. "" leaves numbers unformatted.
    measure: str = ""
    # The target as agreed, in words ("28.0% to 40.0%", "No target agreed"), beside the numeric target.
    target_text: str = ""
    # Per quarter (aligned with `quarters`), the band (lower, upper) the value is judged against, if any.
    bands: tuple[tuple[float | None, float | None] | None, ...] = ()


@dataclass(frozen=True)
class ReturnRow:
    """What one agency owed this quarter and what it has submitted."""

    agency: str
    actions_due: int
    actions_submitted: int
    indicators_due: int
    indicators_submitted: int


@dataclass(frozen=True)
class ComparisonRow:
    """Where Havering stands among other boroughs for one indicator, group, measure and period.

    `average` and `havering` are None when the source gives no figures (a stated rank) or when the
    audience may not see them (a published count of people): `figures_note` then says which.
    """

    code: str
    indicator: str
    compared: str  # "<measure>, <group>, <period>"
    position: str  # "8th best of 32"
    quartile: str
    average: float | None
    havering: float | None
    figures_note: str
    source: str


@dataclass(frozen=True)
class OutturnRow:
    """One indicator's year-end outturn against its target; `basis` says how the quarters made it."""

    code: str
    name: str
    unit: str
    polarity: str
    outturn: float | int | str | None
    basis: str
    target: float | str | None
    rag: str
    long_term: str
    measure: str = ""  # as IndicatorRow.measure: sets the number format
    target_text: str = ""  # the target in words, beside the number


@dataclass(frozen=True)
class YearEnd:
    """The annual refresh: outturns, what closed, carried forward or retired, and RAG by quarter."""

    year_label: str
    outturns: tuple[OutturnRow, ...]
    completed: tuple[str, ...]
    carried_forward: tuple[str, ...]
    retired: tuple[str, ...]
    rag_by_quarter: tuple[SummaryRow, ...]


@dataclass(frozen=True)
class PackData:
    """Everything the pack shows, already suppressed for its audience."""

    strategy: str
    quarter: str
    generated_at: datetime
    audience: str  # "published" | "partnership"
    marking: str | None
    disclosure_statement: str | None
    suppressed: tuple[int, int]  # (primary, secondary)
    status_note: str
    summary: tuple[SummaryRow, ...]
    movement: dict[str, int]
    actions: tuple[ActionRow, ...]
    indicators: tuple[IndicatorRow, ...]
    returns: tuple[ReturnRow, ...]
    year_end: YearEnd | None = None
    comparisons: tuple[ComparisonRow, ...] = ()


def format_generated_at(moment: datetime) -> str:
    """The generation time in UTC as text, e.g. "23 Nov 2026 14:05 UTC"; a naive time is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y %H:%M} UTC"


def completion(row: ReturnRow) -> float:
    """Share of an agency's due returns it has submitted (0.0-1.0); 1.0 when nothing was due."""
    due = row.actions_due + row.indicators_due
    if due == 0:
        return 1.0
    return (row.actions_submitted + row.indicators_submitted) / due
