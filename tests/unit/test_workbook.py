"""The HCSP board's Excel pack: what a board member opening or printing the workbook would notice."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import column_index_from_string
from openpyxl.utils.escape import unescape

from app.reports.workbook import (
    SHEET_NAMES,
    STATUS_LABELS,
    YEAR_END_SHEET,
    ActionRow,
    IndicatorRow,
    OutturnRow,
    PackData,
    ReturnRow,
    SummaryRow,
    YearEnd,
    axis_bounds,
    build_pack,
    completion,
    format_generated_at,
    page_breaks,
    row_height,
    safe_text,
    text_lines,
)
from app.strategy.quarters import Quarter

MARKING = "OFFICIAL-SENSITIVE: not for publication"
DISCLOSURE = (
    "Counts of 1 to 4 are shown as <5, and further values are suppressed where needed to protect them."
)
QUARTERS = ("2018/19 Q3", "2018/19 Q4", "2019/20 Q1", "2019/20 Q2")  # the column headers
PERIODS = (Quarter(2018, 3), Quarter(2018, 4), Quarter(2019, 1), Quarter(2019, 2))
HEADER_ROW = 4  # Excel row number of every data sheet's table header

HOSTILE = {
    "A1": '=HYPERLINK("http://evil.example","click")',
    "A2": "+cmd|' /C calc'!A0",
    "B1": "-2+3",
    "B2": "@SUM(A1:A2)",
    "B3": "\t=1+1",
    "C1": "\r=1+1",
    "C2": "http://evil.example/x",
    "D1": "Two refuges opened; waiting list down to 6 weeks.",
}


def _action(code: str, status: str, due: date | None, overdue: bool, timescale: str) -> ActionRow:
    return ActionRow(
        code=code,
        objective=code[0],
        title=f"Action {code}: deliver the {code} workstream",
        leads="Victim Support; CPS" if code == "B3" else "Community Safety Partnership",
        timescale=timescale,
        due_date=due,
        overdue=overdue,
        status=status,
        movement="Declined" if status == "Red" else "No change",
        commentary=HOSTILE[code],
        mitigation="Escalated to the VAWG Strategic Group" if status in ("Red", "Amber") else "",
        updates="Victim Support: Amber; CPS: Green"
        if code == "B3"
        else f"Community Safety Partnership: {status}",
    )


ACTIONS = (
    _action("A1", "Green", date(2019, 3, 31), True, "March 2019"),
    _action("A2", "Red", date(2019, 4, 30), True, "April 2019 and refresh annually"),
    _action("B1", "Amber", None, False, "Ongoing"),
    _action("B2", "Complete", date(2019, 3, 31), False, "March 2019"),
    _action("B3", "Amber", None, False, "Ongoing"),
    _action("C1", "Red", None, False, "Ongoing"),
    _action("C2", "No update", date(2020, 3, 31), False, "March 2020"),
    _action("D1", "Green", None, False, "Ongoing"),
)


def _indicator(code: str, name: str, values: tuple, targets: tuple, target, rag: str) -> IndicatorRow:
    return IndicatorRow(
        code=code,
        name=name,
        owner="Metropolitan Police",
        unit="%" if "rate" in name else "count",
        polarity="Higher is better" if "rate" in name else "Contextual",
        quarters=PERIODS,
        values=values,
        targets=targets,
        target=target,
        rag=rag,
        short_term="Improving ↑",
        long_term="Not comparable",
        headline=code == "VAWG-01",
    )


INDICATORS = (
    _indicator("VAWG-01", "Domestic abuse offences", (480, 455, 530, 512), (None,) * 4, None, "No rating"),
    _indicator(
        "VAWG-02", "MARAC repeat cases", (7, 6, 9, "<5"), (None,) * 4, "No target agreed", "No rating"
    ),
    _indicator("VAWG-03", "Sanctioned detection rate", (41.0, "[c]", 44.5, 47.2), (47.0,) * 4, 47.0, "Green"),
    _indicator("VAWG-04", "Arrest rate", (70.1, 72.0, None, 68.0), (77.0, 77.0, 77.0, 77.0), 77.0, "Red"),
)

SUMMARY = (
    SummaryRow("A", "Prevention and early intervention", {"Green": 1, "Red": 1}),
    SummaryRow("B", "Supporting victims", {"Complete": 1, "Amber": 2}),
    SummaryRow("C", "Pursuing perpetrators", {"Red": 1, "No update": 1}),
    SummaryRow("D", "Partnership working", {"Green": 1}),
    SummaryRow("All", "All objectives", {"Complete": 1, "Green": 2, "Amber": 2, "Red": 2, "No update": 1}),
)

RETURNS = (
    ReturnRow(
        "Metropolitan Police", actions_due=3, actions_submitted=3, indicators_due=4, indicators_submitted=2
    ),
    ReturnRow("Victim Support", actions_due=2, actions_submitted=1, indicators_due=0, indicators_submitted=0),
    ReturnRow("Housing", actions_due=0, actions_submitted=0, indicators_due=0, indicators_submitted=0),
    ReturnRow("CPS", actions_due=1, actions_submitted=0, indicators_due=1, indicators_submitted=0),
)

YEAR_END = YearEnd(
    year_label="2019/20",
    outturns=tuple(
        OutturnRow(code=i.code, name=i.name, unit=i.unit, polarity=i.polarity, outturn=i.values[-1],
                   basis="Year total" if i.unit == "count" else "Rate for the year", target=i.target, rag=i.rag,
                   long_term=i.long_term)
        for i in INDICATORS
    ),
    completed=("B2: Review the MARAC operating protocol",),
    carried_forward=("A2: Train DV champions", "C1: Perpetrator programme"),
    retired=(),
    rag_by_quarter=tuple(
        SummaryRow(q, "Actions", {"Green": 4 - i, "Amber": i, "Red": 1}) for i, q in enumerate(QUARTERS)
    ),
)


def _pack(audience: str = "partnership", year_end: bool = False, **changes) -> PackData:
    """A realistic pack for the audience; keyword arguments replace fields."""
    partnership = audience == "partnership"
    pack = PackData(
        strategy="Violence Against Women and Girls Strategy 2018-2021",
        quarter="2019/20 Q2",
        generated_at=datetime(2026, 11, 23, 14, 5, tzinfo=UTC),
        audience=audience,
        marking=MARKING if partnership else None,
        disclosure_statement=None if partnership else DISCLOSURE,
        suppressed=(0, 0) if partnership else (3, 2),
        status_note="Locked on 3 Nov 2019",
        summary=SUMMARY,
        movement={"Improved": 2, "Declined": 2, "No change": 3, "Not comparable": 1},
        actions=ACTIONS,
        indicators=INDICATORS,
        returns=RETURNS,
        year_end=YEAR_END if year_end else None,
    )
    return replace(pack, **changes)


@pytest.fixture
def make_pack() -> Callable[..., PackData]:
    """The pack factory, for tests that need a variant of the standard pack."""
    return _pack


@cache
def _built(audience: str, year_end: bool) -> bytes:
    # One build per variant for the whole module keeps each test to milliseconds.
    return build_pack(_pack(audience, year_end))


def _open(content: bytes) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        # openpyxl cannot read sparklines and says so; they are checked in the raw XML instead.
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(BytesIO(content))


@cache
def _book(audience: str = "partnership", year_end: bool = True) -> openpyxl.Workbook:
    return _open(_built(audience, year_end))


def _headers(ws) -> list[str]:
    return [c.value for c in ws[HEADER_ROW] if c.value is not None]


def _row(ws, key: str) -> dict[str, object]:
    """The table row whose first column is `key`, as header -> value."""
    headers = [c.value for c in ws[HEADER_ROW]]
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if row[0] == key:
            return dict(zip(headers, row, strict=False))
    raise AssertionError(f"no row {key!r} on {ws.title}")


def _column(ws, header: str) -> list[object]:
    col = [c.value for c in ws[HEADER_ROW]].index(header)
    values = []
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if row[0] is None:
            break
        values.append(row[col])
    return values


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _targets(archive: zipfile.ZipFile, rels_path: str) -> list[str]:
    """The parts a .rels file points at, as archive paths."""
    if rels_path not in archive.namelist():
        return []
    base = rels_path.split("_rels/")[0]
    rels = ElementTree.fromstring(archive.read(rels_path))  # noqa: S314 - our own output, not untrusted input
    return [
        posixpath.normpath(posixpath.join(base, r.get("Target"))) for r in rels.findall("p:Relationship", _NS)
    ]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part, resolved through the workbook relationships."""
    # Parsing our own output, not untrusted input.
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {r.get("Id"): "xl/" + r.get("Target") for r in rels.findall("p:Relationship", _NS)}
    return {s.get("name"): targets[s.get(f"{{{_NS['r']}}}id")] for s in book.find("m:sheets", _NS)}


