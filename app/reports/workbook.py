"""The HCSP board's quarterly Excel pack, shaped from plain dataclasses into .xlsx bytes.

Pure: no Flask, no SQLAlchemy, no database. The caller has already applied small-number
suppression, so a value may arrive as text ("<5", "[c]"): it is written as text, and the charts
show a gap for it rather than a zero.
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from xlsxwriter.utility import quote_sheetname, xl_range

from app.actions.rollup import STATUS_ORDER, Movement
from app.kpis.charts import NO_TARGET
from app.kpis.scoring import Rag
from app.strategy.quarters import Quarter

__all__ = [
    "SHEET_NAMES",
    "STATUS_LABELS",
    "YEAR_END_SHEET",
    "ActionRow",
    "IndicatorRow",
    "OutturnRow",
    "PackData",
    "ReturnRow",
    "SummaryRow",
    "YearEnd",
    "build_pack",
    "completion",
    "format_generated_at",
    "axis_bounds",
    "number_format",
    "page_breaks",
    "print_scale",
    "row_height",
    "safe_text",
    "scaled",
    "text_lines",
]

# The words the app shows, in the app's order: the pack's columns and colour rules match its screens.
STATUS_LABELS = tuple(status.label for status in STATUS_ORDER)
RAG_LABELS = tuple(rag.label for rag in Rag)
MOVEMENT_LABELS = tuple(movement.label for movement in Movement)
SHEET_NAMES = ("Cover", "Summary", "Action plan", "Exceptions", "Indicators", "Indicator charts", "Returns")
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


# OWASP's list of characters that make spreadsheet software read a cell as a formula or command.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_MAX_TEXT = 32_767  # characters in one cell; XlsxWriter drops longer strings
_HEADER_FOOTER_MAX = 200  # Excel allows 255 in a header or footer, including the control codes


def safe_text(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet could run as a formula; other text is unchanged.

    Edge cases: "" stays ""; only the first character counts, so " =1" is left alone.
    """
    if value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


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


# Colours follow the GOV.UK palette the web pages use, so a printed pack reads like the screen.
_STATUS_COLOURS: dict[str, tuple[str, str]] = {  # label -> (fill, font)
    "Complete": ("#1D70B8", "#FFFFFF"),
    "Green": ("#00703C", "#FFFFFF"),
    "Amber": ("#FFBF47", "#0B0C0C"),
    "Red": ("#D4351C", "#FFFFFF"),
    "No update": ("#B1B4B6", "#0B0C0C"),
    "No rating": ("#B1B4B6", "#0B0C0C"),
}

_STATUS_MEANINGS = {
    "Complete": "The action has been delivered.",
    "Green": "On track: no issues.",
    "Amber": "Some slippage or risk: mitigation required.",
    "Red": "Off track or blocked: mitigation and escalation required.",
    "No update": "Nothing has been submitted for this quarter (never counted as green).",
}

_RAG_MEANINGS = {
    "Green": "On target, or within tolerance of it.",
    "Amber": "Outside tolerance, but better than the same quarter last year.",
    "Red": "Outside tolerance and no better than the same quarter last year.",
    "No rating": "Not rated: a contextual measure, no target agreed, or no value reported.",
}

_SHEET_PURPOSES = {
    "Summary": "Action counts by status for each objective and overall, with movement since last quarter.",
    "Action plan": "Every action with its status, who said what, commentary and mitigation.",
    "Exceptions": "Red and amber actions (red first) with commentary and mitigation.",
    "Indicators": "Indicator values by quarter against target, RAG rating and direction of travel.",
    "Indicator charts": "One chart per indicator: value against target, with the figures charted.",
    "Returns": "Who has submitted this quarter, lowest completion first.",
    YEAR_END_SHEET: "Outturns against targets, actions completed and carried forward, RAG by quarter.",
}

_MARKING_ROW = 0  # reserved on every sheet, blank when there is no marking, so layouts never shift
_TITLE_ROW = 1
_NOTE_ROW = 2
_HEADER_ROW = 3
_FIRST_DATA_ROW = _HEADER_ROW + 1

_WIDE_TEXT = 45
_COVER_TEXT_WIDTH = 95
_CHART_WIDTH = 480  # pixels: two side by side print at full size on A4 landscape
_CHART_HEIGHT = 260  # two rows of charts to a printed page
_CHART_ROWS = 14  # default rows (20 px) a chart plus a gap occupies, so the next pair starts clear


@dataclass(frozen=True)
class _Col:
    """A table column: its header, width in characters and how its cells are formatted."""

    header: str
    width: float
    kind: str = "text"  # text | wrap | date | number | percent | status


@dataclass
class _Formats:
    """The workbook's cell formats, built once because XlsxWriter formats belong to one workbook."""

    by_kind: dict[str, Any]
    header: Any
    marking: Any
    title: Any
    note: Any
    label: Any
    bold: Any
    bold_number: Any
    bold_percent: Any
    heading: Any
    statuses: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)
    # Column widths set so far, by (sheet, column), so a second table on a sheet can fit its rows.
    widths: dict[tuple[str, int], float] = field(default_factory=dict)
    # Number formats by name ("0.0%", "#,##0"...), made on first use.
    numbers: dict[str, Any] = field(default_factory=dict)
    book: Any = None
    # Row heights set so far, by (sheet, row), in points; other rows keep the default height.
    heights: dict[tuple[str, int], float] = field(default_factory=dict)
    # Charts placed so far, by sheet: (top row, points tall), so page breaks can keep each one whole.
    charts: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def number(self, num_format: str | None) -> Any:
        """The cell format showing a number as `num_format` (None: the plain number format)."""
        if num_format is None:
            return self.by_kind["number"]
        if num_format not in self.numbers:
            self.numbers[num_format] = self.book.add_format({"valign": "top", "font_size": 10,
                                                            "num_format": num_format})
        return self.numbers[num_format]


