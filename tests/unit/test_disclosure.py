from fractions import Fraction
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.disclosure import (
    SECONDARY_LABEL,
    Constraint,
    Reason,
    primary_label,
    protect,
    protect_grid,
    protect_rate,
    protect_series,
)

T = "Total"
C = SECONDARY_LABEL
COLUMNS_ONLY = {"row_totals": False, "grand_total": False}


# An exact reader, written apart from the implementation (which uses floating-point SVD), so that a bug in
# either shows up as a disagreement. A hidden cell is determined iff adding its unit row to the equations
# over the hidden cells does not increase their rank.
def determined(equations: list[dict], unknowns: set) -> set:
    columns = list(unknowns)
    basis: list[tuple[int, list[Fraction]]] = []  # reduced row echelon form: (pivot column, row)

    def reduce(vector: list[Fraction]) -> list[Fraction]:
        for pivot, row in basis:
            if vector[pivot]:
                factor = vector[pivot]
                vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
        return vector

    for equation in equations:
        row = reduce([Fraction(equation.get(key, 0)) for key in columns])
        pivot = next((i for i, v in enumerate(row) if v), None)
        if pivot is None:
            continue
        row = [v / row[pivot] for v in row]
        basis = [(p, [v - b[pivot] * r for v, r in zip(b, row, strict=True)]) for p, b in basis]
        basis.append((pivot, row))

    unit = [Fraction(0)] * len(columns)
    found = set()
    for i, key in enumerate(columns):
        vector = unit.copy()
        vector[i] = Fraction(1)
        if not any(reduce(vector)):  # rank did not grow: the equations already pin this cell
            found.add(key)
    return found


def is_small(value, threshold, suppress_zeros):
    return 0 < value < threshold or (suppress_zeros and value == 0)


def hidden(published: dict) -> set:
    return {key for key, value in published.items() if isinstance(value, str)}


@pytest.mark.parametrize(
    ("equations", "unknowns", "expected"),
    [
        ([{"t": 1, "a": -1, "b": -1}], {"a"}, {"a"}),
        ([{"t": 1, "a": -1, "b": -1}], {"a", "b"}, set()),
        ([{"r": 1, "a": -1, "b": -1}, {"c": 1, "a": -1, "x": -1}], {"a", "b", "x"}, set()),
        ([{"y1": 1, "q1": -1}, {"y2": 1, "q1": -1, "q2": -1}], {"q1", "q2"}, {"q1", "q2"}),
        ([{"y1": 1, "q1": -1}, {"y2": 1, "q1": -1, "q2": -1}], {"y1", "q1", "q2"}, set()),
    ],
    ids=["lone-hidden-cell", "pair", "chain", "ytd-differencing", "ytd-hidden"],
)
def test_exact_checker_finds_what_a_reader_can_work_out(equations, unknowns, expected):
    assert determined(equations, unknowns) == expected


@pytest.mark.parametrize(("threshold", "label"), [(5, "<5"), (10, "<10"), (3, "<3")])
def test_primary_label_follows_threshold(threshold, label):
    assert primary_label(threshold) == label
    assert protect({"x": threshold - 1}, threshold=threshold).published["x"] == label


@pytest.mark.parametrize(
    ("value", "threshold", "suppress_zeros", "published", "reason"),
    [
        (0, 5, False, 0, None),
        (0, 5, True, "<5", Reason.PRIMARY),
        (None, 5, True, None, None),
        (1, 5, False, "<5", Reason.PRIMARY),
        (4, 5, False, "<5", Reason.PRIMARY),
        (5, 5, False, 5, None),
        (9, 10, False, "<10", Reason.PRIMARY),
        (10, 10, False, 10, None),
        (-2, 5, False, -2, None),
    ],
    ids=["zero", "zero-suppressed", "missing", "one", "four", "five", "nine-of-ten", "ten", "negative"],
)
def test_single_cell(value, threshold, suppress_zeros, published, reason):
    result = protect({"x": value}, threshold=threshold, suppress_zeros=suppress_zeros)
    assert result.published == {"x": published}
    assert result.reasons.get("x") is reason


ROW = [Constraint("t", ("a", "b", "c"))]


