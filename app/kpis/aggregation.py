"""How an indicator's quarters add up to a year, and which target a year to date is judged against.

Pure module: no Flask, no SQLAlchemy. Every place that shows a year to date or a year-end outturn
(the indicator page, the HCSP report, the pack and the year-end summary) gets it from `assess_year`,
so they cannot disagree. The rules, and the decisions taken where the documents are silent:

* How quarters combine (`Aggregation`), declared per indicator:
  - a FLOW is summed (offences, referrals): the year to date at Q3 is Q1 + Q2 + Q3;
  - a SNAPSHOT is read at the latest quarter (agencies attending, open cases): the year to date
    at Q3 is the Q3 value;
  - a RATE is recomputed from the summed numerators and denominators, never averaged;
  - a CUMULATIVE series already reports the year so far: its latest quarter is the year to date.
* What a target means (`TargetBasis`), declared per target decision:
  - QUARTER: `value` is the target for each quarter, and a profile value q1..q4 replaces it for
    that quarter. The year to date is judged against the quarterly targets combined the same way
    as the values: summed for a flow, the latest quarter's for a snapshot or cumulative series,
    and for a rate the quarterly rate targets weighted by each quarter's denominator (which is the
    rate target itself when every quarter has the same one).
  - YEAR: `value` is the target for the year's outturn, judged as is. A profile value qN is the
    year-to-date target at the end of quarter N (a trajectory). Without a profile a flow or
    cumulative target is phased evenly over the quarters the indicator reports in (a quarter of it
    a quarter), and a snapshot or rate target is the same level all year. A flow's own quarter is
    judged against the difference of two successive year-to-date targets.
  - A band (lower/upper) is combined in the same way as a value.
* Missing quarters. A year to date rests on every quarter it needs: each quarter so far for a flow
  or rate, the latest quarter for a snapshot or cumulative series. When one is missing (or, for a
  rate, was entered without its numerator and denominator) the figure is still shown, from what
  was reported, but it is marked incomplete and is NOT RAG-rated ("No rating"): a missing quarter
  would make a flow look low and a snapshot look stale, and the board must not read that as
  performance. Its long-term direction is not comparable for the same reason.
* The year before is the comparator for Havering's rule (Amber if improved on it): the year to date
  at the same quarter of the previous year, combined the same way; when that is incomplete,
  improvement has not been shown.
* Annual-frequency indicators report only in Q4, so their year to date exists from Q4 and is the
  Q4 figure (whatever the aggregation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from app.kpis.scoring import (
    NOT_COMPARABLE,
    DirectionOfTravel,
    Polarity,
    Rag,
    Target,
    Unit,
    compute_rate,
    direction,
    rag,
)
from app.labels import LabelledEnum

ALL_QUARTERS = (1, 2, 3, 4)


class Aggregation(LabelledEnum):
    """How an indicator's quarters combine into a year; the label is the wording for the page."""

    FLOW = "flow", "Flow: the quarters add up to the year"
    SNAPSHOT = "snapshot", "Snapshot: the year stands at the latest quarter"
    RATE = "rate", "Rate: the year is recomputed from the summed numerators and denominators"
    CUMULATIVE = "cumulative", "Cumulative: each quarter already reports the year to date"


class TargetBasis(LabelledEnum):
    """Whether a target's value is for each quarter or for the whole year."""

    QUARTER = "quarter", "For each quarter"
    YEAR = "year", "For the year"


@dataclass(frozen=True)
class Figure:
    """One quarter's reported figure; numerator and denominator only where the rate was entered in parts."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Decision:
    """One target decision as the rules need it: basis, value, profile q1..q4, band and tolerance."""

    basis: TargetBasis
    value: float | None = None
    profile: tuple[float | None, float | None, float | None, float | None] = (None, None, None, None)
    lower: float | None = None
    upper: float | None = None
    tolerance: float = 0.10

    def __post_init__(self) -> None:
        object.__setattr__(self, "basis", TargetBasis(self.basis))
        if len(self.profile) != 4:
            raise ValueError("a profile has four quarters")


@dataclass(frozen=True)
class YearToDate:
    """The year so far at quarter `upto`: its value, the quarters it rests on, and what is missing.

    `missing` lists the quarters the figure needed but did not have; `complete` is False when any is
    missing or there is no value at all.
    """

    value: float | None
    upto: int
    rests_on: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()
    numerator: float | None = None
    denominator: float | None = None
    basis: str = "No value"

    @property
    def complete(self) -> bool:
        """True when the figure rests on every quarter it needs."""
        return self.value is not None and not self.missing


@dataclass(frozen=True)
class YearAssessment:
    """A year to date judged: the figure, its target, Havering's RAG and the direction since last year."""

    year_to_date: YearToDate
    target: Target | None
    rag: Rag
    last_year: YearToDate
    long_term: DirectionOfTravel


