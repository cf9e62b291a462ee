"""The Returns sheet: who has submitted this quarter, lowest completion first."""

from __future__ import annotations

from app.reports.workbook.layout import Writer, _Col, _Formats, _freeze, _preamble, _text, _write_table
from app.reports.workbook.shapes import PackData, ReturnRow, completion


def _write_returns(writer: Writer, data: PackData, formats: _Formats) -> None:
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