def build_pack(data: PackData) -> bytes:
    """The quarterly board pack as .xlsx bytes; a "Year-end summary" sheet is added when year_end is set.

    Edge cases: empty tables still get their headers (Exceptions says when there are none); a
    suppressed value ("<5", "[c]") is written as text and left out of charts and sparklines.
    """
    buffer = io.BytesIO()
    # Belt and braces with safe_text: XlsxWriter must never turn user text into a formula,
    # a hyperlink or a number, whatever it looks like.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
               # Arial, not Calibri: LibreOffice has Arial's metrics (Liberation Sans) but rarely Calibri's,
               # and a substitute font widens every column by a third, so print scales and page breaks
               # worked out here came out wrong. Arial 10 has Calibri 11's 7-pixel digit, so widths hold.
               "default_format_properties": {"font_name": "Arial", "font_size": 10}}
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        date_format="dd/mm/yyyy",
        datetime_format="dd/mm/yyyy hh:mm",
        engine_kwargs={"options": options},
    ) as writer:
        book = writer.book
        formats = _make_formats(book)
        names = SHEET_NAMES + ((YEAR_END_SHEET,) if data.year_end is not None else ())
        for name in names:
            # Created up front, in order, so the tabs read as the board expects whatever is written first.
            book.add_worksheet(name)
        # A quarter no indicator has a value for (the year before the strategy, say) is left out.
        quarters = [q for q in _quarter_columns(data.indicators)
                    if any(v is not None for i in data.indicators for v in _by_quarter(i, i.values, [q]))]
        _write_cover(writer, data, formats, names)
        _write_summary(writer, data, formats)
        _write_actions(writer, data, formats)
        _write_exceptions(writer, data, formats)
        chart_rows = _write_indicator_charts(writer, data, formats, quarters)
        _write_indicators(writer, data, formats, quarters, chart_rows)
        _write_returns(writer, data, formats)
        if data.year_end is not None:
            _write_year_end(writer, data, data.year_end, formats)
        for name in names:
            ws = book.get_worksheet_by_name(name)
            if name in formats.charts:
                widths = sum(_column_px(w) for (sheet, _), w in formats.widths.items() if sheet == name)
                chart_px = 2 * _CHART_WIDTH + 30 if name == "Indicator charts" else _CHART_WIDTH + 160
                # The chart sheet's figures are a reference table: its header is not repeated over charts.
                repeat = None if name == "Indicator charts" else _HEADER_ROW
                _print_setup(ws, data, repeat, formats, widths_px=max(widths, chart_px))
            else:
                _print_setup(ws, data, _HEADER_ROW, formats)
        _set_properties(book, data)
    return buffer.getvalue()


def _make_formats(book: Any) -> _Formats:
    base = {"valign": "top", "font_size": 10}
    by_kind = {
        "text": book.add_format(base),
        "wrap": book.add_format({**base, "text_wrap": True}),
        "date": book.add_format({**base, "num_format": "dd/mm/yyyy"}),
        "number": book.add_format(base),
        "percent": book.add_format({**base, "num_format": "0%"}),
        "status": book.add_format({**base, "bold": True}),
    }
    formats = _Formats(
        book=book,
        by_kind=by_kind,
        header=book.add_format(
            {
                "bold": True,
                "bg_color": "#DEE0E2",
                "border": 1,
                "text_wrap": True,
                "valign": "top",
                "font_size": 10,
            }
        ),
        marking=book.add_format({"bold": True, "font_color": "#D4351C", "font_size": 12}),
        title=book.add_format({"bold": True, "font_size": 14}),
        note=book.add_format({"italic": True, "font_size": 10, "font_color": "#505A5F"}),
        label=book.add_format({"bold": True, "valign": "top", "font_size": 10}),
        bold=book.add_format({**base, "bold": True}),
        bold_number=book.add_format({**base, "bold": True, "top": 1}),
        bold_percent=book.add_format({**base, "bold": True, "top": 1, "num_format": "0%"}),
        heading=book.add_format({"bold": True, "font_size": 12}),
    )
    for label, (fill, font) in _STATUS_COLOURS.items():
        # Conditional formats in Excel only accept a differential style: fill, font colour and bold.
        formats.statuses[label] = book.add_format({"bg_color": fill, "font_color": font, "bold": True})
        formats.keys[label] = book.add_format(
            {
                "bg_color": fill,
                "font_color": font,
                "bold": True,
                "border": 1,
                "valign": "top",
                "font_size": 10,
            }
        )
    return formats


# Row heights. Neither Excel nor LibreOffice grows a row to fit wrapped text written by XlsxWriter, so
# wrapped cells overlapped or were cut off: each row's height is worked out from its text instead.
_LINE_POINTS = 12.75  # one line of 10pt text, with the leading both programs use
_ROW_PADDING = 3.0  # points above and below the text
_MAX_ROW_POINTS = 409.0  # Excel's largest row height
_CHARS_PER_WIDTH = 1.1  # 10pt characters per unit of column width (a unit is one 11pt "0"), on the safe side


def text_lines(text: str, width: float) -> int:
    """How many lines `text` takes when wrapped in a column `width` characters wide; at least 1.

    Words wrap whole, as the spreadsheet wraps them; a word longer than the line breaks across lines.
    """
    per_line = max(1, int(width * _CHARS_PER_WIDTH))
    lines = 0
    for paragraph in text.split("\n"):
        used = 0
        lines += 1
        for word in paragraph.split():
            if used and used + 1 + len(word) > per_line:
                lines += 1
                used = 0
            if len(word) > per_line:
                lines += (len(word) - 1) // per_line
                used = len(word) % per_line or per_line
            else:
                used += (1 if used else 0) + len(word)
    return max(1, lines)


def row_height(cells: Iterable[tuple[object, float]]) -> float | None:
    """Points tall a row must be for its wrapped (text, width) cells; None when one line is enough."""
    lines = max((text_lines(str(text), width) for text, width in cells if isinstance(text, str) and text),
                default=1)
    if lines <= 1:
        return None
    return min(_MAX_ROW_POINTS, lines * _LINE_POINTS + _ROW_PADDING)