def _sheet_xml(content: bytes) -> dict[str, str]:
    """Sheet name -> its worksheet XML."""
    with zipfile.ZipFile(BytesIO(content)) as archive:
        return {name: archive.read(part).decode() for name, part in _sheet_parts(archive).items()}


def _charts_on(content: bytes, sheet: str) -> list[str]:
    """The chart XML parts drawn on one sheet (sheet -> drawing -> charts)."""
    with zipfile.ZipFile(BytesIO(content)) as archive:
        part = _sheet_parts(archive)[sheet]
        folder, name = part.rsplit("/", 1)
        drawings = [t for t in _targets(archive, f"{folder}/_rels/{name}.rels") if "/drawings/" in t]
        charts = []
        for drawing in drawings:
            d_folder, d_name = drawing.rsplit("/", 1)
            charts += [t for t in _targets(archive, f"{d_folder}/_rels/{d_name}.rels") if "/charts/" in t]
        return [archive.read(chart).decode() for chart in charts]


# --- safe_text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
            id="formula",
        ),
        pytest.param("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0", id="dde-plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1:A2)", "'@SUM(A1:A2)", id="at"),
        pytest.param("\t=1+1", "'\t=1+1", id="tab"),
        pytest.param("\r=1+1", "'\r=1+1", id="carriage-return"),
        pytest.param("http://evil.example/x", "http://evil.example/x", id="url-is-left-as-text"),
        pytest.param("Police: Red; CPS: Green", "Police: Red; CPS: Green", id="ordinary-text"),
        pytest.param(" =1+1", " =1+1", id="leading-space-is-not-a-formula"),
        pytest.param("", "", id="empty"),
        pytest.param("<5", "<5", id="suppressed-marker"),
    ],
)
def test_safe_text_neutralises_only_formula_triggers(text: str, expected: str) -> None:
    assert safe_text(text) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 11, 23, 14, 5, tzinfo=UTC), "23 Nov 2026 14:05 UTC", id="utc"),
        pytest.param(datetime(2026, 11, 23, 14, 5), "23 Nov 2026 14:05 UTC", id="naive-taken-as-utc"),
        pytest.param(
            datetime(2019, 7, 3, 9, 30, tzinfo=timezone(timedelta(hours=1))),
            "3 Jul 2019 08:30 UTC",
            id="bst-to-utc",
        ),
    ],
)
def test_generated_at_is_utc_text(moment: datetime, expected: str) -> None:
    assert format_generated_at(moment) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(ReturnRow("Police", 3, 3, 4, 2), 5 / 7, id="part-submitted"),
        pytest.param(ReturnRow("Housing", 0, 0, 0, 0), 1.0, id="nothing-due-is-complete"),
        pytest.param(ReturnRow("CPS", 1, 0, 1, 0), 0.0, id="nothing-submitted"),
    ],
)
def test_completion_share(row: ReturnRow, expected: float) -> None:
    assert completion(row) == pytest.approx(expected)


