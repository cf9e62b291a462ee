"""Indicator scoring: Havering's corporate RAG rule and direction of travel.

Pure module: no Flask, no SQLAlchemy. The rules, and the decisions taken where the
corporate rule is silent:

* Green means on target or within tolerance. Tolerance is a fraction OF THE TARGET,
  not percentage points: a 77% arrest-rate target with the default 10% tolerance is
  Green from 77 * 0.9 = 69.3%, not from 67%.
* A value exactly on a boundary (the target, or target +/- tolerance, or a widened band
  edge) is Green. A tiny epsilon absorbs binary floating-point error: 2.2 less 10% is
  computed as 1.9800000000000002, and a reported 1.98 must still count as on the boundary.
* A zero target: for higher-is-better any value >= 0 is on target; for lower-is-better
  only 0 is on target, because 10% of zero is zero (tolerance scales with the target).
* A band (within_band) is widened at each end by tolerance * |bound|: a 28-40% band with
  10% tolerance is Green from 25.2% to 44%.
* Worse than tolerance: Amber if performance improved on the same quarter last year,
  otherwise Red. When last year's value is missing, improvement has not been shown, so
  the indicator is Red (the report should say "no comparison available").
* For a band, "improved" means the value moved closer to the (unwidened) band; crossing
  from below the band to further above it is a decline.
* Contextual indicators (demand and reporting volumes) are never RAG-rated, even if a
  target was entered by mistake; no target or no value also means No rating.
* Direction of travel: the WORD follows performance (Improving/Declining, or the neutral
  Rising/Falling for contextual indicators and bands with no bounds); the ARROW follows
  the value. A lower-is-better value that falls reads "↓ Improving".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.labels import LabelledEnum


class Polarity(LabelledEnum):
    """Which way is good for an indicator."""

    HIGHER = "higher_is_better", "Higher is better"
    LOWER = "lower_is_better", "Lower is better"
    BAND = "within_band", "Within a band"
    CONTEXTUAL = "contextual", "Contextual (monitored, not rated)"


class Unit(LabelledEnum):
    """What an indicator's value is measured in."""

    COUNT = "count", "Count"
    PERCENTAGE = "percentage", "Percentage"
    RATE_PER_1000 = "rate_per_1000", "Rate per 1,000"
    MONEY = "money", "Money (£)"


class Rag(LabelledEnum):
    """An indicator's RAG rating for one quarter; the label is the text shown beside the colour."""

    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NO_RATING = "no_rating", "No rating"

    @property
    def css(self) -> str:
        """CSS modifier for the status tag; "none" for No rating."""
        return "none" if self is Rag.NO_RATING else self.value


class Direction(LabelledEnum):
    """Direction of travel in words; RISING/FALLING are the neutral words for contextual indicators."""

    IMPROVING = "improving", "Improving"
    DECLINING = "declining", "Declining"
    NO_CHANGE = "no_change", "No change"
    RISING = "rising", "Rising"
    FALLING = "falling", "Falling"
    NOT_COMPARABLE = "not_comparable", "Not comparable"


class ValueChange(StrEnum):
    """Which way the value itself moved, regardless of whether that is good."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"

    @property
    def arrow(self) -> str:
        """Text arrow for the movement: ↑, ↓ or →."""
        return _ARROWS[self]

    @property
    def words(self) -> str:
        """Plain words for the movement, for screen-reader text: "value went up"."""
        return _VALUE_WORDS[self]


_ARROWS = {ValueChange.UP: "↑", ValueChange.DOWN: "↓", ValueChange.FLAT: "→"}
_VALUE_WORDS = {
    ValueChange.UP: "value went up",
    ValueChange.DOWN: "value went down",
    ValueChange.FLAT: "value unchanged",
}


@dataclass(frozen=True)
class DirectionOfTravel:
    """A direction word (follows performance) plus how the value moved (drives the arrow)."""

    direction: Direction
    value_change: ValueChange | None = None

    @property
    def label(self) -> str:
        """The word, e.g. "Improving"."""
        return self.direction.label

    @property
    def arrow(self) -> str:
        """The arrow for the value's movement; "" when not comparable."""
        return self.value_change.arrow if self.value_change is not None else ""

    @property
    def text(self) -> str:
        """Arrow and word together, e.g. "↓ Improving"; just the word when not comparable."""
        return f"{self.arrow} {self.label}".strip()

    @property
    def description(self) -> str:
        """Full wording for assistive technology, e.g. "Improving (value went down)"."""
        if self.value_change is None:
            return self.label
        return f"{self.label} ({self.value_change.words})"


