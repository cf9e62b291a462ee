"""The dashboard page is kept per data version and role, with holes for each request's own values
(app/web.py, render_kept_page): every user must still get their own name, token and nonce."""

import html
import re

import pytest
from sqlalchemy import event

from app import changes
from app.auth import service as auth_service
from app.auth.models import Agency, User, UserSession
from app.extensions import db
from tests.conftest import ON_POSTGRES, post_form

URL = "/dashboard?quarter=2019-20-Q1"
_NONCE = re.compile(r"'nonce-([^']+)'")


def _page(client, url: str = URL) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True)), response.headers["Content-Security-Policy"]


def test_two_leads_share_the_kept_page_but_each_sees_their_own_name_token_and_nonce(login, police, agency_named):
    first, second = login("lead", police), login("lead", agency_named("London Borough of Havering"))
    pages = [_page(first), _page(second), _page(first)]  # the second and third views are the kept page
    for (page, policy), client in zip(pages, (first, second, first), strict=True):
        assert f"Signed in as {client.user.name} (Lead (agency editor), {client.user.agency.name})" in page
        assert "\x00" not in page  # no hole is left unfilled
        nonce = _NONCE.search(policy).group(1)
        assert f'nonce="{nonce}"' in page  # the inline script runs under this response's policy
    assert f", {police.name})" not in pages[1][0] and "London Borough of Havering)" not in pages[2][0]
    assert _NONCE.search(pages[0][1]).group(1) != _NONCE.search(pages[2][1]).group(1)


def test_the_token_on_a_kept_page_is_the_users_own_and_is_accepted(login, police):
    first, second = login("lead", police), login("lead", police)
    _page(first)
    # post_form reads the token from the (now kept) dashboard: the first user's token would be refused
    # ("Your form has expired", 400), the second user's own reaches the form's own checks.
    response = post_form(second, "/account/password", {"current": "wrong", "password": "x", "confirm": "x"})
    assert response.status_code == 200 and "Your form has expired" not in response.get_data(as_text=True)
    with second.session_transaction() as session:
        session_token = session["csrf_token"]
    first_token = re.search(r'"X-CSRFToken": "([^"]+)"', _page(first)[0]).group(1)
    refused = second.post("/account/password", data={"current": "wrong", "password": "x", "confirm": "x",
                                                       "csrf_token": first_token})
    assert session_token and refused.status_code == 400


def test_a_lead_never_gets_the_page_kept_for_a_coordinator(login, police):
    coordinator, lead = login("coordinator"), login("lead", police)  # both before: a new user is a write
    assert "Indicator values missing" in _page(coordinator)[0]
    lead_page = _page(lead)[0]
    assert "Indicator values missing" not in lead_page and 'href="/cycle/' not in lead_page


def test_a_message_to_flash_is_shown_on_the_next_view_and_only_once(login, police, app):
    lead = login("lead", police)
    _page(lead)
    with lead.session_transaction() as session:
        session["_flashes"] = [("success", "Your update was saved")]
    assert "Your update was saved" in _page(lead)[0]
    assert "Your update was saved" not in _page(lead)[0]


def test_a_renamed_user_is_named_afresh_at_once(login, police):
    lead = login("lead", police)
    _page(lead)
    auth_service.find_user(lead.user.email).name = "Renamed Officer"
    db.session.commit()
    assert "Signed in as Renamed Officer" in _page(lead)[0]


def test_a_name_beyond_ascii_is_filled_in_whole_and_escaped(login, police):
    # The kept page is joined as bytes, piece by piece: a name must come out in UTF-8 and escaped.
    lead = login("lead", police)
    auth_service.find_user(lead.user.email).name = "Siobhán Ó Briain <b>&"
    db.session.commit()
    for _ in range(2):  # built, then kept
        raw = lead.get(URL).get_data(as_text=True)
        assert "Signed in as Siobhán Ó Briain &lt;b&gt;&amp; (Lead" in raw


def test_a_kept_view_reads_who_is_signed_in_as_plain_values(login, police):
    # The session check reads the user, their agency and their session in plain columns: building the
    # ORM rows on every request was half of what a kept view cost on PostgreSQL (issue 11).
    lead = login("lead", police)
    _page(lead)
    built = []
    listeners = [(model, lambda target, _context: built.append(type(target).__name__))
                 for model in (User, Agency, UserSession)]
    for model, note in listeners:
        event.listen(model, "load", note)
    try:
        page, _ = _page(lead)
    finally:
        for model, note in listeners:
            event.remove(model, "load", note)
    assert f"Signed in as {lead.user.name} (Lead (agency editor), {police.name})" in page
    assert built == []


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite's BEGIN costs no round trip: its read stays in the transaction")
def test_a_kept_view_on_postgresql_opens_no_transaction(login, police, app):
    # The view's one query (user, session, data version) runs in autocommit, so psycopg sends no BEGIN
    # and the request's end no ROLLBACK: two of its round trips with the database (issue 11).
    lead = login("lead", police)
    _page(lead)
    with app.app_context():
        engine = db.engine
    seen = []

    def note(conn, _cursor, statement, *_):
        seen.append((statement.split()[0], conn.connection.driver_connection.autocommit))

    changes.forget()  # a worker that remembers nothing asks (app/changes.py); one that does asks nothing
    event.listen(engine, "before_cursor_execute", note)
    try:
        page, _ = _page(lead)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert f"Signed in as {lead.user.name}" in page
    assert seen == [("SELECT", True)]


def test_a_quarter_is_remembered_once_however_the_address_spells_it(login, police, app):
    # quarter_or_404 remembers the strategy's check per data version: keyed by the address's own
    # spelling, every variant of one quarter would be one more entry, without limit.
    lead = login("lead", police)
    for spelling in ["2019-20-Q1", "2019-20-q1", "2019-20-Q1%20", "%202019-20-q1%20%20"]:
        assert lead.get(f"/dashboard?quarter={spelling}").status_code == 200
    assert lead.get("/dashboard?quarter=2030-31-Q1").status_code == 404  # outside the strategy
    remembered = app.extensions["data_version_remembered"][1]
    assert [key for key in remembered if key[0] == "strategy_quarter"] == [("strategy_quarter", "2019-20-Q1")]
