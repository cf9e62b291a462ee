"""Small-number suppression in everything published: every cell, chart range, cached chart value and
defined name of the published pack, and no hidden value recoverable from what a year's packs publish."""

import io
import re
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from app.extensions import db
from app.kpis import service as kpi_service
from app.reports import service
from tests.integration.report_helpers import YEAR_2019, load_demo_data, small_counts, suppressible_counts
from tests.unit.test_disclosure import determined

C_NS = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
INDICATOR_SHEETS = ("Indicators", "Indicator charts", "Year-end summary")


@pytest.fixture
def small(app):
    load_demo_data()
    return small_counts()


def _is_small_count(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 5


def _count_rows(book, codes: set[str]) -> dict[str, set[int]]:
    """Per indicator sheet, the rows that hold a suppressible count indicator's figures."""
    return {name: {cell.row for cell in book[name]["A"] if cell.value in codes}
            for name in INDICATOR_SHEETS if name in book.sheetnames}


def _value_columns(ws) -> set[int]:
    """Columns holding published figures (quarters and year to date) on an indicator sheet."""
    headers = [c.value for c in ws[4]]
    return {i + 1 for i, h in enumerate(headers)
            if isinstance(h, str) and (re.match(r"\d{4}/\d{2} Q[1-4]$", h) or h in ("Year to date", "Outturn"))}


def _scan(content: bytes, codes: set[str]) -> int:
    """Fail on any raw 1-4 published for a count; return how many cells were checked."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = _count_rows(book, codes)
    checked = 0
    for ws in book.worksheets:  # hidden sheets included: openpyxl lists every sheet
        columns = _value_columns(ws) if ws.title in rows else set()
        for row in ws.iter_rows():
            for cell in row:
                if ws.title in rows and cell.row in rows[ws.title] and cell.column in columns:
                    checked += 1
                    assert not _is_small_count(cell.value), f"{ws.title}!{cell.coordinate} = {cell.value}"
                if isinstance(cell.value, str) and cell.row > 4 and ws.title in rows:
                    assert not re.fullmatch(r"[1-4](\.0)?", cell.value.strip()), cell.coordinate

    def check_range(ref: str) -> None:
        nonlocal checked
        sheet, _, area = ref.rpartition("!")
        sheet = sheet.strip("'").replace("''", "'")
        if sheet not in rows:
            return
        ws = book[sheet]
        min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                if r in rows[sheet] and ws.cell(r, 3).value != "Target":
                    checked += 1
                    assert not _is_small_count(ws.cell(r, c).value), f"{ref} -> {ws.cell(r, c).coordinate}"

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if not re.match(r"xl/charts/chart\d+\.xml", name):
                continue
            root = ElementTree.fromstring(archive.read(name))  # noqa: S314 - the pack we just built
            title = "".join(t.text or "" for t in root.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}t"))
            for ref in root.iter(f"{C_NS}f"):
                check_range(ref.text)
            if title.split(":")[0] in codes:
                # The cached figures a chart shows before recalculation: the Value series, not the target.
                for series in root.iter(f"{C_NS}ser"):
                    label = "".join(v.text or "" for v in series.find(f"{C_NS}tx").iter(f"{C_NS}v"))
                    values = series.find(f"{C_NS}val")
                    for v in (values.iter(f"{C_NS}v") if values is not None and label == "Value" else []):
                        checked += 1
                        assert not _is_small_count(float(v.text)), f"{name} caches {v.text}"
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                for ref in re.findall(r"<xm:f>([^<]+)</xm:f>", archive.read(name).decode()):  # sparklines
                    check_range(ref)
    for defined in book.defined_names.values():
        for sheet, area in defined.destinations:
            check_range(f"'{sheet}'!{area}")
    props = book.properties
    for text in (props.title, props.subject, props.description, props.keywords, props.category):
        assert "<5" not in (text or "") and not any(code in (text or "") for code in codes), text
    return checked


@pytest.mark.parametrize("quarter", YEAR_2019, ids=lambda q: q.slug)
def test_no_raw_small_count_anywhere_in_the_published_pack(small, quarter):
    codes = suppressible_counts()
    partnership = service.report(quarter, "partnership")
    assert any(_is_small_count(c.shown) for line in partnership.indicators for c in line.cells), \
        "the test data must contain small counts"
    content = service.build(quarter, "published")
    assert _scan(content, codes) > 50
    data = service.report(quarter, "published")
    assert data.suppressed[0] > 0


def test_the_partnership_pack_does_show_the_small_counts(small):
    content = service.build(YEAR_2019[-1], "partnership")
    with pytest.raises(AssertionError):
        _scan(content, suppressible_counts())


def test_no_hidden_value_can_be_recovered_from_a_years_published_packs(small):
    """A reader holding all four 2019/20 packs, and the equations between quarters and years to date."""
    truth = {line.indicator.code: {q.number: c.shown for q, c in zip(line.quarters, line.cells, strict=True)
                                   if q.year == 2019}
             for line in service.report(YEAR_2019[-1], "partnership").indicators}
    known: dict[str, dict] = {code: {} for code in small}
    hidden: dict[str, set] = {code: set() for code in small}
    for quarter in YEAR_2019:
        data = service.report(quarter, "published")
        for line in data.indicators:
            if line.indicator.code not in small:
                continue
            cells = {("q", q.number): c for q, c in zip(line.quarters, line.cells, strict=True) if q.year == 2019}
            if quarter.number >= 2:
                cells[("ytd", quarter.number)] = line.year_to_date
            for key, cell in cells.items():
                if isinstance(cell.shown, str):
                    hidden[line.indicator.code].add(key)
                elif cell.shown is not None:
                    known[line.indicator.code][key] = cell.shown
    checked = 0
    kinds = {i.code: i.aggregation for i in kpi_service.indicators()}
    for code in small:
        values = truth[code]
        for key, value in known[code].items():
            if key[0] == "q":
                assert value == values[key[1]], (code, key)  # published figures are the true ones
        unknowns = hidden[code] - set(known[code])
        if kinds[code] == "snapshot":  # its year to date is its latest quarter
            equations = [{("ytd", n): 1, ("q", n): -1} for n in range(2, 5)]
        else:  # a flow: the year to date is the sum of the quarters so far
            equations = [{("ytd", n): 1, **{("q", k): -1 for k in range(1, n + 1)}} for n in range(2, 5)]
        pinned = determined(equations, unknowns)
        assert not pinned, f"{code}: a reader of the 2019/20 packs can work out {pinned}"
        small_hidden = {k for k in unknowns if k[0] == "q" and 0 < values[k[1]] < 5}
        assert small_hidden <= unknowns
        checked += len(unknowns)
    assert checked > 10


def test_page_pack_and_json_show_identical_published_values(small, login):
    quarter = YEAR_2019[1]
    client = login("viewer")
    json = client.get(f"/reports/{quarter.slug}/indicators.json?audience=published", follow_redirects=True).get_json()
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/reports/{quarter.slug}/pack.xlsx?audience=published").data))
    ws = book["Indicators"]
    headers = [c.value for c in ws[4]]
    rows = {r[0]: dict(zip(headers, r, strict=False)) for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    page = client.get(f"/reports/{quarter.slug}?audience=published").get_data(as_text=True)
    for item in json["items"]:
        if item["code"] not in small:
            continue
        assert rows[item["code"]][quarter.label] == item["values"][quarter.slug]
        assert rows[item["code"]]["Year to date"] == item["year_to_date"]
        if item["values"][quarter.slug] == "<5":
            row = re.search(rf'data-indicator="{item["code"]}">(.*?)</tr>', page, re.S).group(1)
            assert 'data-cell="value">&lt;5</td>' in row
    db.session.rollback()
