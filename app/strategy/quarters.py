"""UK financial-year quarters, financial years and working-day arithmetic: the strategy's calendar (pure).

Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar, so "2019/20 Q4" is January-March 2020.
On screen a quarter reads "2019/20 Q2"; in URLs and commands it is the slug "2019-20-Q2".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta

__all__ = [
    "BANK_HOLIDAYS",
    "DEADLINE_WORKING_DAYS",
    "OPEN_BEFORE_END",
    "Quarter",
    "QuarterError",
    "add_working_days",
    "default_dates",
    "financial_year_label",
    "financial_year_slug",
    "is_working_day",
    "parse_financial_year",
    "strategy_quarters",
]

_EXAMPLE = "Enter a quarter like 2019-20-Q2"

# Separators are lenient because people type what they see on screen ("2019/20 Q2") as well as
# what they see in URLs ("2019-20-Q2"); a four-digit second year ("2019/2020") is also common.
_QUARTER_RE = re.compile(
    r"^(?P<start>\d{4})\s*[-/]\s*(?P<end>\d{4}|\d{2})\s*[-\s]\s*q\s*(?P<number>\d+)$",
    re.IGNORECASE,
)


class QuarterError(ValueError):
    """A quarter that cannot exist or cannot be read; the message is shown to the user as is."""


def financial_year_label(year: int) -> str:
    """The financial year starting in April of `year`, e.g. 2019 -> "2019/20"; 2099 -> "2099/00"."""
    return f"{year}/{(year + 1) % 100:02d}"


def financial_year_slug(year: int) -> str:
    """The financial year as a URL names it, e.g. 2019 -> "2019-20"."""
    return financial_year_label(year).replace("/", "-")


_FY_RE = re.compile(r"^\s*(?P<start>\d{4})\s*[-/]\s*(?P<end>\d{2}|\d{4})\s*$")


def parse_financial_year(text: str) -> int:
    """The start year of a financial year written "2019-20" (or "2019/20", "2019-2020"); ValueError otherwise."""
    match = _FY_RE.match(text or "")
    if match is None:
        raise ValueError("Enter a financial year like 2019-20")
    start, end = int(match["start"]), match["end"]
    expected = start + 1 if len(end) == 4 else (start + 1) % 100
    if int(end) != expected:
        raise ValueError("The financial year must be two consecutive years, like 2019-20")
    return start


@dataclass(frozen=True, order=True)
class Quarter:
    """One quarter of a UK financial year; ordering follows time because fields sort year first."""

    year: int  # calendar year the financial year starts in: 2019 for 2019/20
    number: int  # 1..4

    def __post_init__(self) -> None:
        # bool is an int subclass; Quarter(True, 1) would be a bug upstream, not a quarter.
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise QuarterError("Enter the financial year as a number, like 2019")
        if isinstance(self.number, bool) or not isinstance(self.number, int) or not 1 <= self.number <= 4:
            raise QuarterError("Enter a quarter number from 1 to 4")
        # Q4 ends in year + 1, which must still be a representable date.
        if not MINYEAR <= self.year < MAXYEAR:
            raise QuarterError(f"Enter a financial year between {MINYEAR} and {MAXYEAR - 1}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read "2019-20-Q2" or "2019/20 Q2" (any case, surrounding spaces); raise QuarterError otherwise.

        The second year must follow the first ("2019-21-Q2" is rejected) and the quarter must be 1-4.
        """
        if not isinstance(text, str):
            raise QuarterError(_EXAMPLE)
        match = _QUARTER_RE.match(text.strip())
        if match is None:
            raise QuarterError(_EXAMPLE)
        start = int(match["start"])
        end_text = match["end"]
        expected_end = start + 1 if len(end_text) == 4 else (start + 1) % 100
        if int(end_text) != expected_end:
            raise QuarterError(
                f"The financial year must be two consecutive years, like {financial_year_label(start)}"
            )
        return cls(start, int(match["number"]))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter a date falls in: 15 Feb 2020 -> 2019/20 Q4; 1 Apr starts Q1 of a new year."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @property
    def slug(self) -> str:
        """The URL and command form, e.g. "2019-20-Q2"."""
        return f"{self.year}-{(self.year + 1) % 100:02d}-Q{self.number}"

    @property
    def label(self) -> str:
        """The on-screen form, e.g. "2019/20 Q2"."""
        return f"{self.fy_label} Q{self.number}"

    @property
    def fy_label(self) -> str:
        """The financial year alone, e.g. "2019/20"."""
        return financial_year_label(self.year)

    @property
    def start(self) -> date:
        """The first day of the quarter: 1 Jul 2019 for 2019/20 Q2, 1 Jan 2020 for 2019/20 Q4."""
        if self.number == 4:
            return date(self.year + 1, 1, 1)
        return date(self.year, 4 + 3 * (self.number - 1), 1)

    @property
    def end(self) -> date:
        """The last day of the quarter: 30 Sep 2019 for 2019/20 Q2, 31 Mar 2020 for 2019/20 Q4."""
        start = self.start
        last_month = start.month + 2
        return date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])

    def previous(self) -> Quarter:
        """The quarter before: 2020/21 Q1 -> 2019/20 Q4."""
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        """The quarter after: 2019/20 Q4 -> 2020/21 Q1."""
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def same_quarter_last_year(self) -> Quarter:
        """The same quarter a year earlier, the long-term direction-of-travel comparator."""
        return Quarter(self.year - 1, self.number)

    def year_quarters(self) -> list[Quarter]:
        """Q1 to Q4 of this quarter's financial year, in order."""
        return [Quarter(self.year, number) for number in range(1, 5)]

    def __str__(self) -> str:
        return self.label


