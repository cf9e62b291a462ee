"""The Summary sheet: action counts by status for each objective and overall, with movement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.reports.workbook.layout import (
    _CHART_HEIGHT,
    _CHART_WIDTH,
    _FIRST_DATA_ROW,
    _HEADER_ROW,
    _STATUS_COLOURS,
    _WIDE_TEXT,
    Writer,
    _Col,
    _Formats,
    _freeze,
    _place_chart,
    _preamble,
    _text,
    _write_table,
)
from app.reports.workbook.shapes import MOVEMENT_LABELS, OVERALL_OBJECTIVE, STATUS_LABELS, PackData, SummaryRow


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


def _write_summary(writer: Writer, data: PackData, formats: _Formats) -> None:
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
