"""A draft is visible only to its own agency until it is submitted, wherever it appears (issue 9, defect B)."""

import pytest
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.extensions import db
from app.strategy.quarters import Quarter

Q = Quarter(2019, 2)
SECRET = "Draft: the referral pathway is not agreed yet"


def _save(user, agency, submit: bool):
    action = db.session.scalar(select(Action).where(Action.code == "A2", Action.plan_year == 2018))
    found = actions_service.find_update(action, agency.id, Q)
    upd = actions_service.save_update(user, action, agency, Q, version=found.version if found else 0,
                                      status=Status.AMBER, commentary=SECRET, mitigation="Chase the CCG",
                                      sub_statuses={}, submit=submit)
    db.session.commit()
    return upd


def _pages(upd) -> dict[str, str]:
    return {"review page": f"/cycle/{Q.slug}/review/update/{upd.id}", "action page": f"/actions/{upd.action_id}",
            "audit trail": "/audit/?object=action_update", "audit CSV": "/audit/download.csv"}


WHERE = ["review page", "action page", "audit trail", "audit CSV"]


# (role, own agency?) -> sees the draft
READERS = [("coordinator", False, False), ("admin", False, False), ("coordinator", True, True)]


@pytest.mark.parametrize(("role", "own_agency", "sees"), READERS)
@pytest.mark.parametrize("where", WHERE)
def test_a_draft_is_seen_only_by_its_agency(login, make_user, police, agency_named, role, own_agency, sees, where):
    upd = _save(make_user("lead", police), police, submit=False)
    agency = police if own_agency else agency_named("Victim Support")
    client = login(role, agency)
    response = client.get(_pages(upd)[where])
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert (SECRET in body) is sees
    assert ("Chase the CCG" in body) is sees


@pytest.mark.parametrize(("role", "own_agency"), [("coordinator", False), ("admin", False)])
@pytest.mark.parametrize("where", WHERE)
def test_once_submitted_everyone_sees_it(login, make_user, police, agency_named, role, own_agency, where):
    upd = _save(make_user("lead", police), police, submit=True)
    client = login(role, agency_named("Victim Support"))
    assert SECRET in client.get(_pages(upd)[where]).get_data(as_text=True)


def test_a_returned_update_is_a_draft_again_and_hidden_from_other_agencies(login, make_user, police, agency_named):
    upd = _save(make_user("lead", police), police, submit=True)
    coordinator = make_user("coordinator", agency_named("Victim Support"))
    from app.cycle import service as cycle_service

    cycle_service.review(coordinator, upd, version=upd.version, accept=False, comment="Add the dates")
    db.session.commit()
    body = login(user=coordinator).get(_pages(upd)["review page"]).get_data(as_text=True)
    assert SECRET not in body
    assert "Add the dates" in body  # the reviewer's own comment stays visible to the reviewer

