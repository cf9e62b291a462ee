"""Spreadsheet returns (issue 12 sections 1 and 2): the return workbook out and back in, values in bulk.

Every refusal is shown with its message and proves that nothing changed: no update, no value, no audit event.
"""

import io
import random
import zipfile

import pytest
from sqlalchemy import func, select

from app.actions import service as actions_service
from app.actions.models import Update
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.models import IndicatorValue
from app.returns_io import template as layout
from app.returns_io.upload_file import OLE_MAGIC, SIZE_LIMIT
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token
from tests.helpers import action, audit_count, zip_of
from tests.returns_helpers import fill, row_of, token_on

Q = Quarter(2019, 1)
FILLED = {"A2": {"status": "Amber", "commentary": "Fewer officers trained than planned",
                 "mitigation": "Two more sessions booked for May"}}
VALUES = {"DV01": {"value": 301}, "DV04": {"numerator": 70, "denominator": 100, "note": "From the crime system"}}


def page_url(agency, quarter=Q) -> str:
    return f"/returns/{agency.id}/{quarter.slug}"


def download(client, agency, quarter=Q) -> bytes:
    response = client.get(page_url(agency, quarter) + "/workbook.xlsx")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response.data


def upload(client, agency, data: bytes, quarter=Q, choice="submit", filename="police-return.xlsx"):
    token = csrf_token(client, page_url(agency, quarter))
    return client.post(page_url(agency, quarter), content_type="multipart/form-data",
                       data={"csrf_token": token, "choice": choice, "file": (io.BytesIO(data), filename)})


def confirm(client, url: str, preview) -> object:
    token = token_on(preview.get_data(as_text=True))
    assert token, preview.get_data(as_text=True)[:3000]
    return client.post(url, data={"csrf_token": csrf_token(client, "/dashboard"), "token": token})


def saved_update(agency, code="A2", quarter=Q) -> Update | None:
    db.session.expire_all()
    return actions_service.find_update(action(code), agency.id, quarter)


def saved_value(code="DV01", quarter=Q) -> IndicatorValue | None:
    db.session.expire_all()
    return kpis_service.find_value(kpis_service.indicator_by_code(code), quarter)


def nothing_saved(before: int, agency) -> bool:
    return audit_count() == before and saved_update(agency) is None and saved_value() is None


# --- the round trip ---------------------------------------------------------------------------------


def test_round_trip_download_fill_preview_confirm(police_lead, police):
    data = fill(download(police_lead, police), FILLED | {"A5": {"status": "Green", "commentary": "On track"}}, VALUES,
                subs={("A5", 1): "Green"})
    before = audit_count()
    preview = upload(police_lead, police, data)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Check the upload before saving" in body and "4 new" in body
    assert "Amber" in body and "(none) → Two more sessions booked for May" in body
    assert "Sub-action 1:</strong> (none) → Green" in body
    assert nothing_saved(before, police)  # the preview saves nothing

    done = confirm(police_lead, page_url(police) + "/confirm", preview)
    assert done.status_code == 302
    upd = saved_update(police)
    assert (upd.status, upd.state, upd.mitigation) == ("amber", "submitted", "Two more sessions booked for May")
    assert [s.status for s in saved_update(police, "A5").sub_statuses] == ["green"]
    assert saved_value().value == 301
    rate = saved_value("DV04")
    assert (rate.numerator, rate.denominator, rate.value, rate.note) == (70, 100, 70.0, "From the crime system")
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > 0).order_by(AuditEvent.id.desc())
                                     .limit(4)))
    source = f"uploaded by {police_lead.user.name} for Metropolitan Police Service from file police-return.xlsx"
    assert len(events) == 4 and all(source in e.summary for e in events)
    assert {e.actor for e in events} == {police_lead.user.email}
    page = police_lead.get(page_url(police), follow_redirects=True).get_data(as_text=True)
    assert "4 rows from police-return.xlsx saved for Metropolitan Police Service" in page


def test_drafts_choice_saves_drafts(police_lead, police):
    preview = upload(police_lead, police, fill(download(police_lead, police), FILLED), choice="draft")
    assert "saved as drafts" in preview.get_data(as_text=True)
    assert confirm(police_lead, page_url(police) + "/confirm", preview).status_code == 302
    assert saved_update(police).state == "draft"


