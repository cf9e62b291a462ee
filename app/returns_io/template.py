"""The return workbook's layout, written with XlsxWriter (pure: no Flask, no SQLAlchemy).

One layout, read by the writer here and by the upload's reader (app.returns_io.service), so the two
cannot drift apart. Bump TEMPLATE_VERSION whenever a sheet or column moves: older workbooks are then
refused with "download a new workbook" instead of being read wrongly.
"""

import io
from dataclasses import dataclass, field

import xlsxwriter

TEMPLATE_VERSION = 1

ACTIONS_SHEET = "Actions"
INDICATORS_SHEET = "Indicators"
DETAILS_SHEET = "Workbook details"
HEADER_ROW = 3  # the row of column headings, as the spreadsheet numbers rows; data starts below it
STATUS_LABELS = ("Complete", "Green", "Amber", "Red")

# Column headings, left to right; the reader finds each value by its position and names the column
# in messages by this heading.
ACTION_COLUMNS = ("Action code", "Sub-action", "Action or sub-action", "Status last quarter",
                  "Commentary last quarter", "Status this quarter", "Commentary this quarter",
                  "Mitigation (required for Amber and Red)")
INDICATOR_COLUMNS = ("Indicator code", "Indicator", "Unit", "How it is counted", "Value last quarter",
                     "Value this quarter", "Numerator", "Denominator", "Note (optional)")
A_CODE, A_SUB, A_TITLE, A_LAST_STATUS, A_LAST_COMMENT, A_STATUS, A_COMMENTARY, A_MITIGATION = range(8)
I_CODE, I_NAME, I_UNIT, I_COUNTING, I_LAST, I_VALUE, I_NUMERATOR, I_DENOMINATOR, I_NOTE = range(9)
DETAILS_TOKEN_CELL = "B7"  # noqa: S105 - a cell, not a password: the signed details (agency, quarter, version, versions at download)

FILL_COLOUR = "#FFF2CC"  # pale yellow: the cells to fill
READ_ONLY_COLOUR = "#F3F2F1"  # GOV.UK light grey: cells that are there to read
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: text a spreadsheet may run as a formula
_EXCEL_MAX_TEXT = 32_767


@dataclass
class SubActionRow:
    number: int
    text: str
    last_status: str  # a label from STATUS_LABELS, or ""
    status: str  # this quarter's, prefilled when already saved


@dataclass
class ActionRow:
    code: str
    title: str
    last_status: str
    last_commentary: str
    status: str
    commentary: str
    mitigation: str
    sub_actions: list[SubActionRow] = field(default_factory=list)


@dataclass
class IndicatorRow:
    code: str
    name: str
    unit: str  # as people read it: "count", "percentage"
    counting: str
    last_value: str
    is_rate: bool
    value: str
    numerator: str
    denominator: str
    note: str


@dataclass
class WorkbookData:
    agency: str
    quarter_label: str
    quarter_slug: str
    downloaded_at: str  # as text, UTC
    token: str  # the signed details (app.returns_io.service): agency, quarter, version, versions at download
    actions: list[ActionRow]
    indicators: list[IndicatorRow]


def _text(value: str) -> str:
    return (value or "")[:_EXCEL_MAX_TEXT]