def strategy_quarters(first_year: int, last_year: int) -> list[Quarter]:
    """Every quarter of financial years first_year..last_year inclusive, in order; empty if last < first."""
    return [Quarter(year, number) for year in range(first_year, last_year + 1) for number in range(1, 5)]


# England and Wales bank holidays 2018-2023, copied from the GOV.UK bank holidays list
# (https://www.gov.uk/bank-holidays). Includes substitute days when a holiday falls at a weekend,
# the 2020 early May holiday moved to Fri 8 May for VE Day, the 2022 spring holiday moved to
# Thu 2 Jun plus the Platinum Jubilee on Fri 3 Jun, the Queen's state funeral on Mon 19 Sep 2022
# and the Coronation on Mon 8 May 2023. Extend this table before relying on dates after 2023.
BANK_HOLIDAYS: frozenset[date] = frozenset(
    {
        # 2018
        date(2018, 1, 1), date(2018, 3, 30), date(2018, 4, 2), date(2018, 5, 7),
        date(2018, 5, 28), date(2018, 8, 27), date(2018, 12, 25), date(2018, 12, 26),
        # 2019
        date(2019, 1, 1), date(2019, 4, 19), date(2019, 4, 22), date(2019, 5, 6),
        date(2019, 5, 27), date(2019, 8, 26), date(2019, 12, 25), date(2019, 12, 26),
        # 2020
        date(2020, 1, 1), date(2020, 4, 10), date(2020, 4, 13), date(2020, 5, 8),
        date(2020, 5, 25), date(2020, 8, 31), date(2020, 12, 25), date(2020, 12, 28),
        # 2021
        date(2021, 1, 1), date(2021, 4, 2), date(2021, 4, 5), date(2021, 5, 3),
        date(2021, 5, 31), date(2021, 8, 30), date(2021, 12, 27), date(2021, 12, 28),
        # 2022
        date(2022, 1, 3), date(2022, 4, 15), date(2022, 4, 18), date(2022, 5, 2),
        date(2022, 6, 2), date(2022, 6, 3), date(2022, 8, 29), date(2022, 9, 19),
        date(2022, 12, 26), date(2022, 12, 27),
        # 2023
        date(2023, 1, 2), date(2023, 4, 7), date(2023, 4, 10), date(2023, 5, 1),
        date(2023, 5, 8), date(2023, 5, 29), date(2023, 8, 28), date(2023, 12, 25),
        date(2023, 12, 26),
    }
)  # fmt: skip


def is_working_day(day: date) -> bool:
    """True for Monday-Friday that is not an England and Wales bank holiday (known for 2018-2023 only)."""
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def add_working_days(day: date, n: int) -> date:
    """The date n working days after `day`, skipping weekends and bank holidays.

    n = 0 returns `day` itself even if it is not a working day; a negative n raises ValueError.
    Outside 2018-2023 only weekends are skipped, because the holiday table stops there.
    """
    if n < 0:
        raise ValueError("n must be zero or more working days")
    current = day
    remaining = n
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


# A quarter's reporting window by default. The calendar holds it (not the cycle) because a period row is
# created with these dates when the strategy is seeded, before the cycle is involved.
OPEN_BEFORE_END = timedelta(days=14)  # the window opens two weeks before the quarter ends
DEADLINE_WORKING_DAYS = 15  # working days after the quarter ends


def default_dates(quarter: Quarter) -> tuple[date, date]:
    """(opens_on, deadline): two weeks before the quarter's last day, and 15 working days after it."""
    return quarter.end - OPEN_BEFORE_END, add_working_days(quarter.end, DEADLINE_WORKING_DAYS)
