"""How quarters add up to a year and what a target means: tables of cases for app.kpis.aggregation."""

import pytest

from app.kpis.aggregation import (
    Aggregation,
    Decision,
    Figure,
    TargetBasis,
    assess_year,
    quarter_target,
    year_to_date,
    year_to_date_target,
)
from app.kpis.scoring import Polarity, Rag, Unit

FLOW, SNAP, RATE, CUM = Aggregation.FLOW, Aggregation.SNAPSHOT, Aggregation.RATE, Aggregation.CUMULATIVE
QB, YB = TargetBasis.QUARTER, TargetBasis.YEAR
H, L = Polarity.HIGHER, Polarity.LOWER


def figs(*values, parts=None):
    """figs(8, 9, None, 8): quarter n -> Figure; None is a missing quarter."""
    parts = parts or {}
    return {n: Figure(v, *parts.get(n, (None, None))) for n, v in enumerate(values, start=1) if v is not None}


# --- the year to date, by kind and missing quarters ---------------------------------------------------

RATE_PARTS = {1: (1, 10), 2: (99, 100), 3: (30, 60), 4: (50, 100)}


@pytest.mark.parametrize(
    ("aggregation", "figures", "upto", "value", "complete", "basis"),
    [
        pytest.param(FLOW, figs(6, 7, 8, 7), 4, 28, True, "Year total", id="flow-year"),
        pytest.param(FLOW, figs(6, 7, 8, 7), 2, 13, True, "Total of Q1, Q2", id="flow-to-q2"),
        pytest.param(
            FLOW, figs(6, None, 8, 7), 4, 21, False, "Total of Q1, Q3, Q4 only (Q2 missing)", id="flow-missing-q2"
        ),
        pytest.param(FLOW, figs(None, None, None, None), 4, None, False, "No value", id="flow-nothing"),
        pytest.param(SNAP, figs(8, 9, 8, 9), 4, 9, True, "Q4 value", id="snapshot-year"),
        pytest.param(SNAP, figs(2, 4), 2, 4, True, "Q2 value", id="snapshot-not-a-sum"),
        pytest.param(SNAP, figs(8, 9, 7, None), 4, 7, False, "Q3 value (Q4 missing)", id="snapshot-stale"),
        pytest.param(SNAP, figs(None, 9, 7, 8), 4, 8, True, "Q4 value", id="snapshot-early-gap-irrelevant"),
        pytest.param(CUM, figs(5, 12, 20, 31), 4, 31, True, "Q4 year-to-date value", id="cumulative-year"),
        pytest.param(
            CUM, figs(5, 12, None, None), 4, 12, False, "Q2 year-to-date value (Q4 missing)", id="cumulative-missing"
        ),
        pytest.param(
            RATE,
            figs(10, 99, 50, 50, parts=RATE_PARTS),
            4,
            180 / 270 * 100,
            True,
            "Rate for the year from summed numerators and denominators",
            id="rate-year-not-mean",
        ),
        pytest.param(
            RATE,
            figs(10, 99, parts=RATE_PARTS),
            2,
            100 / 110 * 100,
            True,
            "Rate for Q1, Q2 from summed numerators and denominators",
            id="rate-to-q2",
        ),
        pytest.param(
            RATE,
            figs(10, None, 50, 50, parts=RATE_PARTS),
            4,
            81 / 170 * 100,
            False,
            "Rate for Q1, Q3, Q4 only (Q2 missing)",
            id="rate-missing-q2",
        ),
        pytest.param(RATE, figs(72), 1, 72, True, "Q1 rate", id="rate-q1-without-parts"),
        pytest.param(
            RATE,
            figs(72, 80),
            2,
            None,
            False,
            "Cannot be recomputed: Q1, Q2 entered without numerator and denominator",
            id="rate-no-parts",
        ),
        pytest.param(
            RATE,
            figs(10, 80, parts={1: (1, 10)}),
            2,
            10,
            False,
            "Rate for Q1 only (Q2 without numerator and denominator)",
            id="rate-some-parts",
        ),
    ],
)
def test_year_to_date(aggregation, figures, upto, value, complete, basis):
    result = year_to_date(aggregation, figures, upto, unit=Unit.PERCENTAGE if aggregation is RATE else Unit.COUNT)
    assert result.value == (pytest.approx(value) if value is not None else None)
    assert (result.complete, result.basis) == (complete, basis)


