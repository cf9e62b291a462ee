"""A chart's text alternative says when values are suppressed, rather than that none were entered (issue 15)."""

import dataclasses

import pytest

from app.kpis.charts import describe
from app.kpis.scoring import NOT_COMPARABLE, Assessment, Rag
from app.strategy.quarters import Quarter

QUARTERS = [Quarter(2019, n) for n in (1, 2, 3, 4)]


def _series(values):
    return [Assessment(year=q.year, quarter=q.number, value=v, target=None, rag=Rag.NO_RATING,
                       short_term=NOT_COMPARABLE, long_term=NOT_COMPARABLE) for q, v in zip(QUARTERS, values,
                                                                                          strict=True)]


def _suppress(series, quarters):
    return [dataclasses.replace(a, value=None) if Quarter(a.year, a.quarter) in quarters else a for a in series]


@pytest.mark.parametrize(
    ("values", "suppressed", "says", "never_says"),
    [
        # nothing entered and nothing suppressed: say so
        ([None, None, None, None], set(), "no values have been entered yet", "suppressed"),
        # every value suppressed: not "none entered"
        ([3, 2, 4, 1], set(QUARTERS), "4 quarters are suppressed to protect victims", "entered"),
        # one quarter suppressed among shown values: name it
        ([12, 3, 15, 14], {QUARTERS[1]}, "1 quarter is suppressed to protect victims (small numbers), so not plotted: "
                                         "2019/20 Q2.", "entered"),
        # a gap that is simply missing is not called suppressed
        ([12, None, 15, 14], set(), "with 3 of 4 quarters shown.", "suppressed"),
    ],
)
def test_suppressed_values_are_described_as_suppressed(values, suppressed, says, never_says):
    series = _suppress(_series(values), suppressed)
    text = describe("Domestic abuse offences", "count", "contextual", series, suppressed=suppressed)
    assert says in text
    assert never_says not in text
