"""The refresh's rules for carried-forward actions past their due date, as tables of cases."""

from datetime import date

import pytest

from app.refresh.carry_forward import TIMESCALE_LIMIT, is_past_due, timescale_problem

START = date(2019, 4, 1)  # 2019/20 starts


@pytest.mark.parametrize(("due", "expected"), [
    (None, False),  # "Ongoing": no due date, never past due
    (date(2019, 3, 31), True),  # "March 2019": due the day before the year starts
    (date(2019, 4, 1), False),  # due on the first day of the year: not yet past
    (date(2019, 4, 30), False),  # "April 2019"
    (date(2018, 6, 30), True),
])
def test_is_past_due(due, expected):
    assert is_past_due(due, START) is expected


@pytest.mark.parametrize(("old", "new", "new_due", "expected"), [
    ("March 2019", "March 2019", date(2019, 3, 31), None),  # kept as it was: allowed, stays overdue
    ("March 2019", "  March 2019 ", date(2019, 3, 31), None),  # spaces do not make it a change
    ("March 2019", "March 2020", date(2020, 3, 31), None),
    ("March 2019", "Ongoing", None, None),
    ("March 2019", "April 2019", date(2019, 4, 30), None),
    ("March 2019", "", None, "Enter a timescale for B2, like March 2020 or Ongoing"),
    ("March 2019", "   ", None, "Enter a timescale for B2, like March 2020 or Ongoing"),
    ("March 2019", "February 2019", date(2019, 2, 28),
     "The timescale for B2 names a month before the new plan year starts: enter one from April 2019 on, "
     "like March 2020, or Ongoing"),
    ("March 2019", "x" * (TIMESCALE_LIMIT + 1), None,
     f"The timescale for B2 must be {TIMESCALE_LIMIT} characters or fewer"),
    ("March 2019", "x" * TIMESCALE_LIMIT, None, None),
    (None, "", None, None),  # no timescale before and none typed: nothing changes
])
def test_timescale_problem(old, new, new_due, expected):
    assert timescale_problem("B2", old, new, new_due, START) == expected
