"""The quarterly cycle's pure rules, as tables of cases."""

from datetime import date

import pytest

from app.cycle.deadlines import (
    PeriodStatus,
    ReminderKind,
    completion,
    due_soon_date,
    period_status,
    reminder_due,
    working_days_before,
)
from app.strategy.quarters import Quarter, default_dates

D = date


@pytest.mark.parametrize(
    ("quarter", "opens_on", "deadline"),
    [
        # Q1 ends Sun 30 Jun 2019; 15 working days later is Fri 19 Jul.
        ("2019-20-Q1", D(2019, 6, 16), D(2019, 7, 19)),
        # Q2 ends Mon 30 Sep 2019.
        ("2019-20-Q2", D(2019, 9, 16), D(2019, 10, 21)),
        # Q3: Christmas, Boxing Day and New Year's Day are skipped.
        ("2019-20-Q3", D(2019, 12, 17), D(2020, 1, 22)),
        # Q4 2019/20: Good Friday 10 Apr and Easter Monday 13 Apr 2020 are skipped.
        ("2019-20-Q4", D(2020, 3, 17), D(2020, 4, 23)),
        # Q4 2018/19: Good Friday 19 Apr and Easter Monday 22 Apr 2019 are skipped.
        ("2018-19-Q4", D(2019, 3, 17), D(2019, 4, 23)),
        # Q1 2020/21: nothing special in July.
        ("2020-21-Q1", D(2020, 6, 16), D(2020, 7, 21)),
        # Q3 2021/22 ends Fri 31 Dec 2021: the substitute New Year holiday Mon 3 Jan 2022 is skipped.
        ("2021-22-Q3", D(2021, 12, 17), D(2022, 1, 24)),
    ],
)
def test_default_dates(quarter, opens_on, deadline):
    assert default_dates(Quarter.parse(quarter)) == (opens_on, deadline)


OPEN, DEADLINE = D(2019, 9, 16), D(2019, 10, 21)


@pytest.mark.parametrize(
    ("today", "locked", "expected"),
    [
        (D(2019, 9, 15), False, PeriodStatus.UPCOMING),  # the day before the window opens
        (D(2019, 9, 16), False, PeriodStatus.OPEN),  # opening day
        (D(2019, 10, 21), False, PeriodStatus.OPEN),  # deadline day is still open
        (D(2019, 10, 22), False, PeriodStatus.CLOSED),  # the day after: closed for review
        (D(2020, 6, 1), False, PeriodStatus.CLOSED),
        (D(2019, 9, 1), True, PeriodStatus.LOCKED),  # locked wins whatever the date
        (D(2019, 10, 22), True, PeriodStatus.LOCKED),
    ],
)
def test_period_status(today, locked, expected):
    assert period_status(today, OPEN, DEADLINE, locked) is expected


def test_status_labels_are_text():
    assert [s.label for s in PeriodStatus] == ["Upcoming", "Open", "Closed for review", "Locked"]


@pytest.mark.parametrize(
    ("today", "locked", "expected"),
    [
        (D(2019, 9, 15), False, None),  # before the window
        (D(2019, 9, 16), False, ReminderKind.OPENING),  # window opens
        (D(2019, 10, 15), False, ReminderKind.OPENING),  # still the opening stretch (a missed run catches up)
        (D(2019, 10, 16), False, ReminderKind.DUE_SOON),  # 3 working days before Mon 21 Oct
        (D(2019, 10, 21), False, ReminderKind.DUE_SOON),  # deadline day
        (D(2019, 10, 22), False, ReminderKind.OVERDUE),  # the day after the deadline
        (D(2019, 10, 28), False, ReminderKind.OVERDUE),  # the fifth working day after: last catch-up day
        (D(2019, 10, 29), False, None),  # too late to chase by reminder
        (D(2019, 10, 22), True, None),  # locked quarters are never chased
        (D(2019, 9, 16), True, None),
    ],
)
def test_reminder_due(today, locked, expected):
    assert reminder_due(today, OPEN, DEADLINE, locked) == expected


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (D(2019, 10, 21), D(2019, 10, 16)),  # Mon -> previous Wed
        (D(2019, 10, 24), D(2019, 10, 21)),  # Thu -> Mon
        (D(2020, 4, 23), D(2020, 4, 20)),  # Thu after Easter -> Mon
        (D(2020, 4, 15), D(2020, 4, 8)),  # counts 14 and 9 Apr, skipping Easter Monday and Good Friday
    ],
)
def test_due_soon_date(deadline, expected):
    assert due_soon_date(deadline) == expected


def test_working_days_before_zero_is_the_day():
    assert working_days_before(D(2019, 10, 19), 0) == D(2019, 10, 19)


def test_when_the_window_opens_after_the_due_soon_day_the_first_reminder_is_due_soon():
    assert reminder_due(D(2019, 10, 18), D(2019, 10, 18), D(2019, 10, 21), False) is ReminderKind.DUE_SOON


@pytest.mark.parametrize(
    ("done", "due", "expected"),
    [
        (0, 0, None),
        (0, 4, 0),
        (1, 3, 33),
        (2, 3, 66),
        (199, 200, 99),
        (5, 5, 100),
    ],
)
def test_completion_never_rounds_up_to_done(done, due, expected):
    assert completion(done, due) == expected
