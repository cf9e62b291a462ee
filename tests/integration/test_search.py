"""One search box over actions, update commentary and mitigation, and indicators (issue 12, section 4).

The database's own full-text engine does the finding (FTS5 on SQLite, tsvector on PostgreSQL); these
tests drive the page as users would and check who sees what.
"""

import pytest
from sqlalchemy import select, text

from app.actions import service as actions_service
from app.actions.models import Update
from app.actions.rollup import Status
from app.extensions import db
from app.search.service import _matches
from app.strategy.quarters import Quarter
from tests.helpers import action, count_queries

Q = Quarter(2019, 2)


@pytest.fixture
def police(agency_named):
    return agency_named("Metropolitan Police Service")


def _save(user, agency, commentary, *, code="A2", quarter=Q, submit=True, mitigation="Chase the CCG"):
    act = action(code)
    found = actions_service.find_update(act, agency.id, quarter)
    upd = actions_service.save_update(user, act, agency, quarter, version=found.version if found else 0,
                                      status=Status.AMBER, commentary=commentary, mitigation=mitigation,
                                      sub_statuses={}, submit=submit)
    db.session.commit()
    return upd


def _search(client, **params):
    response = client.get("/search", query_string=params)
    return response.status_code, response.get_data(as_text=True)


def test_finds_actions_indicators_and_updates_with_stemming_and_prefixes(login, make_user, police):
    _save(make_user("lead", police), police, "Two new refuges opened in Romford this quarter")
    client = login("viewer")
    status, body = _search(client, q="refuge")
    assert status == 200
    assert "Updates: 1 found" in body and "<mark>refuges</mark>" in body
    assert "A2:" in body and f"{police.short_name} update for 2019/20 Q2" in body
    _, body = _search(client, q="transport")
    assert "Actions: 1 found" in body and "B9: Improve women" in body
    _, body = _search(client, q="MARAC repeat")  # every word, as a prefix
    assert "Indicators: 1 found" in body and "MARAC repeat case rate" in body
    _, body = _search(client, q="marac rep")
    assert "MARAC repeat case rate" in body
    _, body = _search(client, q="refuge transport")  # no single row holds both
    assert "Actions: 0 found" in body and "Updates: 0 found" in body


def test_mitigation_is_searched_and_named(login, make_user, police):
    _save(make_user("lead", police), police, "On track", mitigation="Escalate to the safeguarding board")
    _, body = _search(login("viewer"), q="escalate")
    assert "Updates: 1 found" in body
    assert "Mitigation: </span><mark>Escalate</mark>" in body


# (role, same agency as the writer) -> finds the draft
DRAFT_READERS = [
    ("lead", True, True),
    ("lead", False, False),
    ("coordinator", False, False),
    ("admin", False, False),
    ("viewer", False, False),
]


@pytest.mark.parametrize(("role", "same_agency", "finds"), DRAFT_READERS)
def test_other_agencies_drafts_stay_hidden(login, make_user, police, agency_named, role, same_agency, finds):
    _save(make_user("lead", police), police, "Draft: the referral pathway is not agreed", submit=False)
    client = login(role, police if same_agency else agency_named("Victim Support"))
    _, body = _search(client, q="pathway agreed")
    assert ("Updates: 1 found" in body) is finds
    assert ("referral" in body) is finds
    # A submitted one is found by everyone.
    _save(make_user("lead", police), police, "Submitted: the pathway is agreed", code="A2", submit=True)
    _, body = _search(client, q="pathway agreed")
    assert "Updates: 1 found" in body


def test_an_edit_is_searchable_at_once_and_the_old_words_go(login, make_user, police):
    lead = make_user("lead", police)
    _save(lead, police, "Awaiting the commissioning decision")
    _save(lead, police, "Commissioned: contract signed")
    client = login("viewer")
    assert "Updates: 0 found" in _search(client, q="awaiting")[1]
    assert "Updates: 1 found" in _search(client, q="contract signed")[1]