# --- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year_end", "expected"),
    [
        pytest.param(False, SHEET_NAMES, id="quarterly"),
        pytest.param(True, (*SHEET_NAMES, YEAR_END_SHEET), id="with-year-end"),
    ],
)
def test_sheets_in_board_order(year_end: bool, expected: tuple[str, ...]) -> None:
    assert tuple(_book("partnership", year_end).sheetnames) == expected


@pytest.mark.parametrize(
    ("sheet", "headers"),
    [
        ("Summary", ["Objective", "Title", *STATUS_LABELS, "Total"]),
        (
            "Action plan",
            [
                "Code", "Objective", "Action", "Lead agencies", "Timescale", "Due date", "Overdue", "Status",
                "Movement", "Updates by lead", "Commentary", "Mitigation",
            ],
        ),
        (
            "Exceptions",
            [
                "Code", "Objective", "Action", "Lead agencies", "Timescale", "Due date", "Overdue", "Status",
                "Updates by lead", "Commentary", "Mitigation",
            ],
        ),
        (
            "Indicators",
            [
                "Code", "Indicator", "Owner", "Unit", "Polarity", *QUARTERS, "Target", "Target wording", "RAG",
                "Short-term", "Long-term", "Trend",
            ],
        ),
        ("Indicator charts", ["Code", "Indicator", "Series", *QUARTERS]),
        (
            "Returns",
            [
                "Agency", "Actions due", "Actions submitted", "Indicators due", "Indicators submitted",
                "% complete",
            ],
        ),
        (
            YEAR_END_SHEET,
            ["Code", "Indicator", "Unit", "Polarity", "Outturn", "Basis", "Target", "Target wording", "RAG",
             "Long-term"],
        ),
    ],
)  # fmt: skip
def test_table_headers(sheet: str, headers: list[str]) -> None:
    ws = _book()[sheet]
    assert _headers(ws) == headers
    assert all(c.font.b for c in ws[HEADER_ROW] if c.value is not None)
    assert all(c.fill.fgColor.rgb.endswith("DEE0E2") for c in ws[HEADER_ROW] if c.value is not None)


