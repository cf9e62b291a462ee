"""Indicator scoring: corporate RAG rule, direction of travel and YTD series, as tables of cases."""

import pytest

from app.kpis.scoring import (
    Assessment,
    Direction,
    DirectionOfTravel,
    Point,
    Polarity,
    Rag,
    Target,
    Unit,
    ValueChange,
    assess_series,
    compute_rate,
    direction,
    rag,
)

H, L, B, C = Polarity.HIGHER, Polarity.LOWER, Polarity.BAND, Polarity.CONTEXTUAL
ARREST = Target(77)  # JSNA 2010/11 arrest-rate target, default 10% tolerance -> Green from 69.3
MARAC_BAND = Target(lower=28, upper=40)  # widened by 10% of each bound -> Green from 25.2 to 44


@pytest.mark.parametrize(
    ("numerator", "denominator", "unit", "expected"),
    [
        pytest.param(31, 204, Unit.PERCENTAGE, 100 * 31 / 204, id="MARAC repeats 31 of 204 as a percentage"),
        pytest.param(3, 6000, Unit.RATE_PER_1000, 0.5, id="rate per 1,000"),
        pytest.param(5, 0, Unit.PERCENTAGE, None, id="zero denominator is no value, not zero"),
        pytest.param(5, 0, Unit.RATE_PER_1000, None, id="zero population is no rate"),
        pytest.param(5, None, Unit.PERCENTAGE, None, id="missing denominator"),
        pytest.param(None, 10, Unit.PERCENTAGE, None, id="missing numerator"),
        pytest.param(0, 10, Unit.PERCENTAGE, 0.0, id="zero numerator is a real 0%"),
        pytest.param(1200, None, Unit.COUNT, 1200, id="count is the numerator"),
        pytest.param(1200, 0, Unit.COUNT, 1200, id="count ignores a zero denominator"),
        pytest.param(30000, None, Unit.MONEY, 30000, id="money is the numerator"),
    ],
)
def test_compute_rate(numerator, denominator, unit, expected):
    result = compute_rate(numerator, denominator, unit)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "target", "polarity", "last_year", "expected"),
    [
        # higher is better: arrest rate against 77%
        pytest.param(84, ARREST, H, None, Rag.GREEN, id="higher: above target"),
        pytest.param(77, ARREST, H, None, Rag.GREEN, id="higher: exactly on target"),
        pytest.param(69.3, ARREST, H, None, Rag.GREEN, id="higher: exactly target*(1-tol) is green"),
        pytest.param(69.29, ARREST, H, 60, Rag.AMBER, id="higher: just outside, better than last year"),
        pytest.param(69.29, ARREST, H, 70, Rag.RED, id="higher: just outside, worse than last year"),
        pytest.param(69.29, ARREST, H, 69.29, Rag.RED, id="higher: same as last year is no improvement"),
        pytest.param(50, ARREST, H, None, Rag.RED, id="higher: outside, no last-year value -> red"),
        pytest.param(47, Target(47), H, None, Rag.GREEN, id="higher: sanctioned detections on 47% target"),
        pytest.param(1.98, Target(2.2), H, None, Rag.GREEN, id="higher: boundary despite float error (2.2)"),
        pytest.param(76.9, Target(77, tolerance=0), H, 70, Rag.AMBER, id="higher: 0 tolerance, just under"),
        pytest.param(61.6, Target(77, tolerance=0.2), H, None, Rag.GREEN, id="higher: 20% tolerance edge"),
        # lower is better: repeat victimisation against 25% -> green up to 27.5
        pytest.param(20, Target(25), L, None, Rag.GREEN, id="lower: under target"),
        pytest.param(27.5, Target(25), L, None, Rag.GREEN, id="lower: exactly target*(1+tol) is green"),
        pytest.param(36.63, Target(33.3), L, None, Rag.GREEN, id="lower: boundary despite float error"),
        pytest.param(27.6, Target(25), L, 29, Rag.AMBER, id="lower: just outside, lower than last year"),
        pytest.param(27.6, Target(25), L, 27, Rag.RED, id="lower: just outside, higher than last year"),
        pytest.param(29, Target(25), L, None, Rag.RED, id="lower: outside, missing last year -> red"),
        # zero targets: tolerance of zero is zero
        pytest.param(0, Target(0), H, None, Rag.GREEN, id="zero target, higher: 0 is on target"),
        pytest.param(5, Target(0), H, None, Rag.GREEN, id="zero target, higher: any value above"),
        pytest.param(0, Target(0), L, None, Rag.GREEN, id="zero target, lower: only 0 is green"),
        pytest.param(1, Target(0), L, 3, Rag.AMBER, id="zero target, lower: 1 after 3 last year"),
        pytest.param(1, Target(0), L, 1, Rag.RED, id="zero target, lower: 1 after 1 last year"),
        pytest.param(1, Target(0), L, None, Rag.RED, id="zero target, lower: 1 with no history"),
        # within a band: 28-40, widened to 25.2-44
        pytest.param(30, MARAC_BAND, B, None, Rag.GREEN, id="band: inside"),
        pytest.param(28, MARAC_BAND, B, None, Rag.GREEN, id="band: on the lower bound"),
        pytest.param(25.2, MARAC_BAND, B, None, Rag.GREEN, id="band: on the widened lower edge"),
        pytest.param(44, MARAC_BAND, B, None, Rag.GREEN, id="band: on the widened upper edge"),
        pytest.param(25.1, MARAC_BAND, B, None, Rag.RED, id="band: just below widened edge, no history"),
        pytest.param(20, MARAC_BAND, B, 15, Rag.AMBER, id="band: below, closer than last year"),
        pytest.param(20, MARAC_BAND, B, 22, Rag.RED, id="band: below, further than last year"),
        pytest.param(50, MARAC_BAND, B, 60, Rag.AMBER, id="band: above, closer than last year"),
        pytest.param(50, MARAC_BAND, B, 45, Rag.RED, id="band: above, further than last year"),
        pytest.param(50, MARAC_BAND, B, 20, Rag.RED, id="band: jumped from 8 below to 10 above"),
        pytest.param(24, Target(lower=28), B, 20, Rag.AMBER, id="band: lower bound only"),
        pytest.param(30, Target(value=30), B, None, Rag.NO_RATING, id="band: target without bounds"),
        # never rated
        pytest.param(5000, Target(100), C, 10, Rag.NO_RATING, id="contextual: far from a target"),
        pytest.param(0, Target(100), C, None, Rag.NO_RATING, id="contextual: zero"),
        pytest.param(84, None, H, 70, Rag.NO_RATING, id="no target agreed"),
        pytest.param(84, Target(), H, 70, Rag.NO_RATING, id="target with no value"),
        pytest.param(None, ARREST, H, 84, Rag.NO_RATING, id="no value reported"),
        pytest.param(None, MARAC_BAND, B, 30, Rag.NO_RATING, id="band: no value reported"),
    ],
)
def test_rag(value, target, polarity, last_year, expected):
    assert rag(value, target, polarity, last_year) is expected