@pytest.mark.parametrize(
    ("aggregation", "upto", "value", "complete"),
    [
        pytest.param(FLOW, 3, None, False, id="annual-nothing-before-q4"),
        pytest.param(FLOW, 4, 47, True, id="annual-flow-is-q4"),
        pytest.param(SNAP, 4, 47, True, id="annual-snapshot-is-q4"),
    ],
)
def test_annual_indicators_have_a_year_to_date_only_at_q4(aggregation, upto, value, complete):
    result = year_to_date(aggregation, {4: Figure(47)}, upto, expected=(4,))
    assert (result.value, result.complete) == (value, complete)


def test_upto_out_of_range_is_refused():
    with pytest.raises(ValueError, match="quarter number"):
        year_to_date(FLOW, {}, 5)


# --- the target: each kind x each basis -----------------------------------------------------------------


def d(basis, value=None, profile=(None, None, None, None), lower=None, upper=None):
    return Decision(basis, value, profile, lower, upper, 0.1)


@pytest.mark.parametrize(
    ("aggregation", "decision", "upto", "expected"),
    [
        # per quarter: combined the way the values combine
        pytest.param(FLOW, d(QB, 8), 4, 32, id="flow-quarter-summed"),
        pytest.param(FLOW, d(QB, 8), 2, 16, id="flow-quarter-summed-to-q2"),
        pytest.param(FLOW, d(QB, 8, (5, None, None, 12)), 4, 33, id="flow-quarter-profile"),
        pytest.param(SNAP, d(QB, 10), 4, 10, id="snapshot-quarter-latest"),
        pytest.param(SNAP, d(QB, 10, (None, None, None, 12)), 4, 12, id="snapshot-quarter-profile-q4"),
        pytest.param(CUM, d(QB, 10, (5, 10, 15, 20)), 3, 15, id="cumulative-quarter-is-ytd-target"),
        pytest.param(RATE, d(QB, 77), 4, 77, id="rate-quarter-same"),
        # for the year: the annual target as is at year end, phased before
        pytest.param(FLOW, d(YB, 30), 4, 30, id="flow-year-as-is"),
        pytest.param(FLOW, d(YB, 30), 2, 15, id="flow-year-phased"),
        pytest.param(FLOW, d(YB, 30, (5, 12, None, None)), 2, 12, id="flow-year-trajectory"),
        pytest.param(SNAP, d(YB, 10), 2, 10, id="snapshot-year-level"),
        pytest.param(CUM, d(YB, 40), 1, 10, id="cumulative-year-phased"),
        pytest.param(RATE, d(YB, 47), 3, 47, id="rate-year-level"),
    ],
)
def test_year_to_date_target(aggregation, decision, upto, expected):
    assert year_to_date_target(aggregation, decision, upto).value == pytest.approx(expected)


def test_differing_quarterly_rate_targets_are_weighted_by_denominator():
    decision = d(QB, None, (50, 80, None, None))
    target = year_to_date_target(RATE, decision, 2, weights={1: 100, 2: 300})
    assert target.value == pytest.approx((50 * 100 + 80 * 300) / 400)


def test_a_band_combines_like_a_value():
    target = year_to_date_target(FLOW, d(QB, lower=2, upper=5), 4)
    assert (target.lower, target.upper) == (8, 20)


def test_no_decision_no_target():
    assert year_to_date_target(FLOW, None, 4) is None and quarter_target(FLOW, None, 1) is None


