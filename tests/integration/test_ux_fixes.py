"""Issue 15 (versions after an htmx save) and issue 8 part 6 (locked quarters, dashboard, audit, review)."""

import re

import pytest
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.models import Indicator
from app.permissions import ALL_ROLES, STAFF
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import csrf_token, post_form
from tests.helpers import action, enter_indicator_value, holds, submit_update

Q = Quarter(2019, 1)
HTMX = {"HX-Request": "true"}


def update_url(act: Action, agency, quarter: Quarter = Q) -> str:
    return f"/actions/{act.id}/updates/{agency.id}/{quarter.slug}"


def version_in(body: str, name: str = "version") -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', body) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', body)
    assert match, f"no {name} field in the fragment"
    return match.group(1)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Chris Coordinator")


def lock(coordinator, quarter: Quarter = Q) -> None:
    cycle_service.lock(coordinator, quarter, version=calendar.period_for(quarter).version, reason="Board")
    db.session.commit()


def submit(user, code="A2", quarter=Q, submit=True) -> Update:
    return submit_update(user, code, quarter, submit=submit)


# --- issue 15: every swapped form carries the saved version ------------------------------------


def test_htmx_draft_then_submit_without_reloading_is_not_a_conflict(police_lead, police):
    url = update_url(action("A2"), police)
    r = post_form(police_lead, url, {"status": "green", "commentary": "Half done", "version": "0",
                                     "save_draft": "Save as draft"}, token_from=url, headers=HTMX)
    body = r.get_data(as_text=True)
    assert version_in(body) == "1"
    r = post_form(police_lead, url, {"status": "green", "commentary": "All done", "version": version_in(body),
                                     "submit_update": "Submit update"}, token_from=url, headers=HTMX)
    body = r.get_data(as_text=True)
    assert "Someone else saved" not in body
    assert "submitted for 2019/20 Q1" in body and version_in(body) == "2"
    db.session.expire_all()
    upd = actions_service.find_update(action("A2"), police.id, Q)
    assert (upd.state, upd.commentary) == ("submitted", "All done")


def test_htmx_value_saves_carry_the_new_version(police_lead):
    url = f"/indicators/DV01/values/{Q.slug}"
    version = "0"
    for n, expected in ((12, "1"), (13, "2"), (14, "3")):
        body = post_form(police_lead, url, {"DV01-version": version, "DV01-value": str(n)}, token_from=url,
                         headers=HTMX).get_data(as_text=True)
        assert "Someone else saved" not in body and "DV01 value for 2019/20 Q1 saved" in body
        version = version_in(body, "DV01-version")
        assert version == expected


def test_htmx_review_decision_after_a_conflict_carries_the_current_version(login, police_lead, coordinator):
    upd = submit(police_lead.user)
    url = f"/cycle/{Q.slug}/review/update/{upd.id}"
    reviewer = login(user=coordinator)
    token = csrf_token(reviewer, url)
    seen = str(upd.version)
    # the lead resubmits while the coordinator has the page open
    submit(police_lead.user)
    r = reviewer.post(url, data={"csrf_token": token, "decision": "accept", "version": seen},
                      headers=HTMX)
    body = r.get_data(as_text=True)
    assert "Your decision was not saved" in body
    db.session.expire_all()
    fresh = db.session.get(Update, upd.id)
    assert version_in(body) == str(fresh.version)
    r = reviewer.post(url, data={"csrf_token": token, "decision": "accept", "version": version_in(body)},
                      headers=HTMX)
    assert "accepted" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Update, upd.id).state == "accepted"


# --- locked quarters ---------------------------------------------------------------------------


def test_locked_quarters_update_form_is_read_only_with_a_notice(police_lead, police, coordinator):
    lock(coordinator)
    page = police_lead.get(update_url(action("A2"), police)).get_data(as_text=True)
    assert "2019/20 Q1 is locked." in page and "read-only" in page
    assert "Submit update" not in page and "Save as draft" not in page
    assert re.search(r'<textarea[^>]*name="commentary"[^>]*readonly', page)
    assert all("disabled" in tag for tag in re.findall(r'<input[^>]*name="status"[^>]*>', page))
    # an open quarter's form is editable
    page = police_lead.get(update_url(action("A2"), police, Quarter(2019, 2))).get_data(as_text=True)
    assert "is locked" not in page and "Submit update" in page and "readonly" not in page


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_save_that_meets_a_lock_keeps_the_typed_text_with_the_error(police_lead, police, coordinator, headers):
    url = update_url(action("A2"), police)
    token = csrf_token(police_lead, url)
    lock(coordinator)  # locked while the lead was typing
    r = police_lead.post(url, data={"csrf_token": token, "status": "amber", "commentary": "Typed with care",
                                    "mitigation": "Plan B", "version": "0", "submit_update": "Submit update"},
                         headers=headers)
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2019/20 Q1 is locked: your update was not saved" in body
    assert "Typed with care" in body and "Plan B" in body
    assert re.search(r'<input[^>]*value="amber"[^>]*checked|<input[^>]*checked[^>]*value="amber"', body)
    assert ('id="update-form"' in body) and (("<html" in body) != bool(headers))
    assert actions_service.find_update(action("A2"), police.id, Q) is None


