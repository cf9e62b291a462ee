"""Indicators: the seeded catalogue, entering values, targets and their history, the pages."""

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.database import utcnow
from app.errors import ConflictError
from app.extensions import db
from app.kpis import service
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.kpis.scoring import Rag
from app.kpis.seed import INDICATORS_FILE, load_indicators
from app.strategy.quarters import Quarter
from tests.conftest import post_form
from tests.factories import add_indicator, add_target, add_value
from tests.helpers import count_queries

Q = Quarter(2019, 1)
URL = "/indicators/{code}/values/{slug}"


def _ind(code: str) -> Indicator:
    return service.indicator_by_code(code)


def _post_value(client, code: str, quarter: Quarter = Q, version: int = 0, headers=None, **fields):
    data = {f"{code}-version": str(version)} | {f"{code}-{k}": v for k, v in fields.items()}
    return post_form(client, URL.format(code=code, slug=quarter.slug), data, headers=headers or {})


@pytest.fixture
def csp_lead(login, agency_named):
    return login("lead", agency_named("Community Safety Partnership"))


# --- the catalogue ------------------------------------------------------------------------------


def test_catalogue_is_seeded_with_citations_and_the_documents_targets(app):
    entries = yaml.safe_load(INDICATORS_FILE.read_text())["indicators"]
    assert db.session.scalar(select(func.count(Indicator.id))) == len(entries)
    dv04 = _ind("DV04")
    assert dv04.baseline_value == 84 and dv04.baseline_line == 233
    assert "arrest target of 77%" in dv04.baseline_passage
    assert dv04.owner.name == "Metropolitan Police Service" and dv04.objective.code == "C"
    assert service.target_for(dv04, Quarter(2018, 1)).value == 77
    assert service.target_for(_ind("DV05"), Quarter(2018, 3)).value == 47
    row = service.target_row_for(dv04, 2018)
    assert row.note.startswith("From the JSNA: In 2010/11, Havering had an arrest target of 77%")
    assert service.target_for(_ind("DV06"), Q) is None
    # idempotent
    assert load_indicators() == 0
    assert db.session.scalar(select(func.count(IndicatorTarget.id))) == 2


def test_catalogue_page_shows_targets_and_no_target_agreed(login):
    page = login("viewer").get("/indicators?quarter=2018-19-Q1").get_data(as_text=True)
    assert "DV04: Domestic violence arrest rate" in page
    assert "77.0%" in page and "47.0%" in page
    assert "No target agreed" in page
    assert "No rating" in page


def test_indicator_page_shows_definition_and_citation(login):
    page = login("viewer").get("/indicators/DV04").get_data(as_text=True)
    assert "The percentage of those committing DV who are subsequently arrested." in page
    assert "000_8cfb82a6134874a5.txt), line 233" in page
    assert 'src="/indicators/DV04/chart.svg"' in page
    assert 'id="series-table"' in page


def test_unknown_indicator_is_404(login):
    assert login("viewer").get("/indicators/ZZ99").status_code == 404


# --- entering values ------------------------------------------------------------------------


def test_lead_enters_a_count_and_it_is_submitted_and_audited(police_lead):
    response = _post_value(police_lead, "DV01", value="12", note="From the CRIS extract")
    assert response.status_code == 302
    value = service.find_value(_ind("DV01"), Q)
    assert (value.value, value.state, value.version, value.entered_by_id) == (
        12,
        "submitted",
        1,
        police_lead.user.id,
    )
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "indicator_value"))
    assert event_.old is None and event_.new["value"] == 12 and event_.new["quarter"] == "2019-20-Q1"

    response = _post_value(police_lead, "DV01", version=1, value="15", note="From the CRIS extract")
    assert response.status_code == 302
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "indicator_value").order_by(AuditEvent.id)
        )
    )
    assert events[-1].old == {"value": 12} and events[-1].new == {"value": 15}
    history = service.value_history(_ind("DV01"))
    assert [h.value for h in history] == [15, 12]
    assert history[0].by == police_lead.user.email