@pytest.mark.parametrize(
    ("sheet", "key", "header", "expected"),
    [
        pytest.param("Action plan", "A2", "Status", "Red", id="status-as-text"),
        pytest.param("Action plan", "A1", "Due date", datetime(2019, 3, 31), id="due-date-is-a-date"),
        pytest.param("Action plan", "B1", "Due date", None, id="ongoing-has-no-due-date"),
        pytest.param("Action plan", "A1", "Overdue", "Overdue", id="overdue-flag"),
        pytest.param("Action plan", "B2", "Overdue", None, id="not-overdue-is-blank"),
        pytest.param(
            "Action plan", "A2", "Timescale", "April 2019 and refresh annually", id="timescale-text-kept"
        ),
        pytest.param(
            "Action plan", "B3", "Updates by lead", "Victim Support: Amber; CPS: Green", id="who-said-what"
        ),
        pytest.param("Action plan", "C2", "Status", "No update", id="no-update"),
        pytest.param("Indicators", "VAWG-01", "2019/20 Q2", 512, id="count-is-a-number"),
        pytest.param("Indicators", "VAWG-02", "2019/20 Q2", "<5", id="small-count-stays-text"),
        pytest.param("Indicators", "VAWG-03", "2018/19 Q4", "[c]", id="secondary-suppression-stays-text"),
        pytest.param("Indicators", "VAWG-04", "2019/20 Q1", None, id="not-reported-is-blank"),
        pytest.param("Indicators", "VAWG-04", "Target", 77, id="target"),
        pytest.param("Indicators", "VAWG-01", "Target", None, id="no-target-is-no-number"),
        pytest.param("Indicators", "VAWG-01", "Target wording", "No target agreed", id="no-target-in-words"),
        pytest.param("Indicators", "VAWG-02", "Target", None, id="text-target-is-no-number"),
        pytest.param("Indicators", "VAWG-02", "Target wording", "No target agreed", id="text-target-in-words"),
        pytest.param("Indicators", "VAWG-04", "RAG", "Red", id="rag-as-text"),
        pytest.param("Indicators", "VAWG-04", "Short-term", "Improving ↑", id="direction-of-travel"),
        pytest.param("Summary", "All", "Red", 2, id="overall-red"),
        pytest.param("Summary", "All", "Total", 8, id="overall-total"),
        pytest.param("Summary", "B", "Amber", 2, id="objective-amber"),
        pytest.param("Summary", "D", "No update", 0, id="missing-count-is-zero"),
        pytest.param("Returns", "All agencies", "Actions due", 6, id="returns-total"),
        pytest.param("Indicator charts", "VAWG-02", "2019/20 Q1", 9, id="charted-value"),
        pytest.param(YEAR_END_SHEET, "VAWG-01", "Outturn", 512, id="outturn-as-given"),
        pytest.param(YEAR_END_SHEET, "VAWG-01", "Basis", "Year total", id="outturn-says-how-it-was-reached"),
        pytest.param(YEAR_END_SHEET, "VAWG-02", "Outturn", "<5", id="suppressed-outturn-stays-text"),
    ],
)
def test_cell_values(sheet: str, key: str, header: str, expected: object) -> None:
    assert _row(_book()[sheet], key)[header] == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(np.int64(12), 12, id="numpy-int-is-a-number"),
        pytest.param(np.float64(3.5), 3.5, id="numpy-float-is-a-number"),
        pytest.param(Decimal("4.25"), 4.25, id="decimal-is-a-number"),
        pytest.param(float("nan"), None, id="nan-is-blank"),
        pytest.param("=1+1", "'=1+1", id="hostile-value-is-inert-text"),
    ],
)
def test_indicator_values_keep_their_type(make_pack, given: object, expected: object) -> None:
    indicator = replace(INDICATORS[0], values=(1, 2, 3, given))
    ws = _open(build_pack(make_pack(indicators=(indicator,))))["Indicators"]
    cell = _row(ws, "VAWG-01")["2019/20 Q2"]
    assert cell == expected
    assert type(cell) is type(expected)


def test_due_dates_display_as_uk_dates() -> None:
    ws = _book()["Action plan"]
    cell = ws.cell(row=HEADER_ROW + 1, column=_headers(ws).index("Due date") + 1)
    assert isinstance(cell.value, datetime)
    assert cell.number_format == "dd/mm/yyyy"


def test_overall_row_is_last_on_summary() -> None:
    assert _column(_book()["Summary"], "Objective") == ["A", "B", "C", "D", "All"]


def test_movement_since_last_quarter_on_summary() -> None:
    ws = _book()["Summary"]
    rows = list(ws.iter_rows(values_only=True, max_col=2))
    start = rows.index(("Movement", "Actions")) + 1
    assert rows[start : start + 4] == [
        ("Improved", 2),
        ("Declined", 2),
        ("No change", 3),
        ("Not comparable", 1),
    ]


def test_exceptions_are_red_then_amber() -> None:
    ws = _book()["Exceptions"]
    assert _column(ws, "Code") == ["A2", "C1", "B1", "B3"]
    assert _column(ws, "Status") == ["Red", "Red", "Amber", "Amber"]