def test_locked_quarters_value_cards_are_read_only_with_a_notice(police_lead, coordinator):
    lock(coordinator)
    page = police_lead.get(f"/my-indicators?quarter={Q.slug}").get_data(as_text=True)
    assert "2019/20 Q1 is locked." in page and "read-only" in page
    assert "Save value" not in page
    assert re.search(r'<input[^>]*name="DV01-value"[^>]*readonly', page)
    page = police_lead.get(f"/indicators/DV01/values/{Q.slug}").get_data(as_text=True)
    assert "is locked: this value is read-only" in page and "Save value" not in page
    page = police_lead.get("/my-indicators?quarter=2019-20-Q2").get_data(as_text=True)
    assert "is locked" not in page and "Save value" in page


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_value_save_that_meets_a_lock_keeps_the_typed_figure(police_lead, coordinator, headers):
    url = f"/indicators/DV01/values/{Q.slug}"
    token = csrf_token(police_lead, url)
    lock(coordinator)
    r = police_lead.post(url, data={"csrf_token": token, "DV01-version": "0", "DV01-value": "4321",
                                    "DV01-note": "Counted twice"}, headers=headers)
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2019/20 Q1 is locked: your figure was not saved" in body
    assert 'value="4321"' in body and "Counted twice" in body
    assert 'id="value-row-DV01"' in body and (("<html" in body) != bool(headers))
    assert kpis_service.find_value(db.session.scalar(select(Indicator).where(Indicator.code == "DV01")), Q) is None


# --- the review page ---------------------------------------------------------------------------


@pytest.mark.parametrize("decision, comment, state", [
    ("accept", "", "Accepted"),
    ("return", "Say who attended.", "Returned to the agency for changes"),
])
def test_review_decision_over_htmx_updates_the_review_state_row(login, police_lead, coordinator,
                                                                decision, comment, state):
    upd = submit(police_lead.user)
    url = f"/cycle/{Q.slug}/review/update/{upd.id}"
    reviewer = login(user=coordinator)
    page = reviewer.get(url).get_data(as_text=True)
    assert '<span id="review-state">Submitted, waiting for review</span>' in page
    token = csrf_token(reviewer, url)
    body = reviewer.post(url, data={"csrf_token": token, "decision": decision, "comment": comment,
                                    "version": str(upd.version)}, headers=HTMX).get_data(as_text=True)
    assert f'<span id="review-state" hx-swap-oob="true">{state}</span>' in body
    assert state in reviewer.get(url).get_data(as_text=True)


def enter_value(user, code, quarter, value, numerator=None, denominator=None):
    return enter_indicator_value(user, code, quarter, value, numerator=numerator, denominator=denominator, note="")


def test_review_of_a_value_rounds_it_and_shows_target_and_previous_value(login, police_lead, coordinator):
    # DV04 is the arrest rate, a percentage with the documents' 77% target
    enter_value(police_lead.user, "DV04", Quarter(2018, 4), None, numerator=150, denominator=200)
    row = enter_value(police_lead.user, "DV04", Q, None, numerator=234, denominator=289)
    reviewer = login(user=coordinator)
    page = reviewer.get(f"/cycle/{Q.slug}/review/value/{row.id}").get_data(as_text=True)
    assert "80.96885813148789" not in page
    value = re.search(r'id="review-value">([^<]*)<', page).group(1)
    assert value.startswith("81.0%") and "234 of 289" in value
    assert re.search(r'id="review-target">\s*77.0%', page)
    previous = re.search(r'id="review-previous">([^<]*)<', page).group(1)
    assert previous.startswith("75.0% in 2018/19 Q4")


def test_review_of_a_value_with_no_previous_says_so(login, police_lead, coordinator):
    row = enter_value(police_lead.user, "DV01", Q, 12.0)
    page = login(user=coordinator).get(f"/cycle/{Q.slug}/review/value/{row.id}").get_data(as_text=True)
    assert "None reported for the period before" in page


