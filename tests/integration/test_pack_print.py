"""The board's Excel pack as LibreOffice prints it: converted to PDF and read back as text.

What a board member would notice: a code, title, status or value cut off or overlapping, text too small
to read, a chart split over two pages, a footer cut short. Expected text comes from the pack's own data,
so the checks hold whatever the demo data are.
"""

import io
import re
import shutil
import subprocess
import warnings

import openpyxl
import pdfplumber
import pytest

from app.reports import service
from tests.integration.report_helpers import Q4_2018, load_demo_data

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
READABLE = 7.0  # points: the smallest printed text accepted on the table sheets (it was 5 before)
_EDGE = ":;,.()\"'"


def _value_text(value, measure: str) -> str | None:
    """A value as the sheet's number format shows it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if measure == "percentage":
        return f"{value:.1f}%"
    if measure == "rate_per_1000":
        return f"{value:.1f}"
    if measure == "money":
        return f"£{value:,.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _pages(pdf_bytes: bytes) -> list[dict]:
    """Each page: its sheet (the footer's right part), its words, and the footer text."""
    pages = []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            words = page.extract_words(extra_attrs=["size"])
            footer = [w for w in words if w["top"] > page.height - 45]
            body = [w for w in words if w["top"] <= page.height - 45]
            pages.append(
                {
                    "sheet": " ".join(w["text"] for w in footer if w["x0"] > page.width * 0.75),
                    "footer": " ".join(w["text"] for w in footer),
                    "words": body,
                }
            )
    return pages


def _rows(pages: list[dict], sheet: str, keys: list[str]) -> dict[str, list[str]]:
    """For each key (a code in the first column), the words printed in its row, down to the next key."""
    found: dict[str, list[str]] = {}
    for page in (p for p in pages if p["sheet"] == sheet):
        words = page["words"]
        starts = sorted((w["top"], w["text"]) for w in words if w["x0"] < 45 and w["text"] in keys)
        for index, (top, key) in enumerate(starts):
            bottom = starts[index + 1][0] if index + 1 < len(starts) else float("inf")
            # A hyphenated word may wrap after its hyphen, so words are compared a part at a time.
            found[key] = [
                part
                for w in words
                if top - 2 <= w["top"] < bottom - 2
                for part in w["text"].strip(_EDGE).split("-")
                if part
            ]
    return found


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed")
def test_the_pack_prints_whole_and_readable_in_libreoffice(app, tmp_path):
    load_demo_data()
    data = service.pack_data(Q4_2018, service.PUBLISHED)
    source = tmp_path / "pack.xlsx"
    content = service.build(Q4_2018, service.PUBLISHED)
    source.write_bytes(content)
    subprocess.run(
        [
            OFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    pages = _pages((tmp_path / "pack.pdf").read_bytes())

    # Every page's footer is whole: what it is, which page of how many, which sheet.
    for number, page in enumerate(pages, start=1):
        assert f"HCSP board pack, {data.quarter} Page {number} of {len(pages)}" in page["footer"], page["footer"]
    sheets = {page["sheet"] for page in pages}
    assert {"Cover", "Action plan", "Indicators", "Indicator charts"} <= sheets

    # Each action's code, title and status, whole, in its own row of the Action plan.
    rows = _rows(pages, "Action plan", [a.code for a in data.actions])
    assert sorted(rows) == sorted(a.code for a in data.actions)
    for action in data.actions:
        printed = rows[action.code]
        title = [part for w in action.title.split() for part in w.strip(_EDGE).split("-") if part]
        assert [w for w in title if w not in printed] == [], f"{action.code} title cut: {action.title}"
        assert all(w in printed for w in action.status.split()), f"{action.code} status {action.status}"

    # Each indicator's code and the value reported for the quarter, as its number format shows it.
    rows = _rows(pages, "Indicators", [i.code for i in data.indicators])
    assert sorted(rows) == sorted(i.code for i in data.indicators)
    for indicator in data.indicators:
        if indicator.quarters and indicator.quarters[-1] == data.quarter:
            shown = _value_text(indicator.values[-1], indicator.measure)
            assert shown is None or shown in rows[indicator.code], (indicator.code, shown, rows[indicator.code])

    # The tables print at a readable size.
    for page in pages:
        if page["sheet"] in ("Action plan", "Exceptions", "Indicators", "Returns"):
            body = [w["size"] for w in page["words"]]
            assert min(body) >= READABLE, (page["sheet"], min(body))

    # No chart is split over two pages: each chart on a page has its title and its legend there.
    for page in (p for p in pages if p["sheet"] == "Indicator charts"):
        titles = [w for w in page["words"] if re.fullmatch(r"[A-Z]{2}\d{2}:", w["text"])]
        if titles:
            legends = [w for w in page["words"] if w["text"] == "Value"]
            assert len(legends) == len(titles), [w["text"] for w in titles]

    # Numbers are numbers with formats, and no column is empty.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl does not read sparklines
        book = openpyxl.load_workbook(io.BytesIO(content))
    ws = book["Indicators"]
    headers = [c.value for c in ws[4]]
    table = list(ws.iter_rows(min_row=5, max_row=4 + len(data.indicators)))
    for col, header in enumerate(headers):
        if header and header != "Trend":  # the trend is a sparkline, not a cell value
            assert any(row[col].value is not None for row in table), f"empty column {header}"
    measures = {i.code: i.measure for i in data.indicators}
    for row in table:
        for cell in row[5:]:
            if isinstance(cell.value, int | float) and measures[row[0].value] == "percentage":
                assert cell.number_format == "0.0%" and 0 <= cell.value <= 1, (row[0].value, cell.value)
    targets = [row[headers.index("Target")].value for row in table]
    assert all(t is None or isinstance(t, int | float) for t in targets)