def _fit_row(ws: Any, row: int, cells: Iterable[tuple[object, float]], formats: _Formats | None = None) -> None:
    height = row_height(cells)
    if height is not None:
        ws.set_row(row, height)
        if formats is not None:
            formats.heights[(ws.name, row)] = height


def _text(value: object) -> str | None:
    """User text made safe for a cell; None and "" become an empty cell."""
    if value is None:
        return None
    text = str(value)
    if not text:
        return None
    return safe_text(text)[:_EXCEL_MAX_TEXT]


def _value(value: object) -> float | int | str | None:
    """An indicator value for a table cell: numbers stay numbers, suppression markers stay text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    # numbers.Real also catches numpy scalars, which a caller working in pandas may hand over.
    if isinstance(value, numbers.Real | Decimal):
        number = float(value)
        return None if math.isnan(number) else number
    return _text(value)


def _chart_value(value: object) -> float | int | None:
    """An indicator value for a chart: anything that is not a number becomes a gap, never a zero."""
    cell = _value(value)
    return cell if isinstance(cell, int | float) else None


def _preamble(ws: Any, data: PackData, formats: _Formats, title: str, note: str) -> None:
    if data.marking:
        ws.write_string(_MARKING_ROW, 0, _text(data.marking), formats.marking)
    ws.write_string(_TITLE_ROW, 0, _text(title), formats.title)
    if note:
        ws.write_string(_NOTE_ROW, 0, _text(note), formats.note)


def _write_table(
    writer: pd.ExcelWriter,
    sheet: str,
    columns: Sequence[_Col],
    rows: Sequence[Sequence[object]],
    formats: _Formats,
    first_row: int = _HEADER_ROW,
    first_col: int = 0,
    autofilter: bool = True,
    set_widths: bool = True,
) -> int:
    """Write headers and rows through pandas; return the last row written (the header row if none).

    Every row is made tall enough for its wrapped text, the header row included.
    """
    ws = writer.book.get_worksheet_by_name(sheet)
    widths = []
    for offset, column in enumerate(columns):
        col = first_col + offset
        if set_widths:
            ws.set_column(col, col, column.width, formats.by_kind[column.kind])
            formats.widths[(sheet, col)] = column.width
        widths.append(formats.widths.get((sheet, col), column.width))
        ws.write_string(first_row, col, column.header, formats.header)
    _fit_row(ws, first_row, [(c.header, w) for c, w in zip(columns, widths, strict=True)], formats)
    last_row = first_row + len(rows)
    if rows:
        # object dtype keeps each cell's own type: a "<5" next to a 12 stays text, a date stays a date.
        frame = pd.DataFrame(list(rows), columns=[c.header for c in columns], dtype=object)
        frame.to_excel(
            writer, sheet_name=sheet, startrow=first_row + 1, startcol=first_col, header=False, index=False
        )
    wrapped = [i for i, c in enumerate(columns) if c.kind == "wrap"]
    for index, cells in enumerate(rows):
        row = first_row + 1 + index
        if not set_widths:
            # The sheet's column formats belong to its first table: wrap this table's text explicitly.
            for i in wrapped:
                if isinstance(cells[i], str):
                    ws.write_string(row, first_col + i, cells[i], formats.by_kind["wrap"])
        _fit_row(ws, row, [(cells[i], widths[i]) for i in wrapped], formats)
    if autofilter:
        ws.autofilter(first_row, first_col, last_row, first_col + len(columns) - 1)
    return last_row


def _status_fill(
    ws: Any, first_row: int, last_row: int, col: int, labels: Iterable[str], formats: _Formats
) -> None:
    if last_row < first_row:
        return
    for label in labels:
        ws.conditional_format(
            first_row,
            col,
            last_row,
            col,
            {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": formats.statuses[label]},
        )


def _freeze(ws: Any, cols: int = 0) -> None:
    ws.freeze_panes(_FIRST_DATA_ROW, cols)


def _write_cover(writer: pd.ExcelWriter, data: PackData, formats: _Formats, names: Sequence[str]) -> None:
    ws = writer.book.get_worksheet_by_name("Cover")
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, _COVER_TEXT_WIDTH, formats.by_kind["wrap"])
    if data.marking:
        ws.write_string(_MARKING_ROW, 0, _text(data.marking), formats.marking)
    ws.write_string(_TITLE_ROW, 0, _text(data.strategy), formats.title)
    ws.write_string(
        _NOTE_ROW,
        0,
        "Quarterly pack for the Havering Community Safety Partnership (HCSP) board",
        formats.note,
    )
    primary, secondary = data.suppressed
    total = primary + secondary
    details: list[tuple[str, str | None]] = [
        ("Quarter", data.quarter),
        ("Audience", data.audience.capitalize()),
        ("Quarter status", data.status_note),
        ("Generated at", format_generated_at(data.generated_at)),
        ("Disclosure control", data.disclosure_statement),
        (
            "Suppressed values",
            f"{total} value{'' if total == 1 else 's'} suppressed ({primary} primary, {secondary} secondary)",
        ),
    ]
    if data.year_end is not None:
        details.append(("Year end", data.year_end.year_label))
    row = _HEADER_ROW + 1
    for label, value in details:
        if not value:
            continue
        ws.write_string(row, 0, label, formats.label)
        ws.write_string(row, 1, _text(value), formats.by_kind["wrap"])
        _fit_row(ws, row, [(_text(value), _COVER_TEXT_WIDTH)])
        row += 1
    row = _write_key(ws, row + 1, "Key to action statuses", _STATUS_MEANINGS, formats)
    row = _write_key(ws, row + 1, "Key to indicator ratings", _RAG_MEANINGS, formats)
    ws.write_string(row + 1, 0, "Contents", formats.heading)
    ws.write_string(row + 2, 0, "Sheet", formats.header)
    ws.write_string(row + 2, 1, "What it shows", formats.header)
    for offset, name in enumerate(n for n in names if n != "Cover"):
        ws.write_string(row + 3 + offset, 0, name, formats.label)
        ws.write_string(row + 3 + offset, 1, _SHEET_PURPOSES[name], formats.by_kind["wrap"])
        _fit_row(ws, row + 3 + offset, [(_SHEET_PURPOSES[name], _COVER_TEXT_WIDTH)])


def _write_key(ws: Any, row: int, heading: str, meanings: dict[str, str], formats: _Formats) -> int:
    """Write a colour key whose cells carry the label as text too; return the next free row."""
    ws.write_string(row, 0, heading, formats.heading)
    ws.write_string(row + 1, 0, "Status", formats.header)
    ws.write_string(row + 1, 1, "Meaning", formats.header)
    for offset, (label, meaning) in enumerate(meanings.items(), start=2):
        ws.write_string(row + offset, 0, label, formats.keys[label])
        ws.write_string(row + offset, 1, meaning, formats.by_kind["wrap"])
        _fit_row(ws, row + offset, [(meaning, _COVER_TEXT_WIDTH)])
    return row + 2 + len(meanings)


def _summary_order(rows: Iterable[SummaryRow]) -> list[SummaryRow]:
    # The chart needs the objectives as one contiguous block, so the overall row always goes last.
    rows = list(rows)
    return [r for r in rows if r.objective != OVERALL_OBJECTIVE] + [
        r for r in rows if r.objective == OVERALL_OBJECTIVE
    ]


def _count_rows(rows: Sequence[SummaryRow], first_header: str) -> tuple[list[_Col], list[list[object]]]:
    columns = [_Col(first_header, 14), _Col("Title", _WIDE_TEXT, "wrap")]
    columns += [_Col(label, 11, "number") for label in STATUS_LABELS] + [_Col("Total", 9, "number")]
    body = []
    for row in rows:
        counts = [int(row.counts.get(label, 0)) for label in STATUS_LABELS]
        body.append([_text(row.objective), _text(row.title), *counts, sum(counts)])
    return columns, body


def _stacked_status_chart(
    book: Any, sheet: str, header_row: int, last_row: int, title: str, category_title: str
) -> Any:
    """A stacked column chart of a _count_rows table: one series per status, in the status colours."""
    first_row = header_row + 1
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    for offset, label in enumerate(STATUS_LABELS):
        col = 2 + offset
        fill = _STATUS_COLOURS[label][0]
        chart.add_series(
            {
                "name": [sheet, header_row, col],
                "categories": [sheet, first_row, 0, last_row, 0],
                "values": [sheet, first_row, col, last_row, col],
                "fill": {"color": fill},
                "border": {"color": "#FFFFFF"},
                "gap": 60,
            }
        )
    chart.set_title({"name": _text(title), "name_font": {"size": 12}})
    chart.set_x_axis({"name": category_title})
    chart.set_y_axis({"name": "Actions", "major_gridlines": {"visible": True}, "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": _CHART_WIDTH + 140, "height": _CHART_HEIGHT + 40})
    return chart


def _write_summary(writer: pd.ExcelWriter, data: PackData, formats: _Formats) -> None:
    sheet = "Summary"
    ws = writer.book.get_worksheet_by_name(sheet)
    _preamble(ws, data, formats, f"Summary: {data.quarter}", data.status_note)
    rows = _summary_order(data.summary)
    columns, body = _count_rows(rows, "Objective")
    last = _write_table(writer, sheet, columns, body, formats)
    _bold_overall(ws, rows, body, formats)
    _freeze(ws)

    objectives = sum(1 for r in rows if r.objective != OVERALL_OBJECTIVE)
    row = last + 2
    ws.write_string(row, 0, "Movement since last quarter", formats.heading)
    movement_cols = [_Col("Movement", 14), _Col("Actions", _WIDE_TEXT, "number")]
    labels = list(MOVEMENT_LABELS) + [k for k in data.movement if k not in MOVEMENT_LABELS]
    movement = [[_text(label), int(data.movement.get(label, 0))] for label in labels]
    # Only one autofilter per sheet is allowed by Excel; it belongs to the main table above.
    row = _write_table(
        writer, sheet, movement_cols, movement, formats, first_row=row + 1, autofilter=False, set_widths=False
    )
    if objectives:
        chart = _stacked_status_chart(
            writer.book,
            sheet,
            _HEADER_ROW,
            _FIRST_DATA_ROW + objectives - 1,
            f"Actions by status and objective, {data.quarter}",
            "Objective",
        )
        _place_chart(ws, formats, row + 2, chart, _CHART_HEIGHT + 40)


def _bold_overall(
    ws: Any, rows: Sequence[SummaryRow], body: Sequence[Sequence[object]], formats: _Formats
) -> None:
    for index, (row, cells) in enumerate(zip(rows, body, strict=True)):
        if row.objective != OVERALL_OBJECTIVE:
            continue
        # Rewritten with a ruled bold format so the total reads as a total on paper.
        for col, cell in enumerate(cells):
            fmt = formats.bold_number if isinstance(cell, int) else formats.bold
            ws.write(_FIRST_DATA_ROW + index, col, cell, fmt)


# About 190 characters across: printed one page wide on A4 landscape at about three-quarters size, so
# 10pt text stays near 7.5pt (at the old 260 it printed at half size). Rows grow to fit instead.
_ACTION_COLUMNS = (
    _Col("Code", 6),
    _Col("Objective", 9),
    _Col("Action", 32, "wrap"),
    _Col("Lead agencies", 15, "wrap"),
    _Col("Timescale", 12, "wrap"),
    _Col("Due date", 10.5, "date"),
    _Col("Overdue", 8.5, "status"),
    _Col("Status", 9.5, "status"),
    _Col("Movement", 10.5, "wrap"),
    _Col("Updates by lead", 20, "wrap"),
    _Col("Commentary", 30, "wrap"),
    _Col("Mitigation", 27, "wrap"),
)


def _action_cells(action: ActionRow, columns: Sequence[_Col]) -> list[object]:
    cells: dict[str, object] = {
        "Code": _text(action.code),
        "Objective": _text(action.objective),
        "Action": _text(action.title),
        "Lead agencies": _text(action.leads),
        "Timescale": _text(action.timescale),
        "Due date": action.due_date,
        "Overdue": "Overdue" if action.overdue else None,
        "Status": _text(action.status),
        "Movement": _text(action.movement),
        "Updates by lead": _text(action.updates),
        "Commentary": _text(action.commentary),
        "Mitigation": _text(action.mitigation),
    }
    return [cells[c.header] for c in columns]


def _write_action_sheet(
    writer: pd.ExcelWriter,
    data: PackData,
    formats: _Formats,
    sheet: str,
    actions: Sequence[ActionRow],
    columns: Sequence[_Col],
    note: str,
    empty_message: str | None = None,
) -> None:
    ws = writer.book.get_worksheet_by_name(sheet)
    _preamble(ws, data, formats, f"{sheet}: {data.quarter}", note)
    last = _write_table(writer, sheet, columns, [_action_cells(a, columns) for a in actions], formats)
    headers = [c.header for c in columns]
    _status_fill(ws, _FIRST_DATA_ROW, last, headers.index("Status"), STATUS_LABELS, formats)
    _freeze(ws, 1)
    if not actions and empty_message:
        ws.write_string(_FIRST_DATA_ROW, 0, empty_message, formats.note)


def _write_actions(writer: pd.ExcelWriter, data: PackData, formats: _Formats) -> None:
    _write_action_sheet(
        writer,
        data,
        formats,
        "Action plan",
        data.actions,
        _ACTION_COLUMNS,
        "Status is the partnership status: the worst status submitted by the lead agencies "
        "unless the coordinator set it. Updates by lead shows who said what.",
    )


def _write_exceptions(writer: pd.ExcelWriter, data: PackData, formats: _Formats) -> None:
    # Red before Amber; within each, the action plan's own order so codes stay in sequence.
    exceptions = [a for a in data.actions if a.status == "Red"] + [
        a for a in data.actions if a.status == "Amber"
    ]
    _write_action_sheet(
        writer,
        data,
        formats,
        "Exceptions",
        exceptions,
        [c for c in _ACTION_COLUMNS if c.header != "Movement"],
        "Red and amber actions, red first, with the commentary and mitigation from the lead agencies.",
        empty_message="No red or amber actions this quarter.",
    )


def _quarter_columns(indicators: Iterable[IndicatorRow]) -> list[Quarter]:
    """The union of the indicators' quarters, oldest first."""
    return sorted({q for indicator in indicators for q in indicator.quarters})