@pytest.mark.parametrize(
    ("earlier", "later", "polarity", "band", "word", "arrow"),
    [
        pytest.param(70, 84, H, None, "Improving", "↑", id="higher: value rises"),
        pytest.param(84, 70, H, None, "Declining", "↓", id="higher: value falls"),
        pytest.param(30, 20, L, None, "Improving", "↓", id="lower: value falls is improving with down arrow"),
        pytest.param(20, 30, L, None, "Declining", "↑", id="lower: value rises is declining with up arrow"),
        pytest.param(29, 29, L, None, "No change", "→", id="lower: unchanged"),
        pytest.param(0.1 + 0.2, 0.3, H, None, "No change", "→", id="float noise is no change"),
        pytest.param(1093, 1200, C, None, "Rising", "↑", id="contextual: offences rise, neutral word"),
        pytest.param(1200, 1093, C, None, "Falling", "↓", id="contextual: offences fall, neutral word"),
        pytest.param(None, 84, H, None, "Not comparable", "", id="missing earlier value"),
        pytest.param(84, None, H, None, "Not comparable", "", id="missing later value"),
        pytest.param(None, 5, C, None, "Not comparable", "", id="contextual: missing earlier value"),
        pytest.param(15, 20, B, MARAC_BAND, "Improving", "↑", id="band: below, rising towards it"),
        pytest.param(20, 15, B, MARAC_BAND, "Declining", "↓", id="band: below, falling away"),
        pytest.param(50, 38, B, MARAC_BAND, "Improving", "↓", id="band: above, falling into it"),
        pytest.param(30, 35, B, MARAC_BAND, "No change", "↑", id="band: moving inside it"),
        pytest.param(20, 50, B, MARAC_BAND, "Declining", "↑", id="band: overshoots to further above"),
        pytest.param(20, 30, B, None, "Rising", "↑", id="band: no band agreed, neutral word"),
    ],
)
def test_direction_word_follows_performance_arrow_follows_value(earlier, later, polarity, band, word, arrow):
    trend = direction(earlier, later, polarity, band=band)
    assert (trend.label, trend.arrow) == (word, arrow)


