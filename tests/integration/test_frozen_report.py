"""A locked quarter's report, pack, figures and charts stay exactly as they were published (issue 9E).

Reproduction: with 2019/20 Q2 locked, editing an action of the refreshed 2019/20 plan (title, leads,
timescale, due date) changed that quarter's published pack. Now the lock keeps both audiences' outputs and every
later change leaves them byte for byte as they were: a plan edit, an indicator added after the lock, and
a correction to an earlier quarter that was re-opened. Re-opening the quarter itself lets it change, and
locking it again keeps the new figures.
"""

import io
import zipfile

import pytest
from markupsafe import escape
from sqlalchemy import delete, select

from app.actions import service as actions_service
from app.actions.models import Action
from app.actions.rollup import Status
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis.models import Indicator
from app.refresh import service as refresh_service
from app.reports import frozen
from app.reports.models import FrozenReport
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import post_form
from tests.integration.report_helpers import set_value

Q4_2018 = Quarter(2018, 4)
Q1, Q2, Q3 = Quarter(2019, 1), Quarter(2019, 2), Quarter(2019, 3)
AUDIENCES = ("published", "partnership")


def outputs(client, quarter: Quarter) -> dict[str, bytes]:
    """Everything the board reads of a quarter, both audiences: page, pack, figures and a headline chart."""
    got = {}
    for audience in AUDIENCES:
        base = f"/reports/{quarter.slug}"
        for name, url in {"page": base, "pack": f"{base}/pack.xlsx", "json": f"{base}/indicators.json",
                          "chart": f"{base}/charts/DV01.svg"}.items():
            response = client.get(f"{url}?audience={audience}", follow_redirects=True)
            assert response.status_code == 200, (url, audience, response.status_code)
            # The page around the report carries a fresh CSRF token and nonce: compare the report itself.
            got[f"{name} {audience}"] = page_body(response.data).encode() if name == "page" else response.data
    return got


def page_body(content: bytes) -> str:
    """The report itself, without the page around it (navigation, the options form, the CSRF token)."""
    text = content.decode()
    return text[text.index('<span class="govuk-caption-l">'):text.index("</main>")]