def _by_quarter(indicator: IndicatorRow, values: Sequence[Any], quarters: Sequence[Quarter]) -> list[Any]:
    known = dict(zip(indicator.quarters, values, strict=False))
    return [known.get(q) for q in quarters]


_NUMBER_FORMATS = {"count": "#,##0", "percentage": "0.0%", "rate_per_1000": "0.0", "money": "£#,##0"}


def number_format(measure: str, value: float | int) -> str | None:
    """The number format for a value of this measure ("0.0%", "#,##0"...); None for an unknown measure.

    A count that is not whole (an average, say) keeps one decimal place rather than being rounded away.
    """
    found = _NUMBER_FORMATS.get(measure)
    if measure == "count" and not float(value).is_integer():
        return "#,##0.0"
    return found


def scaled(value: object, measure: str) -> object:
    """A value as the spreadsheet stores it: a percentage as a fraction (39.6 -> 0.396), others as given."""
    number = _value(value)
    if measure == "percentage" and isinstance(number, int | float):
        return number / 100
    return number


def _target_number(indicator: IndicatorRow) -> float | int | None:
    """The target as a number; None when there is no single figure (no target, or a band)."""
    if isinstance(indicator.target, str) or indicator.target is None:
        return None
    found = scaled(indicator.target, indicator.measure)
    return found if isinstance(found, int | float) else None