@pytest.mark.parametrize(
    ("trend", "text", "description"),
    [
        pytest.param(
            DirectionOfTravel(Direction.IMPROVING, ValueChange.DOWN),
            "↓ Improving",
            "Improving (value went down)",
            id="lower is better falling",
        ),
        pytest.param(
            DirectionOfTravel(Direction.RISING, ValueChange.UP),
            "↑ Rising",
            "Rising (value went up)",
            id="contextual rising",
        ),
        pytest.param(
            DirectionOfTravel(Direction.NOT_COMPARABLE), "Not comparable", "Not comparable", id="no arrow"
        ),
    ],
)
def test_direction_text_for_screen_readers(trend, text, description):
    assert (trend.text, trend.description) == (text, description)


@pytest.mark.parametrize(
    ("status", "label", "css"),
    [
        (Rag.GREEN, "Green", "green"),
        (Rag.AMBER, "Amber", "amber"),
        (Rag.RED, "Red", "red"),
        (Rag.NO_RATING, "No rating", "none"),
    ],
)
def test_rag_is_text_as_well_as_colour(status, label, css):
    assert (status.label, status.css) == (label, css)


@pytest.mark.parametrize(
    ("member", "label"),
    [
        (Polarity.HIGHER, "Higher is better"),
        (Polarity.LOWER, "Lower is better"),
        (Polarity("within_band"), "Within a band"),
        (Polarity("contextual"), "Contextual (monitored, not rated)"),
        (Unit("rate_per_1000"), "Rate per 1,000"),
        (Unit.PERCENTAGE, "Percentage"),
    ],
)
def test_catalogue_strings_load_as_labelled_enums(member, label):
    assert member.label == label


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda: compute_rate(31, 204, "percentage"), 100 * 31 / 204, id="unit as catalogue string"
        ),
        pytest.param(lambda: rag(5000, Target(100), "contextual", 10), Rag.NO_RATING, id="contextual string"),
        pytest.param(lambda: direction(30, 20, "lower_is_better").label, "Improving", id="lower string"),
        pytest.param(
            lambda: direction(20, 30, "contextual").label, "Rising", id="contextual string direction"
        ),
    ],
)
def test_catalogue_strings_accepted_as_arguments(call, expected):
    assert call() == expected


def _series(values: dict[tuple[int, int], float | None], target: Target | None = None) -> list[Point]:
    return [Point(year, quarter, value, target) for (year, quarter), value in values.items()]


def _find(assessments: list[Assessment], year: int, quarter: int) -> Assessment:
    return next(a for a in assessments if (a.year, a.quarter) == (year, quarter))


# Quarterly arrest rate (not cumulative), 2019/20 Q2 missing: comparisons are by quarter, not position.
ARREST_SERIES = {
    (2018, 1): 60,
    (2018, 2): 74,
    (2018, 3): 66,
    (2018, 4): 70,
    (2019, 1): 68,
    (2019, 3): 67,
    (2019, 4): None,
}


@pytest.mark.parametrize(
    ("year", "quarter", "rag_", "short", "long"),
    [
        pytest.param(2018, 1, Rag.RED, "Not comparable", "Not comparable", id="first quarter, outside"),
        pytest.param(2018, 2, Rag.GREEN, "Improving", "Not comparable", id="within tolerance"),
        pytest.param(2018, 3, Rag.RED, "Declining", "Not comparable", id="outside, no last year -> red"),
        pytest.param(2019, 1, Rag.AMBER, "Declining", "Improving", id="Q1 compares with Q4 of last year"),
        pytest.param(2019, 3, Rag.AMBER, "Not comparable", "Improving", id="gap: Q2 missing, Q3 last year"),
        pytest.param(2019, 4, Rag.NO_RATING, "Not comparable", "Not comparable", id="no value this quarter"),
    ],
)
def test_assess_series_quarterly(year, quarter, rag_, short, long):
    result = _find(assess_series(_series(ARREST_SERIES, ARREST), H), year, quarter)
    assert (result.rag, result.short_term.label, result.long_term.label) == (rag_, short, long)