def _expected(expected: Sequence[int], upto: int) -> list[int]:
    return [n for n in sorted(expected) if n <= upto]


def _listed(numbers: Sequence[int]) -> str:
    return ", ".join(f"Q{n}" for n in numbers)


def year_to_date(
    aggregation: Aggregation,
    figures: Mapping[int, Figure | None],
    upto: int,
    *,
    unit: Unit = Unit.COUNT,
    expected: Sequence[int] = ALL_QUARTERS,
) -> YearToDate:
    """The year so far at quarter `upto` (1-4) from that year's figures keyed by quarter number.

    `expected` are the quarters the indicator reports in ((4,) for an annual one). Edge cases: no
    expected quarter yet, or nothing reported, gives value None; a rate with only one quarter so far
    is that quarter's value even without its parts.
    """
    if not 1 <= upto <= 4:
        raise ValueError(f"upto must be a quarter number 1 to 4, not {upto}")
    aggregation = Aggregation(aggregation)
    needed = _expected(expected, upto)
    reported = [n for n in needed if (f := figures.get(n)) is not None and f.value is not None]
    if not needed or not reported:
        return YearToDate(None, upto, (), tuple(needed), basis="No value")
    whole_year = needed[-1] == max(expected)

    if aggregation in (Aggregation.SNAPSHOT, Aggregation.CUMULATIVE):
        latest = reported[-1]
        figure = figures[latest]
        missing = tuple(n for n in needed if n > latest)
        kind = "value" if aggregation is Aggregation.SNAPSHOT else "year-to-date value"
        basis = f"Q{latest} {kind}" + (f" (Q{needed[-1]} missing)" if missing else "")
        return YearToDate(figure.value, upto, (latest,), missing, figure.numerator, figure.denominator, basis)

    if aggregation is Aggregation.FLOW:
        total = sum(figures[n].value for n in reported)
        missing = tuple(n for n in needed if n not in reported)
        if missing:
            basis = f"Total of {_listed(reported)} only ({_listed(missing)} missing)"
        else:
            basis = "Year total" if whole_year else f"Total of {_listed(needed)}"
        return YearToDate(total, upto, tuple(reported), missing, basis=basis)

    # A rate: recomputed from the parts; one quarter alone is its own value.
    if len(needed) == 1:
        figure = figures[needed[0]]
        basis = f"Q{needed[0]} rate"
        return YearToDate(figure.value, upto, (needed[0],), (), figure.numerator, figure.denominator, basis)
    parts = [n for n in reported if figures[n].numerator is not None and figures[n].denominator]
    missing = tuple(n for n in needed if n not in parts)
    if not parts:
        return YearToDate(
            None,
            upto,
            (),
            missing,
            basis=f"Cannot be recomputed: {_listed(reported)} entered without numerator and denominator",
        )
    numerator = sum(figures[n].numerator for n in parts)
    denominator = sum(figures[n].denominator for n in parts)
    value = compute_rate(numerator, denominator, unit)
    span = "the year" if whole_year else _listed(needed)
    basis = f"Rate for {span} from summed numerators and denominators"
    if missing:
        without = [n for n in missing if n in reported]
        absent = [n for n in missing if n not in reported]
        notes = ([f"{_listed(absent)} missing"] if absent else []) + (
            [f"{_listed(without)} without numerator and denominator"] if without else []
        )
        basis = f"Rate for {_listed(parts)} only ({'; '.join(notes)})"
    return YearToDate(value, upto, tuple(parts), missing, numerator, denominator, basis)


def _year_number(
    aggregation: Aggregation, decision: Decision, attribute: str, n: int, expected: Sequence[int]
) -> float | None:
    # The year-to-date target at the end of quarter n under a YEAR basis.
    if attribute == "value" and decision.profile[n - 1] is not None:
        return decision.profile[n - 1]
    whole = getattr(decision, attribute)
    if whole is None:
        return None
    if aggregation in (Aggregation.FLOW, Aggregation.CUMULATIVE):
        reported_in = sorted(expected)
        return whole * len([k for k in reported_in if k <= n]) / len(reported_in)
    return whole