NOT_COMPARABLE = DirectionOfTravel(Direction.NOT_COMPARABLE, None)

DEFAULT_TOLERANCE = 0.10  # Havering corporate default: 10% of the target


@dataclass(frozen=True)
class Target:
    """A target value, or a band (lower/upper), with tolerance as a fraction of the target."""

    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        if self.tolerance < 0:
            raise ValueError("tolerance must be zero or more")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError("band lower bound must not exceed its upper bound")

    @property
    def has_band(self) -> bool:
        """True when at least one band bound is set."""
        return self.lower is not None or self.upper is not None


def _eps(reference: float) -> float:
    # Scale the slack with the magnitude so rates and money are treated alike.
    return 1e-9 * max(1.0, abs(reference))


def _at_least(value: float, threshold: float) -> bool:
    return value >= threshold - _eps(threshold)


def _at_most(value: float, threshold: float) -> bool:
    return value <= threshold + _eps(threshold)


def compute_rate(numerator: float | None, denominator: float | None, unit: Unit) -> float | None:
    """Value from its parts: percentage 100*n/d, rate per 1,000 1000*n/d, count/money the numerator.

    None numerator gives None; for rates a missing or zero denominator gives None
    (a rate with nothing to divide by is "no value", not zero). No rounding here.
    Unit and polarity arguments throughout accept the catalogue's strings ("percentage").
    """
    unit = Unit(unit)  # accept the catalogue's plain strings too: `is` below needs the member
    if numerator is None:
        return None
    if unit in (Unit.COUNT, Unit.MONEY):
        return numerator
    if denominator is None or denominator == 0:
        return None
    scale = 100 if unit is Unit.PERCENTAGE else 1000
    return scale * numerator / denominator


def _band_distance(value: float, band: Target) -> float:
    # How far outside the unwidened band the value sits; 0 inside or on an edge.
    if band.lower is not None and value < band.lower:
        return band.lower - value
    if band.upper is not None and value > band.upper:
        return value - band.upper
    return 0.0


def _value_change(earlier: float, later: float) -> ValueChange:
    if math.isclose(earlier, later, rel_tol=1e-9, abs_tol=1e-12):
        return ValueChange.FLAT
    return ValueChange.UP if later > earlier else ValueChange.DOWN


_NEUTRAL = {ValueChange.UP: Direction.RISING, ValueChange.DOWN: Direction.FALLING}


def direction(
    earlier: float | None,
    later: float | None,
    polarity: Polarity,
    band: Target | None = None,
) -> DirectionOfTravel:
    """Direction of travel from an earlier to a later value, judged by polarity.

    Either value missing gives Not comparable (no arrow). Contextual indicators get the
    neutral Rising/Falling. For a band, Improving means closer to the band (using
    `band.lower`/`band.upper`); moving within the band is No change, though the arrow
    still shows the movement; a band polarity with no bounds falls back to Rising/Falling.
    """
    polarity = Polarity(polarity)  # a plain "contextual" string must not fall through to lower-is-better
    if earlier is None or later is None:
        return NOT_COMPARABLE
    change = _value_change(earlier, later)
    if change is ValueChange.FLAT:
        return DirectionOfTravel(Direction.NO_CHANGE, change)
    if polarity is Polarity.CONTEXTUAL or (polarity is Polarity.BAND and (band is None or not band.has_band)):
        return DirectionOfTravel(_NEUTRAL[change], change)
    if polarity is Polarity.BAND:
        assert band is not None  # narrowed by the branch above
        before, after = _band_distance(earlier, band), _band_distance(later, band)
        if math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-12):
            return DirectionOfTravel(Direction.NO_CHANGE, change)
        return DirectionOfTravel(Direction.IMPROVING if after < before else Direction.DECLINING, change)
    went_up_is_good = polarity is Polarity.HIGHER
    improving = (change is ValueChange.UP) == went_up_is_good
    return DirectionOfTravel(Direction.IMPROVING if improving else Direction.DECLINING, change)


