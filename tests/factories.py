"""Factories for the rows tests put straight into the database, bypassing the services.

A test builds rows this way to set up a state (a quarter of returns, a long catalogue) without the
audit trail and checks the services add. Each factory adds and flushes its row and returns it; the
test commits when it needs the row seen by a request. Keyword arguments set any other column.
"""

from app.actions.models import Action, Update
from app.extensions import db
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.strategy.quarters import Quarter


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row


def add_update(action: Action, agency_id: int, quarter: Quarter, status: str | None, *,
               state: str = "submitted", **columns) -> Update:
    """A lead agency's update on `action` for `quarter`, submitted unless `state` says otherwise."""
    return _add(Update(action_id=action.id, agency_id=agency_id, year=quarter.year, quarter=quarter.number,
                       status=status, state=state, **columns))


def add_indicator(code: str, owner_agency_id: int, *, name: str | None = None, unit: str = "count",
                  polarity: str = "higher_is_better", **columns) -> Indicator:
    """A quarterly indicator outside the seeded catalogue, owned by `owner_agency_id`."""
    return _add(Indicator(code=code, name=name or f"Test indicator {code}", definition="Test", unit=unit,
                          frequency="quarterly", owner_agency_id=owner_agency_id, polarity=polarity,
                          action_codes=[], **columns))


def add_value(indicator: Indicator, quarter: Quarter, value: float | None, *, state: str = "submitted",
              **columns) -> IndicatorValue:
    """The indicator's value for `quarter`, submitted unless `state` says otherwise."""
    return _add(IndicatorValue(indicator_id=indicator.id, year=quarter.year, quarter=quarter.number, value=value,
                               state=state, **columns))


def add_target(indicator: Indicator, year: int, value: float | None, **columns) -> IndicatorTarget:
    """A target decision for the indicator's financial year `year` (2018 is 2018/19)."""
    return _add(IndicatorTarget(indicator_id=indicator.id, year=year, value=value, **columns))
