"""CSV downloads of the filtered dashboard and the tracker's returns (issue 12, section 4)."""

import csv
import io

import pytest

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.helpers import action

Q = Quarter(2019, 1)


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def amber_a2(police, police_lead):
    upd = actions_service.save_update(police_lead.user, action("A2"), police, Q, version=0, status=Status.AMBER,
                                      commentary='=HYPERLINK("http://x")', mitigation="Chase", sub_statuses={},
                                      submit=True)
    db.session.commit()
    return upd


def test_the_dashboard_csv_follows_the_filters(login, amber_a2):
    client = login("viewer")
    everything = _rows(client.get(f"/dashboard.csv?quarter={Q.slug}"))
    assert everything[0][:5] == ["Objective", "Action", "Title", "Lead agencies", f"Status {Q.label}"]
    assert len(everything) - 1 == len(actions_service.dashboard(Q).rows)
    amber = _rows(client.get(f"/dashboard.csv?quarter={Q.slug}&status=amber"))
    assert [row[1] for row in amber[1:]] == ["A2"] and amber[1][4] == "Amber"
    page = client.get(f"/dashboard?quarter={Q.slug}&status=amber").get_data(as_text=True)
    assert "Download these 1 action as CSV" in page and "/dashboard.csv?quarter=" in page


def test_the_dashboard_csv_never_carries_commentary(login, amber_a2):
    text = login("viewer").get(f"/dashboard.csv?quarter={Q.slug}").get_data(as_text=True)
    assert "HYPERLINK" not in text


def test_the_tracker_csv_lists_the_returns_shown(login, amber_a2):
    client = login("coordinator")
    waiting = _rows(client.get(f"/cycle/{Q.slug}/returns.csv?show=waiting"))
    assert waiting[0] == ["Agency", "Return", "Code", "Title", "State"]
    assert [(r[2], r[4]) for r in waiting[1:]] == [("A2", "Waiting for review")]
    everything = _rows(client.get(f"/cycle/{Q.slug}/returns.csv"))
    assert len(everything) > len(waiting) and {r[4] for r in everything[1:]} >= {"Not started", "Waiting for review"}
    page = client.get(f"/cycle/{Q.slug}").get_data(as_text=True)
    assert f"/cycle/{Q.slug}/returns.csv?show=waiting" in page


@pytest.mark.parametrize("role", ["lead", "viewer"])
def test_the_tracker_csv_is_for_staff(login, role):
    assert login(role).get(f"/cycle/{Q.slug}/returns.csv").status_code == 403


def test_a_title_that_looks_like_a_formula_is_guarded(login, make_user):
    row = action("A1")
    row.title = "=1+2 and more"
    db.session.commit()
    rows = _rows(login("viewer").get(f"/dashboard.csv?quarter={Q.slug}"))
    assert "'=1+2 and more" in [r[2] for r in rows]