def test_the_workbook_is_prefilled_and_an_unchanged_upload_saves_nothing(police_lead, police):
    confirm(police_lead, page_url(police) + "/confirm",
            upload(police_lead, police, fill(download(police_lead, police), FILLED, VALUES)))
    again = download(police_lead, police)
    before = audit_count()
    preview = upload(police_lead, police, again)
    body = preview.get_data(as_text=True)
    assert "0 new, 0 changed, 3 unchanged" in body and "nothing to save" in body
    assert token_on(body) is None and audit_count() == before


def test_last_quarter_is_shown_read_only(police_lead, police, make_user):
    from openpyxl import load_workbook

    actions_service.save_update(police_lead.user, action("A2"), police, Q.previous(), version=0, status=Status.GREEN,
                                commentary="Last quarter's words", mitigation="", sub_statuses={}, submit=True)
    kpis_service.save_value(police_lead.user, kpis_service.indicator_by_code("DV01"), Q.previous(), version=0,
                            value=280, numerator=None, denominator=None, note="", provisional=False)
    db.session.commit()
    data = download(police_lead, police)
    book = load_workbook(io.BytesIO(data))
    row = row_of(data, layout.ACTIONS_SHEET, "A2")
    sheet = book[layout.ACTIONS_SHEET]
    assert sheet.cell(row, layout.A_LAST_STATUS + 1).value == "Green"
    assert sheet.cell(row, layout.A_LAST_COMMENT + 1).value == "Last quarter's words"
    assert sheet.cell(row, layout.A_LAST_COMMENT + 1).protection.locked
    ind = book[layout.INDICATORS_SHEET]
    assert ind.cell(row_of(data, layout.INDICATORS_SHEET, "DV01"), layout.I_LAST + 1).value == "280"


def test_confirming_the_same_preview_twice_writes_once(police_lead, police, make_user):
    preview = upload(police_lead, police, fill(download(police_lead, police), FILLED))
    assert confirm(police_lead, page_url(police) + "/confirm", preview).status_code == 302
    before = audit_count()
    again = confirm(police_lead, page_url(police) + "/confirm", preview)  # what it holds is now saved: nothing to do
    assert again.status_code == 302 and audit_count() == before
    actions_service.save_update(make_user("lead", police), action("A2"), police, Q, version=1, status=Status.GREEN,
                                commentary="Changed in the app", mitigation="", sub_statuses={}, submit=True)
    db.session.commit()
    before = audit_count()
    third = confirm(police_lead, page_url(police) + "/confirm", preview)  # now it would overwrite a newer update
    assert "A2 was changed in the app after this workbook was downloaded" in third.get_data(as_text=True)
    assert audit_count() == before and saved_update(police).commentary == "Changed in the app"


# --- refusals ------------------------------------------------------------------------------------------