def test_exceptions_say_when_there_are_none(make_pack) -> None:
    calm = tuple(replace(a, status="Green") for a in ACTIONS)
    ws = _open(build_pack(make_pack(actions=calm)))["Exceptions"]
    assert ws.cell(row=HEADER_ROW + 1, column=1).value == "No red or amber actions this quarter."


def test_returns_lowest_completion_first_with_overall_row() -> None:
    ws = _book()["Returns"]
    assert _column(ws, "Agency") == [
        "CPS",
        "Victim Support",
        "Metropolitan Police",
        "Housing",
        "All agencies",
    ]
    assert _column(ws, "% complete") == pytest.approx([0.0, 0.5, 5 / 7, 1.0, 6 / 11])
    percent = ws.cell(row=HEADER_ROW + 1, column=6)
    assert percent.data_type == "n"
    assert percent.number_format == "0%"


@pytest.mark.parametrize(
    ("sheet", "column", "labels"),
    [
        ("Action plan", "H", STATUS_LABELS),
        ("Exceptions", "H", STATUS_LABELS),
        ("Indicators", "L", ("Green", "Amber", "Red", "No rating")),
    ],
)
def test_status_columns_are_coloured_by_their_text(sheet: str, column: str, labels: tuple[str, ...]) -> None:
    ws = _book()[sheet]
    coloured = {
        rule.formula[0].strip('"'): rule.dxf.fill.bgColor.rgb
        for cf in ws.conditional_formatting
        if str(cf.sqref).startswith(f"{column}{HEADER_ROW + 1}")
        for rule in cf.rules
        if rule.type == "cellIs" and rule.operator == "equal"
    }
    assert set(coloured) == set(labels)
    assert coloured.get("Red", "").endswith("D4351C")


# --- layout and printing -----------------------------------------------------------------------

DATA_SHEETS = (
    "Summary",
    "Action plan",
    "Exceptions",
    "Indicators",
    "Indicator charts",
    "Returns",
    YEAR_END_SHEET,
)


@pytest.mark.parametrize(
    ("sheet", "frozen", "autofilter"),
    [
        ("Summary", "A5", "A4:H9"),
        ("Action plan", "B5", "A4:L12"),
        ("Exceptions", "B5", "A4:K8"),
        ("Indicators", "C5", "A4:O8"),
        ("Indicator charts", "D5", "A4:G12"),
        ("Returns", "A5", "A4:F8"),
        (YEAR_END_SHEET, "A5", "A4:J8"),
    ],
)
def test_headers_frozen_and_tables_filterable(sheet: str, frozen: str, autofilter: str) -> None:
    ws = _book()[sheet]
    assert ws.freeze_panes == frozen
    assert ws.auto_filter.ref == autofilter


CHART_SHEETS = ("Summary", "Indicator charts", YEAR_END_SHEET)


@pytest.mark.parametrize("sheet", [s for s in ("Cover", *DATA_SHEETS) if s not in CHART_SHEETS])
def test_every_table_sheet_prints_landscape_a4_one_page_wide(sheet: str) -> None:
    ws = _book()[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth is omitted when it is 1, the OOXML default; fitToHeight 0 means "as many pages as needed".
    assert ws.page_setup.fitToWidth in (None, 1)
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$4:$4"
    assert "&P" in ws.oddFooter.center.text


@pytest.mark.parametrize("sheet", CHART_SHEETS)
def test_sheets_with_charts_print_at_a_fixed_readable_scale(sheet: str) -> None:
    # Under "fit to width" both programs ignore manual page breaks, and the breaks keep charts whole.
    ws = _book()[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    assert 75 <= int(ws.page_setup.scale or 100) <= 100  # 100 is the default, so it is left out
    assert "&P" in ws.oddFooter.center.text
    # The chart figures' header is not repeated: it printed over the charts.
    assert ws.print_title_rows == (None if sheet == "Indicator charts" else "$4:$4")


def test_indicator_charts_start_on_a_page_of_their_own_and_never_straddle_one() -> None:
    ws = _book()["Indicator charts"]
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "no page break before the charts"


@pytest.mark.parametrize(
    ("charts", "capacity", "expected"),
    [
        pytest.param([], 100.0, [], id="no-charts-no-breaks"),
        pytest.param([(10, 40.0)], 100.0, [10], id="charts-start-a-page"),
        pytest.param([(10, 40.0), (10, 40.0)], 100.0, [10], id="side-by-side-share-a-row"),
        pytest.param([(10, 30.0), (13, 30.0), (16, 30.0)], 100.0, [10], id="three-rows-fit"),
        pytest.param([(10, 40.0), (14, 40.0), (18, 40.0)], 100.0, [10, 18], id="third-would-straddle"),
        pytest.param([(10, 40.0), (14, 40.0), (18, 40.0), (22, 40.0)], 100.0, [10, 18], id="two-per-page"),
        pytest.param([(10, 150.0), (21, 150.0)], 100.0, [10, 21], id="taller-than-a-page-each-alone"),
    ],
)
def test_page_breaks_keep_charts_whole(charts, capacity, expected) -> None:
    assert page_breaks(charts, capacity, row_points=10.0) == expected


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        pytest.param("", 10, 1, id="empty-is-one-line"),
        pytest.param("Short", 10, 1, id="fits"),
        pytest.param("one two three four", 10, 2, id="wraps-at-words"),
        pytest.param("first\nsecond", 40, 2, id="line-breaks-count"),
        pytest.param("a" * 25, 10, 3, id="long-word-breaks"),
        pytest.param("word " * 40, 45, 4, id="paragraph"),
    ],
)
def test_text_lines(text: str, width: float, lines: int) -> None:
    assert text_lines(text, width) == lines


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param([("short", 20)], None, id="one-line-keeps-default"),
        pytest.param([(None, 5), (12, 5)], None, id="numbers-and-blanks"),
        pytest.param([("one two three four", 10)], 2 * 12.75 + 3, id="two-lines"),
        pytest.param([("x " * 5000, 10)], 409.0, id="capped-at-excel-maximum"),
    ],
)
def test_row_height(cells, expected) -> None:
    assert row_height(cells) == expected


