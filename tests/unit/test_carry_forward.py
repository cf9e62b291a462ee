"""The annual refresh's rules as tables: which actions close or carry forward, when a refresh may run,
and how a year is written."""

import pytest

from app.refresh.carry_forward import Outcome, outcome_for, refusal
from app.strategy.quarters import parse_financial_year


@pytest.mark.parametrize("status, retired, expected", [
    ("complete", False, Outcome.CLOSED),
    ("COMPLETE", False, Outcome.CLOSED),
    ("green", False, Outcome.CARRIED_FORWARD),
    ("amber", False, Outcome.CARRIED_FORWARD),
    ("red", False, Outcome.CARRIED_FORWARD),
    ("no_update", False, Outcome.CARRIED_FORWARD),  # nothing said is never read as done
    (None, False, Outcome.CARRIED_FORWARD),
    ("", False, Outcome.CARRIED_FORWARD),
    ("complete", True, Outcome.RETIRED),  # a retired action stays retired whatever was last said
    ("red", True, Outcome.RETIRED),
    (None, True, Outcome.RETIRED),
])
def test_outcome_for(status, retired, expected):
    assert outcome_for(status, retired) is expected


@pytest.mark.parametrize("text, year", [
    ("2019-20", 2019), ("2019/20", 2019), (" 2019-2020 ", 2019), ("2099-00", 2099), ("2021-22", 2021),
])
def test_parse_financial_year(text, year):
    assert parse_financial_year(text) == year


@pytest.mark.parametrize("text", ["2019", "2019-21", "2019-2021", "19-20", "", "2019-20-Q1", "abcd-ef"])
def test_parse_financial_year_refuses(text):
    with pytest.raises(ValueError):
        parse_financial_year(text)


OK = {"first_year": 2018, "last_year": 2021, "previous_q4_locked": True, "already_refreshed": False,
      "later_refreshed": False, "new_year_locked": False}


@pytest.mark.parametrize("year, changes, expected", [
    (2019, {}, None),
    (2021, {}, None),
    (2018, {}, "is not a year that can be refreshed"),  # the seeded plan
    (2022, {}, "is not a year that can be refreshed"),  # after the strategy
    (2019, {"previous_q4_locked": False}, "2018/19 Q4 is not locked yet"),
    (2019, {"already_refreshed": True}, "has already been refreshed"),
    (2019, {"already_refreshed": True, "previous_q4_locked": False}, "has already been refreshed"),
    (2019, {"later_refreshed": True}, "A later year's plan has already been refreshed"),
    (2019, {"new_year_locked": True}, "is already locked"),
    (2020, {"previous_q4_locked": False, "new_year_locked": True}, "2019/20 Q4 is not locked yet"),
])
def test_refusal(year, changes, expected):
    reason = refusal(year, **(OK | changes))
    if expected is None:
        assert reason is None
    else:
        assert expected in reason