def test_rate_is_computed_from_numerator_and_denominator(police_lead):
    response = _post_value(police_lead, "DV04", numerator="63", denominator="84", value="")
    assert response.status_code == 302
    value = service.find_value(_ind("DV04"), Q)
    assert (value.numerator, value.denominator) == (63, 84)
    assert value.value == pytest.approx(75.0)


@pytest.mark.parametrize(
    ("code", "fields", "field", "message"),
    [
        ("DV01", {"value": "-1"}, "value", "The value must be a whole number, 0 or more"),
        ("DV01", {"value": "2.5"}, "value", "The value must be a whole number, 0 or more"),
        ("DV01", {"value": "twelve"}, "value", "Enter the value as a number, like 12"),
        ("DV01", {"value": ""}, "value", "Enter the value for this quarter"),
        ("DV04", {"value": "101"}, "value", "The value must be a percentage from 0 to 100"),
        ("DV04", {"value": "-3"}, "value", "The value must be a percentage from 0 to 100"),
        (
            "DV04",
            {"numerator": "90", "denominator": "84"},
            "numerator",
            "The numerator cannot be more than the denominator",
        ),
        (
            "DV04",
            {"numerator": "5", "denominator": "0"},
            "denominator",
            "The denominator must be a whole number greater than 0",
        ),
        (
            "DV04",
            {"numerator": "5.5", "denominator": "10"},
            "numerator",
            "The numerator must be a whole number, 0 or more",
        ),
        ("DV04", {"numerator": "5", "denominator": ""}, "denominator", "Enter the denominator"),
        ("DV04", {"numerator": "abc", "denominator": "10"}, "numerator", "Enter the numerator as a number"),
        ("DV04", {}, "value", "Enter the numerator and denominator, or the value"),
    ],
)
def test_invalid_values_are_refused_next_to_the_field(police_lead, code, fields, field, message):
    response = _post_value(police_lead, code, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{code}-{field}-error"' in page
    assert service.find_value(_ind(code), Q) is None


@pytest.mark.parametrize("slug", ["2017-18-Q4", "2022-23-Q1", "2019-20-Q5", "nonsense"])
def test_quarter_outside_the_strategy_is_404(police_lead, slug):
    response = post_form(
        police_lead, URL.format(code="DV01", slug=slug), {"DV01-value": "3", "DV01-version": "0"}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(IndicatorValue.id))) == 0


def test_annual_indicator_takes_its_value_in_q4_only(login, agency_named):
    client = login("lead", agency_named("Children's Services"))
    assert client.get(URL.format(code="CC01", slug="2019-20-Q2")).status_code == 404
    assert client.get(URL.format(code="CC01", slug="2019-20-Q4")).status_code == 200


def test_stale_version_is_a_conflict_and_nothing_is_overwritten(police_lead, login, agency_named):
    other = login("lead", agency_named("Metropolitan Police Service"))
    assert _post_value(police_lead, "DV01", value="7").status_code == 302
    response = _post_value(other, "DV01", version=0, value="9")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else saved this value while you were editing" in page
    assert service.find_value(_ind("DV01"), Q).value == 7
    # the form now carries their version, so saving again replaces it knowingly
    assert 'name="DV01-version" value="1"' in page
    assert _post_value(other, "DV01", version=1, value="9").status_code == 302
    assert service.find_value(_ind("DV01"), Q).value == 9


def test_save_value_service_raises_conflict(app, make_user, agency_named):
    lead = make_user("lead", agency_named("Metropolitan Police Service"))
    indicator = _ind("DV01")
    service.save_value(
        lead, indicator, Q, version=0, value=4, numerator=None, denominator=None, note="", provisional=False
    )
    with pytest.raises(ConflictError) as caught:
        service.save_value(
            lead,
            indicator,
            Q,
            version=0,
            value=5,
            numerator=None,
            denominator=None,
            note="",
            provisional=False,
        )
    assert caught.value.current.value == 4


