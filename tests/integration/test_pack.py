"""The board's Excel pack built through the app: sheets, values, marking, audit, safety, CLI, access."""

import io
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.extensions import db
from app.permissions import ALL_ROLES, STAFF
from app.reports import service
from app.reports.service import MARKING
from app.strategy.quarters import Quarter
from tests.helpers import PEOPLE, holds
from tests.integration.report_helpers import Q4_2018, load_demo_data

Q3 = Quarter(2018, 3)
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]


@pytest.fixture
def demo(app):
    load_demo_data()


def _book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def _exports() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "export"))


def test_published_pack_sheets_and_sample_values(demo, login):
    response = login("viewer").get(f"/reports/{Q3.slug}/pack.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = _book(response.data)
    assert book.sheetnames == ["Cover", "Summary", "Action plan", "Exceptions", "Indicators",
                               "Indicator charts", "Comparisons", "Returns"]
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    assert cover["Disclosure control"] == ("Counts of 1 to 4 are shown as <5, and further values are "
                                           "suppressed where needed to protect them")
    assert cover["Suppressed values"].endswith("secondary)")
    assert cover["Audience"] == "Published"
    assert all(ws["A1"].value is None for ws in book.worksheets)  # no marking on the published pack
    board = actions_service.dashboard(Q3)
    summary = book["Summary"]
    all_row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "All")
    assert all_row[2:7] == tuple(board.counts[s] for s in (Status.COMPLETE, Status.GREEN, Status.AMBER,
                                                           Status.RED, Status.NO_UPDATE))
    codes = [r[0] for r in book["Action plan"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert codes == [r.action.code for r in board.rows]
    assert book["Indicator charts"]._charts and book["Summary"]._charts


def test_partnership_pack_is_marked_on_every_sheet_and_audited(demo, login):
    before = _exports()
    response = login("coordinator").get(f"/reports/{Q3.slug}/pack.xlsx?audience=partnership")
    assert response.status_code == 200
    book = _book(response.data)
    for ws in book.worksheets:
        assert ws["A1"].value == MARKING, ws.title
        assert MARKING in (ws.oddHeader.center.text or ""), ws.title
    db.session.expire_all()
    assert _exports() == before + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "export"))
    assert event.new == {"quarter": Q3.slug, "audience": "partnership"}


@pytest.mark.parametrize("role", [role.value for role in ALL_ROLES])
def test_who_may_download_which_pack(demo, login, role):
    published, partnership = 200, (200 if holds(role, STAFF) else 403)  # can_export_partnership
    client = login(role)
    before = _exports()
    assert client.get(f"/reports/{Q3.slug}/pack.xlsx?audience=published").status_code == published
    assert client.get(f"/reports/{Q3.slug}/pack.xlsx?audience=partnership").status_code == partnership
    db.session.expire_all()
    assert _exports() == before + (1 if partnership == 200 else 0)


ROUTES = ["/reports", f"/reports/{Q3.slug}", f"/reports/{Q3.slug}?audience=published",
          f"/reports/{Q3.slug}/indicators.json", f"/reports/{Q3.slug}/charts/DV04.svg",
          f"/reports/{Q3.slug}/pack.xlsx", f"/reports/{Q3.slug}/pack.xlsx?audience=partnership"]


@pytest.mark.parametrize("role", PEOPLE)
def test_permission_matrix(demo, app, login, make_user, agency_named, role):
    if role == "anonymous":
        client = app.test_client()
    elif role == "other_lead":
        client = login("lead", agency=agency_named("Metropolitan Police Service"))
    else:
        client = login(role)
    for url in ROUTES:
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
        elif url.endswith("audience=partnership") and not holds(role, STAFF):
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302, 308), (url, response.status_code)  # 308: indicators.json → API


def test_hostile_commentary_never_becomes_a_formula(demo, make_user, agency_named):
    quarter = Quarter(2019, 4)  # after the demo's current quarter: nothing is filed there yet
    for text, action in zip(HOSTILE, actions_service.actions_for(quarter), strict=False):
        agency = action.lead_agencies[0]
        lead = make_user("lead", agency=agency)
        actions_service.save_update(lead, action, agency, quarter, version=0, status=Status.RED,
                                    commentary=text, mitigation=text, sub_statuses={}, submit=True)
    db.session.commit()
    content = service.build(quarter, "published")
    book = openpyxl.load_workbook(io.BytesIO(content))
    texts = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value}"
                assert cell.hyperlink is None
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    joined = "\n".join(texts)
    for text in HOSTILE:
        assert text.strip() in joined
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode(), name


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice absent")
def test_libreoffice_converts_the_app_built_pack(demo, tmp_path):
    path = tmp_path / "pack.xlsx"
    path.write_bytes(service.build(Q4_2018, "published"))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(path)], check=True, timeout=180, capture_output=True)
    assert (tmp_path / "pack.pdf").stat().st_size > 1000


def test_export_pack_command_writes_a_valid_pack(demo, app, tmp_path):
    output = tmp_path / "pack.xlsx"
    result = app.test_cli_runner().invoke(args=["export-pack", "--quarter", "2018-19-Q3", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Wrote the published pack for 2018/19 Q3" in result.output and " s." in result.output
    assert _book(output.read_bytes()).sheetnames[0] == "Cover"


def test_export_pack_partnership_from_the_command_line_is_audited(demo, app, tmp_path):
    output = tmp_path / "pack.xlsx"
    result = app.test_cli_runner().invoke(args=["export-pack", "--quarter", "2018-19-Q3", "--output", str(output),
                                                "--audience", "partnership"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "export"))
    assert event.actor == "command line"
    assert _book(output.read_bytes())["Cover"]["A1"].value == MARKING


@pytest.mark.parametrize(("quarter", "message"), [
    ("2030-31-Q2", "outside the strategy"), ("2019-20-Q7", "Enter a quarter"), ("soon", "Enter a quarter like"),
])
def test_export_pack_refuses_a_bad_quarter(app, tmp_path, quarter, message):
    output = tmp_path / "pack.xlsx"
    result = app.test_cli_runner().invoke(args=["export-pack", "--quarter", quarter, "--output", str(output)])
    assert result.exit_code == 2
    assert message in result.output
    assert not output.exists()