def build_workbook(data: WorkbookData) -> bytes:
    """The return workbook as .xlsx bytes: Actions, Indicators and the hidden, protected Workbook details.

    Read-only cells are locked on protected sheets; the cells to fill are unlocked and pale yellow, with a
    note above the headings saying so. Text is never turned into a formula, link or number.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False,
                                        "default_format_properties": {"font_name": "Arial", "font_size": 10}})
    fmt = _formats(book)
    _actions_sheet(book, fmt, data)
    _indicators_sheet(book, fmt, data)
    _details_sheet(book, fmt, data)
    book.set_properties({"title": f"{data.agency}: return for {data.quarter_label}",
                         "subject": "VAWG action plan quarterly return", "author": "Havering VAWG action plan"})
    book.close()
    return buffer.getvalue()


def _formats(book) -> dict:
    base = {"text_wrap": True, "valign": "top", "border": 1, "border_color": "#B1B4B6"}
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"text_wrap": True, "valign": "top"}),
        "header": book.add_format({**base, "bold": True, "bg_color": "#DEE0E2"}),
        "read": book.add_format({**base, "bg_color": READ_ONLY_COLOUR}),
        # A quote prefix, not an added apostrophe, keeps text such as "-10% on last year" from being read as
        # a formula if edited, while the cell's value stays exactly the text (so an unchanged row reads back
        # unchanged). Read-only cells never come back, so they also take the pack's apostrophe.
        "fill": book.add_format({**base, "bg_color": FILL_COLOUR, "locked": False}),
        "fill_quoted": book.add_format({**base, "bg_color": FILL_COLOUR, "locked": False, "quote_prefix": True}),
        "plain": book.add_format({**base}),
    }


def _read(value: str) -> str:
    value = _text(value)
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def _fill(sheet, row: int, col: int, value: str, fmt: dict) -> None:
    value = _text(value)
    sheet.write_string(row, col, value, fmt["fill_quoted"] if value.startswith(_FORMULA_TRIGGERS) else fmt["fill"])


def _heading(sheet, fmt, title: str, note: str, columns, widths) -> None:
    sheet.write_string(0, 0, title, fmt["title"])
    sheet.merge_range(1, 0, 1, len(columns) - 1, note, fmt["note"])
    sheet.set_row(1, 45)
    for col, (heading, width) in enumerate(zip(columns, widths, strict=True)):
        sheet.write_string(HEADER_ROW - 1, col, heading, fmt["header"])
        sheet.set_column(col, col, width)
    sheet.freeze_panes(HEADER_ROW, 1)
    # Sheet protection guards against typing over the read-only cells by accident; it is not security:
    # every rule is checked again by the app when the workbook comes back.
    sheet.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                       "select_unlocked_cells": True})


def _actions_sheet(book, fmt, data: WorkbookData) -> None:
    sheet = book.add_worksheet(ACTIONS_SHEET)
    _heading(sheet, fmt, f"{data.agency}: actions for {data.quarter_label}",
             "Fill in the yellow cells only: the status (choose from the list), the commentary, and the "
             "mitigation for Amber or Red. Each sub-action row takes its own status. Grey cells are there to read. "
             "Leave a row blank to leave that action as it is.",
             ACTION_COLUMNS, (10, 10, 50, 12, 45, 14, 50, 45))
    row = HEADER_ROW
    validation = {"validate": "list", "source": list(STATUS_LABELS), "error_title": "Choose a status",
                  "error_message": "Choose Complete, Green, Amber or Red from the list."}
    for action in data.actions:
        sheet.write_string(row, A_CODE, action.code, fmt["read"])
        sheet.write_blank(row, A_SUB, None, fmt["read"])
        sheet.write_string(row, A_TITLE, _read(action.title), fmt["read"])
        sheet.write_string(row, A_LAST_STATUS, action.last_status, fmt["read"])
        sheet.write_string(row, A_LAST_COMMENT, _read(action.last_commentary), fmt["read"])
        _fill(sheet, row, A_STATUS, action.status, fmt)
        sheet.data_validation(row, A_STATUS, row, A_STATUS, validation)
        _fill(sheet, row, A_COMMENTARY, action.commentary, fmt)
        _fill(sheet, row, A_MITIGATION, action.mitigation, fmt)
        row += 1
        for sub in action.sub_actions:
            sheet.write_string(row, A_CODE, action.code, fmt["read"])
            sheet.write_number(row, A_SUB, sub.number, fmt["read"])
            sheet.write_string(row, A_TITLE, _read(sub.text), fmt["read"])
            sheet.write_string(row, A_LAST_STATUS, sub.last_status, fmt["read"])
            sheet.write_blank(row, A_LAST_COMMENT, None, fmt["read"])
            _fill(sheet, row, A_STATUS, sub.status, fmt)
            sheet.data_validation(row, A_STATUS, row, A_STATUS, validation)
            sheet.write_blank(row, A_COMMENTARY, None, fmt["read"])
            sheet.write_blank(row, A_MITIGATION, None, fmt["read"])
            row += 1
    if not data.actions:
        sheet.write_string(row, 0, "Your agency leads no action in the plan for this quarter.")


def _indicators_sheet(book, fmt, data: WorkbookData) -> None:
    sheet = book.add_worksheet(INDICATORS_SHEET)
    _heading(sheet, fmt, f"{data.agency}: indicator values for {data.quarter_label}",
             "Fill in the yellow cells only: the value, or for a rate the numerator and denominator (the value "
             "is then worked out). Type numbers, not formulas. Grey cells are there to read. Leave a row blank "
             "to leave that indicator as it is.",
             INDICATOR_COLUMNS, (10, 45, 12, 40, 12, 12, 12, 12, 35))
    row = HEADER_ROW
    for ind in data.indicators:
        sheet.write_string(row, I_CODE, ind.code, fmt["read"])
        sheet.write_string(row, I_NAME, _read(ind.name), fmt["read"])
        sheet.write_string(row, I_UNIT, ind.unit, fmt["read"])
        sheet.write_string(row, I_COUNTING, _read(ind.counting), fmt["read"])
        sheet.write_string(row, I_LAST, ind.last_value, fmt["read"])
        _number_cell(sheet, row, I_VALUE, ind.value, fmt)
        if ind.is_rate:
            _number_cell(sheet, row, I_NUMERATOR, ind.numerator, fmt)
            _number_cell(sheet, row, I_DENOMINATOR, ind.denominator, fmt)
        else:
            sheet.write_blank(row, I_NUMERATOR, None, fmt["read"])
            sheet.write_blank(row, I_DENOMINATOR, None, fmt["read"])
        _fill(sheet, row, I_NOTE, ind.note, fmt)
        row += 1
    if not data.indicators:
        sheet.write_string(row, 0, "Your agency owns no indicator reported in this quarter.")


def _number_cell(sheet, row: int, col: int, value: str, fmt: dict) -> None:
    if value == "":
        sheet.write_blank(row, col, None, fmt["fill"])
        return
    try:
        sheet.write_number(row, col, float(value), fmt["fill"])
    except ValueError:
        _fill(sheet, row, col, value, fmt)


def _details_sheet(book, fmt, data: WorkbookData) -> None:
    sheet = book.add_worksheet(DETAILS_SHEET)
    rows = [("Agency", data.agency), ("Quarter", data.quarter_slug), ("Template version", str(TEMPLATE_VERSION)),
            ("Downloaded", data.downloaded_at),
            ("Why this sheet", "The app reads it to check the workbook comes back for the same agency and "
                               "quarter, and that nothing changed in the app since it was downloaded."),
            ("", ""), ("Details", data.token)]
    for number, (label, value) in enumerate(rows):
        sheet.write_string(number, 0, label)
        sheet.write_string(number, 1, value)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 80)
    sheet.protect("", {"select_locked_cells": False, "select_unlocked_cells": False})
    sheet.very_hidden()  # only a macro can show it; it is for the app, not the reader
