"""The strategy calendar (app.strategy): every quarter's reporting period is created with the strategy by
the seed, and a database from before that (a quarter with no period row) still reads on every page
without writing; the first write to that quarter creates its row."""

from datetime import date

from sqlalchemy import delete, func, select

from app.actions.seed import load_plan
from app.extensions import db
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter
from tests.helpers import audit_count

Q = Quarter(2019, 2)  # its default window: 16 Sep 2019 to 21 Oct 2019


def period_rows(quarter: Quarter | None = None) -> int:
    """Committed period rows (of `quarter` only, if given), read afresh."""
    db.session.expire_all()
    query = select(func.count()).select_from(ReportingPeriod)
    if quarter is not None:
        query = query.where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
    return db.session.scalar(query)


def forget_period(quarter: Quarter) -> None:
    """Make the database look like one from before the seed created every period."""
    db.session.execute(
        delete(ReportingPeriod).where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number)
    )
    db.session.commit()


def test_the_seed_creates_every_period_with_the_strategy(app):
    assert period_rows() == len(calendar.quarters())
    assert {p.period for p in db.session.scalars(select(ReportingPeriod))} == set(calendar.quarters())
    db.session.execute(delete(ReportingPeriod))
    db.session.commit()

    result = load_plan()  # the plan is all there already: only the periods are missing
    db.session.commit()

    assert (result.actions, result.periods) == (0, len(calendar.quarters()))
    assert period_rows() == len(calendar.quarters())


def test_a_quarter_without_its_period_row_reads_without_writing(login):
    forget_period(Q)
    client = login("coordinator")
    db.session.commit()
    audits = audit_count()

    for path in ("/cycle/", f"/cycle/{Q.slug}", f"/reports/{Q.slug}", "/dashboard"):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.startswith("/cycle/"):
            assert "21 Oct 2019" in response.get_data(as_text=True), "the default deadline, shown from memory"

    assert period_rows(Q) == 0, "a GET created no period"
    assert audit_count() == audits
    period = calendar.period_for(Q)
    assert (period.id, period.opens_on, period.deadline) == (None, date(2019, 9, 16), date(2019, 10, 21))
    assert not calendar.is_locked(Q)


def test_the_first_write_to_such_a_quarter_creates_its_period(app):
    forget_period(Q)

    period = calendar.ensure_unlocked(Q)  # what every save to the quarter calls first
    db.session.commit()

    assert period.id is not None
    assert period_rows(Q) == 1
    assert (period.opens_on, period.deadline) == (date(2019, 9, 16), date(2019, 10, 21))