def _macro(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return zip_of({**{n: source.read(n) for n in source.namelist()}, "xl/vbaProject.bin": b"\x00macro"})


FILE_REFUSALS = [
    ("not an xlsx", lambda d: b"code,value\nA2,Green\n", "police.xlsx", "The file is not an Excel workbook (.xlsx)"),
    ("a CSV by name", lambda d: d, "police.csv", "The file must be an Excel workbook (.xlsx)"),
    ("macro-enabled by name", lambda d: d, "police.xlsm", "The file is a macro-enabled workbook"),
    ("macros inside", _macro, "police.xlsx", "The file contains macros"),
    ("encrypted", lambda d: OLE_MAGIC + d, "police.xlsx", "The file is password-protected (encrypted)"),
    ("over the size limit", lambda d: d + b"\x00" * (SIZE_LIMIT + 1 - len(d)), "police.xlsx",
     "The file must be smaller than 5 MB"),
    ("a zip bomb", lambda d: zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"0" * (51 * 1024 * 1024)}),
     "police.xlsx", "The file is too large once unpacked"),
    ("truncated", lambda d: d[: len(d) // 2], "police.xlsx", "not an Excel workbook"),
    ("a formula", lambda d: fill(d, FILLED, {"DV01": {"value": "=300+1"}}), "police.xlsx",
     "column F (Value this quarter): The cell holds a formula: type the figure or the text itself"),
    ("tampered details", lambda d: fill(d, FILLED, cells={(layout.DETAILS_SHEET, layout.DETAILS_TOKEN_CELL): "x"}),
     "police.xlsx", "This is not a return workbook downloaded from this app, or its hidden details were changed"),
]


@pytest.mark.parametrize(("what", "make", "filename", "message"), FILE_REFUSALS, ids=[r[0] for r in FILE_REFUSALS])
def test_refused_files_save_nothing(police_lead, police, what, make, filename, message):
    data = make(fill(download(police_lead, police), FILLED, VALUES))
    before = audit_count()
    response = upload(police_lead, police, data, filename=filename)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body, body[body.find("<main"):][:2000]
    assert "Nothing was saved" in body and token_on(body) is None
    assert nothing_saved(before, police)


def test_a_request_over_the_limit_gets_a_page_that_says_so(police_lead, police):
    before = audit_count()
    response = upload(police_lead, police, b"x" * (SIZE_LIMIT + 200 * 1024))
    assert response.status_code == 413
    assert "The file must be smaller than 5 MB" in response.get_data(as_text=True)
    assert nothing_saved(before, police)


def test_a_workbook_of_another_agency_is_refused(login, police, agency_named):
    coordinator = login("coordinator")
    other = agency_named("Victim Support")
    data = fill(download(coordinator, other), {"B2": {"status": "Green", "commentary": "x"}})
    before = audit_count()
    body = upload(coordinator, police, data).get_data(as_text=True)
    assert "This workbook is Victim Support&#39;s, not Metropolitan Police Service&#39;s" in body
    assert audit_count() == before


def test_a_workbook_of_another_quarter_is_refused(police_lead, police):
    data = fill(download(police_lead, police, Quarter(2019, 2)), FILLED)
    before = audit_count()
    body = upload(police_lead, police, data).get_data(as_text=True)
    assert "This workbook is for 2019/20 Q2, not 2019/20 Q1" in body
    assert nothing_saved(before, police)


def test_an_old_template_version_is_refused(police_lead, police, monkeypatch):
    monkeypatch.setattr(layout, "TEMPLATE_VERSION", 0)
    data = fill(download(police_lead, police), FILLED)
    monkeypatch.undo()
    before = audit_count()
    body = upload(police_lead, police, data).get_data(as_text=True)
    assert "This workbook was made with an older template (version 0" in body
    assert nothing_saved(before, police)


ROW_REFUSALS = [
    ("an action the agency does not lead", {"cells": {("Actions", "A40"): "A1", ("Actions", "F40"): "Green",
                                                      ("Actions", "G40"): "Done"}},
     "Actions sheet, row 40, column A (Action code): A1 is not an action Metropolitan Police Service leads"),
    ("an indicator the agency does not own", {"cells": {("Indicators", "A40"): "MA01", ("Indicators", "F40"): 3}},
     "Indicators sheet, row 40, column A (Indicator code): MA01 is not an indicator Metropolitan Police Service owns"),
    ("an unknown status", {"actions": {"A2": {"status": "Purple", "commentary": "x"}}},
     "column F (Status this quarter): “Purple” is not a status: choose Complete, Green, Amber or Red"),
    ("an unknown sub-action status", {"subs": {("A5", 1): "Blue"}}, "“Blue” is not a status"),
    ("Amber without mitigation", {"actions": {"A2": {"status": "Amber", "commentary": "Slipping"}}},
     "column H (Mitigation (required for Amber and Red)): Enter the mitigation"),
    ("Red without mitigation", {"actions": {"A2": {"status": "Red", "commentary": "Blocked"}}}, "Enter the mitigation"),
    ("submitted without commentary", {"actions": {"A2": {"status": "Green"}}},
     "column G (Commentary this quarter): Enter a commentary on progress this quarter"),
    ("a negative count", {"values": {"DV01": {"value": -3}}},
     "column F (Value this quarter): The value must be a whole number, 0 or more, like 12"),
    ("a count that is not a number", {"values": {"DV01": {"value": "lots"}}}, "Enter the value as a number, like 12"),
    ("a numerator over its denominator", {"values": {"DV04": {"numerator": 120, "denominator": 100}}},
     "column G (Numerator): The numerator cannot be more than the denominator"),
    ("a formula in a text cell", {"actions": {"A2": {"status": "Green", "commentary": "=HYPERLINK(\"x\")"}}},
     "column G (Commentary this quarter): The cell holds a formula"),
]


@pytest.mark.parametrize(("what", "changes", "message"), ROW_REFUSALS, ids=[r[0] for r in ROW_REFUSALS])
def test_refused_rows_save_nothing_not_even_the_good_rows(police_lead, police, what, changes, message):
    data = download(police_lead, police)
    good = {"DV02": {"value": 700}}  # a good row beside the bad one: all or nothing
    data = fill(data, changes.get("actions"), good | changes.get("values", {}), subs=changes.get("subs"),
                cells=changes.get("cells"))
    before = audit_count()
    body = upload(police_lead, police, data).get_data(as_text=True)
    import html

    assert message in html.unescape(body), html.unescape(body[body.find("<main"):])[:3000]
    assert token_on(body) is None
    assert nothing_saved(before, police) and saved_value("DV02") is None


def test_a_locked_quarter_is_refused(police_lead, police, make_user):
    data = fill(download(police_lead, police), FILLED)
    coordinator = make_user("coordinator")
    cycle_service.lock(coordinator, Q, version=calendar.period_for(Q).version, reason="Board meets")
    db.session.commit()
    before = audit_count()
    body = upload(police_lead, police, data).get_data(as_text=True)
    assert "2019/20 Q1 is locked: it was signed off, so nothing in it can change" in body
    assert nothing_saved(before, police)


def test_a_quarter_locked_between_preview_and_confirm_is_refused(police_lead, police, make_user):
    preview = upload(police_lead, police, fill(download(police_lead, police), FILLED, VALUES))
    cycle_service.lock(make_user("coordinator"), Q, version=calendar.period_for(Q).version, reason="Board")
    db.session.commit()
    before = audit_count()
    body = confirm(police_lead, page_url(police) + "/confirm", preview).get_data(as_text=True)
    assert "2019/20 Q1 is locked" in body and "Upload not saved" in body
    assert nothing_saved(before, police)


def test_an_update_changed_in_the_app_since_download_is_a_conflict_naming_the_row(police_lead, police, make_user):
    data = fill(download(police_lead, police), FILLED, VALUES)
    colleague = make_user("lead", police, name="Pat Colleague")
    actions_service.save_update(colleague, action("A2"), police, Q, version=0, status=Status.GREEN,
                                commentary="Typed in the app", mitigation="", sub_statuses={}, submit=False)
    db.session.commit()
    before = audit_count()
    body = upload(police_lead, police, data).get_data(as_text=True)
    row = row_of(data, layout.ACTIONS_SHEET, "A2")
    assert (f"Actions sheet, row {row}, column A (Action code): A2 was changed in the app after this workbook "
            "was downloaded by Pat Colleague") in body
    assert token_on(body) is None and audit_count() == before
    assert saved_update(police).commentary == "Typed in the app" and saved_value() is None


def test_a_change_between_preview_and_confirm_refuses_every_row(police_lead, police, make_user):
    preview = upload(police_lead, police, fill(download(police_lead, police), FILLED, VALUES))
    kpis_service.save_value(make_user("lead", police), kpis_service.indicator_by_code("DV01"), Q, version=0,
                            value=5, numerator=None, denominator=None, note="", provisional=False)
    db.session.commit()
    before = audit_count()
    body = confirm(police_lead, page_url(police) + "/confirm", preview).get_data(as_text=True)
    assert "DV01 was changed in the app after this workbook was downloaded" in body
    assert audit_count() == before and saved_update(police) is None and saved_value().value == 5
    assert saved_value("DV04") is None


# --- who may -----------------------------------------------------------------------------------------


def test_a_coordinator_collects_any_agencys_return(login, police):
    coordinator = login("coordinator")
    index = coordinator.get(f"/returns?agency={police.id}&quarter={Q.slug}")
    assert index.status_code == 302 and index.headers["Location"].endswith(page_url(police))
    preview = upload(coordinator, police, fill(download(coordinator, police), FILLED), filename="from-police.xlsx")
    assert confirm(coordinator, page_url(police) + "/confirm", preview).status_code == 302
    upd = saved_update(police)
    assert upd.state == "submitted" and upd.updated_by_id == coordinator.user.id
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert "for Metropolitan Police Service from file from-police.xlsx" in event.summary


@pytest.mark.parametrize("role", ["lead of another agency", "viewer", "admin"])
def test_others_cannot_download_upload_or_confirm(login, police, agency_named, role, make_user):
    owner = login("lead", police)
    preview = upload(owner, police, fill(download(owner, police), FILLED))
    token = token_on(preview.get_data(as_text=True))
    client = (login("lead", agency_named("Victim Support")) if role == "lead of another agency"
              else login(role))
    before = audit_count()
    assert client.get(page_url(police)).status_code == 403
    assert client.get(page_url(police) + "/workbook.xlsx").status_code == 403
    csrf = csrf_token(client, "/dashboard")
    response = client.post(page_url(police), content_type="multipart/form-data",
                           data={"csrf_token": csrf, "choice": "submit",
                                 "file": (io.BytesIO(download(owner, police)), "x.xlsx")})
    assert response.status_code == 403
    assert client.post(page_url(police) + "/confirm", data={"csrf_token": csrf, "token": token}).status_code == 403
    assert nothing_saved(before, police)


def test_a_colleagues_preview_cannot_be_confirmed_by_someone_else(login, police):
    owner = login("lead", police)
    preview = upload(owner, police, fill(download(owner, police), FILLED))
    colleague = login("lead", police)
    before = audit_count()
    body = confirm(colleague, page_url(police) + "/confirm", preview).get_data(as_text=True)
    assert "This preview is not yours or not for this page: upload the file again" in body
    assert nothing_saved(before, police)


def test_a_forged_token_is_refused(police_lead, police):
    before = audit_count()
    forged = {"csrf_token": csrf_token(police_lead, "/dashboard"), "token": "eyJrIjoid29ya2Jvb2sifQ.forged"}
    body = police_lead.post(page_url(police) + "/confirm", data=forged).get_data(as_text=True)
    assert "This preview could not be found: upload the file again" in body
    assert nothing_saved(before, police)


def test_upload_and_confirm_without_a_csrf_token_are_refused(police_lead, police):
    data = fill(download(police_lead, police), FILLED)
    preview = upload(police_lead, police, data)
    before = audit_count()
    response = police_lead.post(page_url(police), content_type="multipart/form-data",
                         data={"choice": "submit", "file": (io.BytesIO(data), "x.xlsx")})
    assert response.status_code == 400
    token = token_on(preview.get_data(as_text=True))
    assert police_lead.post(page_url(police) + "/confirm", data={"token": token}).status_code == 400
    assert nothing_saved(before, police)


def test_the_upload_form_asks_for_a_file_and_a_choice(police_lead, police):
    body = police_lead.post(page_url(police),
                            data={"csrf_token": csrf_token(police_lead, page_url(police))}).get_data(as_text=True)
    assert "Select the workbook to upload" in body
    assert "Select whether to submit the updates or save them as drafts" in body


def test_my_actions_and_my_indicators_link_to_the_workbook(police_lead, police, login):
    assert page_url(police, calendar.current_quarter()) in police_lead.get("/my-actions").get_data(as_text=True)
    assert page_url(police, Q) in police_lead.get(f"/my-indicators?quarter={Q.slug}").get_data(as_text=True)
    assert "/my-indicators/upload" in police_lead.get("/my-indicators").get_data(as_text=True)
    assert "/returns" in login("coordinator").get("/my-actions").get_data(as_text=True)


# --- indicator values in bulk ----------------------------------------------------------------------------

BULK = (b"Indicator code,Quarter,Value,Numerator,Denominator,Note\r\n"
        b"DV01,2018/19 Q1,290,,,\r\nDV01,2018-19-Q2,310,,,\r\nDV01,2018-19-Q3,305,,,Revised\r\n"
        b"DV04,2018-19-Q1,,71,100,\r\n")


def bulk_upload(client, data: bytes, filename="extract.csv"):
    token = csrf_token(client, "/my-indicators/upload")
    return client.post("/my-indicators/upload", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename)})


