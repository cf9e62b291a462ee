"""Due dates derived from the action plan's free-text timescales, and the overdue rule.

The plan's timescales are prose ("Ongoing", "March 2019", "April 2019 and refresh annually").
The text is always kept as written; a due date is derived only where the text names a month and a year,
so that overdue actions can be flagged without guessing at deadlines the plan never set.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from app.actions.rollup import Status

__all__ = ["derive_due_date", "is_overdue"]

_MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# A month name, full or abbreviated ("Sept", "Sep.", "Mar"), then a year: four digits ("March 2019"),
# or two digits only where the form is unambiguous ("Sept '19", Excel's "Mar-19"). A bare
# "March 19" is not read, since it may as well mean the 19th of March.
_MONTH_YEAR_RE = re.compile(
    r"\b(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
    r"(?:,?\s*(?P<year4>[12]\d{3})|\s*['\u2019](?P<year2a>\d{2})|-(?P<year2b>\d{2}))\b",
    re.IGNORECASE,
)


def derive_due_date(text: str | None) -> date | None:
    """The due date a timescale names: the last day of its month ("March 2019" -> 2019-03-31).

    Edge cases, each deliberate:
    - None, blank, "Ongoing", "Annually", "Quarterly": no month named, so no due date.
    - A bare year or range ("2019", "2018-2021") or a season ("Summer 2019"): no month named, so None
      rather than a guessed month; the plan's own wording is shown instead.
    - Several month-year pairs ("April 2019 to March 2020"): the earliest, because it names the first
      deadline the action can miss.
    - "March 2019 onwards", "April 2019 and refresh annually", "By March 2020": the named month is the
      deadline for getting the work in place; what follows it is the cycle after that.
    - A day given as well ("15 March 2019"): still the month's last day, as the plan reports quarterly.
    """
    if not text:
        return None
    due_dates = [_month_end(match) for match in _MONTH_YEAR_RE.finditer(text)]
    return min(due_dates) if due_dates else None


def _month_end(match: re.Match[str]) -> date:
    month = _MONTHS[match["month"][:3].lower()]
    # Two-digit years only ever mean this century in a 2018-2022 strategy.
    two_digit = match["year2a"] or match["year2b"]
    year = 2000 + int(two_digit) if two_digit else int(match["year4"])
    return date(year, month, calendar.monthrange(year, month)[1])


def is_overdue(due: date | None, status: Status, on: date) -> bool:
    """True when a due date exists, `on` is after it and the action is not Complete.

    No due date is never overdue; the due date itself is not overdue; NO_UPDATE counts as not complete.
    """
    if due is None:
        return False
    return on > due and Status(status) is not Status.COMPLETE
