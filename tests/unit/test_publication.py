"""What a year's successive published packs show: table cases, and a reader holding every pack of the year."""

from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.disclosure import Reason
from app.reports.publication import Cell, protect_rate_cell, protect_year, statement
from tests.unit.test_disclosure import determined


def shown(state):
    return {key: cell.shown for key, cell in state.items()}


@pytest.mark.parametrize(
    ("values", "upto", "cumulative", "expected"),
    [
        ({1: 12, 2: 3}, 2, False, {("q", 1): 12, ("q", 2): "<5", ("ytd", 2): "[c]"}),
        ({1: 12, 2: 30}, 2, False, {("q", 1): 12, ("q", 2): 30, ("ytd", 2): 42}),
        ({1: 2}, 1, False, {("q", 1): "<5"}),
        ({1: 3, 2: 10, 3: 12}, 3, True, {("q", 1): "<5", ("q", 2): 10, ("q", 3): "[c]"}),
        ({1: None, 2: 8}, 2, False, {("q", 1): None, ("q", 2): 8, ("ytd", 2): 8}),
    ],
    ids=["small-q2-hides-ytd", "nothing-small", "q1-alone", "cumulative-small-in-quarter", "missing-q1"],
)
def test_protect_year_tables(values, upto, cumulative, expected):
    assert shown(protect_year(values, cumulative=cumulative, upto=upto)) == expected


def test_an_earlier_packs_figure_is_never_withdrawn_or_changed():
    values = {1: 12, 2: 3, 3: 10, 4: 20}
    q1_pack = protect_year(values, cumulative=False, upto=1)
    for upto in (2, 3, 4):
        later = protect_year(values, cumulative=False, upto=upto)
        assert later[("q", 1)] == q1_pack[("q", 1)] == Cell(12)


def test_statement_follows_the_threshold():
    assert statement(5) == ("Counts of 1 to 4 are shown as <5, and further values are suppressed where "
                            "needed to protect them")
    assert statement(10).startswith("Counts of 1 to 9 are shown as <10")


@pytest.mark.parametrize(
    ("args", "expected"),
    [((40.0, 20, 50), Cell(40.0)), ((50.0, 2, 4), Cell("[c]", Reason.RATE)), ((77.0, None, None), Cell(77.0))],
    ids=["large", "small-parts", "no-parts"],
)
def test_rates(args, expected):
    assert protect_rate_cell(*args) == expected


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.one_of(st.none(), st.integers(1, 4), st.integers(0, 20)), min_size=4, max_size=4),
    cumulative=st.booleans(),
    suppress_zeros=st.booleans(),
)
def test_a_reader_of_every_pack_of_the_year_learns_no_small_count(amounts, cumulative, suppress_zeros):
    running = list(accumulate(a or 0 for a in amounts))
    values = {n + 1: (None if a is None else (running[n] if cumulative else a)) for n, a in enumerate(amounts)}
    known: dict = {}
    hidden: set = set()
    for upto in range(1, 5):
        for key, cell in protect_year(values, cumulative=cumulative, upto=upto,
                                      suppress_zeros=suppress_zeros).items():
            if isinstance(cell.shown, str):
                hidden.add(key)
            elif cell.shown is not None:
                assert not 0 < cell.shown < 5 and not (suppress_zeros and cell.shown == 0), (key, cell)
                known[key] = cell.shown
    assert not hidden & set(known), "a value published in one pack was withheld in another"
    # Unknowns: hidden figures, plus every in-quarter amount (what the figures are made of).
    amount = {n: ("amount", n) for n in range(1, 5) if amounts[n - 1] is not None}
    equations = []
    for n in range(1, 5):
        if values[n] is not None:
            equations.append({("q", n): 1, **({amount[k]: -1 for k in amount if k <= n} if cumulative
                                               else {amount[n]: -1})})
        if not cumulative and n >= 2:
            equations.append({("ytd", n): 1, **{amount[k]: -1 for k in amount if k <= n}})
    for eq in equations:  # substitute what is published
        for key in [k for k in eq if k in known]:
            del eq[key]
    unknowns = hidden | set(amount.values())
    pinned = determined(equations, unknowns)
    small = {amount[n] for n in amount if 0 < amounts[n - 1] < 5 or (suppress_zeros and amounts[n - 1] == 0)}
    assert not pinned & (hidden | small), f"{amounts} cumulative={cumulative}: reader learns {pinned}"
