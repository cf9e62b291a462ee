"""The Cover sheet: what the pack is, its marking, its sheets and the keys to statuses and ratings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.actions.rollup import STATUS_ORDER, Status
from app.kpis.scoring import Rag
from app.reports.workbook.layout import (
    _COVER_TEXT_WIDTH,
    _HEADER_ROW,
    _MARKING_ROW,
    _NOTE_ROW,
    _TITLE_ROW,
    Writer,
    _fit_row,
    _Formats,
    _text,
)
from app.reports.workbook.shapes import YEAR_END_SHEET, PackData, format_generated_at

# The app's own words for each status (app.actions.rollup). Read away from the screens, the pack's key
# adds that a missing update never counts as progress.
_STATUS_MEANINGS = {status.label: status.definition for status in STATUS_ORDER} | {
    Status.NO_UPDATE.label: Status.NO_UPDATE.definition.removesuffix(".") + " (never counted as green).",
}


_RAG_MEANINGS = {
    Rag.GREEN.label: "On target, or within tolerance of it.",
    Rag.AMBER.label: "Outside tolerance, but better than the same quarter last year.",
    Rag.RED.label: "Outside tolerance and no better than the same quarter last year.",
    Rag.NO_RATING.label: "Not rated: a contextual measure, no target agreed, or no value reported.",
}


_SHEET_PURPOSES = {
    "Summary": "Action counts by status for each objective and overall, with movement since last quarter.",
    "Action plan": "Every action with its status, who said what, commentary and mitigation.",
    "Exceptions": "Red and amber actions (red first) with commentary and mitigation.",
    "Indicators": "Indicator values by quarter against target, RAG rating and direction of travel.",
    "Indicator charts": "One chart per indicator: value against target, with the figures charted.",
    "Comparisons": "Havering's rank and quartile among other boroughs, with the group average where known.",
    "Returns": "Who has submitted this quarter, lowest completion first.",
    YEAR_END_SHEET: "Outturns against targets, actions completed and carried forward, RAG by quarter.",
}


def _write_cover(writer: Writer, data: PackData, formats: _Formats, names: Sequence[str]) -> None:
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
