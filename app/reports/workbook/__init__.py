"""The HCSP board's quarterly Excel pack, shaped from plain dataclasses into .xlsx bytes.

Pure: no Flask, no SQLAlchemy, no database. The caller has already applied small-number
suppression, so a value may arrive as text ("<5", "[c]"): it is written as text, and the charts
show a gap for it rather than a zero.

One module per sheet; shapes.py holds the data, layout.py and printing.py what the sheets share.
"""

from __future__ import annotations

import io
from datetime import UTC
from typing import Any

import xlsxwriter

from app.reports.workbook.actions import _write_actions, _write_exceptions
from app.reports.workbook.charts import _write_indicator_charts, axis_bounds
from app.reports.workbook.comparisons import _write_comparisons
from app.reports.workbook.cover import _write_cover
from app.reports.workbook.indicators import _by_quarter, _quarter_columns, _write_indicators
from app.reports.workbook.layout import (
    _CHART_WIDTH,
    _HEADER_ROW,
    Writer,
    _make_formats,
    number_format,
    row_height,
    safe_text,
    scaled,
    text_lines,
)
from app.reports.workbook.printing import _column_px, _print_setup, page_breaks, print_scale
from app.reports.workbook.returns import _write_returns
from app.reports.workbook.shapes import (
    OVERALL_OBJECTIVE,
    SHEET_NAMES,
    STATUS_LABELS,
    YEAR_END_SHEET,
    ActionRow,
    ComparisonRow,
    IndicatorRow,
    OutturnRow,
    PackData,
    ReturnRow,
    SummaryRow,
    YearEnd,
    completion,
    format_generated_at,
)
from app.reports.workbook.summary import _write_summary
from app.reports.workbook.year_end import _write_year_end

__all__ = [
    "OVERALL_OBJECTIVE",
    "SHEET_NAMES",
    "STATUS_LABELS",
    "YEAR_END_SHEET",
    "ActionRow",
    "ComparisonRow",
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
               "default_format_properties": {"font_name": "Arial", "font_size": 10},
               # Assembled in memory, not through a temporary file per part (about 1,700 at 100x).
               "in_memory": True}
    with xlsxwriter.Workbook(buffer, options) as book:
        writer = Writer(book)
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
        _write_comparisons(writer, data, formats)
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