@pytest.mark.parametrize(
    ("cells", "constraints", "exempt", "expected", "exposed"),
    [
        (
            {"a": 2, "b": 10, "c": 12, "t": 24},
            ROW,
            (),
            {"a": "<5", "b": C, "c": 12, "t": 24},
            set(),
        ),
        (
            {"a": 2, "b": 0, "c": 9, "t": 11},
            ROW,
            (),
            {"a": "<5", "b": 0, "c": C, "t": 11},
            set(),
        ),
        (
            {"a": 2, "b": 3, "c": 20, "t": 25},
            ROW,
            (),
            {"a": "<5", "b": "<5", "c": 20, "t": 25},
            set(),
        ),
        (
            {"a": 0, "b": 3, "t": 3},
            [Constraint("t", ("a", "b"))],
            (),
            {"a": 0, "b": "<5", "t": "<5"},
            set(),
        ),
        (
            {"a": 2, "b": 10, "c": 12, "t": 24},
            ROW,
            ("b",),
            {"a": "<5", "b": 10, "c": C, "t": 24},
            set(),
        ),
        (
            {"a": 2, "b": 10, "c": 12, "t": 24},
            ROW,
            ("b", "c", "t"),
            {"a": "<5", "b": 10, "c": 12, "t": 24},
            {"a"},
        ),
        (
            {"a": 3, "b": 10, "c": 12, "t": 25},
            ROW,
            ("a",),
            {"a": 3, "b": 10, "c": 12, "t": 25},
            set(),
        ),
        (
            {"a": None, "b": 3, "c": 10, "t": 13},
            ROW,
            (),
            {"a": None, "b": "<5", "c": C, "t": 13},
            set(),
        ),
        (
            {"a": None, "b": 3, "c": 10, "t": 20},
            ROW,
            (),
            {"a": None, "b": "<5", "c": 10, "t": 20},
            set(),
        ),
        (
            {"a": 2, "b": 8, "s": 10, "d": 30, "g": 40},
            [Constraint("s", ("a", "b")), Constraint("g", ("s", "d"))],
            (),
            {"a": "<5", "b": C, "s": 10, "d": 30, "g": 40},
            set(),
        ),
    ],
    ids=[
        "one-small-hides-next-smallest",
        "zero-is-not-chosen-when-a-count-can-be",
        "two-small-protect-each-other",
        "small-total",
        "exempt-cell-never-chosen",
        "only-exempt-cells-left-is-reported",
        "exempt-small-count-is-published",
        "missing-member-total-of-reported",
        "missing-member-total-from-elsewhere",
        "subtotal-in-a-hierarchy",
    ],
)
def test_protect_tables(cells, constraints, exempt, expected, exposed):
    result = protect(cells, constraints, exempt=exempt)
    assert result.published == expected
    assert result.exposed == exposed


def test_one_small_cell_in_a_grid_costs_a_rectangle_of_four():
    result = protect_grid(
        {"A": {"x": 2, "y": 13, "z": 20}, "B": {"x": 10, "y": 12, "z": 30}, "C": {"x": 15, "y": 9, "z": 25}}
    )
    suppressed = hidden(result.published)
    assert (result.primary_count, result.secondary_count) == (1, 3)
    rows = {r for r, _ in suppressed}
    cols = {c for _, c in suppressed}
    assert "A" in rows and "x" in cols and len(rows) == len(cols) == 2
    assert T not in rows | cols  # the margins stay published