# --- my actions: the lead sees the review outcome ------------------------------------------------


@pytest.mark.parametrize("decision, comment, shown", [
    (None, "", "Submitted"),
    ("accept", "", "Accepted"),
    ("return", "Add the numbers trained.", "Returned"),
])
def test_my_actions_shows_accepted_and_returned(police_lead, coordinator, decision, comment, shown):
    upd = submit(police_lead.user)
    if decision:
        cycle_service.review(coordinator, upd, version=upd.version, accept=decision == "accept", comment=comment)
        db.session.commit()
    calendar.set_current_quarter(None, Q)
    db.session.commit()
    page = police_lead.get("/my-actions").get_data(as_text=True)
    row = re.search(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">\s*<a[^>]*>A2:.*?</tr>', page,
                    re.S).group(0)
    assert re.search(rf'<strong class="govuk-tag[^"]*">{shown}</strong>', row)
    others = {"Submitted", "Accepted", "Returned", "Draft"} - {shown}
    assert not any(f">{other}</strong>" in row for other in others)


# --- the action page: transcription notes are internal -------------------------------------------


@pytest.mark.parametrize("role", [role.value for role in ALL_ROLES])
def test_transcription_notes_show_only_to_coordinators_and_admins(login, role):
    shown = holds(role, STAFF)
    noted = db.session.scalar(select(Action).where(Action.note.is_not(None), Action.plan_year == 2018))
    page = login(role).get(f"/actions/{noted.id}").get_data(as_text=True)
    assert ("Transcription note" in page) is shown
    assert (noted.note[:40].replace("'", "&#39;") in page) is shown


# --- the dashboard -------------------------------------------------------------------------------


def test_htmx_quarter_change_sends_the_new_heading_and_title(login):
    viewer = login("viewer")
    body = viewer.get("/dashboard?quarter=2019-20-Q3", headers=HTMX).get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith("<title>RAG dashboard for 2019/20 Q3 - Havering VAWG action plan</title>")
    assert '<h1 class="govuk-heading-l" id="dashboard-heading" hx-swap-oob="true">RAG dashboard for 2019/20 Q3</h1>' \
        in body
    # the whole page has one heading and its own title, nothing out of band
    page = viewer.get("/dashboard?quarter=2019-20-Q3").get_data(as_text=True)
    assert page.count("<title>") == 1 and "hx-swap-oob" not in page
    assert '<h1 class="govuk-heading-l" id="dashboard-heading">RAG dashboard for 2019/20 Q3</h1>' in page


@pytest.mark.parametrize("query, says_whole_plan", [
    ("", False),
    ("&objective=B", True),
    ("&status=red", True),
])
def test_dashboard_summary_says_it_counts_the_whole_plan_when_filtered(login, query, says_whole_plan):
    viewer = login("viewer")
    for headers in ({}, HTMX):
        body = viewer.get(f"/dashboard?quarter=2019-20-Q1{query}", headers=headers).get_data(as_text=True)
        assert ('id="summary-scope"' in body) is says_whole_plan
        assert ("whole plan" in body) is says_whole_plan


# --- the audit trail -----------------------------------------------------------------------------


def test_audit_values_read_in_plain_words(login, police_lead, coordinator):
    upd = submit(police_lead.user)
    cycle_service.review(coordinator, upd, version=upd.version, accept=False, comment="Add numbers")
    kpis_service.set_target(coordinator, db.session.scalar(select(Indicator).where(Indicator.code == "DV01")), 2019,
                            value=100, profile=None, lower=None, upper=None, tolerance=None, note="",
                            expected_latest_id=0)
    db.session.commit()
    page = login("admin").get("/audit/").get_data(as_text=True)
    assert "[None" not in page and "None]" not in page and "[&#39;" not in page and ">None<" not in page
    assert "Review comment" in page and "review_comment" not in page
    assert "Submitted" in page and "Green" in page


def events_on_page(body: str) -> int:
    return len(re.findall(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">\d', body))


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "99"])
def test_audit_page_numbers_are_validated(login, page):
    admin = login("admin")
    assert admin.get(f"/audit/?page={page}").status_code == 404
    assert admin.get("/audit/?page=1").status_code == 200