def test_bulk_values_from_a_csv_for_several_quarters(police_lead, police):
    before = audit_count()
    preview = bulk_upload(police_lead, BULK)
    body = preview.get_data(as_text=True)
    assert "4 new, 0 changed" in body and "DV01: Domestic violence offences recorded by police, 2018/19 Q2" in body
    assert audit_count() == before
    assert confirm(police_lead, "/my-indicators/upload/confirm", preview).status_code == 302
    assert [saved_value("DV01", Quarter(2018, n)).value for n in (1, 2, 3)] == [290, 310, 305]
    assert saved_value("DV01", Quarter(2018, 3)).note == "Revised"
    assert saved_value("DV04", Quarter(2018, 1)).numerator == 71
    assert audit_count() == before + 4
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert "from file extract.csv" in event.summary


def test_bulk_values_from_an_xlsx(police_lead, police):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Indicator code", "Quarter", "Value"])
    book.active.append(["dv01", "2018/19 Q4", 333])
    out = io.BytesIO()
    book.save(out)
    preview = bulk_upload(police_lead, out.getvalue(), "extract.xlsx")
    assert confirm(police_lead, "/my-indicators/upload/confirm", preview).status_code == 302
    assert saved_value("DV01", Quarter(2018, 4)).value == 333


BULK_REFUSALS = [
    ("no headings", b"DV01,2018-19-Q1,3\r\n", "The first row must be the headings: Indicator code, Quarter"),
    ("an indicator of another agency", b"Indicator code,Quarter,Value\r\nMA01,2018-19-Q1,3\r\n",
     "The file, row 2, column A (Indicator code): MA01 is not an indicator Metropolitan Police Service owns"),
    ("a quarter that cannot be read", b"Indicator code,Quarter,Value\r\nDV01,last spring,3\r\n",
     "column B (Quarter): Enter a quarter like 2019-20-Q2"),
    ("a quarter outside the strategy", b"Indicator code,Quarter,Value\r\nDV01,2030-31-Q1,3\r\n",
     "2030/31 Q1 is outside the strategy"),
    ("the same quarter twice", b"Indicator code,Quarter,Value\r\nDV01,2018-19-Q1,3\r\nDV01,2018/19 Q1,4\r\n",
     "DV01 for 2018/19 Q1 appears twice (rows 2 and 3): keep one row"),
    ("a formula", b"Indicator code,Quarter,Value\r\nDV01,2018-19-Q1,=1+2\r\n", "The cell holds a formula"),
    ("a bad value", b"Indicator code,Quarter,Value\r\nDV01,2018-19-Q1,2.5\r\n",
     "column C (Value): The value must be a whole number, 0 or more, like 12"),
    ("a percentage over 100", b"Indicator code,Quarter,Value\r\nDV04,2018-19-Q1,120\r\n",
     "The value must be a percentage from 0 to 100"),
    ("not UTF-8", b"Indicator code,Quarter,Value\r\nDV01,2018-19-Q1,3 \xa3\r\n", "The CSV file is not UTF-8 text"),
    ("another kind of file", b"%PDF-1.4", "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)"),
]


