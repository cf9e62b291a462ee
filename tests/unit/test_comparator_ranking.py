"""Rank, quartile and ties among comparator areas (app.comparators.ranking), as tables of cases."""

import pytest

from app.comparators.ranking import ordinal, position, quartile, stated_position
from app.kpis.scoring import Polarity

H, L, C, B = Polarity.HIGHER, Polarity.LOWER, Polarity.CONTEXTUAL, Polarity.BAND


@pytest.mark.parametrize(("values", "polarity", "rank", "judged"), [
    ({"Havering": 10, "Barking": 20, "Bexley": 30}, H, 3, True),
    ({"Havering": 10, "Barking": 20, "Bexley": 30}, L, 1, True),
    ({"Havering": 20, "Barking": 20, "Bexley": 30}, H, 2, True),  # tie: both 2nd, none 3rd ahead
    ({"Havering": 20, "Barking": 20, "Bexley": 30}, L, 1, True),  # tie for best: both 1st
    ({"Havering": 30, "Barking": 20, "Bexley": 20}, L, 3, True),  # two tied ahead: 3rd, not 2nd
    ({"Havering": 10, "Barking": 20, "Bexley": 30}, C, 1, False),  # contextual: counted from the lowest
    ({"Havering": 30, "Barking": 20, "Bexley": 10}, B, 3, False),
    ({"Havering": 5}, H, 1, True),  # a group of one
])
def test_position(values, polarity, rank, judged):
    found = position(values, "Havering", polarity)
    assert (found.rank, found.of, found.judged) == (rank, len(values), judged)
    assert found.average == pytest.approx(sum(values.values()) / len(values))
    assert (found.lowest, found.highest) == (min(values.values()), max(values.values()))


def test_no_value_no_position():
    assert position({"Barking": 1}, "Havering", H) is None


@pytest.mark.parametrize(("rank", "of", "q"), [
    (1, 32, 1), (8, 32, 1), (9, 32, 2), (16, 32, 2), (17, 32, 3), (24, 32, 3), (25, 32, 4), (32, 32, 4),
    (1, 1, 1), (1, 3, 1), (2, 3, 2), (3, 3, 3), (1, 4, 1), (4, 4, 4),
])
def test_quartile(rank, of, q):
    assert quartile(rank, of) == q


@pytest.mark.parametrize(("rank", "of"), [(0, 32), (33, 32), (-1, 5)])
def test_a_rank_outside_the_group_is_refused(rank, of):
    with pytest.raises(ValueError, match="not within"):
        quartile(rank, of)


@pytest.mark.parametrize(("rank", "counted_from", "polarity", "final", "judged", "wording"), [
    (8, "lowest", C, 8, False, "8th lowest of 32"),  # the JSNA's DV rate: contextual, a position only
    (8, "highest", C, 25, False, "25th lowest of 32"),
    (16, "best", H, 16, True, "16th best of 32"),  # the JSNA's sanctioned-detection rank
    (8, "lowest", L, 8, True, "8th best of 32"),
    (8, "lowest", H, 25, True, "25th best of 32"),  # the 8th lowest where higher is better
    (8, "highest", H, 8, True, "8th best of 32"),
    (1, "highest", L, 32, True, "32nd best of 32"),
])
def test_stated_position_follows_polarity(rank, counted_from, polarity, final, judged, wording):
    found = stated_position(rank, 32, counted_from, polarity)
    assert (found.rank, found.judged, found.wording) == (final, judged, wording)


def test_stated_position_refuses_an_unknown_count():
    with pytest.raises(ValueError, match="counted_from"):
        stated_position(1, 32, "middle", H)


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                         (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (32, "32nd"),
                                         (101, "101st"), (111, "111th")])
def test_ordinal(n, text):
    assert ordinal(n) == text


@pytest.mark.parametrize(("judged_", "q", "text"), [(True, 1, "Top quartile (best 25%)"),
                                                    (False, 4, "Highest quarter of values")])
def test_quartile_wording_has_no_verdict_when_not_judged(judged_, q, text):
    found = stated_position(1, 4, "lowest", L if judged_ else C)
    found = type(found)(rank=found.rank, of=4, judged=judged_, quartile=q)
    assert found.quartile_wording == text
