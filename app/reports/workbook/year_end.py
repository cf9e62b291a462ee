"""The Year-end summary sheet (a Q4 pack only): outturns, completions, carry-forwards and RAG by quarter."""

from __future__ import annotations

from app.reports.workbook.indicators import _target_number, _target_wording
from app.reports.workbook.layout import (
    _CHART_HEIGHT,
    _FIRST_DATA_ROW,
    Writer,
    _Col,
    _format_numbers,
    _Formats,
    _freeze,
    _place_chart,
    _preamble,
    _status_fill,
    _text,
    _write_table,
    scaled,
)
from app.reports.workbook.shapes import RAG_LABELS, YEAR_END_SHEET, PackData, YearEnd
from app.reports.workbook.summary import _count_rows, _stacked_status_chart


def _write_year_end(writer: Writer, data: PackData, year_end: YearEnd, formats: _Formats) -> None:
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