def _target_wording(indicator: IndicatorRow) -> str | None:
    if indicator.target_text:
        return _text(indicator.target_text)
    if isinstance(indicator.target, str):
        return _text(indicator.target) or NO_TARGET
    return NO_TARGET if indicator.target is None else None


def _format_numbers(ws: Any, row: int, cols_values: Iterable[tuple[int, object]], measure: str,
                    formats: _Formats) -> None:
    """Rewrite a row's numeric cells with the number format of their measure; text stays as written."""
    for col, value in cols_values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(row, col, value, formats.number(number_format(measure, value)))


def _write_indicators(
    writer: pd.ExcelWriter,
    data: PackData,
    formats: _Formats,
    quarters: Sequence[Quarter],
    chart_rows: Sequence[int],
) -> None:
    sheet = "Indicators"
    ws = writer.book.get_worksheet_by_name(sheet)
    _preamble(
        ws,
        data,
        formats,
        f"Indicators: {data.quarter}",
        "Values shown as <5 or [c] are suppressed to protect victims; the trend line leaves a gap for them.",
    )
    # Optional columns appear only when some indicator uses them, so a pack without them reads as before.
    with_ytd = any(i.year_to_date is not None for i in data.indicators)
    with_disclosure = any(i.disclosure for i in data.indicators)
    columns = [
        # About 190 characters across at most, like the action plan, so it prints at a readable size.
        _Col("Code", 7),
        _Col("Indicator", 28, "wrap"),
        _Col("Owner", 12, "wrap"),
        _Col("Unit", 9, "wrap"),
        _Col("Polarity", 10, "wrap"),
        *[_Col(q.label, 9, "number") for q in quarters],
        *([_Col("Year to date", 9, "number")] if with_ytd else []),
        _Col("Target", 9, "number"),
        _Col("Target wording", 14, "wrap"),
        _Col("RAG", 9, "status"),
        _Col("Short-term", 11, "wrap"),
        _Col("Long-term", 11, "wrap"),
        _Col("Trend", 10),
        *([_Col("Disclosure", 16, "wrap")] if with_disclosure else []),
    ]
    body = []
    for indicator in data.indicators:
        values = [scaled(v, indicator.measure) for v in _by_quarter(indicator, indicator.values, quarters)]
        body.append(
            [
                _text(indicator.code),
                _text(indicator.name),
                _text(indicator.owner),
                _text(indicator.unit),
                _text(indicator.polarity),
                *values,
                *([scaled(indicator.year_to_date, indicator.measure)] if with_ytd else []),
                _target_number(indicator),
                _target_wording(indicator),
                _text(indicator.rag),
                _text(indicator.short_term),
                _text(indicator.long_term),
                None,
                *([_text(indicator.disclosure)] if with_disclosure else []),
            ]
        )
    last = _write_table(writer, sheet, columns, body, formats)
    headers = [c.header for c in columns]
    numeric = [i for i, c in enumerate(columns) if c.kind == "number"]
    for index, (indicator, cells) in enumerate(zip(data.indicators, body, strict=True)):
        _format_numbers(ws, _FIRST_DATA_ROW + index, [(i, cells[i]) for i in numeric], indicator.measure, formats)
    _status_fill(ws, _FIRST_DATA_ROW, last, headers.index("RAG"), RAG_LABELS, formats)
    _freeze(ws, 2)
    trend_col = headers.index("Trend")
    if not quarters:
        return
    charts = quote_sheetname("Indicator charts")
    for index, chart_row in enumerate(chart_rows):
        # The sparkline reads the numeric copy on "Indicator charts", not the quarter columns here,
        # because Excel plots a text cell ("<5") as zero: a false dip that would also hint at the value.
        span = xl_range(
            chart_row, _CHART_FIRST_QUARTER_COL, chart_row, _CHART_FIRST_QUARTER_COL + len(quarters) - 1
        )
        ws.add_sparkline(
            _FIRST_DATA_ROW + index,
            trend_col,
            {"range": f"{charts}!{span}", "markers": True, "empty_cells": "gaps", "series_color": "#1D70B8"},
        )


