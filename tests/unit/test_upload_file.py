"""The uploaded file's checks and readers (app.returns_io.upload_file): tables of files, no app."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from app.returns_io import template as layout
from app.returns_io.upload_file import (
    OLE_MAGIC,
    SIZE_LIMIT,
    FileRefused,
    cell_text,
    check_xlsx,
    column_letter,
    read_csv,
    read_xlsx,
)
from tests.helpers import zip_of


def _xlsx(fill=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Actions"
    sheet["A1"] = "code"
    sheet["B1"] = 12
    if fill:
        fill(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_macro() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_xlsx()))
    return zip_of({**{n: source.read(n) for n in source.namelist()}, "xl/vbaProject.bin": b"macro"})


def _macro_content_type() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_xlsx()))
    parts = {n: source.read(n) for n in source.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    return zip_of(parts)


@pytest.mark.parametrize(("what", "data", "name", "message"), [
    ("empty", b"", "a.xlsx", "The file is empty"),
    ("too big", b"x" * (SIZE_LIMIT + 1), "a.xlsx", "smaller than 5 MB"),
    ("plain text", b"code,value\nDV01,3\n", "a.xlsx", "not an Excel workbook"),
    ("encrypted (OLE)", OLE_MAGIC + b"\x00" * 600, "a.xlsx", "password-protected (encrypted)"),
    ("macro-enabled by name", _xlsx(), "a.xlsm", "macro-enabled workbook"),
    ("vbaProject inside", _with_macro(), "a.xlsx", "contains macros"),
    ("macro content type", _macro_content_type(), "a.xlsx", "macro-enabled workbook"),
    ("a zip that is no workbook", zip_of({"hello.txt": b"hi"}), "a.xlsx", "not an Excel workbook"),
    ("a zip bomb", zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"0" * (60 * 1024 * 1024)}), "a.xlsx",
     "too large once unpacked"),
    ("truncated", _xlsx()[:400], "a.xlsx", "not an Excel workbook"),
])
def test_refused_files(what, data, name, message):
    with pytest.raises(FileRefused, match=re.escape(message)):
        check_xlsx(data, name)


def test_a_plain_workbook_passes_and_reads():
    sheets = read_xlsx(_xlsx(), "a.xlsx")
    assert sheets["Actions"][0][0] == 1
    assert [c.text for c in sheets["Actions"][0][1]] == ["code", "12"]


def test_a_formula_is_flagged_not_run():
    data = _xlsx(lambda s: s.__setitem__("C1", "=SUM(B1:B1)"))
    cells = read_xlsx(data, "a.xlsx")["Actions"][0][1]
    assert cells[2].formula and cells[2].text == "=SUM(B1:B1)"
    assert not cells[1].formula


def test_damaged_xml_inside_a_zip_is_refused():
    source = zipfile.ZipFile(io.BytesIO(_xlsx()))
    parts = {n: source.read(n) for n in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1'"
    with pytest.raises(FileRefused, match="damaged"):
        read_xlsx(zip_of(parts), "a.xlsx")


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (12, "12"), (12.0, "12"), (12.5, "12.5"), ("  x ", "  x "), (True, "TRUE"), (1e300, "1e+300"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (5, "F"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ")])
def test_column_letter(index, letter):
    assert column_letter(index) == letter


@pytest.mark.parametrize(("data", "rows"), [
    (b"code,quarter,value\r\nDV01,2019-20-Q1,3\r\n", [["code", "quarter", "value"], ["DV01", "2019-20-Q1", "3"]]),
    (b"\xef\xbb\xbfcode,value\nDV01,3\n\n,,\n", [["code", "value"], ["DV01", "3"]]),  # BOM; blank rows skipped
    (b'code,note\nDV01,"a, b"\n', [["code", "note"], ["DV01", "a, b"]]),
])
def test_read_csv(data, rows):
    assert [[c.text for c in cells] for _, cells in read_csv(data)] == rows


@pytest.mark.parametrize(("data", "message"), [
    (b"code\n\xff\xfe\n", "not UTF-8"), (b"PK\x03\x04rest", "not a CSV file"), (b"a\x00b\n", "not a CSV file"),
    (b"", "empty"),
])
def test_refused_csv(data, message):
    with pytest.raises(FileRefused, match=message):
        read_csv(data)


def test_a_csv_formula_is_flagged():
    _, cells = read_csv(b"code,value\nDV01,=1+2\n")[1]
    assert cells[1].formula


def _data(**overrides) -> layout.WorkbookData:
    base = dict(agency="Police", quarter_label="2019/20 Q1", quarter_slug="2019-20-Q1", downloaded_at="now",
                token="signed", indicators=[layout.IndicatorRow("DV01", "Offences", "count", "Crimes", "300", False,
                                                                "", "", "", "")],
                actions=[layout.ActionRow("A2", "=HYPERLINK(\"x\")", "Green", "-10% on last year", "Amber",
                                          "-5 this quarter", "", [layout.SubActionRow(1, "Train", "Green", "")])])
    return layout.WorkbookData(**(base | overrides))


def test_the_workbook_reads_back_as_written_with_no_formula():
    sheets = read_xlsx(layout.build_workbook(_data()), "a.xlsx")
    assert set(sheets) == {layout.ACTIONS_SHEET, layout.INDICATORS_SHEET, layout.DETAILS_SHEET}
    actions = {n: [c.text for c in cells] for n, cells in sheets[layout.ACTIONS_SHEET]}
    row = actions[layout.HEADER_ROW + 1]
    # Read-only text a spreadsheet could run carries the pack's apostrophe; a cell to fill keeps its text exactly.
    assert row[layout.A_TITLE] == "'=HYPERLINK(\"x\")"
    assert row[layout.A_COMMENTARY] == "-5 this quarter"
    assert actions[layout.HEADER_ROW + 2][:2] == ["A2", "1"]
    assert not any(c.formula for rows in sheets.values() for _, cells in rows for c in cells)
    details = dict((cells[0].text, cells[1].text) for _, cells in sheets[layout.DETAILS_SHEET] if len(cells) > 1)
    assert details["Template version"] == str(layout.TEMPLATE_VERSION) and details["Details"] == "signed"


def test_the_details_sheet_is_very_hidden_and_the_sheets_protected():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(layout.build_workbook(_data())))
    assert book[layout.DETAILS_SHEET].sheet_state == "veryHidden"
    actions = book[layout.ACTIONS_SHEET]
    assert actions.protection.sheet and book[layout.DETAILS_SHEET].protection.sheet
    row = layout.HEADER_ROW + 1
    assert actions.cell(row, layout.A_STATUS + 1).protection.locked is False
    assert actions.cell(row, layout.A_COMMENTARY + 1).protection.locked is False
    assert actions.cell(row, layout.A_CODE + 1).protection.locked is True
    assert actions.cell(row, layout.A_LAST_COMMENT + 1).protection.locked is True
    assert any("F" in str(dv.sqref) for dv in actions.data_validations.dataValidation)