def test_two_small_cells_in_a_row_still_need_cover_in_their_columns():
    result = protect_grid(
        {"A": {"x": 2, "y": 3, "z": 20}, "B": {"x": 10, "y": 12, "z": 30}, "C": {"x": 15, "y": 9, "z": 25}}
    )
    assert result.published[("A", "z")] == 20
    assert result.published[("A", T)] == 25
    secondary = [key for key, reason in result.reasons.items() if reason is Reason.SECONDARY]
    assert len(secondary) == 2
    assert {c for _, c in secondary} == {"x", "y"}
    assert len({r for r, _ in secondary}) == 1  # one other row covers both columns


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((0.5, 2, 10), {}, (C, Reason.RATE)),
        ((0.75, 3, 4), {}, (C, Reason.RATE)),
        ((1.0, 4, 4), {}, (C, Reason.RATE)),
        ((0.4, 20, 50), {}, (0.4, None)),
        ((0.4, 20, 50), {"numerator_suppressed": True}, (C, Reason.RATE)),
        ((0.4, 20, 50), {"denominator_suppressed": True}, (C, Reason.RATE)),
        ((0.0, 0, 50), {}, (0.0, None)),
        ((0.0, 0, 50), {"numerator_suppressed": True}, (C, Reason.RATE)),
        ((None, 0, 0), {}, (None, None)),
        ((0.5, 3, 0), {}, (None, None)),
        ((0.77, None, None), {}, (0.77, None)),
        ((0.5, 6, 12), {"threshold": 10}, (C, Reason.RATE)),
    ],
    ids=[
        "small-numerator",
        "small-denominator",
        "both-small",
        "large-counts",
        "numerator-suppressed",
        "denominator-suppressed",
        "zero-numerator-published",
        "suppressed-zero-numerator",
        "zero-denominator-no-rate",
        "zero-denominator-with-value",
        "rate-without-counts",
        "threshold-ten",
    ],
)
def test_protect_rate(args, kwargs, expected):
    assert protect_rate(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("quarters", "kwargs", "expected"),
    [
        ([10, 12, 20, 30], {"cumulative": True}, [C, 12, 20, 30, 30]),
        ([3, 10, 15, 20], {"cumulative": True}, ["<5", 10, 15, 20, 20]),
        ([10, 20, 30, 40], {"cumulative": True}, [10, 20, 30, 40, 40]),
        ([10, 20, 30, None], {"cumulative": True, "annual_total": 32}, [10, 20, C, None, 32]),
        ([10, 10, 15, 20], {"cumulative": True, "suppress_zeros": True}, [C, 10, 15, 20, 20]),
        ([10, 12, 20, 30], {"cumulative": True, "publish_total": False}, [C, 12, 20, 30, None]),
        ([2, 10, 12, 15], {"cumulative": False}, ["<5", C, 12, 15, 39]),
        ([2, 10, 12, 15], {"cumulative": False, "annual_total": 39}, ["<5", C, 12, 15, 39]),
        ([2, 10, 12, 15], {"cumulative": False, "publish_total": False}, ["<5", 10, 12, 15, None]),
        ([2, 10, None, 15], {"cumulative": False, "annual_total": 40}, ["<5", 10, None, 15, 40]),
        ([6, 7], {"cumulative": False}, [6, 7, 13]),
    ],
    ids=[
        "ytd-difference-would-show-2",
        "small-first-ytd",
        "nothing-small",
        "annual-total-two-more-than-q3-ytd",
        "zero-in-quarter-with-suppress-zeros",
        "ytd-without-total",
        "quarter-against-annual-total",
        "given-annual-total",
        "no-total-no-secondary",
        "missing-quarter-absorbs-difference",
        "year-so-far",
    ],
)
def test_protect_series(quarters, kwargs, expected):
    result = protect_series(quarters, **kwargs)
    keys = [*range(len(quarters)), "total"]
    assert [result.published[key] for key in keys] == expected
    assert set(result.published) == set(keys)  # in-quarter amounts are never published


@pytest.mark.parametrize(
    ("rows", "kwargs", "counts"),
    [
        ({"A": {"x": 2, "y": 13}, "B": {"x": 10, "y": 12}}, {}, (1, 3)),
        ({"A": {"x": 2, "y": 3}, "B": {"x": 10, "y": 12}}, {}, (2, 2)),
        ({"A": {"x": 2, "y": 2}, "B": {"x": 10, "y": 12}}, {}, (3, 3)),
        ({"A": {"x": 2, "y": 13}, "B": {"x": 10, "y": 12}}, COLUMNS_ONLY, (1, 1)),
        ({"A": {"x": 0, "y": 13}, "B": {"x": 10, "y": 12}}, {"suppress_zeros": True}, (1, 3)),
        ({"A": {"x": 20, "y": 13}, "B": {"x": 10, "y": 12}}, {}, (0, 0)),
        ({"A": {"x": 6, "y": 13}, "B": {"x": 10, "y": 12}}, {"threshold": 10}, (1, 3)),
    ],
    ids=[
        "one-small",
        "two-small-in-a-row",
        "small-row-total",
        "columns-only",
        "suppressed-zero",
        "nothing-small",
        "threshold-ten",
    ],
)
def test_counts_by_reason(rows, kwargs, counts):
    result = protect_grid(rows, **kwargs)
    assert (result.primary_count, result.secondary_count) == counts
    assert result.suppressed_count == sum(counts)
    assert all(result.is_suppressed(key) for key in hidden(result.published))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: protect({"a": 1}, [Constraint("t", ("a",))]), "unknown cell 't'"),
        (lambda: protect({"a": 1}, threshold=0), "threshold must be at least 1"),
        (lambda: protect_grid({"Total": {"x": 1}}), 'cannot be called "Total"'),
        (lambda: protect_grid({"A": {"Total": 1}}), 'cannot be called "Total"'),
    ],
    ids=["unknown-cell", "zero-threshold", "row-named-total", "column-named-total"],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# Plenty of 1-4s: most tables in the pack are full of them.