@pytest.mark.parametrize(
    ("aggregation", "decision", "n", "expected"),
    [
        pytest.param(FLOW, d(QB, 8), 3, 8, id="quarter-basis-each-quarter"),
        pytest.param(FLOW, d(QB, 8, (None, None, 5, None)), 3, 5, id="quarter-basis-profile"),
        pytest.param(FLOW, d(YB, 32), 3, 8, id="year-flow-quarter-share"),
        pytest.param(FLOW, d(YB, 30, (5, 12, 20, None)), 3, 8, id="year-flow-trajectory-step"),
        pytest.param(FLOW, d(YB, 30, (5, 12, 20, None)), 4, 10, id="year-flow-last-step"),
        pytest.param(SNAP, d(YB, 10), 3, 10, id="year-snapshot-level"),
        pytest.param(CUM, d(YB, 40), 3, 30, id="year-cumulative-ytd"),
        pytest.param(RATE, d(YB, 77), 2, 77, id="year-rate-level"),
    ],
)
def test_quarter_target(aggregation, decision, n, expected):
    assert quarter_target(aggregation, decision, n).value == pytest.approx(expected)


# --- the judgement: RAG and direction against the year before ----------------------------------------


@pytest.mark.parametrize(
    ("aggregation", "polarity", "this", "last", "decision", "rag_", "long_term"),
    [
        pytest.param(SNAP, H, figs(8, 9, 8, 8), {}, d(QB, 10), Rag.RED, "Not comparable", id="ma03-snapshot-red"),
        pytest.param(FLOW, H, figs(6, 7, 8, 7), {}, d(QB, 8), Rag.RED, "Not comparable", id="id02-flow-red"),
        pytest.param(
            FLOW,
            H,
            figs(6, 7, 8, 7),
            figs(5, 5, 5, 5),
            d(QB, 8),
            Rag.AMBER,
            "↑ Improving",
            id="flow-amber-improved-on-last-year",
        ),
        pytest.param(FLOW, H, figs(6, 7, 8, 7), {}, d(YB, 30), Rag.GREEN, "Not comparable", id="flow-annual-green"),
        pytest.param(
            FLOW, H, figs(9, None, 9, 9), {}, d(QB, 8), Rag.NO_RATING, "Not comparable", id="flow-incomplete-not-rated"
        ),
        pytest.param(
            FLOW,
            H,
            figs(6, 7, 8, 7),
            figs(9, None, 9, 9),
            d(QB, 8),
            Rag.RED,
            "Not comparable",
            id="incomplete-last-year-shows-no-improvement",
        ),
        pytest.param(
            RATE,
            H,
            figs(60, 70, 80, 90, parts={1: (6, 10), 2: (7, 10), 3: (8, 10), 4: (9, 10)}),
            {},
            d(QB, 77),
            Rag.GREEN,
            "Not comparable",
            id="rate-green",
        ),
        pytest.param(
            CUM, H, figs(5, 12, 20, 31), figs(5, 10, 15, 20), d(YB, 40), Rag.AMBER, "↑ Improving", id="cumulative-amber"
        ),
        pytest.param(
            SNAP,
            L,
            figs(3, 4, 5, 4),
            figs(5, 5, 5, 6),
            d(QB, 4),
            Rag.GREEN,
            "↓ Improving",
            id="lower-is-better-snapshot",
        ),
        pytest.param(
            FLOW,
            Polarity.CONTEXTUAL,
            figs(300, 290, 310, 305),
            {},
            None,
            Rag.NO_RATING,
            "Not comparable",
            id="contextual-never-rated",
        ),
    ],
)
def test_assess_year(aggregation, polarity, this, last, decision, rag_, long_term):
    unit = Unit.PERCENTAGE if aggregation is RATE else Unit.COUNT
    result = assess_year(aggregation, polarity, this, last, decision, 4, unit=unit)
    assert (result.rag, result.long_term.text) == (rag_, long_term)
