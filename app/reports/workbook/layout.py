"""Cell layout shared by every sheet: formats, formula-injection-safe writes, tables, row heights, number formats."""

from __future__ import annotations

import math
import numbers
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.actions.rollup import Status
from app.kpis.scoring import Rag
from app.reports.workbook.shapes import PackData

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


# Colours follow the GOV.UK palette the web pages use, so a printed pack reads like the screen.
# Keyed by the words the app shows (Green, Amber and Red read the same for actions and indicators).
_STATUS_COLOURS: dict[str, tuple[str, str]] = {  # label -> (fill, font)
    Status.COMPLETE.label: ("#1D70B8", "#FFFFFF"),
    Status.GREEN.label: ("#00703C", "#FFFFFF"),
    Status.AMBER.label: ("#FFBF47", "#0B0C0C"),
    Status.RED.label: ("#D4351C", "#FFFFFF"),
    Status.NO_UPDATE.label: ("#B1B4B6", "#0B0C0C"),
    Rag.NO_RATING.label: ("#B1B4B6", "#0B0C0C"),
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
    # Table cells' date formats by number format, made on first use.
    dates: dict[str, Any] = field(default_factory=dict)
    book: Any = None
    # Row heights set so far, by (sheet, row), in points; other rows keep the default height.
    heights: dict[tuple[str, int], float] = field(default_factory=dict)
    # Charts placed so far, by sheet: (top row, points tall), so page breaks can keep each one whole.
    charts: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def date_format(self) -> Any:
        """The format of a date in a table cell, made on first use (where pandas made it, so styles match)."""
        return self.number_only("dd/mm/yyyy")

    def datetime_format(self) -> Any:
        """The format of a date and time in a table cell, made on first use."""
        return self.number_only("dd/mm/yyyy hh:mm")

    def number_only(self, num_format: str) -> Any:
        # Only the number format: the cell keeps the workbook's font and alignment, as pandas wrote dates.
        if num_format not in self.dates:
            self.dates[num_format] = self.book.add_format({"num_format": num_format})
        return self.dates[num_format]

    def number(self, num_format: str | None) -> Any:
        """The cell format showing a number as `num_format` (None: the plain number format)."""
        if num_format is None:
            return self.by_kind["number"]
        if num_format not in self.numbers:
            self.numbers[num_format] = self.book.add_format({"valign": "top", "font_size": 10,
                                                            "num_format": num_format})
        return self.numbers[num_format]


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
    if len(text) <= per_line and "\n" not in text:
        return 1  # the common short cell: it fits, whatever its words
    lines = 0
    for paragraph in text.split("\n"):
        used = 0
        lines += 1
        if len(paragraph) <= per_line:
            continue  # its words and the single spaces between them fit on one line
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


class Writer:
    """What each sheet writer is handed: the XlsxWriter workbook as `.book`, as pandas' ExcelWriter had it."""

    def __init__(self, book: Any) -> None:
        self.book = book


def _write_cells(ws: Any, row: int, first_col: int, cells: Sequence[object], formats: _Formats,
                 numeric: Container[int] = (), measure: str | None = None) -> None:
    """Write one table row's cells as pandas' `to_excel` wrote them, without its per-cell overhead.

    No cell format, so the column's format applies; a date or time carries its own number format. An
    empty cell (None, "", NaN) is left unwritten; text is only ever written as text (the workbook's
    strings_to_* options are off and safe_text has already run). A number in a `numeric` column is
    written once with the number format of `measure`, as _format_numbers would rewrite it.
    """
    write_string, write_number = ws.write_string, ws.write_number
    for col, value in enumerate(cells, start=first_col):
        kind = value.__class__
        if numeric and col - first_col in numeric and isinstance(value, int | float) and kind is not bool:
            write_number(row, col, value, formats.number(number_format(measure, value)))
        elif kind is str:
            if value:
                write_string(row, col, value)
        elif kind is int:
            write_number(row, col, value)
        elif kind is float:
            _write_float(ws, row, col, value)
        elif value is None:
            continue
        elif kind is bool:
            ws.write_boolean(row, col, value)
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value, formats.datetime_format())
        elif isinstance(value, date):
            ws.write_datetime(row, col, value, formats.date_format())
        elif isinstance(value, numbers.Integral):  # numpy's integers among them
            write_number(row, col, int(value))
        elif isinstance(value, numbers.Real):  # numpy's floats among them
            _write_float(ws, row, col, float(value))
        else:
            # Anything else (a Decimal, a numpy scalar that is not a float, an enum) as its text, as pandas did.
            text = str(value)
            if text:
                write_string(row, col, text)


def _write_float(ws: Any, row: int, col: int, value: float) -> None:
    if math.isnan(value):
        return  # pandas left the cell empty
    if math.isinf(value):
        ws.write_string(row, col, "inf" if value > 0 else "-inf")  # pandas' inf_rep
        return
    ws.write_number(row, col, value)


def _write_table(
    writer: Writer,
    sheet: str,
    columns: Sequence[_Col],
    rows: Sequence[Sequence[object]],
    formats: _Formats,
    first_row: int = _HEADER_ROW,
    first_col: int = 0,
    autofilter: bool = True,
    set_widths: bool = True,
    measures: Sequence[str] | None = None,
) -> int:
    """Write headers and rows; return the last row written (the header row if none).

    Every row is made tall enough for its wrapped text, the header row included. With `measures` (one
    per row), the numbers in "number" columns get their measure's number format (see number_format).
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
    wrapped = [(i, widths[i]) for i, c in enumerate(columns) if c.kind == "wrap"]
    wrap_format = formats.by_kind["wrap"]
    numeric = {i for i, c in enumerate(columns) if c.kind == "number"} if measures is not None else set()
    for index, cells in enumerate(rows):
        row = first_row + 1 + index
        _write_cells(ws, row, first_col, cells, formats, numeric, measures[index] if measures is not None else None)
        if not set_widths:
            # The sheet's column formats belong to its first table: wrap this table's text explicitly.
            for i, _ in wrapped:
                if isinstance(cells[i], str):
                    ws.write_string(row, first_col + i, cells[i], wrap_format)
        if wrapped:
            _fit_row(ws, row, [(cells[i], width) for i, width in wrapped], formats)
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


def _format_numbers(ws: Any, row: int, cols_values: Iterable[tuple[int, object]], measure: str,
                    formats: _Formats) -> None:
    """Rewrite a row's numeric cells with the number format of their measure; text stays as written."""
    for col, value in cols_values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(row, col, value, formats.number(number_format(measure, value)))


_CHART_FIRST_QUARTER_COL = 3  # Code, Indicator, Series, then one column per quarter


def _place_chart(ws: Any, formats: _Formats, row: int, chart: Any, height_px: float,
                 options: dict | None = None) -> None:
    """Insert a chart at `row` and remember it, so the page breaks can keep it whole."""
    options = {"object_position": 2, **(options or {})}
    ws.insert_chart(row, 0, chart, options)
    points = (height_px + options.get("y_offset", 0)) * 0.75 + 2
    formats.charts.setdefault(ws.name, []).append((row, points))
