"""Saves racing the lock of their quarter: none may land after the lock (issue 9, defect D).

Leads keep saving while the coordinator locks the quarter, each in a thread of its own with its own
database session, as concurrent requests are. Every save accepted must have been written before
`locked_at`, and every save after the lock refused. Ten rounds, one quarter each.
"""

import random
import threading

import pytest
from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Update
from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from tests.conftest import csrf_token

ROUNDS = 10
SAVES_PER_THREAD = 40  # a bound, so a lock that never lands cannot hang the test


def _save_loop(app, client, token, url, form, version_field, outcomes, barrier):
    """Save again and again, each time from the version just saved, until the quarter refuses it."""
    with app.app_context():
        barrier.wait()
        for version in range(SAVES_PER_THREAD):
            response = client.post(url, data={**form, version_field: str(version), "csrf_token": token})
            outcomes.append(response.status_code)
            if response.status_code != 302:
                break
            threading.Event().wait(random.uniform(0.0, 0.02))  # seconds: jitter, as people click
        db.session.remove()


def _lock(app, client, token, quarter, version, outcomes, barrier):
    with app.app_context():
        barrier.wait()
        threading.Event().wait(random.uniform(0.0, 0.05))  # seconds: land the lock among the saves
        try:
            response = client.post(f"/cycle/{quarter.slug}/lock",
                                   data={"lock-version": str(version), "lock-reason": "Board", "csrf_token": token})
        except Exception as exc:
            outcomes.append(repr(exc))
            raise
        outcomes.append(response.status_code)
        db.session.remove()


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_no_save_lands_after_the_lock(app, login, agency_named, round_number):
    quarter = calendar.quarters()[round_number]
    police = agency_named("Metropolitan Police Service")
    savers = []
    # Three leads of three agencies on their own actions, and the police's indicator value.
    for name in ("Metropolitan Police Service", "Victim Support", "Community Safety Partnership"):
        agency = agency_named(name)
        action = actions_service.actions_for(quarter, agency_id=agency.id)[0]
        client = login("lead", agency)
        form = {"status": "green", "commentary": "Saving while the quarter locks", "mitigation": "",
                "save_draft": "1"}
        savers.append((client, f"/actions/{action.id}/updates/{agency.id}/{quarter.slug}", form, "version"))
    indicator = db.session.scalar(select(Indicator).where(Indicator.owner_agency_id == police.id,
                                                          Indicator.frequency == "quarterly").limit(1))
    client = login("lead", police)
    savers.append((client, f"/indicators/{indicator.code}/values/{quarter.slug}",
                   {f"{indicator.code}-value": "7", f"{indicator.code}-note": ""}, f"{indicator.code}-version"))
    coordinator = login("coordinator")
    period = db.session.scalar(select(ReportingPeriod).where(ReportingPeriod.year == quarter.year,
                                                             ReportingPeriod.quarter == quarter.number))
    tokens = [csrf_token(c, "/dashboard") for c, *_ in savers]
    lock_token = csrf_token(coordinator, "/dashboard")
    period_id, period_version = period.id, period.version
    db.session.commit()  # the test's own session holds nothing while the threads run

    barrier = threading.Barrier(len(savers) + 1)
    save_outcomes = [[] for _ in savers]
    lock_outcome: list[int] = []
    threads = [
        threading.Thread(target=_save_loop, args=(app, client, token, url, form, field, outcomes, barrier))
        for (client, url, form, field), token, outcomes in zip(savers, tokens, save_outcomes, strict=True)
    ]
    threads.append(threading.Thread(target=_lock, args=(app, coordinator, lock_token, quarter, period_version,
                                                        lock_outcome, barrier)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)  # seconds: a generous bound, not a measurement
    assert not any(t.is_alive() for t in threads)

    assert lock_outcome == [302]
    db.session.rollback()  # read what the threads committed, not an older snapshot
    locked_at = db.session.get(ReportingPeriod, period_id).locked_at
    assert locked_at is not None
    updates = db.session.scalars(select(Update).where(Update.year == quarter.year,
                                                      Update.quarter == quarter.number)).all()
    values = db.session.scalars(select(IndicatorValue).where(IndicatorValue.year == quarter.year,
                                                             IndicatorValue.quarter == quarter.number)).all()
    late = [u for u in updates if u.updated_at > locked_at] + [v for v in values if v.entered_at > locked_at]
    assert late == [], "0 saves after the lock"
    for outcomes in save_outcomes:
        # accepted saves, then (once the lock is in) the "locked" answer, and nothing else
        accepted = outcomes[:-1] if outcomes[-1] in (200, 409) else outcomes  # 200: the form says locked
        assert set(accepted) <= {302}, outcomes
