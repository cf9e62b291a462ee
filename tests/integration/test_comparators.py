"""Comparison with other boroughs (issue 13, section 3): seeded JSNA ranks, the CSV import and its refusals."""

import io
from base64 import b64encode
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.comparators.models import ComparatorRank, ComparatorValue
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis.seed import read_indicators
from app.public import service as public_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import audit_count

# The source documents sit in ../shared/seeds beside the repository, as CI checks it out.
SOURCES = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
HEADER = "indicator,group,area,period,value,numerator,denominator,source,published\n"


def _rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


GOOD = _rows(*[f"DV05,London boroughs,{area},2018/19,{value},,,MOPAC dashboard,2019-07-31"
               for area, value in [("Havering", 30), ("Barking and Dagenham", 25), ("Bexley", 35),
                                   ("Bromley", 40), ("Redbridge", 20)]])


def _count(model) -> int:
    db.session.rollback()  # read what the requests committed, not this session's old snapshot
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_jsna_ranks_are_seeded_and_cited_to_their_lines(app):
    assert _count(ComparatorRank) == 5
    if not SOURCES.is_dir():
        pytest.skip(f"the source documents are not at {SOURCES}")
    for entry in read_indicators():
        for c in entry.get("comparisons") or []:
            lines = (SOURCES / c["source"]).read_text(encoding="utf-8").splitlines()
            window = " ".join(" ".join(lines[c["line"] - 1:c["line"] + 3]).split())
            start = " ".join(c["passage"].split())[:40]
            assert start in window, f"{entry['code']}: {start!r} is not at line {c['line']}"


@pytest.mark.parametrize(("code", "shown"), [
    ("DV01", ["8th lowest of 32", "9th lowest of 32", "monitored, not rated"]),
    ("DV02", ["8th lowest of 32"]),
    ("DV05", ["16th best of 32", "Second quartile", "the JSNA, line 237"]),
])
def test_the_indicator_page_shows_havering_s_position(login, code, shown):
    body = login("viewer").get(f"/indicators/{code}").get_data(as_text=True)
    assert "Compared with other boroughs" in body
    for text in shown:
        assert text in body


def _upload(client, text: str, filename: str = "boroughs.csv"):
    token = csrf_token(client, "/indicators/comparators/import")
    return client.post("/indicators/comparators/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(text.encode()), filename)})


def _confirm(client, text: str, filename: str = "boroughs.csv"):
    token = csrf_token(client, "/indicators/comparators/import")
    return client.post("/indicators/comparators/import/confirm",
                       data={"csrf_token": token, "content": b64encode(text.encode()).decode(), "filename": filename})


def test_import_previews_then_saves_all_and_audits_each(login):
    client = login("coordinator")
    before = audit_count()
    preview = _upload(client, GOOD)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Check the comparator figures" in body and body.count(">New<") == 5
    assert _count(ComparatorValue) == 0  # nothing saved yet
    response = _confirm(client, GOOD)
    assert response.status_code == 302
    assert _count(ComparatorValue) == 5
    assert audit_count() == before + 5
    page = client.get("/indicators/DV05").get_data(as_text=True)
    assert "3rd best of 5" in page and "London boroughs average" in page and "30.0" in page
    changed = GOOD.replace("Havering,2018/19,30", "Havering,2018/19,45")
    body = _upload(client, changed).get_data(as_text=True)
    assert "Changed from 30" in body and body.count(">Unchanged<") == 4
    _confirm(client, changed)
    assert "1st best of 5" in client.get("/indicators/DV05").get_data(as_text=True)
    assert audit_count() == before + 6


REFUSALS = [
    (_rows("XX99,London boroughs,Havering,2018/19,3,,,S,2019-07-31"), "XX99 is not an indicator in the catalogue"),
    (_rows("DV05,,Havering,2018/19,3,,,S,2019-07-31"), "Enter the group"),
    (_rows("DV05,London boroughs,Havering,2018/19,abc,,,S,2019-07-31"), "Enter the value as a number"),
    (_rows("DV05,London boroughs,Havering,2018/19,130,,,S,2019-07-31"), "A percentage must be from 0 to 100"),
    (_rows("DV05,London boroughs,Havering,2018/19,3,4,5,S,2019-07-31"), "not both"),
    (_rows("DV05,London boroughs,Havering,2018/19,,6,5,S,2019-07-31"), "cannot be more than the denominator"),
    (_rows("DV05,London boroughs,Havering,2018/19,,1,0,S,2019-07-31"), "denominator as a whole number above 0"),
    (_rows("DV05,London boroughs,Havering,2018/19,3,,,S,31/07/2019"), "publication date as YYYY-MM-DD"),
    (_rows("DV05,London boroughs,Havering,2018/19,3,,,S,2999-01-01"), "cannot be in the future"),
    (_rows("DV05,London boroughs,Havering,2018/19,3,,,S,2019-07-31",
           "DV05,London boroughs,Havering,2018/19,4,,,S,2019-07-31"), "Row 2 already gives Havering"),
    ("indicator,area\nDV05,Havering\n", "to the header row"),
    ("", "The file is empty"),
]


@pytest.mark.parametrize(("text", "message"), REFUSALS)
def test_a_file_with_a_bad_row_saves_nothing_and_names_the_row(login, text, message):
    client = login("coordinator")
    # one good row beside the bad one: all or nothing
    text = text if not text.startswith(HEADER) else text + "DV05,London boroughs,Bexley,2018/19,35,,,S,2019-07-31\n"
    before = audit_count()
    body = _upload(client, text).get_data(as_text=True)
    assert message in body and "nothing was saved" in body and "Import these figures" not in body
    assert _confirm(client, text).status_code in (302, 409)  # a hand-made confirmation is checked again
    assert _count(ComparatorValue) == 0
    assert audit_count() == before


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe\x00bad", "The file must be a CSV saved as UTF-8 text"),
    (b"x" * (1024 * 1024 + 1), "The file must be 1 MB or smaller"),
])
def test_a_file_that_is_not_a_small_utf8_csv_is_refused(login, data, message):
    client = login("coordinator")
    token = csrf_token(client, "/indicators/comparators/import")
    response = client.post("/indicators/comparators/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(data), "x.csv")})
    assert response.status_code == 200 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["lead", "viewer", "admin"])