def test_a_deleted_row_is_no_longer_found(login, make_user, police):
    upd = _save(make_user("lead", police), police, "Temporary wording zebra")
    client = login("viewer")
    assert "Updates: 1 found" in _search(client, q="zebra")[1]
    db.session.delete(db.session.get(type(upd), upd.id))
    db.session.commit()
    assert "Updates: 0 found" in _search(client, q="zebra")[1]


@pytest.mark.parametrize("typed", ['"', "*", "AND", "NEAR(", "refuge OR", "-refuge", "'", ")", ":*", "&|!",
                                   "col:refuge", "^refuge", "refuge\"*", "\\", "%", "_", "a" * 200])
def test_query_syntax_is_only_text_never_an_error(login, typed):
    status, _ = _search(login("viewer"), q=typed)
    assert status == 200


@pytest.mark.parametrize(("params", "message"), [
    ({"q": ""}, "Enter words to search for"),
    ({"q": "   "}, "Enter words to search for"),
    ({"q": "the and"}, "Enter a word to search for, not only common words"),
    ({"q": "x" * 201}, "Search for 200 characters or fewer"),
    ({"q": "refuge", "kind": "users"}, "Select where to look from the list"),
])
def test_bad_input_gets_a_message_by_the_field(login, params, message):
    status, body = _search(login("viewer"), **params)
    assert status == 200
    assert "govuk-error-summary" in body and message in body
    assert "govuk-error-message" in body


def test_the_first_visit_shows_the_box_without_errors(login):
    status, body = _search(login("viewer"))
    assert status == 200 and 'role="search"' in body and "govuk-error-summary" not in body


def test_output_is_escaped(login, make_user, police):
    _save(make_user("lead", police), police, "<script>alert('x')</script> injected words")
    _, body = _search(login("viewer"), q="injected")
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_paging_links_keep_the_search(login, make_user, police):
    lead = make_user("lead", police)
    codes = [code for code in ("A2", "B1", "B2", "B3", "C1", "C2", "D1", "D2")
             if action(code).is_led_by(police.id)]
    quarters = [Quarter(2018, n) for n in (1, 2, 3, 4)] + [Quarter(2019, n) for n in (1, 2, 3, 4)]
    for quarter in quarters:
        for code in codes:
            _save(lead, police, "Paging words", code=code, quarter=quarter)
    hits = len(codes) * len(quarters)
    assert hits > 20
    client = login("viewer")
    status, first = _search(client, q="paging", kind="updates")
    assert status == 200 and f"Updates: {hits} found" in first
    assert "kind=updates" in first and "page=2" in first and "q=paging" in first
    status, second = _search(client, q="paging", kind="updates", page="2")
    assert status == 200 and 'start="21"' in second
    _, everything = _search(client, q="paging")
    assert f"See all {hits} updates" in everything
    last = (hits + 19) // 20
    assert _search(client, q="paging", kind="updates", page=str(last + 1))[0] == 404
    assert _search(client, q="paging", page="2")[0] == 404  # the first look at everything has one page


def test_statement_count_does_not_grow_with_the_hits(app, login, make_user, police):
    lead = make_user("lead", police)
    client = login("viewer")
    _save(lead, police, "Counting words", code="A2", quarter=Quarter(2018, 1))
    with count_queries() as few:
        _search(client, q="counting")
    for number in (2, 3, 4):
        _save(lead, police, "Counting words", code="A2", quarter=Quarter(2018, number))
    with count_queries() as more:
        _search(client, q="counting")
    assert len(more) == len(few)


def test_the_index_is_kept_by_the_database(app):
    """The full-text machinery exists at the migrations' head: triggers on SQLite, GIN indexes on PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        for table in ("action", "action_update", "indicator"):
            assert {f"{table}_search_{event}" for event in ("insert", "delete", "update")} <= names
    else:
        names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes")))
        assert {"ix_action_search", "ix_action_update_search", "ix_indicator_search"} <= names


def test_postgresql_uses_the_index(app):
    """The service writes the index's own expression, so the planner can use it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    statement = select(Update.id).where(_matches("action_update", Update.id, ["refuge"]))
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_action_update_search" in plan, plan