def test_inline_entry_returns_the_row_with_the_new_rating(police_lead):
    response = _post_value(police_lead, "DV04", value="80", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith("{%") is False
    assert 'id="value-row-DV04"' in page and "<html" not in page
    assert "app-tag--green" in page and ">Green<" in page
    assert "DV04 value for 2019/20 Q1 saved" in page
    # below tolerance (77 * 0.9 = 69.3) with no value last year: Red
    response = _post_value(police_lead, "DV04", version=1, value="60", headers={"HX-Request": "true"})
    assert ">Red<" in response.get_data(as_text=True)
    # invalid input re-renders the row with the error, at 200
    response = _post_value(police_lead, "DV04", version=2, value="150", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "The value must be a percentage from 0 to 100" in response.get_data(as_text=True)


def test_my_indicators_lists_the_agencys_indicators(police_lead):
    page = police_lead.get("/my-indicators?quarter=2019-20-Q1").get_data(as_text=True)
    assert "DV04: Domestic violence arrest rate" in page
    assert "MA01" not in page  # owned by the Community Safety Partnership
    assert police_lead.get("/my-indicators?quarter=2030-31-Q1").status_code == 404


# --- scoring across quarters and targets ----------------------------------------------------


def _value(code: str, quarter: Quarter, value: float) -> None:
    add_value(_ind(code), quarter, value)
    db.session.commit()


def _rating(code: str, quarter: Quarter, as_of=None) -> Rag:
    """The quarter's rating as it stood at `as_of` (a lock time; None: as it stands now)."""
    return service.as_locked([_ind(code)], quarter, locked_at=as_of)[0].current.rag


def test_changing_next_years_target_does_not_alter_a_past_rating(app, make_user):
    coordinator = make_user("coordinator")
    _value("DV04", Quarter(2018, 2), 72)  # 77 target, Green down to 69.3
    assert _rating("DV04", Quarter(2018, 2)) is Rag.GREEN
    service.set_target(
        coordinator,
        _ind("DV04"),
        2019,
        value=90,
        profile=None,
        lower=None,
        upper=None,
        tolerance=None,
        note="Agreed by the HCSP",
    )
    db.session.commit()
    assert _rating("DV04", Quarter(2018, 2)) is Rag.GREEN
    assert service.target_for(_ind("DV04"), Quarter(2019, 2)).value == 90
    # 2019/20 without its own decision would carry 2018's; now it uses 90
    _value("DV04", Quarter(2019, 2), 75)
    # outside 90's tolerance (81) but better than the same quarter last year: Amber
    assert _rating("DV04", Quarter(2019, 2)) is Rag.AMBER
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "indicator_target")))
    assert events[-1].new["value"] == 90 and events[-1].old is None


def test_as_of_uses_the_target_in_force_when_the_quarter_was_locked(app, make_user):
    coordinator = make_user("coordinator")
    indicator = _ind("DV04")
    _value("DV04", Quarter(2018, 3), 72)
    locked_at = utcnow()
    later = locked_at + timedelta(seconds=1)
    row = service.set_target(
        coordinator,
        indicator,
        2018,
        value=80,
        profile=None,
        lower=None,
        upper=None,
        tolerance=0.0,
        note="Raised in year",
    )
    row.set_at = later
    db.session.commit()
    assert service.target_for(indicator, Quarter(2018, 3)).value == 80
    assert service.target_for(indicator, Quarter(2018, 3), as_of=locked_at).value == 77
    assert _rating("DV04", Quarter(2018, 3)) is Rag.RED
    assert _rating("DV04", Quarter(2018, 3), as_of=locked_at) is Rag.GREEN
    # history keeps both decisions
    assert [r.value for r in service.target_rows(indicator)] == [77, 80]


def test_quarterly_profile_overrides_the_annual_target(app, make_user):
    coordinator = make_user("coordinator")
    indicator = _ind("CH01")
    service.set_target(
        coordinator,
        indicator,
        2019,
        value=40,
        profile=[10, 20, None, None],
        lower=None,
        upper=None,
        tolerance=None,
        note="YTD trajectory",
    )
    db.session.commit()
    assert service.target_for(indicator, Quarter(2019, 2)).value == 20
    assert service.target_for(indicator, Quarter(2019, 3)).value == 40