counts = st.one_of(st.integers(1, 4), st.integers(0, 30))


@st.composite
def grids(draw):
    n_rows, n_cols = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    values = [[draw(counts) for _ in range(n_cols)] for _ in range(n_rows)]
    # (row totals, column totals, grand total): every shape the pack prints.
    flags = draw(
        st.sampled_from([(True, True, True), (True, True, False), (True, False, True), (False, True, True)])
    )
    return values, flags, draw(st.sampled_from([3, 5, 10])), draw(st.booleans())


@settings(max_examples=200, deadline=None)
@given(grids())
def test_grid_protection_holds(case):
    values, (row_totals, column_totals, grand_total), threshold, suppress_zeros = case
    rows = {f"r{i}": {f"c{j}": v for j, v in enumerate(row)} for i, row in enumerate(values)}
    result = protect_grid(
        rows,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand_total,
        threshold=threshold,
        suppress_zeros=suppress_zeros,
    )

    truth = {(r, c): v for r, row in rows.items() for c, v in row.items()}
    equations = []
    if row_totals:
        for r, row in rows.items():
            truth[(r, T)] = sum(row.values())
            equations.append({(r, T): 1, **{(r, c): -1 for c in row}})
    if column_totals:
        for c in rows["r0"]:
            truth[(T, c)] = sum(row[c] for row in rows.values())
            equations.append({(T, c): 1, **{(r, c): -1 for r in rows}})
    if grand_total:
        truth[(T, T)] = sum(map(sum, values))
        equations.append({(T, T): 1, **{key: -1 for key in truth if T not in key}})
    _assert_protected(result.published, truth, equations, set(), threshold, suppress_zeros)


@st.composite
def series(draw):
    amounts = draw(st.lists(counts, min_size=1, max_size=4))
    cumulative, publish_total, suppress_zeros = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    return amounts, cumulative, publish_total, draw(st.sampled_from([3, 5, 10])), suppress_zeros


@settings(max_examples=200, deadline=None)
@given(series())
def test_series_protection_holds(case):
    amounts, cumulative, publish_total, threshold, suppress_zeros = case
    shown = list(accumulate(amounts)) if cumulative else amounts
    result = protect_series(
        shown,
        cumulative=cumulative,
        publish_total=publish_total,
        threshold=threshold,
        suppress_zeros=suppress_zeros,
    )

    # The reader's unknowns are the in-quarter amounts; for a YTD series they are never shown at all.
    amount_keys = [("amount", k) for k in range(len(amounts))]
    truth = dict(zip(amount_keys, amounts, strict=True))
    truth.update(enumerate(shown))
    equations = []
    if cumulative:
        for k in range(len(shown)):
            equations.append({k: 1, **{amount_keys[j]: -1 for j in range(k + 1)}})
    else:
        equations.extend({k: 1, amount_keys[k]: -1} for k in range(len(shown)))
    if publish_total:
        truth["total"] = sum(amounts)
        equations.append({"total": 1, **{key: -1 for key in amount_keys}})
    else:
        assert result.published["total"] is None
    _assert_protected(result.published, truth, equations, set(amount_keys), threshold, suppress_zeros)


def _assert_protected(published, truth, equations, never_shown, threshold, suppress_zeros):
    for key, value in published.items():
        if isinstance(value, str):
            assert value in (primary_label(threshold), SECONDARY_LABEL)
        elif value is not None:
            assert value == truth[key], f"{key} published as {value}, truly {truth[key]}"
            assert not 0 < value < threshold, f"{key} published small value {value}"
            assert not (suppress_zeros and value == 0), f"{key} published zero"
    unknowns = hidden(published) | never_shown
    pinned = determined(equations, unknowns)
    small_unseen = {key for key in never_shown if is_small(truth[key], threshold, suppress_zeros)}
    at_risk = hidden(published) | small_unseen
    assert not pinned & at_risk, f"a reader can work out {pinned & at_risk} from {published}"