def test_wrapped_rows_are_tall_enough_for_their_text() -> None:
    long = "Delayed by staff vacancies; recruitment under way. " * 4
    pack = _pack(actions=(replace(ACTIONS[0], commentary=long),))
    ws = _open(build_pack(pack))["Action plan"]
    assert ws.row_dimensions[HEADER_ROW + 1].height >= 3 * 12.75


@pytest.mark.parametrize(
    ("numbers", "measure", "expected"),
    [
        pytest.param([0.145, 0.17, 0.28, 0.40], "percentage", (0.0, 0.5), id="band-in-view"),
        pytest.param([0.0, 0.0], "percentage", (0.0, 1.0), id="all-zero-percent-is-0-to-100"),
        pytest.param([0.95], "percentage", (0.0, 1.0), id="never-past-100"),
        pytest.param([], "count", (0.0, 10.0), id="nothing-to-plot"),
        pytest.param([None, 304, 813], "count", (0.0, 1000.0), id="counts-round-up"),
        pytest.param([7, 9], "count", (0.0, 10.0), id="small-counts"),
        pytest.param([3.4], "rate_per_1000", (0.0, 5.0), id="rate"),
    ],
)
def test_axis_bounds(numbers, measure, expected) -> None:
    assert axis_bounds(numbers, measure) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("measure", "value", "stored", "num_format"),
    [
        pytest.param("percentage", 39.6, 0.396, "0.0%", id="percent-as-fraction"),
        pytest.param("count", 1234, 1234, "#,##0", id="count"),
        pytest.param("count", 2.5, 2.5, "#,##0.0", id="count-not-whole"),
        pytest.param("rate_per_1000", 3.4, 3.4, "0.0", id="rate"),
        pytest.param("money", 1200, 1200, "£#,##0", id="money"),
        pytest.param("", 39.6, 39.6, "General", id="unknown-measure-unformatted"),
    ],
)
def test_indicator_numbers_carry_their_number_format(make_pack, measure, value, stored, num_format) -> None:
    indicator = replace(INDICATORS[3], measure=measure, values=(1, 2, 3, value), target=value,
                        target_text="At least that")
    ws = _open(build_pack(make_pack(indicators=(indicator,))))["Indicators"]
    headers = [c.value for c in ws[HEADER_ROW]]
    row = next(r for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[0].value == "VAWG-04")
    for header in ("2019/20 Q2", "Target"):
        cell = row[headers.index(header)]
        assert cell.value == pytest.approx(stored) and cell.data_type == "n"
        assert cell.number_format == num_format
    assert row[headers.index("Target wording")].value == "At least that"


def test_quarters_no_indicator_reported_are_left_out(make_pack) -> None:
    indicators = tuple(replace(i, values=(None, *i.values[1:])) for i in INDICATORS)
    ws = _open(build_pack(make_pack(indicators=indicators)))["Indicators"]
    assert QUARTERS[0] not in [c.value for c in ws[HEADER_ROW]]