def test_only_the_coordinator_imports(login, role):
    client = login(role)
    assert client.get("/indicators/comparators/import").status_code == 403


def test_the_report_and_the_public_page_show_the_comparisons(login, make_user):
    quarter = Quarter(2019, 1)
    coordinator = make_user("coordinator")
    client = login(user=coordinator)
    _confirm(client, _rows(*[f"DV01,London boroughs,{area},2018/19,{value},,,Met figures,2019-07-31"
                             for area, value in [("Havering", 3), ("Bexley", 40), ("Bromley", 50)]]))
    body = client.get(f"/reports/{quarter.slug}").get_data(as_text=True)
    assert 'id="comparison-table"' in body and "16th best of 32" in body
    assert "1st lowest of 3" in body and "31.0 (Havering 3)" in body  # the partnership sees the figures
    published = client.get(f"/reports/{quarter.slug}?audience=published").get_data(as_text=True)
    assert "1st lowest of 3" in published and "Not shown (counts of people)" in published
    assert "Havering 3)" not in published
    period = calendar.period_to_write(quarter)
    cycle_service.lock(coordinator, quarter, version=period.version, reason="For the test")
    public_service.set_publication(coordinator, quarter, version=0, published=True, summary="", locked=True)
    db.session.commit()
    public = client.application.test_client().get(f"/public/{quarter.slug}").get_data(as_text=True)
    assert "16th best of 32" in public and "Not shown (counts of people)" in public and "Havering 3)" not in public


@pytest.mark.parametrize(("audience", "figures_shown"), [("partnership", True), ("published", False)])
def test_the_pack_has_a_comparisons_sheet_that_hides_counts_when_published(login, audience, figures_shown):
    client = login("coordinator")
    _confirm(client, _rows(*[f"DV01,London boroughs,{area},2018/19,{value},,,Met figures,2019-07-31"
                             for area, value in [("Havering", 3), ("Bexley", 40), ("Bromley", 50)]]))
    content = client.get(f"/reports/{Quarter(2019, 1).slug}/pack.xlsx?audience={audience}").data
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Comparisons"]
    header = [cell.value for cell in sheet[4]]
    assert header == ["Code", "Indicator", "Compared", "Havering's position", "Quartile", "Group average",
                      "Havering", "Figures", "Source"]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]]
    imported = next(r for r in rows if r["Code"] == "DV01" and r["Havering's position"] == "1st lowest of 3")
    if figures_shown:
        assert (imported["Group average"], imported["Havering"], imported["Figures"]) == (31.0, 3, None)
    else:
        assert (imported["Group average"], imported["Havering"]) == (None, None)
        assert imported["Figures"] == "Not shown (counts of people)"
    # The JSNA's stated ranks are seeded and cited, with no figures to show in either audience.
    stated = next(r for r in rows if r["Havering's position"] == "16th best of 32")
    assert stated["Figures"] == "Not published by the source" and "JSNA" in stated["Source"]