# Champions trained, financial-year-to-date. In-quarter amounts 2018/19: 10, 15, 5, 20;
# 2019/20: Q1 12, Q2 8, Q3 missing, Q4 60 YTD. Target 30 YTD -> Green from 27.
CHAMPIONS_YTD = {
    (2018, 1): 10,
    (2018, 2): 25,
    (2018, 3): 30,
    (2018, 4): 50,
    (2019, 1): 12,
    (2019, 2): 20,
    (2019, 4): 60,
}


@pytest.mark.parametrize(
    ("year", "quarter", "in_quarter", "rag_", "short", "long"),
    [
        pytest.param(2018, 1, 10, Rag.RED, "Not comparable", "Not comparable", id="Q1 amount is Q1 YTD"),
        pytest.param(2018, 2, 15, Rag.RED, "Improving", "Not comparable", id="15 in quarter beats 10"),
        pytest.param(2018, 3, 5, Rag.GREEN, "Declining", "Not comparable", id="YTD rose but quarter fell"),
        pytest.param(2019, 1, 12, Rag.AMBER, "Declining", "Improving", id="Q1 12 against last Q4's 20"),
        pytest.param(2019, 2, 8, Rag.RED, "Declining", "Declining", id="YTD 20 worse than last year's 25"),
        pytest.param(2019, 4, None, Rag.GREEN, "Not comparable", "Improving", id="missing middle quarter"),
    ],
)
def test_assess_series_cumulative_ytd(year, quarter, in_quarter, rag_, short, long):
    result = _find(assess_series(_series(CHAMPIONS_YTD, Target(30)), H, cumulative=True), year, quarter)
    assert (result.in_quarter_value, result.rag, result.short_term.label, result.long_term.label) == (
        in_quarter,
        rag_,
        short,
        long,
    )


@pytest.mark.parametrize(
    ("cumulative", "short"),
    [
        pytest.param(False, "Improving", id="not cumulative: YTD rise would read as improving"),
        pytest.param(True, "Declining", id="cumulative: in-quarter amount fell"),
    ],
)
def test_cumulative_flag_changes_short_term(cumulative, short):
    result = _find(assess_series(_series(CHAMPIONS_YTD), H, cumulative=cumulative), 2018, 3)
    assert result.short_term.label == short


@pytest.mark.parametrize(
    ("points", "polarity", "expected_rags"),
    [
        pytest.param(
            _series({(2019, 2): 300, (2018, 2): 250, (2019, 1): 280}, Target(100)),
            C,
            [Rag.NO_RATING] * 3,
            id="contextual series never rated",
        ),
        pytest.param(
            _series({(2019, 3): 60, (2018, 3): 66, (2019, 1): 80}, ARREST),
            H,
            [Rag.RED, Rag.RED, Rag.GREEN],
            id="unsorted input keeps its order",
        ),
        pytest.param([], H, [], id="empty series"),
    ],
)
def test_assess_series_one_result_per_point_in_order(points, polarity, expected_rags):
    result = assess_series(points, polarity)
    assert [(a.year, a.quarter) for a in result] == [(p.year, p.quarter) for p in points]
    assert [a.rag for a in result] == expected_rags


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: Point(2019, 5, 1, None), "quarter", id="quarter 5"),
        pytest.param(lambda: Point(2019, 0, 1, None), "quarter", id="quarter 0"),
        pytest.param(lambda: Target(77, tolerance=-0.1), "tolerance", id="negative tolerance"),
        pytest.param(lambda: Target(lower=40, upper=28), "band", id="band upside down"),
        pytest.param(
            lambda: assess_series([Point(2019, 1, 1, None), Point(2019, 1, 2, None)], H),
            "duplicate",
            id="two values for one quarter",
        ),
    ],
)
def test_invalid_input_is_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()