@pytest.mark.parametrize(("what", "data", "message"), BULK_REFUSALS, ids=[r[0] for r in BULK_REFUSALS])
def test_bulk_refusals_save_nothing(police_lead, police, what, data, message):
    before = audit_count()
    body = bulk_upload(police_lead, data + b"DV02,2018-19-Q1,700\r\n" if b"Quarter" in data else data,
                       "extract.pdf" if what == "another kind of file" else "extract.csv").get_data(as_text=True)
    import html

    assert message in html.unescape(body), html.unescape(body[body.find("<main"):])[:2000]
    assert token_on(body) is None and audit_count() == before
    assert saved_value("DV02", Quarter(2018, 1)) is None


def test_bulk_rows_of_a_locked_quarter_are_refused(police_lead, police, make_user):
    q4 = Quarter(2018, 4)
    cycle_service.lock(make_user("coordinator"), q4, version=calendar.period_for(q4).version, reason="Board")
    db.session.commit()
    before = audit_count()
    body = bulk_upload(police_lead, b"Indicator code,Quarter,Value\r\nDV01,2018-19-Q3,3\r\nDV01,2018-19-Q4,4\r\n"
                       ).get_data(as_text=True)
    assert "row 3, column B (Quarter): 2018/19 Q4 is locked" in body
    assert token_on(body) is None and audit_count() == before