def test_audit_pages_through_results_with_govuk_pagination(login, make_user):
    from app.audit.service import PAGE_SIZE
    admin = login("admin")
    for n in range(PAGE_SIZE + 5):
        calendar.set_current_quarter(admin.user, Quarter(2019, 1 + n % 4))
    db.session.commit()
    first = admin.get("/audit/?object=strategy").get_data(as_text=True)
    assert 'class="govuk-pagination' in first and "page 1 of 2" in first
    assert events_on_page(first) == PAGE_SIZE
    next_link = re.search(r'<a[^>]*rel="next"[^>]*>|<a[^>]*href="[^"]*"[^>]*rel="next"', first).group(0)
    assert 'href="/audit/?object=strategy&amp;page=2"' in next_link
    second = admin.get("/audit/?object=strategy&page=2").get_data(as_text=True)
    assert events_on_page(second) == 5 and "page 2 of 2" in second
    assert admin.get("/audit/?object=strategy&page=3").status_code == 404


def test_audit_filters_by_person_agency_object_and_date(login, make_user, agency_named, police_lead, coordinator):
    submit(police_lead.user)
    make_user("viewer", email="newcomer@example.org")
    admin = login("admin")

    def summaries(query):
        body = admin.get(f"/audit/?{query}").get_data(as_text=True)
        assert "govuk-error-summary" not in body, body
        return body

    by_person = summaries(f"person={police_lead.user.id}")
    assert "update on A2" in by_person and "Created account newcomer" not in by_person
    by_agency = summaries(f"agency={agency_named('Metropolitan Police Service').id}")
    assert "update on A2" in by_agency and "Created account newcomer" not in by_agency
    by_object = summaries("object=action_update")
    assert "update on A2" in by_object and "Created account" not in by_object
    from datetime import date, timedelta
    today = date.today()
    in_range = summaries(f"start={today.day}&start={today.month}&start={today.year}")
    assert "update on A2" in in_range
    tomorrow = today + timedelta(days=1)
    after = summaries(f"start={tomorrow.day}&start={tomorrow.month}&start={tomorrow.year}")
    assert "update on A2" not in after and "No events match these filters" in after


def test_the_audit_object_filter_offers_each_kind_in_the_trail_once_in_order(login):
    from sqlalchemy import delete

    from app.audit import service as audit_service
    from app.audit.models import AuditEvent
    db.session.execute(delete(AuditEvent))
    assert audit_service.entities() == []  # an empty trail offers nothing to filter by
    for n, kind in enumerate(["strategy", "action_update", "user", "action_update", "agency", "strategy", "user"]):
        audit_service.record(None, "changed", kind, n, f"event {n}")
    db.session.commit()
    assert audit_service.entities() == ["action_update", "agency", "strategy", "user"]
    body = login("admin").get("/audit/").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)"', body[body.index('name="object"'):])
    assert offered[:5] == ["", "action_update", "agency", "strategy", "user"]


@pytest.mark.parametrize("query, message", [
    ("person=999999", "Select a person from the list"),
    ("person=abc", "Select a person from the list"),
    ("agency=999999", "Select an agency from the list"),
    ("object=nonsense", "Select a kind of object from the list"),
    ("start=31&start=2&start=2019", "Enter the first day as a real date"),
    ("start=2&start=1&start=2020&end=1&end=1&end=2020", "The last day must be the same as or after the first day"),
])
def test_audit_filters_are_validated_with_a_message(login, query, message):
    admin = login("admin")
    r = admin.get(f"/audit/?{query}")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "govuk-error-summary" in body and message in body
    r = admin.get(f"/audit/download.csv?{query}")
    assert r.status_code == 200 and r.mimetype == "text/html" and message in r.get_data(as_text=True)


def test_audit_csv_downloads_the_filtered_trail_safely(login, make_user, police_lead):
    import csv
    import io
    make_user("viewer", email="newcomer@example.org")
    submit(police_lead.user)
    admin = login(user=make_user("admin", name="=HYPERLINK(\"http://evil\")"))
    calendar.set_current_quarter(admin.user, Q)  # an event whose Name cell starts with "="
    db.session.commit()
    r = admin.get("/audit/download.csv?object=user")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "When (UTC)"
    assert all(row[5] == "User account" for row in rows[1:])
    assert not any("update on A2" in cell for row in rows for cell in row)
    newcomer = next(row for row in rows if "Created account newcomer@example.org" in row)
    changes = newcomer[-1]
    assert changes.startswith("Email: (empty) -> newcomer@example.org") and "Active: (empty) -> Yes" in changes
    # every cell a spreadsheet would run as a formula starts with a quote
    rows = list(csv.reader(io.StringIO(admin.get("/audit/download.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)


def test_audit_trail_is_for_staff_only(login):
    for role, status in (("viewer", 403), ("lead", 403), ("coordinator", 200), ("admin", 200)):
        assert login(role).get("/audit/download.csv").status_code == status