# --- coordinator's pages --------------------------------------------------------------------


def test_coordinator_sets_a_target_with_history(login):
    client = login("coordinator")
    url = "/indicators/DV06/targets/2019-20"
    page = client.get(url).get_data(as_text=True)
    assert "No target agreed yet" in page
    response = post_form(
        client,
        url,
        {"basis": "quarter", "value": "25", "tolerance": "5", "note": "HCSP 12 April 2019",
         "expected_latest_id": "0"},
    )
    assert response.status_code == 302
    target = service.target_for(_ind("DV06"), Quarter(2019, 1))
    assert (target.value, target.tolerance) == (25, 0.05)
    page = client.get(url).get_data(as_text=True)
    assert "HCSP 12 April 2019" in page and "In force for 2019/20" in page and "For each quarter" in page


def test_coordinator_chooses_a_year_target_and_the_choice_is_audited(login):
    # ID02 is a flow: 30 referrals for the year is the year-end target as is, 7.5 a quarter evenly phased.
    client = login("coordinator")
    url = "/indicators/ID02/targets/2019-20"
    fields = {"basis": "year", "value": "30", "note": "HCSP 12 April 2019", "expected_latest_id": "0"}
    assert post_form(client, url, fields).status_code == 302
    row = service.target_row_for(_ind("ID02"), 2019)
    assert row.basis == "year"
    assert service.target_for(_ind("ID02"), Quarter(2019, 1)).value == 7.5
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "indicator_target")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.new["basis"] == "year" and event.new["value"] == 30
    page = client.get(url).get_data(as_text=True)
    assert 'value="year" checked' in page or "checked" in page.split('value="year"')[1][:40]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "", "note": "x"}, "Enter the target, or a target for each quarter"),
        ({"value": "120", "note": "x"}, "Target must be a percentage from 0 to 100"),
        ({"value": "abc", "note": "x"}, "Enter the target as a number"),
        ({"basis": "", "value": "20", "note": "x"}, "Select whether the target is for each quarter or for the year"),
        ({"basis": "fortnight", "value": "20", "note": "x"}, "Not a valid choice"),
        (
            {"value": "20", "tolerance": "150", "note": "x"},
            "The tolerance must be a percentage from 0 to 100",
        ),
        ({"value": "20", "note": ""}, "Enter the reason for this target"),
    ],
)
def test_invalid_targets_are_refused(login, fields, message):
    client = login("coordinator")
    data = {"basis": "quarter"} | fields | {"expected_latest_id": "0"}
    response = post_form(client, "/indicators/DV06/targets/2019-20", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert service.target_for(_ind("DV06"), Quarter(2019, 1)) is None


def test_band_target_needs_an_edge_and_in_order(login):
    client = login("coordinator")
    url = "/indicators/MA02/targets/2019-20"
    band = {"basis": "quarter", "note": "x", "expected_latest_id": "0"}
    response = post_form(client, url, band | {"lower": "40", "upper": "28"})
    assert "cannot be more than the highest" in response.get_data(as_text=True)
    response = post_form(client, url, band | {"lower": "28", "upper": "40"})
    assert response.status_code == 302
    target = service.target_for(_ind("MA02"), Quarter(2019, 1))
    assert (target.lower, target.upper) == (28, 40)


def test_two_coordinators_setting_a_target_get_a_conflict(login):
    first, second = login("coordinator"), login("coordinator")
    url = "/indicators/DV06/targets/2019-20"
    fields = {"basis": "quarter", "expected_latest_id": "0"}
    assert post_form(first, url, fields | {"value": "25", "note": "a"}).status_code == 302
    response = post_form(second, url, fields | {"value": "20", "note": "b"})
    assert "Someone else set this target while you were editing" in response.get_data(as_text=True)
    assert service.target_for(_ind("DV06"), Quarter(2019, 1)).value == 25


def test_missing_values_listing(app, make_user, agency_named, login):
    quarterly = {i.code for i in service.indicators() if not i.is_annual}
    assert {i.code for i in service.missing_values(Q)} == quarterly
    assert {"HP03", "CC01"} <= {i.code for i in service.missing_values(Quarter(2019, 4))}
    _value("DV01", Q, 3)
    assert "DV01" not in {i.code for i in service.missing_values(Q)}
    page = login("coordinator").get("/dashboard?quarter=2019-20-Q1").get_data(as_text=True)
    assert "Indicator values missing for 2019/20 Q1" in page and "DV02: Domestic incidents" in page
    assert "Indicator values missing" not in login("viewer").get("/dashboard").get_data(as_text=True)


def test_the_chase_list_is_kept_until_a_value_is_entered(app, login):
    """The list below the dashboard is built once per data version: a value entered shows at once."""
    coordinator = login("coordinator")
    url = "/dashboard?quarter=2019-20-Q1"
    for _ in range(2):  # the second view is the kept list
        assert "DV02: Domestic incidents" in coordinator.get(url).get_data(as_text=True)
    _value("DV02", Q, 40)
    page = coordinator.get(url).get_data(as_text=True)
    assert "DV02: Domestic incidents" not in page and "DV03:" in page


def test_catalogue_filters(app, login, agency_named):
    _value("DV04", Q, 80)
    _value("DV05", Q, 20)
    client = login("viewer")
    police = agency_named("Metropolitan Police Service")
    rows = service.catalogue(Q, agency_id=police.id)
    assert rows and all(r.indicator.owner_agency_id == police.id for r in rows)
    assert {r.indicator.code for r in service.catalogue(Q, rag="green")} == {"DV04"}
    assert {r.indicator.code for r in service.catalogue(Q, rag="red")} == {"DV05"}
    assert {r.indicator.objective.code for r in service.catalogue(Q, objective="C")} == {"C"}
    page = client.get("/indicators?quarter=2019-20-Q1&rag=green").get_data(as_text=True)
    assert 'data-indicator="DV04"' in page and 'data-indicator="DV05"' not in page
    page = client.get(f"/indicators?quarter=2019-20-Q1&agency={police.id}&objective=C").get_data(as_text=True)
    assert 'data-indicator="DV04"' in page and 'data-indicator="MA01"' not in page
    # directions of travel in words and arrows
    _value("DV04", Q.previous(), 70)
    page = client.get("/indicators?quarter=2019-20-Q1").get_data(as_text=True)
    assert "↑</span> Improving" in page


def test_chart_is_an_svg_with_its_own_narrow_csp(app, login):
    _value("DV04", Q, 80)
    response = login("viewer").get("/indicators/DV04/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<?xml")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    page = login("viewer").get("/indicators/DV04")
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert "Latest: 80.0% in 2019/20 Q1 against a target of 77.0% (rating: Green)" in page.get_data(
        as_text=True
    )


def _more_indicators(n: int, agency_id: int) -> None:
    for i in range(n):
        indicator = add_indicator(f"XX{i:02d}", agency_id, name=f"Extra {i}")
        add_target(indicator, 2018, 5, note="test")
        for q in (Quarter(2018, 4), Q):
            add_value(indicator, q, i)
    db.session.commit()


def test_pages_load_in_a_constant_number_of_queries(login, agency_named):
    police = agency_named("Metropolitan Police Service")
    client = login("lead", police)
    urls = ["/indicators?quarter=2019-20-Q1", "/my-indicators?quarter=2019-20-Q1"]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            with count_queries() as statements:
                client.get(url)
            counts.append(len(statements))
        return counts

    _more_indicators(3, police.id)
    before = measure()
    _extra(12, police.id)
    assert measure() == before


def _extra(n: int, agency_id: int) -> None:
    for i in range(n):
        indicator = add_indicator(f"YY{i:02d}", agency_id, name=f"More {i}", unit="percentage",
                                  polarity="lower_is_better")
        add_value(indicator, Q, 10, numerator=1, denominator=10)
    db.session.commit()
