"""Reading an uploaded file safely: refuse what is not a plain workbook or CSV, then read its cells.

Pure: no Flask, no SQLAlchemy. Every refusal is a FileRefused whose message is shown to the user as is.
The checks run before openpyxl sees the bytes, so a zip bomb, a macro-enabled or an encrypted file never
reaches the parser.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

SIZE_LIMIT = 5 * 1024 * 1024  # bytes: a return workbook is tens of kilobytes; a year's extract well under 1 MB
UNPACKED_LIMIT = 50 * 1024 * 1024  # bytes: the parts of an xlsx once unzipped (a zip bomb is far beyond)
PART_LIMIT = 200  # parts in the zip: a workbook of three sheets has about 15
RATIO_LIMIT = 200  # unzipped / zipped size of one part: XML compresses about 10-20 times, a bomb thousands
ROW_LIMIT = 5000  # rows read from one sheet or CSV: a year of every indicator is a few hundred
COLUMN_LIMIT = 30  # columns read from one row
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted xlsx, or an old .xls, is an OLE compound file
MACRO_TYPE = "macroEnabled"  # in [Content_Types].xml of an .xlsm


class FileRefused(ValueError):
    """The file as a whole is refused; the message says why and what to do."""


@dataclass(frozen=True)
class Cell:
    """One cell's text as the user typed it ("" when empty), and whether it holds a formula."""

    text: str
    formula: bool = False


Row = tuple[int, list[Cell]]  # (row number as the spreadsheet shows it, cells from column A)


def check_size(size: int) -> None:
    """Refuse an empty file or one over SIZE_LIMIT."""
    if size == 0:
        raise FileRefused("The file is empty: choose the file you filled in")
    if size > SIZE_LIMIT:
        raise FileRefused(f"The file must be smaller than {SIZE_LIMIT // (1024 * 1024)} MB")


def check_xlsx(data: bytes, filename: str) -> None:
    """Refuse anything but a plain .xlsx: another format, a macro-enabled or encrypted file, a zip bomb."""
    check_size(len(data))
    name = filename.lower()
    if name.endswith((".xlsm", ".xltm", ".xlsb")):
        raise FileRefused("The file is a macro-enabled workbook: save it as an Excel Workbook (.xlsx) and upload that")
    if data.startswith(OLE_MAGIC):
        raise FileRefused("The file is password-protected (encrypted) or an old Excel 97-2003 .xls: "
                          "remove the password, save it as an Excel Workbook (.xlsx) and upload that")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise FileRefused("The file is not an Excel workbook (.xlsx): upload the workbook you downloaded")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            names = {p.filename for p in parts}
            if len(parts) > PART_LIMIT:
                raise FileRefused("The file is not a return workbook: it has too many parts")
            if sum(p.file_size for p in parts) > UNPACKED_LIMIT or any(
                    p.file_size > RATIO_LIMIT * max(p.compress_size, 1) and p.file_size > 1024 * 1024
                    for p in parts):
                raise FileRefused("The file is too large once unpacked to be a return workbook")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise FileRefused("The file contains macros: save it as an Excel Workbook (.xlsx) and upload that")
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRefused("The file is not an Excel workbook (.xlsx): upload the workbook you downloaded")
            content_types = archive.read("[Content_Types].xml")
            if MACRO_TYPE.encode() in content_types:
                raise FileRefused("The file is a macro-enabled workbook: save it as an Excel Workbook (.xlsx) "
                                  "and upload that")
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile and zlib fail in many ways on damaged bytes: all are refusals
        raise FileRefused("The file is damaged or not an Excel workbook (.xlsx): upload the workbook you "
                          "downloaded") from exc


def cell_text(value) -> str:
    """A cell's value as text: whole numbers without ".0", other numbers as typed, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value) if isinstance(value, str) else str(value)


def read_xlsx(data: bytes, filename: str) -> dict[str, list[Row]]:
    """Every sheet's non-empty rows (hidden sheets too), after check_xlsx; formulas are flagged, not run.

    Any error of the parser on a file that passed the checks is a FileRefused: the file is damaged.
    """
    check_xlsx(data, filename)

    sheets: dict[str, list[Row]] = {}
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        try:
            for sheet in workbook.worksheets:
                rows: list[Row] = []
                for number, row in enumerate(sheet.iter_rows(max_col=COLUMN_LIMIT), start=1):
                    if number > ROW_LIMIT:
                        raise FileRefused(f"The sheet {sheet.title} has more than {ROW_LIMIT} rows")
                    cells = [_cell(c) for c in row]
                    while cells and not cells[-1].text and not cells[-1].formula:
                        cells.pop()  # read-only rows are padded to max_col
                    if any(c.text.strip() or c.formula for c in cells):
                        rows.append((number, cells))
                sheets[sheet.title] = rows
        finally:
            workbook.close()
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the parser on untrusted bytes is a refusal
        raise FileRefused("The file is damaged or not an Excel workbook (.xlsx): upload the workbook you "
                          "downloaded") from exc
    return sheets


def _cell(cell) -> Cell:
    value = getattr(cell, "value", None)
    formula = getattr(cell, "data_type", None) == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula")
    return Cell(cell_text(value) if not formula else str(value), formula)


def read_csv(data: bytes) -> list[Row]:
    """The rows of a CSV file (UTF-8, with or without a byte-order mark); a cell starting "=" is a formula."""
    check_size(len(data))
    if data.startswith(OLE_MAGIC) or data.startswith(b"PK\x03\x04"):
        raise FileRefused("The file is not a CSV file: save it as CSV UTF-8 (.csv), or upload an .xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused("The CSV file is not UTF-8 text: save it as CSV UTF-8 (.csv) and upload that") from exc
    if "\x00" in text:
        raise FileRefused("The file is not a CSV file: save it as CSV UTF-8 (.csv), or upload an .xlsx")
    rows: list[Row] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > ROW_LIMIT:
                raise FileRefused(f"The file has more than {ROW_LIMIT} rows")
            cells = [Cell(v, v.lstrip().startswith("=")) for v in values[:COLUMN_LIMIT]]
            if any(c.text.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise FileRefused(f"The CSV file could not be read ({exc}): save it as CSV UTF-8 (.csv)") from exc
    return rows


def column_letter(index: int) -> str:
    """The spreadsheet's name of a column from its 0-based index: 0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
