"""The Strategic Group's dashboard: counts, movement, overdue, filters, and no query per row."""

from sqlalchemy import select

from app.actions import service
from app.actions.models import Action
from app.actions.rollup import Status
from app.extensions import db
from app.strategy.quarters import Quarter
from tests.factories import add_update
from tests.helpers import count_queries


def submit(action_code: str, agency, quarter: Quarter, status: str):
    action = db.session.scalar(select(Action).where(Action.code == action_code))
    add_update(action, agency.id, quarter, status, commentary="c", mitigation="m")
    db.session.commit()


def test_counts_movement_and_overdue(app, agency_named):
    police = agency_named("Metropolitan Police Service")
    q3, q4 = Quarter(2018, 3), Quarter(2018, 4)
    submit("A2", police, q3, "green")
    submit("A2", police, q4, "red")          # A2 is due March 2019: red at 2018/19 Q4 end is not overdue yet
    board = service.dashboard(q4)
    total = len(service.actions_for(q4))
    assert sum(board.counts.values()) == total
    assert board.counts[Status.RED] == 1 and board.counts[Status.NO_UPDATE] == total - 1
    a2 = next(r for r in board.rows if r.action.code == "A2")
    assert a2.movement.value == "declined" and a2.previous_status == Status.GREEN
    assert board.movement_counts[a2.movement] == 1
    next_q = service.dashboard(Quarter(2019, 1))
    a2_next = next(r for r in next_q.rows if r.action.code == "A2")
    assert a2_next.overdue  # past its March 2019 due date and not complete
    assert not any(r.overdue for r in next_q.rows if r.action.due_date is None)


def test_filters(app, agency_named):
    police = agency_named("Metropolitan Police Service")
    q = Quarter(2019, 1)
    submit("A2", police, q, "amber")
    assert [r.action.code for r in service.dashboard(q, status="amber").rows] == ["A2"]
    assert all(r.action.objective.code == "B" for r in service.dashboard(q, objective="B").rows)
    assert all(r.action.is_led_by(police.id) for r in service.dashboard(q, agency_id=police.id).rows)
    assert "A2" not in [r.action.code for r in service.dashboard(q, status="no_update").rows]


def test_dashboard_page_filters_from_the_query_string(login):
    client = login("viewer")
    page = client.get("/dashboard?quarter=2019-20-Q1&objective=C").get_data(as_text=True)
    assert 'data-action="C1"' in page and 'data-action="A1"' not in page
    fragment = client.get("/dashboard?quarter=2019-20-Q1&objective=C", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="dashboard-results"' in body
    assert client.get("/dashboard?quarter=2035-36-Q1").status_code == 404
    assert client.get("/dashboard?objective=Z&status=bogus&agency=abc").status_code == 200


def test_dashboard_queries_do_not_grow_with_the_number_of_updates(login, agency_named):
    client = login("viewer")
    q = Quarter(2019, 1)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get(f"/dashboard?quarter={q.slug}").status_code == 200
        return len(statements)

    baseline = queries()
    for action in service.actions_for(q):
        for lead in action.leads:
            add_update(action, lead.agency_id, q, "green", commentary="c")
    db.session.commit()
    assert queries() <= baseline + 2
