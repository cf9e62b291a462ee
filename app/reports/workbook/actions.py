"""The Action plan and Exceptions sheets: every action, and the red and amber ones."""

from __future__ import annotations

from collections.abc import Sequence

from app.reports.workbook.layout import (
    _FIRST_DATA_ROW,
    Writer,
    _Col,
    _Formats,
    _freeze,
    _preamble,
    _status_fill,
    _text,
    _write_table,
)
from app.reports.workbook.shapes import STATUS_LABELS, ActionRow, PackData

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
    writer: Writer,
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


def _write_actions(writer: Writer, data: PackData, formats: _Formats) -> None:
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


def _write_exceptions(writer: Writer, data: PackData, formats: _Formats) -> None:
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