def _quarter_number(decision: Decision, attribute: str, n: int) -> float | None:
    # The target for quarter n's own value under a QUARTER basis.
    if attribute == "value" and decision.profile[n - 1] is not None:
        return decision.profile[n - 1]
    return getattr(decision, attribute)


def _build(decision: Decision, number: Callable[[str], float | None]) -> Target | None:
    value, lower, upper = number("value"), number("lower"), number("upper")
    if value is None and lower is None and upper is None:
        return None
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    return Target(value=value, lower=lower, upper=upper, tolerance=decision.tolerance)


def quarter_target(
    aggregation: Aggregation, decision: Decision | None, n: int, *, expected: Sequence[int] = ALL_QUARTERS
) -> Target | None:
    """The target quarter n's own reported value is judged against; None without a decision."""
    if decision is None:
        return None
    aggregation = Aggregation(aggregation)
    if decision.basis is TargetBasis.QUARTER:
        return _build(decision, lambda a: _quarter_number(decision, a, n))

    def number(attribute: str) -> float | None:
        now = _year_number(aggregation, decision, attribute, n, expected)
        if aggregation is not Aggregation.FLOW or now is None:
            return now
        before = [k for k in sorted(expected) if k < n]
        if not before:
            return now
        earlier = _year_number(aggregation, decision, attribute, before[-1], expected)
        return None if earlier is None else now - earlier

    return _build(decision, number)


def year_to_date_target(
    aggregation: Aggregation,
    decision: Decision | None,
    upto: int,
    *,
    expected: Sequence[int] = ALL_QUARTERS,
    weights: Mapping[int, float | None] | None = None,
) -> Target | None:
    """The target the year to date at quarter `upto` is judged against; None without a decision.

    `weights` are each quarter's denominators, used to combine differing quarterly rate targets.
    """
    if decision is None:
        return None
    aggregation = Aggregation(aggregation)
    needed = _expected(expected, upto)
    if not needed:
        return None
    if decision.basis is TargetBasis.YEAR:
        return _build(decision, lambda a: _year_number(aggregation, decision, a, needed[-1], expected))

    def number(attribute: str) -> float | None:
        each = [_quarter_number(decision, attribute, n) for n in needed]
        if aggregation is Aggregation.FLOW:
            return None if any(v is None for v in each) else sum(each)
        if aggregation is not Aggregation.RATE or len(set(each)) == 1:
            return each[-1]
        known = [(v, (weights or {}).get(n)) for v, n in zip(each, needed, strict=True)]
        if any(v is None or not w for v, w in known):
            return each[-1]
        return sum(v * w for v, w in known) / sum(w for _, w in known)

    return _build(decision, number)


def assess_year(
    aggregation: Aggregation,
    polarity: Polarity,
    this_year: Mapping[int, Figure | None],
    last_year: Mapping[int, Figure | None],
    decision: Decision | None,
    upto: int,
    *,
    unit: Unit = Unit.COUNT,
    expected: Sequence[int] = ALL_QUARTERS,
) -> YearAssessment:
    """The year to date at quarter `upto`, its target, RAG and long-term direction against last year.

    An incomplete year to date is not rated and not compared (see the module docstring); the year
    before is compared only when it is complete at the same quarter.
    """
    aggregation, polarity = Aggregation(aggregation), Polarity(polarity)
    now = year_to_date(aggregation, this_year, upto, unit=unit, expected=expected)
    before = year_to_date(aggregation, last_year, upto, unit=unit, expected=expected)
    weights = {n: f.denominator for n, f in this_year.items() if f is not None}
    target = year_to_date_target(aggregation, decision, upto, expected=expected, weights=weights)
    if not now.complete:
        return YearAssessment(now, target, Rag.NO_RATING, before, NOT_COMPARABLE)
    comparator = before.value if before.complete else None
    return YearAssessment(
        now,
        target,
        rag(now.value, target, polarity, comparator),
        before,
        direction(comparator, now.value, polarity, band=target),
    )


def with_band(decision: Decision | None, lower: float | None, upper: float | None) -> Decision | None:
    """The decision with the indicator's own band filling the bounds it leaves out."""
    if decision is None:
        return None
    return replace(
        decision,
        lower=decision.lower if decision.lower is not None else lower,
        upper=decision.upper if decision.upper is not None else upper,
    )


__all__ = [
    "Aggregation",
    "Decision",
    "Figure",
    "TargetBasis",
    "YearAssessment",
    "YearToDate",
    "assess_year",
    "quarter_target",
    "with_band",
    "year_to_date",
    "year_to_date_target",
]
