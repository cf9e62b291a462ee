"""The Indicator charts sheet: one chart per indicator, value against target, over a table of the figures."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from app.reports.workbook.indicators import _by_quarter
from app.reports.workbook.layout import (
    _CHART_FIRST_QUARTER_COL,
    _CHART_HEIGHT,
    _CHART_ROWS,
    _CHART_WIDTH,
    _FIRST_DATA_ROW,
    _HEADER_ROW,
    _NUMBER_FORMATS,
    Writer,
    _chart_value,
    _Col,
    _Formats,
    _freeze,
    _place_chart,
    _preamble,
    _text,
    _write_table,
    scaled,
)
from app.reports.workbook.shapes import IndicatorRow, PackData
from app.strategy.quarters import Quarter


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
    writer: Writer, data: PackData, formats: _Formats, quarters: Sequence[Quarter]
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
    # The quarter columns are the "number" ones: each figure is written once, with its measure's format.
    last = _write_table(writer, sheet, columns, body, formats, measures=measures)
    first_q = _CHART_FIRST_QUARTER_COL
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
