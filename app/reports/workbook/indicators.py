"""The Indicators sheet: values by quarter against target, RAG and direction of travel."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_range

from app.kpis.charts import NO_TARGET
from app.reports.workbook.layout import (
    _CHART_FIRST_QUARTER_COL,
    _FIRST_DATA_ROW,
    Writer,
    _Col,
    _Formats,
    _freeze,
    _preamble,
    _status_fill,
    _text,
    _write_table,
    scaled,
)
from app.reports.workbook.shapes import RAG_LABELS, IndicatorRow, PackData
from app.strategy.quarters import Quarter


def _quarter_columns(indicators: Iterable[IndicatorRow]) -> list[Quarter]:
    """The union of the indicators' quarters, oldest first."""
    return sorted({q for indicator in indicators for q in indicator.quarters})


def _by_quarter(indicator: IndicatorRow, values: Sequence[Any], quarters: Sequence[Quarter]) -> list[Any]:
    known = dict(zip(indicator.quarters, values, strict=False))
    return [known.get(q) for q in quarters]


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


def _write_indicators(
    writer: Writer,
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
    # Each number is written once, with its measure's format, rather than written and then rewritten.
    last = _write_table(writer, sheet, columns, body, formats, measures=[i.measure for i in data.indicators])
    headers = [c.header for c in columns]
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