def _within_tolerance(value: float, target: Target, polarity: Polarity) -> bool | None:
    # None means the target does not say enough to judge (e.g. band polarity without bounds).
    tol = target.tolerance
    if polarity is Polarity.BAND:
        if not target.has_band:
            return None
        low_ok = target.lower is None or _at_least(value, target.lower - tol * abs(target.lower))
        high_ok = target.upper is None or _at_most(value, target.upper + tol * abs(target.upper))
        return low_ok and high_ok
    if target.value is None:
        return None
    # abs() keeps the tolerance on the lenient side even for a negative target.
    if polarity is Polarity.HIGHER:
        return _at_least(value, target.value - tol * abs(target.value))
    return _at_most(value, target.value + tol * abs(target.value))


def rag(
    value: float | None,
    target: Target | None,
    polarity: Polarity,
    same_quarter_last_year: float | None,
) -> Rag:
    """Havering's corporate RAG: Green within tolerance, else Amber if better than last year, else Red.

    No rating for contextual indicators, a missing value, or no usable target. A missing
    same-quarter-last-year value means improvement is not shown, so outside tolerance is Red.
    """
    polarity = Polarity(polarity)
    if polarity is Polarity.CONTEXTUAL or value is None or target is None:
        return Rag.NO_RATING
    on_target = _within_tolerance(value, target, polarity)
    if on_target is None:
        return Rag.NO_RATING
    if on_target:
        return Rag.GREEN
    trend = direction(same_quarter_last_year, value, polarity, band=target)
    return Rag.AMBER if trend.direction is Direction.IMPROVING else Rag.RED


@dataclass(frozen=True)
class Point:
    """One quarter's value and target; year is the financial-year start (2019 = 2019/20)."""

    year: int
    quarter: int
    value: float | None
    target: Target | None

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1 to 4, not {self.quarter}")


@dataclass(frozen=True)
class Assessment:
    """One quarter's scored result; in_quarter_value is set for cumulative (YTD) series."""

    year: int
    quarter: int
    value: float | None
    target: Target | None
    rag: Rag
    short_term: DirectionOfTravel
    long_term: DirectionOfTravel
    in_quarter_value: float | None = None


Key = tuple[int, int]


def previous_quarter(year: int, quarter: int) -> Key:
    """The quarter before (year, quarter); Q1's previous quarter is Q4 of the year before."""
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def _in_quarter(values: dict[Key, float | None], year: int, quarter: int) -> float | None:
    # Q1 YTD is the Q1 amount; later quarters need this and the previous YTD in the same year.
    ytd = values.get((year, quarter))
    if ytd is None:
        return None
    if quarter == 1:
        return ytd
    before = values.get((year, quarter - 1))
    return None if before is None else ytd - before


def assess_series(points: Sequence[Point], polarity: Polarity, cumulative: bool = False) -> list[Assessment]:
    """Score every point (same order as given), looking up comparisons by (year, quarter), not position.

    Gaps are allowed: a missing comparison quarter gives Not comparable (and Red when
    outside tolerance, since no improvement is shown). With cumulative=True values are
    financial-year-to-date: RAG and long-term compare YTD with YTD; short-term compares
    in-quarter amounts (YTD minus the previous YTD), because Q2 YTD against Q1 YTD would
    always look like a rise. Duplicate quarters raise ValueError.
    """
    polarity = Polarity(polarity)
    values: dict[Key, float | None] = {}
    for point in points:
        key = (point.year, point.quarter)
        if key in values:
            raise ValueError(f"duplicate point for {key[0]} Q{key[1]}")
        values[key] = point.value

    assessments = []
    for point in points:
        last_year = values.get((point.year - 1, point.quarter))
        prev_key = previous_quarter(point.year, point.quarter)
        in_quarter = None
        if cumulative:
            in_quarter = _in_quarter(values, point.year, point.quarter)
            # No band here: a YTD band says nothing about one quarter's amount, so a banded
            # cumulative indicator gets the neutral Rising/Falling for its short term.
            short = direction(_in_quarter(values, *prev_key), in_quarter, polarity, band=None)
        else:
            short = direction(values.get(prev_key), point.value, polarity, band=point.target)
        assessments.append(
            Assessment(
                year=point.year,
                quarter=point.quarter,
                value=point.value,
                target=point.target,
                rag=rag(point.value, point.target, polarity, last_year),
                short_term=short,
                long_term=direction(last_year, point.value, polarity, band=point.target),
                in_quarter_value=in_quarter,
            )
        )
    return assessments