def test_a_band_is_charted_with_both_edges_on_an_axis_that_shows_it(make_pack) -> None:
    band = replace(INDICATORS[3], measure="percentage", values=(14.5, 15.0, 16.0, 17.0), targets=(None,) * 4,
                   target="28.0% to 40.0%", bands=((28.0, 40.0),) * 4)
    content = build_pack(make_pack(indicators=(band,)))
    (chart,) = _charts_on(content, "Indicator charts")
    assert chart.count("<c:ser>") == 4
    assert '<c:max val="0.5"/>' in chart and '<c:min val="0.0"/>' in chart
    assert 'formatCode="0%"' in chart
    ws = _open(content)["Indicator charts"]
    series = [r[2] for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0] == "VAWG-04"]
    assert series == ["Value", "Target", "Band minimum", "Band maximum"]


def test_footer_is_short_enough_to_print_whole() -> None:
    ws = _book()["Action plan"]
    for part in (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text):
        assert len(part) <= 40, part
    assert "2019/20 Q2" in ws.oddFooter.left.text


@pytest.mark.parametrize(
    ("sheet", "column", "min_width"),
    [
        ("Action plan", "K", 25),
        ("Action plan", "L", 25),
        ("Indicators", "B", 25),
        ("Cover", "B", 60),
    ],
)
def test_long_text_columns_are_wide_and_wrapped(sheet: str, column: str, min_width: float) -> None:
    ws = _book()[sheet]
    index = column_index_from_string(column)
    # openpyxl keeps adjacent columns of equal width as one dimension spanning min..max.
    (dimension,) = [d for d in ws.column_dimensions.values() if d.min <= index <= d.max]
    assert dimension.width >= min_width
    filled = [c for c in ws[column][HEADER_ROW:] if c.value is not None]
    assert filled and all(c.alignment.wrap_text for c in filled)


# --- hostile text ------------------------------------------------------------------------------


@pytest.mark.parametrize(("audience", "year_end"), [("partnership", True), ("published", False)])
def test_no_formulas_or_hyperlinks_anywhere(audience: str, year_end: bool) -> None:
    content = _built(audience, year_end)
    for ws in _open(content):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}"
                assert not (isinstance(cell.value, str) and cell.value.startswith("=")), (
                    f"{ws.title}!{cell.coordinate}"
                )
                assert cell.hyperlink is None, f"{ws.title}!{cell.coordinate}"
    for name, xml in _sheet_xml(content).items():
        assert "<f>" not in xml and "<f " not in xml, name
        assert "<hyperlink" not in xml, name


@pytest.mark.parametrize(
    ("sheet", "code", "raw"),
    [("Action plan", code, raw) for code, raw in HOSTILE.items()]
    # Only red and amber actions reach Exceptions.
    + [("Exceptions", code, HOSTILE[code]) for code in ("A2", "B1", "B3", "C1")],
)
def test_hostile_commentary_round_trips_as_inert_text(sheet: str, code: str, raw: str) -> None:
    cell = _row(_book()[sheet], code)["Commentary"]
    # A carriage return is stored escaped (_x000D_) in the XML, and openpyxl leaves it escaped.
    assert unescape(cell) == safe_text(raw)
    assert unescape(cell).startswith("'") == raw.startswith(("=", "+", "-", "@", "\t", "\r"))


# --- charts and sparklines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        pytest.param("Summary", 1, id="summary-stacked-chart"),
        pytest.param("Indicator charts", len(INDICATORS), id="one-per-indicator"),
        pytest.param(YEAR_END_SHEET, 1, id="year-end-rag-by-quarter"),
        pytest.param("Action plan", 0, id="none-on-tables"),
    ],
)
def test_native_charts_per_sheet(sheet: str, expected: int) -> None:
    assert len(_charts_on(_built("partnership", True), sheet)) == expected


def test_chart_parts_in_the_package() -> None:
    with zipfile.ZipFile(BytesIO(_built("published", False))) as archive:
        charts = [n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 1 + len(INDICATORS)


def test_summary_chart_is_stacked_by_status() -> None:
    (chart,) = _charts_on(_built("partnership", False), "Summary")
    assert '<c:grouping val="stacked"/>' in chart
    assert chart.count("<c:ser>") == len(STATUS_LABELS)
    assert "Summary!$A$5:$A$8" in chart  # objectives A-D only; the overall row is not a bar


def test_indicator_charts_plot_value_and_target_with_gaps() -> None:
    charts = _charts_on(_built("partnership", False), "Indicator charts")
    for chart in charts:
        assert "<c:lineChart>" in chart
        assert chart.count("<c:ser>") == 2
        # XlsxWriter omits dispBlanksAs for "gap" (Excel's default); zero or span would hide the suppression.
        assert re.search(r'dispBlanksAs val="(zero|span)"', chart) is None
        assert "'Indicator charts'!" in chart


@pytest.mark.parametrize(
    ("code", "quarter"),
    [("VAWG-02", "2019/20 Q2"), ("VAWG-03", "2018/19 Q4"), ("VAWG-04", "2019/20 Q1")],
)
def test_suppressed_values_are_gaps_not_zeros_in_chart_figures(code: str, quarter: str) -> None:
    ws = _book()["Indicator charts"]
    headers = [c.value for c in ws[HEADER_ROW]]
    value_row = next(
        r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0] == code and r[2] == "Value"
    )
    assert value_row[headers.index(quarter)] is None