_CHART_FIRST_QUARTER_COL = 3  # Code, Indicator, Series, then one column per quarter


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (> 0)."""
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-9))


def axis_bounds(numbers: Iterable[float | None], measure: str) -> tuple[float, float]:
    """The value axis of an indicator chart: from 0 to a round number above every value, target and
    band edge, so the line is always seen against what it is judged by. Percentages are fractions
    (0.4 is 40%) and never run past 100%; nothing to plot gives 0 to 100% (or 0 to 10).
    """
    top = max((n for n in numbers if n is not None), default=0.0)
    if top <= 0:
        return (0.0, 1.0) if measure == "percentage" else (0.0, 10.0)
    ceiling = _nice_ceiling(top * 1.1)
    return (0.0, min(ceiling, 1.0)) if measure == "percentage" else (0.0, ceiling)


def _write_indicator_charts(
    writer: pd.ExcelWriter, data: PackData, formats: _Formats, quarters: Sequence[Quarter]
) -> list[int]:
    """Write the chart figures and one line chart per indicator; return each indicator's value row."""
    sheet = "Indicator charts"
    book = writer.book
    ws = book.get_worksheet_by_name(sheet)
    _preamble(
        ws,
        data,
        formats,
        f"Indicator charts: {data.quarter}",
        "The figures charted are below the header; suppressed values (<5, [c]) are left blank, "
        "so each chart shows a gap rather than a zero.",
    )
    columns = [_Col("Code", 8), _Col("Indicator", 40), _Col("Series", 14)]
    columns += [_Col(q.label, 11, "number") for q in quarters]
    body: list[list[object]] = []
    value_rows: list[int] = []
    measures: list[str] = []
    series_rows: list[dict[str, int]] = []
    for indicator in data.indicators:
        def numbers(values: Sequence[Any], indicator: IndicatorRow = indicator) -> list[object]:
            return [scaled(_chart_value(v), indicator.measure) for v in _by_quarter(indicator, values, quarters)]

        value_rows.append(_FIRST_DATA_ROW + len(body))
        rows = {"Value": numbers(indicator.values), "Target": numbers(indicator.targets)}
        bands = _by_quarter(indicator, indicator.bands, quarters)
        if any(b is not None for b in bands):
            # A band is charted as its two edges: MA02 is judged against 28% to 40%, not a single line.
            rows["Band minimum"] = numbers([b[0] if b else None for b in bands])
            rows["Band maximum"] = numbers([b[1] if b else None for b in bands])
        placed = {}
        for series, values in rows.items():
            placed[series] = _FIRST_DATA_ROW + len(body)
            measures.append(indicator.measure)
            body.append([_text(indicator.code), _text(indicator.name), series, *values])
        series_rows.append(placed)
    last = _write_table(writer, sheet, columns, body, formats)
    first_q = _CHART_FIRST_QUARTER_COL
    for index, (cells, measure) in enumerate(zip(body, measures, strict=True)):
        _format_numbers(ws, _FIRST_DATA_ROW + index, [(first_q + i, v) for i, v in enumerate(cells[first_q:])],
                        measure, formats)
    _freeze(ws, 3)
    if not quarters:
        return value_rows

    last_q = first_q + len(quarters) - 1
    top = last + 2
    # The charts reach past the table's columns. Those columns get a stated width: left at the default,
    # LibreOffice sizes them its own way, places the charts further right and prints a blank page beside each.
    ws.set_column(len(columns), len(columns) + 12, 9)
    styles = {
        "Value": {"line": {"color": "#1D70B8", "width": 2.25},
                  "marker": {"type": "circle", "size": 6, "fill": {"color": "#1D70B8"},
                             "border": {"color": "#1D70B8"}}},
        "Target": {"line": {"color": "#505A5F", "width": 1.5, "dash_type": "dash"}, "marker": {"type": "none"}},
        "Band minimum": {"line": {"color": "#00703C", "width": 1.5, "dash_type": "square_dot"},
                         "marker": {"type": "none"}},
        "Band maximum": {"line": {"color": "#00703C", "width": 1.5, "dash_type": "square_dot"},
                         "marker": {"type": "none"}},
    }
    for index, (indicator, placed) in enumerate(zip(data.indicators, series_rows, strict=True)):
        chart = book.add_chart({"type": "line"})
        plotted: list[float | None] = []
        for series, row in placed.items():
            chart.add_series(
                {
                    "name": [sheet, row, 2],
                    "categories": [sheet, _HEADER_ROW, first_q, _HEADER_ROW, last_q],
                    "values": [sheet, row, first_q, row, last_q],
                    **styles[series],
                }
            )
            plotted += [v for v in body[row - _FIRST_DATA_ROW][first_q:] if isinstance(v, int | float)]
        low, high = axis_bounds(plotted, indicator.measure)
        axis = {"name": _text(indicator.unit), "major_gridlines": {"visible": True}, "min": low, "max": high}
        if indicator.measure in _NUMBER_FORMATS:
            axis["num_format"] = "0%" if indicator.measure == "percentage" else _NUMBER_FORMATS[indicator.measure]
        chart.set_title({"name": _text(f"{indicator.code}: {indicator.name}"), "name_font": {"size": 10}})
        chart.set_y_axis(axis)
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
        chart.show_blanks_as("gap")
        # A filter on the figures above must not blank the charts.
        chart.show_hidden_data()
        _place_chart(ws, formats, top + (index // 2) * _CHART_ROWS, chart, _CHART_HEIGHT,
                     {"x_offset": (index % 2) * (_CHART_WIDTH + 20), "y_offset": 5})
    return value_rows


def _write_returns(writer: pd.ExcelWriter, data: PackData, formats: _Formats) -> None:
    sheet = "Returns"
    ws = writer.book.get_worksheet_by_name(sheet)
    _preamble(
        ws,
        data,
        formats,
        f"Returns: {data.quarter}",
        "Lowest completion first, so the chasing list is on top.",
    )
    columns = [
        _Col("Agency", 30, "wrap"),
        _Col("Actions due", 11, "number"),
        _Col("Actions submitted", 11, "number"),
        _Col("Indicators due", 11, "number"),
        _Col("Indicators submitted", 11, "number"),
        _Col("% complete", 11, "percent"),
    ]
    ordered = sorted(data.returns, key=lambda r: (completion(r), r.agency.casefold()))
    body = [
        [
            _text(r.agency),
            r.actions_due,
            r.actions_submitted,
            r.indicators_due,
            r.indicators_submitted,
            completion(r),
        ]
        for r in ordered
    ]
    last = _write_table(writer, sheet, columns, body, formats)
    overall = ReturnRow(
        agency="All agencies",
        actions_due=sum(r.actions_due for r in data.returns),
        actions_submitted=sum(r.actions_submitted for r in data.returns),
        indicators_due=sum(r.indicators_due for r in data.returns),
        indicators_submitted=sum(r.indicators_submitted for r in data.returns),
    )
    # Outside the filter range so sorting or filtering the agencies never moves the total.
    total_row = last + 1
    ws.write_string(total_row, 0, overall.agency, formats.bold_number)
    for col, value in enumerate(
        (
            overall.actions_due,
            overall.actions_submitted,
            overall.indicators_due,
            overall.indicators_submitted,
        ),
        start=1,
    ):
        ws.write_number(total_row, col, value, formats.bold_number)
    ws.write_number(total_row, 5, completion(overall), formats.bold_percent)
    _freeze(ws)


def _write_year_end(writer: pd.ExcelWriter, data: PackData, year_end: YearEnd, formats: _Formats) -> None:
    sheet = YEAR_END_SHEET
    book = writer.book
    ws = book.get_worksheet_by_name(sheet)
    _preamble(
        ws, data, formats, f"Year-end summary: {year_end.year_label}",
        "A flow is the year total, a snapshot its Q4 value, a rate recomputed from the year's parts; "
        "an outturn missing a quarter is not rated.",
    )
    columns = [
        _Col("Code", 14),
        _Col("Indicator", 40, "wrap"),
        _Col("Unit", 10, "wrap"),
        _Col("Polarity", 14, "wrap"),
        _Col("Outturn", 11, "number"),
        _Col("Basis", 20, "wrap"),
        _Col("Target", 10, "number"),
        _Col("Target wording", 16, "wrap"),
        _Col("RAG", 10, "status"),
        _Col("Long-term", 15, "wrap"),
    ]
    body = [
        [
            _text(i.code),
            _text(i.name),
            _text(i.unit),
            _text(i.polarity),
            scaled(i.outturn, i.measure),
            _text(i.basis),
            _target_number(i),
            _target_wording(i),
            _text(i.rag),
            _text(i.long_term),
        ]
        for i in year_end.outturns
    ]
    last = _write_table(writer, sheet, columns, body, formats)
    for index, (indicator, cells) in enumerate(zip(year_end.outturns, body, strict=True)):
        _format_numbers(ws, _FIRST_DATA_ROW + index, [(4, cells[4]), (6, cells[6])], indicator.measure, formats)
    _status_fill(ws, _FIRST_DATA_ROW, last, [c.header for c in columns].index("RAG"), RAG_LABELS, formats)
    _freeze(ws)

    row = last + 2
    ws.write_string(row, 0, "Actions at year end", formats.heading)
    lists = (year_end.completed, year_end.carried_forward, year_end.retired)
    depth = max((len(items) for items in lists), default=0)
    list_rows = [[_text(items[i]) if i < len(items) else None for items in lists] for i in range(depth)]
    list_cols = [_Col("Completed", 14, "wrap"), _Col("Carried forward", 40, "wrap"), _Col("Retired", 10, "wrap")]
    # Excel allows one autofilter per sheet; it stays on the outturns table.
    row = _write_table(
        writer, sheet, list_cols, list_rows, formats, first_row=row + 1, autofilter=False, set_widths=False
    )

    row += 2
    ws.write_string(row, 0, "Action status by quarter", formats.heading)
    rag_cols, rag_body = _count_rows(list(year_end.rag_by_quarter), "Quarter")
    rag_header = row + 1
    row = _write_table(
        writer, sheet, rag_cols, rag_body, formats, first_row=row + 1, autofilter=False, set_widths=False
    )
    if rag_body:
        chart = _stacked_status_chart(
            book, sheet, rag_header, row, f"Actions by status, {year_end.year_label}", "Quarter"
        )
        _place_chart(ws, formats, row + 2, chart, _CHART_HEIGHT + 40)


# Printing. A4 landscape is 842 x 595 points; the margins are set in _print_setup.
_DEFAULT_ROW_POINTS = 15.0
_PRINTABLE_WIDTH_PX = (842 - 2 * 0.3 * 72) * 96 / 72  # left and right margins of 0.3 inch
_PRINTABLE_HEIGHT_POINTS = 595 - 2 * 0.75 * 72  # top and bottom margins of 0.75 inch
_PAGE_SAFETY = 0.95  # LibreOffice and Excel differ slightly in what fits on a page


def _column_px(width: float) -> float:
    # Excel's rule for a column of `width` characters of the default font (7 px a character, 5 px padding).
    return width * 7 + 5


def print_scale(content_px: float) -> int:
    """The print scale (10-100 %) at which `content_px` pixels of sheet fit one A4 landscape page wide."""
    fit = 100 * _PRINTABLE_WIDTH_PX * _PAGE_SAFETY / max(content_px, 1)
    return max(10, min(100, math.floor(fit)))


def page_breaks(charts: Iterable[tuple[int, float]], capacity: float, row_points: float = 15.0) -> list[int]:
    """The rows to break a page before so that charts start on a page of their own and none straddles one.

    `charts` are (top row, points tall); charts side by side share a top row. The first chart row always
    starts a page (where the table above ends differs between Excel and LibreOffice, so a break worked
    out from it would not hold in both); after it, each page takes chart rows while they fit in
    `capacity` points, a chart row being as tall as the rows down to the next. Pure page arithmetic.
    """
    tops: dict[int, float] = {}
    for row, height in charts:
        tops[row] = max(height, tops.get(row, 0.0))
    rows = sorted(tops)
    breaks: list[int] = []
    used = 0.0
    for index, row in enumerate(rows):
        span = (rows[index + 1] - row) * row_points if index + 1 < len(rows) else 0.0
        if not breaks or used + tops[row] > capacity:
            breaks.append(row)
            used = 0.0
        used += max(span, tops[row])
    return breaks


def _keep_charts_whole(ws: Any, formats: _Formats, scale: int, repeat_row: int | None) -> None:
    charts = formats.charts.get(ws.name, [])
    if not charts:
        return
    repeat = formats.heights.get((ws.name, repeat_row), _DEFAULT_ROW_POINTS) if repeat_row is not None else 0.0
    capacity = _PRINTABLE_HEIGHT_POINTS * 100 / scale * _PAGE_SAFETY - repeat
    ws.set_h_pagebreaks(page_breaks(charts, capacity, _DEFAULT_ROW_POINTS))


def _place_chart(ws: Any, formats: _Formats, row: int, chart: Any, height_px: float,
                 options: dict | None = None) -> None:
    """Insert a chart at `row` and remember it, so the page breaks can keep it whole."""
    options = {"object_position": 2, **(options or {})}
    ws.insert_chart(row, 0, chart, options)
    points = (height_px + options.get("y_offset", 0)) * 0.75 + 2
    formats.charts.setdefault(ws.name, []).append((row, points))


def _escape_header(text: str) -> str:
    # "&" starts a control code in Excel headers and footers; a literal ampersand is "&&".
    return text[:_HEADER_FOOTER_MAX].replace("&", "&&")


def _print_setup(ws: Any, data: PackData, repeat_row: int | None, formats: _Formats,
                 widths_px: float | None = None) -> None:
    """A4 landscape, one page wide. A sheet with charts prints at a fixed scale instead of "fit to
    width", because both programs ignore manual page breaks under "fit to", and the breaks are what
    keep each chart whole on its page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if widths_px is None:
        ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    else:
        scale = print_scale(widths_px)
        ws.set_print_scale(scale)
        _keep_charts_whole(ws, formats, scale, repeat_row)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_margins(left=0.3, right=0.3, top=0.75, bottom=0.75)
    if data.marking:
        ws.set_header(f'&C&"-,Bold"&12{_escape_header(data.marking)}')
    # Short, at 8pt: the strategy's full name ran into the page number and was cut off.
    quarter = _escape_header(data.quarter[:30])
    ws.set_footer(f"&L&8HCSP board pack, {quarter}&C&8Page &P of &N&R&8&A")


def _set_properties(book: Any, data: PackData) -> None:
    stamp = format_generated_at(data.generated_at)
    created = data.generated_at if data.generated_at.tzinfo is None else data.generated_at.astimezone(UTC)
    book.set_properties(
        {
            "title": f"{data.strategy}: HCSP board pack, {data.quarter}",
            "subject": data.quarter,
            "author": "Havering Community Safety Partnership",
            "company": "London Borough of Havering",
            "keywords": "VAWG, HCSP, action plan, performance indicators",
            "comments": f"Generated {stamp}",
            "category": data.marking or "Published",
            "created": created.replace(tzinfo=None),
        }
    )
    book.set_custom_property("Audience", data.audience)
    if data.marking:
        book.set_custom_property("Marking", data.marking)
