"""Printing: A4 landscape, one page wide, headers and footers, page breaks that keep each chart whole."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from app.reports.workbook.layout import _HEADER_FOOTER_MAX, _Formats
from app.reports.workbook.shapes import PackData

# Printing. A4 landscape is 842 x 595 points; the margins are set in _print_setup.
_DEFAULT_ROW_POINTS = 15.0


_PRINTABLE_WIDTH_PX = (842 - 2 * 0.3 * 72) * 96 / 72  # left and right margins of 0.3 inch


_PRINTABLE_HEIGHT_POINTS = 595 - 2 * 0.75 * 72  # top and bottom margins of 0.75 inch


_PAGE_SAFETY = 0.95  # LibreOffice and Excel differ slightly in what fits on a page


def _column_px(width: float) -> float:
    # Excel's rule for a column of `width` characters of the default font (7 px a character, 5 px padding).
    return width * 7 + 5


def print_scale(content_px: float) -> int:
    """The print scale (10-100 %) at which `content_px` pixels of sheet fit one A4 landscape page wide."""
    fit = 100 * _PRINTABLE_WIDTH_PX * _PAGE_SAFETY / max(content_px, 1)
    return max(10, min(100, math.floor(fit)))


def page_breaks(charts: Iterable[tuple[int, float]], capacity: float, row_points: float = 15.0) -> list[int]:
    """The rows to break a page before so that charts start on a page of their own and none straddles one.

    `charts` are (top row, points tall); charts side by side share a top row. The first chart row always
    starts a page (where the table above ends differs between Excel and LibreOffice, so a break worked
    out from it would not hold in both); after it, each page takes chart rows while they fit in
    `capacity` points, a chart row being as tall as the rows down to the next. Pure page arithmetic.
    """
    tops: dict[int, float] = {}
    for row, height in charts:
        tops[row] = max(height, tops.get(row, 0.0))
    rows = sorted(tops)
    breaks: list[int] = []
    used = 0.0
    for index, row in enumerate(rows):
        span = (rows[index + 1] - row) * row_points if index + 1 < len(rows) else 0.0
        if not breaks or used + tops[row] > capacity:
            breaks.append(row)
            used = 0.0
        used += max(span, tops[row])
    return breaks


def _keep_charts_whole(ws: Any, formats: _Formats, scale: int, repeat_row: int | None) -> None:
    charts = formats.charts.get(ws.name, [])
    if not charts:
        return
    repeat = formats.heights.get((ws.name, repeat_row), _DEFAULT_ROW_POINTS) if repeat_row is not None else 0.0
    capacity = _PRINTABLE_HEIGHT_POINTS * 100 / scale * _PAGE_SAFETY - repeat
    ws.set_h_pagebreaks(page_breaks(charts, capacity, _DEFAULT_ROW_POINTS))


def _escape_header(text: str) -> str:
    # "&" starts a control code in Excel headers and footers; a literal ampersand is "&&".
    return text[:_HEADER_FOOTER_MAX].replace("&", "&&")


def _print_setup(ws: Any, data: PackData, repeat_row: int | None, formats: _Formats,
                 widths_px: float | None = None) -> None:
    """A4 landscape, one page wide. A sheet with charts prints at a fixed scale instead of "fit to
    width", because both programs ignore manual page breaks under "fit to", and the breaks are what
    keep each chart whole on its page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if widths_px is None:
        ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    else:
        scale = print_scale(widths_px)
        ws.set_print_scale(scale)
        _keep_charts_whole(ws, formats, scale, repeat_row)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_margins(left=0.3, right=0.3, top=0.75, bottom=0.75)
    if data.marking:
        ws.set_header(f'&C&"-,Bold"&12{_escape_header(data.marking)}')
    # Short, at 8pt: the strategy's full name ran into the page number and was cut off.
    quarter = _escape_header(data.quarter[:30])
    ws.set_footer(f"&L&8HCSP board pack, {quarter}&C&8Page &P of &N&R&8&A")