def test_each_indicator_has_a_sparkline_that_leaves_gaps() -> None:
    xml = _sheet_xml(_built("partnership", False))["Indicators"]
    assert "x14:sparklineGroup" in xml
    assert xml.count("<x14:sparkline>") == len(INDICATORS)
    assert 'displayEmptyCellsAs="gap"' in xml


# --- audience: marking and disclosure ----------------------------------------------------------


@pytest.mark.parametrize("sheet", ("Cover", *DATA_SHEETS))
def test_partnership_marking_on_every_sheet_and_printed_page(sheet: str) -> None:
    ws = _book("partnership", True)[sheet]
    assert ws["A1"].value == MARKING
    assert MARKING in ws.oddHeader.center.text


@pytest.mark.parametrize("sheet", ("Cover", *SHEET_NAMES[1:]))
def test_published_pack_carries_no_marking(sheet: str) -> None:
    ws = _book("published", False)[sheet]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any("OFFICIAL" in t for t in texts)
    assert not (ws.oddHeader.center.text or "")


@pytest.mark.parametrize(
    ("audience", "label", "expected"),
    [
        ("published", "Disclosure control", DISCLOSURE),
        ("published", "Suppressed values", "5 values suppressed (3 primary, 2 secondary)"),
        ("published", "Audience", "Published"),
        ("partnership", "Disclosure control", None),
        ("partnership", "Suppressed values", "0 values suppressed (0 primary, 0 secondary)"),
        ("partnership", "Quarter status", "Locked on 3 Nov 2019"),
        ("partnership", "Generated at", "23 Nov 2026 14:05 UTC"),
        ("partnership", "Quarter", "2019/20 Q2"),
    ],
)
def test_cover_details(audience: str, label: str, expected: str | None) -> None:
    ws = _book(audience, False)["Cover"]
    details = {row[0]: row[1] for row in ws.iter_rows(min_row=1, max_col=2, values_only=True) if row[0]}
    assert details.get(label) == expected


@pytest.mark.parametrize(
    ("label", "fill"),
    [
        ("Complete", "1D70B8"),
        ("Green", "00703C"),
        ("Amber", "FFBF47"),
        ("Red", "D4351C"),
        ("No update", "B1B4B6"),
    ],
)
def test_cover_key_shows_each_status_as_text_and_colour(label: str, fill: str) -> None:
    ws = _book()["Cover"]
    cell = next(c for row in ws.iter_rows(max_col=1) for c in row if c.value == label)
    assert cell.fill.fgColor.rgb.endswith(fill)


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("title", "Violence Against Women and Girls Strategy 2018-2021: HCSP board pack, 2019/20 Q2"),
        ("subject", "2019/20 Q2"),
        ("description", "Generated 23 Nov 2026 14:05 UTC"),
    ],
)
def test_document_properties(prop: str, expected: str) -> None:
    assert getattr(_book().properties, prop) == expected


@pytest.mark.parametrize("audience", ["partnership", "published"])
def test_audience_custom_property(audience: str) -> None:
    custom = {p.name: p.value for p in _book(audience, False).custom_doc_props.props}
    assert custom["Audience"] == audience


# --- LibreOffice -------------------------------------------------------------------------------


def test_libreoffice_converts_the_pack_to_pdf(tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice (libreoffice or soffice) is not on PATH")
    source = tmp_path / "pack.xlsx"
    source.write_bytes(_built("partnership", True))
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    pdf = tmp_path / "out" / "pack.pdf"
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert pdf.exists(), result.stdout.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_quarter_columns_follow_time_from_the_quarters_given() -> None:
    # Quarters arrive as Quarter objects, not labels to parse: a year's Q4 (January-March of the next
    # calendar year) still sorts after its Q3, and an indicator starting earlier adds its columns first.
    later = replace(INDICATORS[0], quarters=(Quarter(2019, 2), Quarter(2018, 4)), values=(5, 9))
    earlier = replace(INDICATORS[1], quarters=(Quarter(2018, 2),), values=(7,))
    ws = _open(build_pack(_pack("partnership", indicators=(later, earlier))))["Indicators"]
    assert [h for h in _headers(ws) if " Q" in h] == ["2018/19 Q2", "2018/19 Q4", "2019/20 Q2"]
    assert _row(ws, later.code)["2018/19 Q4"] == 9 and _row(ws, later.code)["2019/20 Q2"] == 5