def test_bulk_value_changed_between_preview_and_confirm_is_a_conflict(police_lead, police, make_user):
    preview = bulk_upload(police_lead, BULK)
    kpis_service.save_value(make_user("lead", police), kpis_service.indicator_by_code("DV01"), Quarter(2018, 2),
                            version=0, value=1, numerator=None, denominator=None, note="", provisional=False)
    db.session.commit()
    before = audit_count()
    body = confirm(police_lead, "/my-indicators/upload/confirm", preview).get_data(as_text=True)
    assert "DV01 was changed in the app after you previewed this upload" in body
    assert audit_count() == before and saved_value("DV01", Quarter(2018, 1)) is None


def test_bulk_upload_is_refused_to_viewers_and_without_a_csrf_token(login, police_lead):
    viewer = login("viewer")
    token = csrf_token(viewer, "/dashboard")
    assert viewer.get("/my-indicators/upload").status_code == 403
    assert viewer.post("/my-indicators/upload", data={"csrf_token": token}).status_code == 403
    assert viewer.post("/my-indicators/upload/confirm", data={"csrf_token": token}).status_code == 403
    assert police_lead.post("/my-indicators/upload", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(BULK), "x.csv")}).status_code == 400


# --- fuzz ------------------------------------------------------------------------------------------------


