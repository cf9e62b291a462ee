"""The annual refresh's rules: which actions close, which carry forward and when a refresh may run.

An indicator's year-end outturn is app.kpis.aggregation's (the year to date at Q4).

Pure: no Flask, no SQLAlchemy. Decisions where the strategy is silent:

* Only a partnership status of Complete at the previous year's Q4 closes an action. "No update"
  is never read as done (it is never shown as green either), so an action nobody reported on in Q4
  carries forward and the coordinator can retire it if it really finished.
* An action retired during the previous year is neither closed nor carried: it stays retired.
* A year is refreshed once, after the previous year's Q4 is locked, before any quarter of the new
  year is locked (a locked quarter's report must keep its figures), and never behind a later refresh.
"""

from __future__ import annotations

from datetime import date

from app.labels import LabelledEnum

__all__ = [
    "TIMESCALE_LIMIT",
    "Outcome",
    "is_past_due",
    "outcome_for",
    "refusal",
    "timescale_problem",
]

COMPLETE = "complete"


class Outcome(LabelledEnum):
    """What the refresh does with one action of the previous plan year; the label is the page's wording."""

    CLOSED = "closed", "Closed (complete)"
    CARRIED_FORWARD = "carried_forward", "Carried forward"
    RETIRED = "retired", "Retired"


def outcome_for(q4_status: str | None, retired: bool = False) -> Outcome:
    """Closed when the Q4 partnership status is Complete, Retired when it was retired, else carried forward.

    q4_status is a status value ("complete", "green", ..., "no_update") or None (nothing known).
    """
    if retired:
        return Outcome.RETIRED
    return Outcome.CLOSED if (q4_status or "").lower() == COMPLETE else Outcome.CARRIED_FORWARD


TIMESCALE_LIMIT = 200  # characters: "April 2019 and refresh annually" and the like


def is_past_due(due_date: date | None, year_start: date) -> bool:
    """True when an action carried into the year starting `year_start` was due before that year began.

    No due date ("Ongoing") is never past due; a due date on the year's first day is not past.
    """
    return due_date is not None and due_date < year_start


def timescale_problem(code: str, old: str | None, new: str | None, new_due: date | None,
                      year_start: date) -> str | None:
    """Why a timescale typed at the refresh for a past-due action cannot be used, or None when it can.

    `new_due` is the due date derived from `new` (None when it names no month). Leaving the old text
    as it was is allowed: the coordinator may decide the action stays overdue. A new text must not be
    blank, must fit, and must not name a month that has already passed when the new year starts.
    """
    text = (new or "").strip()
    if text == (old or "").strip():
        return None
    if not text:
        return f"Enter a timescale for {code}, like March 2020 or Ongoing"
    if len(text) > TIMESCALE_LIMIT:
        return f"The timescale for {code} must be {TIMESCALE_LIMIT} characters or fewer"
    if is_past_due(new_due, year_start):
        return (f"The timescale for {code} names a month before the new plan year starts: "
                f"enter one from {year_start:%B %Y} on, like March {year_start.year + 1}, or Ongoing")
    return None


def refusal(year: int, *, first_year: int, last_year: int, previous_q4_locked: bool,
            already_refreshed: bool, later_refreshed: bool, new_year_locked: bool) -> str | None:
    """Why the plan cannot be refreshed for `year` (financial-year start), or None when it can.

    The first year is the seeded plan, so it is never refreshed; checks run in the order a
    coordinator can act on them.
    """
    label = f"{year}/{(year + 1) % 100:02d}"
    previous = f"{year - 1}/{year % 100:02d}"
    if year <= first_year or year > last_year:
        return (f"{label} is not a year that can be refreshed: the strategy's plan starts in "
                f"{first_year}/{(first_year + 1) % 100:02d} and runs to {last_year}/{(last_year + 1) % 100:02d}.")
    if already_refreshed:
        return f"The plan for {label} has already been refreshed. A year is refreshed only once."
    if later_refreshed:
        return f"A later year's plan has already been refreshed, so {label} can no longer be refreshed."
    if not previous_q4_locked:
        return (f"{previous} Q4 is not locked yet. Sign off and lock {previous} Q4 in the quarterly cycle "
                f"before refreshing the plan for {label}, so the year's final statuses cannot change.")
    if new_year_locked:
        return (f"A quarter of {label} is already locked: refreshing now would change its signed-off report. "
                "Ask an admin to re-open it first.")
    return None
