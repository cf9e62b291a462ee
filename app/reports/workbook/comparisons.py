"""The Comparisons sheet: Havering's rank and quartile among other boroughs, with the group average."""

from __future__ import annotations

from app.reports.workbook.layout import (
    _FIRST_DATA_ROW,
    Writer,
    _Col,
    _Formats,
    _freeze,
    _preamble,
    _text,
    _write_table,
)
from app.reports.workbook.shapes import PackData

_COLUMNS = (
    _Col("Code", 7),
    _Col("Indicator", 32, "wrap"),
    _Col("Compared", 30, "wrap"),
    _Col("Havering's position", 16, "wrap"),
    _Col("Quartile", 18, "wrap"),
    _Col("Group average", 11, "number"),
    _Col("Havering", 11, "number"),
    _Col("Figures", 22, "wrap"),
    _Col("Source", 36, "wrap"),
)


def _write_comparisons(writer: Writer, data: PackData, formats: _Formats) -> None:
    sheet = "Comparisons"
    ws = writer.book.get_worksheet_by_name(sheet)
    _preamble(ws, data, formats, f"Compared with other boroughs: {data.quarter}",
              "Position 1 is the best, following each indicator's polarity; an indicator that is monitored, "
              "not rated, shows where it sits (\"8th lowest\") without saying better or worse.")
    body = [[_text(c.code), _text(c.indicator), _text(c.compared), _text(c.position), _text(c.quartile),
             c.average, c.havering, _text(c.figures_note), _text(c.source)] for c in data.comparisons]
    _write_table(writer, sheet, _COLUMNS, body, formats)
    if not body:
        ws.write_string(_FIRST_DATA_ROW, 0, "No comparison with other boroughs is recorded for these indicators.",
                        formats.note)
    _freeze(ws)
