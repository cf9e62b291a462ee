"""Pure rules of the quarterly cycle: a period's status, which reminder is due, and how complete it is.

A quarter's default window (`default_dates`) is the calendar's: app.strategy.quarters.

No Flask and no SQLAlchemy here, so every rule is tested as a table of cases.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

from app.strategy.quarters import add_working_days, is_working_day

DUE_SOON_WORKING_DAYS = 3  # the "deadline approaching" reminder goes this many working days before it
# A missed cron run still sends a reminder late, but only this many working days late: a first run
# years into the strategy must not chase every old quarter.
CATCH_UP_WORKING_DAYS = 5


class PeriodStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"  # after the deadline, waiting for review and sign-off
    LOCKED = "locked"

    @property
    def label(self) -> str:
        return {"upcoming": "Upcoming", "open": "Open", "closed": "Closed for review", "locked": "Locked"}[
            self.value
        ]

    @property
    def css(self) -> str:
        """The GOV.UK tag colour that repeats the status text."""
        return {
            "upcoming": "govuk-tag--grey",
            "open": "govuk-tag--green",
            "closed": "govuk-tag--yellow",
            "locked": "govuk-tag--blue",
        }[self.value]


class ReminderKind(enum.StrEnum):
    OPENING = "opening"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"opening": "window open", "due_soon": "deadline approaching", "overdue": "overdue"}[
            self.value
        ]


def period_status(today: date, opens_on: date, deadline: date, locked: bool) -> PeriodStatus:
    """Locked wins; otherwise upcoming before opens_on, open up to and including the deadline, then closed."""
    if locked:
        return PeriodStatus.LOCKED
    if today < opens_on:
        return PeriodStatus.UPCOMING
    if today <= deadline:
        return PeriodStatus.OPEN
    return PeriodStatus.CLOSED


def working_days_before(day: date, n: int) -> date:
    """The date n working days before `day` (n = 0 gives `day`)."""
    current = day
    while n:
        current -= timedelta(days=1)
        if is_working_day(current):
            n -= 1
    return current


def due_soon_date(deadline: date) -> date:
    """The day the "deadline approaching" reminder goes: 3 working days before the deadline."""
    return working_days_before(deadline, DUE_SOON_WORKING_DAYS)


def reminder_due(today: date, opens_on: date, deadline: date, locked: bool) -> ReminderKind | None:
    """The reminder that applies on `today`, or None.

    Opening from opens_on until the due-soon day; due-soon from then to the deadline; overdue from the
    day after the deadline for CATCH_UP_WORKING_DAYS working days. Each applies for a stretch rather than
    one day so a missed daily run catches up; the caller sends each kind once. Nothing for a locked quarter.
    """
    if locked or today < opens_on:
        return None
    soon = due_soon_date(deadline)
    if today <= deadline:
        return ReminderKind.DUE_SOON if today >= max(soon, opens_on) else ReminderKind.OPENING
    if today <= add_working_days(deadline, CATCH_UP_WORKING_DAYS):
        return ReminderKind.OVERDUE
    return None


def completion(done: int, due: int) -> int | None:
    """Whole-number percentage done; None when nothing is due (shown as "Nothing due", never 100%)."""
    if due == 0:
        return None
    return (100 * done) // due
