"""What the published pack may show of an indicator's values: the disclosure rules applied across time.

Pure: no Flask, no SQLAlchemy. `app.disclosure` decides one table; this module decides what a financial
year's successive quarterly packs may show, because a reader keeps every pack. The Q2 pack's year-to-date
total minus the Q1 pack's Q1 value gives Q2, so each quarter's suppression is computed with everything the
earlier packs of the year published:

* a value an earlier pack published stays published (it is public: it is `exempt`, never chosen again);
* a value an earlier pack withheld stays withheld (an unknown to the reader, never shown again);
* the new quarter's cells (its value and, for a discrete count, the year to date) are the candidates.

So the published figure for a quarter never changes from one pack to the next, except that a value can
only ever be withheld in the pack that first shows it. A past year's quarters are shown as its Q4 pack
left them.

Keys: ("q", n) is quarter n's value (a year-to-date figure for a cumulative indicator); ("ytd", n) the
year to date of a discrete count published in the Qn pack, from Q2 on (in Q1 it would repeat Q1).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from app.disclosure import SECONDARY_LABEL, Constraint, Reason, primary_label, protect, protect_rate
from app.numbers import whole_number

__all__ = ["Cell", "protect_count_cell", "protect_rate_cell", "protect_year", "statement"]


@dataclass(frozen=True)
class Cell:
    """One value as published: the number, or its label ("<5", "[c]") with the reason it was withheld."""

    shown: int | float | str | None
    reason: Reason | None = None

    @property
    def suppressed(self) -> bool:
        """True when the value was withheld for any reason."""
        return self.reason is not None


def statement(threshold: int) -> str:
    """The rule as the published pack's cover states it: "Counts of 1 to 4 are shown as <5, ..."."""
    return (f"Counts of 1 to {threshold - 1} are shown as {primary_label(threshold)}, "
            "and further values are suppressed where needed to protect them")


def _cells(values: Mapping[int, float | None], upto: int, cumulative: bool):
    """The year's cells and constraints as a reader of the packs up to Q`upto` knows them."""
    cells: dict[Hashable, int | float | None] = {}
    constraints: list[Constraint] = []
    underlying: list[Hashable] = []
    for n in range(1, upto + 1):
        cells[("q", n)] = whole_number(values.get(n))
    if not cumulative:
        for n in range(2, upto + 1):
            reported = [cells[("q", k)] for k in range(1, n + 1) if cells[("q", k)] is not None]
            cells[("ytd", n)] = sum(reported) if reported else None
            constraints.append(Constraint(("ytd", n), tuple(("q", k) for k in range(1, n + 1))))
        return cells, constraints, underlying
    previous: int | None = None
    for n in range(1, upto + 1):
        if cells[("q", n)] is None:
            continue
        amount = ("in_quarter", n)
        cells[amount] = cells[("q", n)] - (0 if previous is None else cells[("q", previous)])
        underlying.append(amount)
        constraints.append(Constraint(("q", n), (amount,) if previous is None else (("q", previous), amount)))
        previous = n
    return cells, constraints, underlying


def protect_year(
    values: Mapping[int, float | None],
    *,
    cumulative: bool,
    upto: int,
    threshold: int = 5,
    suppress_zeros: bool = False,
) -> dict[Hashable, Cell]:
    """What the Q`upto` pack of one indicator-year publishes, given quarter number -> value (count).

    Edge cases: a missing quarter is None and published as None; a cumulative indicator has no ("ytd", n)
    keys because its latest value is the year to date; `upto` outside 1..4 raises ValueError.
    """
    if not 1 <= upto <= 4:
        raise ValueError(f"upto must be a quarter number 1 to 4, not {upto}")
    state: dict[Hashable, Cell] = {}
    for k in range(1, upto + 1):
        cells, constraints, underlying = _cells(values, k, cumulative)
        exempt = [key for key, cell in state.items() if not cell.suppressed]
        withheld = [key for key, cell in state.items() if cell.reason is Reason.SECONDARY]
        result = protect(cells, constraints, threshold=threshold, suppress_zeros=suppress_zeros,
                         exempt=exempt, underlying=underlying + withheld)
        fresh = [key for key in cells if key not in state and key not in underlying]
        if result.exposed:
            # Cannot happen while each pack adds a candidate cell, but if only published cells were left
            # to hide, withholding everything new is the safe answer.
            for key in fresh:
                state[key] = _withheld(cells[key], threshold, suppress_zeros)
            continue
        for key in fresh:
            reason = result.reasons.get(key)
            state[key] = Cell(result.published[key], reason)
    return state


def _withheld(value: int | float | None, threshold: int, suppress_zeros: bool) -> Cell:
    if value is None:
        return Cell(None)
    small = 0 < value < threshold or (suppress_zeros and value == 0)
    return Cell(primary_label(threshold), Reason.PRIMARY) if small else Cell(SECONDARY_LABEL, Reason.SECONDARY)


def protect_count_cell(value: float | None, *, threshold: int = 5, suppress_zeros: bool = False) -> Cell:
    """A count published on its own, with no total it adds into (a snapshot): only primary suppression.

    Edge cases: None stays None; 0 is shown unless `suppress_zeros`.
    """
    number = whole_number(value)
    if number is None:
        return Cell(None)
    small = 0 < number < threshold or (suppress_zeros and number == 0)
    return Cell(primary_label(threshold), Reason.PRIMARY) if small else Cell(number)


def protect_rate_cell(
    value: float | None, numerator: int | None, denominator: int | None, *, threshold: int = 5
) -> Cell:
    """A rate or percentage as published: withheld ("[c]") when built on a count 1..threshold-1.

    Edge cases: a rate entered without its parts cannot be checked and is published as entered.
    """
    shown, reason = protect_rate(value, numerator, denominator, threshold=threshold)
    return Cell(shown if reason else value, reason)
