"""WCAG 3.3.7 redundant entry: a lead can start this quarter's update from last quarter's words, without JavaScript."""

import html

import pytest
from sqlalchemy import func, select

from app.actions.models import Action, Update
from app.audit.models import AuditEvent
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.conftest import post_form

LAST, THIS = Quarter(2019, 1), Quarter(2019, 2)


def _url(action, agency, quarter, **query):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/actions/{action.id}/updates/{agency.id}/{quarter.slug}{suffix}"


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def a2():
    return db.session.scalar(select(Action).where(Action.code == "A2"))


@pytest.fixture
def lead(login, police, a2):
    client = login("lead", police)
    r = post_form(client, _url(a2, police, LAST), {
        "status": "amber", "commentary": "Steering group <delayed> by the restructure.",
        "mitigation": "Interim chair from May.", "version": "0", "submit_update": "Submit update"})
    assert r.status_code == 302
    return client


def test_the_update_form_offers_to_copy_last_quarter(lead, police, a2):
    page = html.unescape(lead.get(_url(a2, police, THIS)).get_data(as_text=True))
    assert "Copy 2019/20 Q1's commentary and mitigation into this form" in page


def test_copying_prefills_the_form_and_saves_nothing(lead, police, a2):
    updates, events = _count(Update), _count(AuditEvent)
    response = lead.get(_url(a2, police, THIS, copy="last-quarter"))
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "2019/20 Q1's commentary and mitigation are copied into the form" in page
    assert ">Steering group <delayed> by the restructure.</textarea>" in page
    assert ">Interim chair from May.</textarea>" in page
    assert "<delayed>" not in response.get_data(as_text=True), "copied text is escaped"
    assert (_count(Update), _count(AuditEvent)) == (updates, events)


def test_htmx_gets_only_the_form_back(lead, police, a2):
    response = lead.get(_url(a2, police, THIS, copy="last-quarter"), headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="update-form">')
    assert "Interim chair from May." in page and "<html" not in page


def test_nothing_to_copy_offers_nothing(login, police, a2):
    client = login("lead", police)
    page = client.get(_url(a2, police, THIS)).get_data(as_text=True)
    assert "copy=last-quarter" not in page
    page = client.get(_url(a2, police, THIS, copy="last-quarter")).get_data(as_text=True)
    assert "copied into the form" not in page


def test_another_agency_cannot_copy(login, agency_named, lead, police, a2):
    other = login("lead", agency_named("Victim Support"))
    assert other.get(_url(a2, police, THIS, copy="last-quarter")).status_code == 403
