"""Filling a downloaded return workbook as a lead would, with openpyxl: shared by the tests and the bench."""

import io
import re

from openpyxl import load_workbook

from app.returns_io import template as layout


def fill(data: bytes, actions: dict | None = None, values: dict | None = None,
         subs: dict | None = None, cells: dict | None = None) -> bytes:
    """The workbook with the cells of `actions` ({"A2": {"status": "Amber", "commentary": ..., "mitigation": ...}}),
    `subs` ({("A2", 1): "Green"}), `values` ({"DV01": {"value": 12}} or numerator/denominator/note) filled in,
    and any raw `cells` ({("Actions", "F4"): "=1+1"}) set."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[layout.ACTIONS_SHEET]
    columns = {"status": layout.A_STATUS, "commentary": layout.A_COMMENTARY, "mitigation": layout.A_MITIGATION}
    for row in sheet.iter_rows(min_row=layout.HEADER_ROW + 1):
        code, sub = row[layout.A_CODE].value, row[layout.A_SUB].value
        if sub in (None, "") and code in (actions or {}):
            for name, value in actions[code].items():
                row[columns[name]].value = value
        elif sub not in (None, "") and (code, int(sub)) in (subs or {}):
            row[layout.A_STATUS].value = subs[(code, int(sub))]
    sheet = book[layout.INDICATORS_SHEET]
    columns = {"value": layout.I_VALUE, "numerator": layout.I_NUMERATOR, "denominator": layout.I_DENOMINATOR,
               "note": layout.I_NOTE}
    for row in sheet.iter_rows(min_row=layout.HEADER_ROW + 1):
        code = row[layout.I_CODE].value
        for name, value in (values or {}).get(code, {}).items():
            row[columns[name]].value = value
    for (sheet_name, ref), value in (cells or {}).items():
        book[sheet_name][ref].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(data: bytes, sheet_name: str, code: str) -> int:
    """The spreadsheet row number of `code`'s (action or indicator) row."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    for number, row in enumerate(book[sheet_name].iter_rows(values_only=True), start=1):
        if row and row[0] == code and (sheet_name != layout.ACTIONS_SHEET or row[1] in (None, "")):
            return number
    raise LookupError(code)


def token_on(page: str) -> str | None:
    """The confirm token on a preview page, or None when it offers no confirmation."""
    import html

    match = re.search(r'<input[^>]*name="token"[^>]*>', page)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None