def _mutations(real: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    cases = [("empty", b""), ("one byte", b"P"), ("zip magic only", b"PK\x03\x04"), ("OLE magic", OLE_MAGIC),
             ("random", rng.randbytes(2000)), ("half", real[: len(real) // 2]), ("all but the end", real[:-22]),
             ("zip bomb lite", zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<" * (40 * 1024 * 1024)})),
             ("nested zeros", zip_of({"[Content_Types].xml": b"\x00" * 1000, "xl/workbook.xml": b"\x00" * 5000}))]
    for n in range(20):
        data = bytearray(real)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cases.append((f"flipped bytes {n}", bytes(data)))
    source = zipfile.ZipFile(io.BytesIO(real))
    for n, name in enumerate(source.namelist()):
        parts = {p: source.read(p) for p in source.namelist()}
        body = parts[name]
        parts[name] = body[: rng.randrange(max(len(body), 1))] + rng.randbytes(20)
        cases.append((f"garbled part {n} {name}", zip_of(parts)))
    return cases


def test_fuzzed_files_never_cause_a_server_error(app, police_lead, police):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # count the 500s instead of stopping at the first
    real = fill(download(police_lead, police), FILLED, VALUES)
    rng = random.Random(12)
    before = audit_count()
    failures = []
    for what, data in _mutations(real, rng):
        for send in (lambda d: upload(police_lead, police, d), lambda d: bulk_upload(police_lead, d, "x.xlsx"),
                     lambda d: bulk_upload(police_lead, d, "x.csv")):
            response = send(data)
            if response.status_code >= 500:
                failures.append(f"{what}: {response.status_code}")
            db.session.rollback()
    assert failures == []
    assert db.session.scalar(select(func.count()).select_from(Update)) == 0 or audit_count() == before


def test_sub_action_statuses_of_several_actions_go_to_their_own_action(police_lead, police):
    # Defect found by bench/bench_upload.py: every row's write used the last action's sub-actions.
    data = fill(download(police_lead, police), {"A5": {"status": "Green", "commentary": "On track"},
                                         "B1": {"status": "Green", "commentary": "On track"}},
                subs={("A5", 2): "Complete", ("B1", 7): "Red"})
    assert confirm(police_lead, page_url(police) + "/confirm", upload(police_lead, police, data)).status_code == 302
    a5, b1 = saved_update(police, "A5"), saved_update(police, "B1")
    assert [(s.sub_action_id, s.status) for s in a5.sub_statuses] == [(action("A5").sub_actions[1].id, "complete")]
    assert [(s.sub_action_id, s.status) for s in b1.sub_statuses] == [(action("B1").sub_actions[6].id, "red")]


def test_a_coordinator_cannot_accept_a_return_they_uploaded_for_another_agency(login, police, make_user):
    # Separation of duties: submitting Police's return from its spreadsheet makes the coordinator its submitter.
    from app.cycle import service as cycle_review

    coordinator = login("coordinator")
    confirm(coordinator, page_url(police) + "/confirm", upload(coordinator, police, fill(download(coordinator, police),
                                                                                         FILLED)))
    upd = saved_update(police)
    with pytest.raises(cycle_review.ReviewForbiddenError, match="separation of duties"):
        cycle_review.review(coordinator.user, upd, version=upd.version, accept=True)
    db.session.rollback()
    cycle_review.review(make_user("coordinator"), upd, version=upd.version, accept=True)  # a colleague may
    db.session.commit()
    assert saved_update(police).state == "accepted"
