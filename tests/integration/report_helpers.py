"""Shared set-up for the report, pack and disclosure-output tests: demo-like data full of small counts."""

import random

from sqlalchemy import select

from app.extensions import db
from app.kpis.models import Indicator, IndicatorValue
from app.strategy.quarters import Quarter
from tests.factories import add_value

Q4_2018 = Quarter(2018, 4)
YEAR_2019 = Quarter(2019, 1).year_quarters()


def load_demo_data() -> None:
    """The `flask seed --demo` data: demo users, a year of updates, two years of indicator values."""
    from app.demo import load_demo
    from app.kpis.demo import load_demo_values

    load_demo()
    load_demo_values()
    db.session.commit()


def set_value(code: str, quarter: Quarter, value: float | None) -> None:
    """Put a submitted value straight into the table (no service: a locked quarter is set up this way too)."""
    indicator = db.session.scalar(select(Indicator).where(Indicator.code == code))
    row = db.session.scalar(select(IndicatorValue).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.year == quarter.year,
        IndicatorValue.quarter == quarter.number))
    if row is None:
        row = add_value(indicator, quarter, value)
    row.value = value
    row.state = "submitted"
    db.session.flush()


def small_counts(seed: int = 5) -> list[str]:
    """Give every suppressible quarterly count indicator 2019/20 values, most of them 0 to 4."""
    rng = random.Random(seed)  # noqa: S311 - test data
    codes = []
    for indicator in db.session.scalars(select(Indicator).order_by(Indicator.code)):
        if indicator.unit != "count" or not indicator.suppress or indicator.is_annual or indicator.cumulative:
            continue
        codes.append(indicator.code)
        for quarter in YEAR_2019:
            set_value(indicator.code, quarter, float(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30])))
    db.session.commit()
    return codes


def suppressible_counts() -> set[str]:
    return set(db.session.scalars(
        select(Indicator.code).where(Indicator.unit == "count", Indicator.suppress.is_(True))))