def pack_strings(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/sharedStrings.xml").decode()


def report_a1(lead, quarter: Quarter, status: Status = Status.AMBER) -> None:
    a1 = next(a for a in actions_service.actions_for(quarter) if a.code == "A1")
    agency = a1.lead_agencies[0]
    actions_service.save_update(lead(agency), a1, agency, quarter, version=0, status=status,
                                commentary="Refuge places short", mitigation="Spot purchase agreed",
                                sub_statuses={}, submit=True)


@pytest.fixture
def locked_q2(app, login, make_user):
    """The plan refreshed for 2019/20; its Q1 and Q2 reported (A1 amber, DV01 values) and locked through the page."""
    lead = lambda agency: make_user("lead", agency=agency)  # noqa: E731
    report_a1(lead, Q4_2018)
    cycle_service.lock(make_user("coordinator"), Q4_2018, version=calendar.period_for(Q4_2018).version,
                       reason="Board meets")
    refresh_service.run_refresh(make_user("coordinator"), 2019, targets={})
    db.session.commit()
    for quarter, value in ((Q1, 120), (Q2, 135)):
        report_a1(lead, quarter)
        set_value("DV01", quarter, value)
    db.session.commit()
    coordinator = login("coordinator")
    for quarter in (Q1, Q2):
        period = calendar.period_for(quarter)
        response = post_form(coordinator, f"/cycle/{quarter.slug}/lock",
                             {"lock-version": period.version, "lock-reason": "Board meets"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.rollback()
    return coordinator


def a1_of_2019() -> Action:
    return db.session.scalar(select(Action).where(Action.code == "A1", Action.plan_year == 2019))


def test_the_lock_keeps_both_audiences_outputs(locked_q2):
    kept = db.session.scalars(select(FrozenReport).order_by(FrozenReport.period_id, FrozenReport.audience)).all()
    assert [(k.audience, len(k.pack) > 0) for k in kept] == [("partnership", True), ("published", True)] * 3


def test_editing_the_plan_does_not_rewrite_a_locked_quarters_outputs(locked_q2, agency_named):
    before = outputs(locked_q2, Q2)
    a1 = a1_of_2019()
    assert str(escape(a1.title)).encode() in before["page partnership"], "A1 is among the exceptions"
    police = agency_named("Metropolitan Police Service")
    response = post_form(locked_q2, f"/plan/actions/{a1.id}/edit", {
        "title": "A retitled action", "timescale": "March 2021", "leads": [str(police.id)],
        "sub_actions": "\n".join(s.text for s in a1.sub_actions), "outcomes": "\n".join(a1.outcomes),
        "version": str(a1.version)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.rollback()
    assert a1_of_2019().title == "A retitled action"

    assert outputs(locked_q2, Q2) == before
    # The edit is real: the pack of the quarter still open shows it.
    assert "A retitled action" in pack_strings(locked_q2.get(f"/reports/{Q3.slug}/pack.xlsx").data)


def test_an_indicator_added_after_the_lock_is_not_in_the_locked_quarter(locked_q2):
    before = outputs(locked_q2, Q2)
    dv01 = db.session.scalar(select(Indicator).where(Indicator.code == "DV01"))
    copy = {c.key: getattr(dv01, c.key) for c in Indicator.__table__.columns if c.key != "id"}
    db.session.add(Indicator(**{**copy, "code": "ZZ99", "name": "Added after the lock"}))
    db.session.commit()

    assert outputs(locked_q2, Q2) == before
    assert b"Added after the lock" in locked_q2.get(f"/reports/{Q3.slug}").data


def test_correcting_a_reopened_earlier_quarter_leaves_a_later_locked_quarter_alone(locked_q2, login):
    before_q2 = outputs(locked_q2, Q2)
    before_q1 = outputs(locked_q2, Q1)
    admin = login("admin")
    period = calendar.period_for(Q1)
    response = post_form(admin, f"/cycle/{Q1.slug}/reopen",
                         {"reopen-version": period.version, "reopen-reopen_reason": "DV01 corrected"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.rollback()
    assert frozen.find(Q1, "partnership") is None, "re-opening drops the quarter's copy"
    set_value("DV01", Q1, 999)
    db.session.commit()
    assert b"999" in locked_q2.get(f"/reports/{Q1.slug}").data, "re-opened: Q1 shows the correction"

    assert outputs(locked_q2, Q2) == before_q2
    period = calendar.period_for(Q1)
    response = post_form(locked_q2, f"/cycle/{Q1.slug}/lock",
                         {"lock-version": period.version, "lock-reason": "Corrected"})
    assert response.status_code == 302
    db.session.rollback()
    after_q1 = outputs(locked_q2, Q1)
    assert after_q1["pack partnership"] != before_q1["pack partnership"]
    assert b"999" in after_q1["page partnership"] and b"999" in after_q1["json partnership"]


def test_reopening_the_quarter_lets_it_change_and_locking_again_keeps_the_change(locked_q2, login):
    a1 = a1_of_2019()
    admin = login("admin")
    period = calendar.period_for(Q2)
    post_form(admin, f"/cycle/{Q2.slug}/reopen", {"reopen-version": period.version,
                                                  "reopen-reopen_reason": "Title corrected"})
    db.session.rollback()
    a1.title = "Corrected while re-opened"
    db.session.commit()
    assert b"Corrected while re-opened" in locked_q2.get(f"/reports/{Q2.slug}").data
    period = calendar.period_for(Q2)
    post_form(locked_q2, f"/cycle/{Q2.slug}/lock", {"lock-version": period.version, "lock-reason": "Again"})
    db.session.rollback()
    kept = frozen.find(Q2, "partnership")
    assert kept is not None and "Corrected while re-opened" in kept.page_head + kept.page_body
    before = outputs(locked_q2, Q2)
    a1_of_2019().title = "Changed after the second lock"
    db.session.commit()
    assert outputs(locked_q2, Q2) == before


def test_the_kept_page_is_the_page_as_it_was_at_the_lock(locked_q2):
    """Served from the copy, the page reads exactly as the live page did when the quarter was locked."""
    kept_page = locked_q2.get(f"/reports/{Q2.slug}").data
    db.session.execute(delete(FrozenReport))
    db.session.commit()
    live_page = locked_q2.get(f"/reports/{Q2.slug}").data
    kept, live = page_body(kept_page), page_body(live_page)
    kept_generated = kept[kept.rindex("Generated"):]
    live_generated = live[live.rindex("Generated"):]
    assert kept.replace(kept_generated, "") == live.replace(live_generated, "")


def test_freeze_reports_keeps_quarters_locked_before_copies_were_kept(app, locked_q2):
    db.session.execute(delete(FrozenReport))
    db.session.commit()
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["freeze-reports"])
    assert result.exit_code == 0, result.output
    assert ("Kept the report, pack and figures of 3 locked quarter(s): 2018/19 Q4, 2019/20 Q1, 2019/20 Q2."
            in result.output)
    assert frozen.find(Q2, "published") is not None
    again = app.test_cli_runner().invoke(args=["freeze-reports"])
    assert "0 locked quarter(s): none" in again.output
