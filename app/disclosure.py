"""Statistical disclosure control for anything that leaves the partnership.

Primary suppression hides small counts, rate suppression hides rates built on them, and secondary
suppression hides further cells so that no small count can be worked back out of published totals.

Model. Every number is a *cell* under a hashable key; totals are cells too. A `Constraint` says "the
published total cell equals the sum of its member cells". A reader knows every published number and every
constraint, and can do linear algebra: a hidden cell is *determined* when every solution of the constraint
system, with the published numbers fixed, gives it the same value. Protection means that no suppressed cell
(and no small underlying amount) is determined.

Why numpy's SVD rather than exact `fractions.Fraction` elimination: the suppression loop asks "what is
determined now, and what would be if I also hid this cell?" many times per table, and one SVD answers both
for all candidates at once (the null space gives the first, the pseudo-inverse the second) in LAPACK at
microsecond cost; Fraction elimination in pure Python is about a hundred times slower. The matrices only
hold 0 and +/-1 and tables are small, so a genuinely free cell has a null-space component of order 0.1 or
more, far above float noise (1e-12); `_TOL` sits between the two. The unit tests check the result against
an exact Fraction solver.

What this does not model: bounds from non-negativity (two hidden cells summing to 2 are known to be 0-2
each). The partnership's rule, like the JSNA's, is about exact recovery, so only linear determination counts.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

# The ONS mark for a value withheld to protect another one; primary suppressions show "<5" instead.
SECONDARY_LABEL = "[c]"
# Row and column key of the totals in `protect_grid`.
GRID_TOTAL = "Total"
# Key of the year total (or year-to-date) in `protect_series`.
SERIES_TOTAL = "total"
# Key prefix of the in-quarter amounts that `protect_series` derives from a cumulative series.
IN_QUARTER = "in_quarter"

# See the module docstring: separates float noise (~1e-12) from real null-space components (>~0.1).
_TOL = 1e-9


class Reason(StrEnum):
    """Why a value was withheld."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    RATE = "rate"


def primary_label(threshold: int = 5) -> str:
    """Return the label shown in place of a small count: "<5" for the default threshold."""
    return f"<{threshold}"


@dataclass(frozen=True)
class Constraint:
    """A published total cell that equals the sum of its member cells."""

    total: Hashable
    members: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        # Accept a list from callers while keeping the dataclass hashable.
        object.__setattr__(self, "members", tuple(self.members))


@dataclass
class Protection:
    """What to publish for each cell, and why each withheld cell was withheld."""

    published: dict[Hashable, int | float | str | None]
    reasons: dict[Hashable, Reason] = field(default_factory=dict)
    # Hidden cells that can still be worked out because only exempt cells are left to suppress;
    # empty unless the caller exempted cells around a small count, and then theirs to decide.
    exposed: frozenset[Hashable] = frozenset()

    @property
    def primary_count(self) -> int:
        """Return how many values were withheld because they are small counts."""
        return self.count(Reason.PRIMARY)

    @property
    def secondary_count(self) -> int:
        """Return how many values were withheld to stop a small count being worked out."""
        return self.count(Reason.SECONDARY)

    @property
    def suppressed_count(self) -> int:
        """Return how many values were withheld for any reason: the pack's "n values suppressed"."""
        return len(self.reasons)

    def count(self, reason: Reason) -> int:
        """Return how many values were withheld for `reason`."""
        return sum(1 for r in self.reasons.values() if r is reason)

    def is_suppressed(self, key: Hashable) -> bool:
        """Return whether the cell is withheld; False for unknown keys and for missing (None) values."""
        return key in self.reasons


def protect(
    cells: Mapping[Hashable, int | None],
    constraints: Iterable[Constraint] = (),
    *,
    threshold: int = 5,
    suppress_zeros: bool = False,
    exempt: Collection[Hashable] = (),
    underlying: Collection[Hashable] = (),
) -> Protection:
    """Apply primary and secondary suppression so no small count is published or can be worked out.

    Edge cases: None (missing) is published as None and never protected. A total equal to the sum of its
    reported members tells the reader the missing ones added nothing, so they drop out; otherwise they are
    free unknowns. Exempt cells are published as they are and never chosen for secondary suppression; a
    small count only exempt cells give away is listed in `exposed`. `underlying` cells are never published
    (e.g. in-quarter amounts behind year-to-date figures): they are unknowns to the reader, and those that
    are small must not be determinable. Negative values are never small counts. Raises ValueError for a
    threshold below 1 or a constraint naming a cell that is not in `cells`.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    constraints = tuple(constraints)
    for constraint in constraints:
        for key in (constraint.total, *constraint.members):
            if key not in cells:
                raise ValueError(f"constraint for {constraint.total!r} names unknown cell {key!r}")
    exempt_set = frozenset(exempt)
    underlying_set = frozenset(underlying)

    reasons: dict[Hashable, Reason] = {}
    protected: set[Hashable] = set()
    for key, value in cells.items():
        if key in exempt_set or not _is_small(value, threshold, suppress_zeros):
            continue
        protected.add(key)
        if key not in underlying_set:
            reasons[key] = Reason.PRIMARY

    # Unknowns to the reader: what we withhold, what is never published, and what nobody reported.
    hidden = set(protected) | {key for key in underlying_set if key in cells}
    hidden |= {key for key, value in cells.items() if value is None}
    candidates = {
        key
        for key, value in cells.items()
        if key not in hidden and key not in exempt_set and value is not None
    }
    order = {key: position for position, key in enumerate(cells)}
    equations = [(c.total, eq) for c in constraints if (eq := _equation(c, cells))]

    exposed: set[Hashable] = set()
    for component in _components(equations):
        keys = sorted({key for _, eq in component for key in eq}, key=order.__getitem__)
        if protected.isdisjoint(keys):
            continue
        solver = _ComponentSolver(keys, component, cells, hidden, protected, candidates)
        added, left_exposed = solver.run()
        for key in added:
            reasons[key] = Reason.SECONDARY
        exposed |= left_exposed

    label = primary_label(threshold)
    published: dict[Hashable, int | float | str | None] = {}
    for key, value in cells.items():
        if key in underlying_set:
            continue
        reason = reasons.get(key)
        if reason is Reason.PRIMARY:
            published[key] = label
        elif reason is Reason.SECONDARY:
            published[key] = SECONDARY_LABEL
        else:
            published[key] = value
    return Protection(
        published=published,
        reasons={key: reason for key, reason in reasons.items() if key not in underlying_set},
        exposed=frozenset(exposed),
    )


def protect_rate(
    value: float | None,
    numerator: int | None,
    denominator: int | None,
    *,
    threshold: int = 5,
    numerator_suppressed: bool = False,
    denominator_suppressed: bool = False,
) -> tuple[float | str | None, Reason | None]:
    """Return the rate to publish and why it was withheld, if it was.

    Edge cases: a zero denominator means there is no rate (None, None); a None value publishes nothing. The
    rate is withheld ("[c]") when either count was withheld or is 1..threshold-1, since rate x denominator
    gives the numerator back. A numerator of 0 does not withhold the rate: zero counts are published, so
    0% tells the reader nothing the count table does not; pass numerator_suppressed=True when the zero
    count was withheld (suppress_zeros). A None numerator or denominator cannot be checked (a rate supplied
    as a percentage), so the value is published as it is.
    """
    if denominator == 0 or value is None:
        return None, None
    if numerator_suppressed or denominator_suppressed:
        return SECONDARY_LABEL, Reason.RATE
    if any(_is_small(count, threshold, suppress_zeros=False) for count in (numerator, denominator)):
        return SECONDARY_LABEL, Reason.RATE
    return value, None


def protect_series(
    quarters: Sequence[int | None],
    *,
    cumulative: bool,
    annual_total: int | None = None,
    publish_total: bool = True,
    threshold: int = 5,
    suppress_zeros: bool = False,
) -> Protection:
    """Protect one indicator-year: keys 0..n-1 for the quarters and "total" for the year total (or YTD).

    Not cumulative: each quarter is a cell and the total (annual_total, or the sum of the reported
    quarters) is their sum. Cumulative: each quarter is a year-to-date figure, and the amounts between
    consecutive reported figures are underlying cells ("in_quarter", k), never published, so a small
    in-quarter amount cannot be recovered by subtracting one YTD from the next. The total is then the latest
    YTD, or annual_total with any difference treated as one more underlying amount. With publish_total
    False, "total" is published as None and no constraint uses it.
    """
    count = len(quarters)
    cells: dict[Hashable, int | None] = dict(enumerate(quarters))
    constraints: list[Constraint] = []
    underlying: list[Hashable] = []
    reported = [k for k, value in enumerate(quarters) if value is not None]

    if not cumulative:
        total = annual_total
        if total is None and reported:
            total = sum(quarters[k] for k in reported)  # type: ignore[misc]
        cells[SERIES_TOTAL] = total if publish_total else None
        if publish_total:
            constraints.append(Constraint(SERIES_TOTAL, tuple(range(count))))
        return protect(cells, constraints, threshold=threshold, suppress_zeros=suppress_zeros)

    previous: int | None = None
    for k in reported:
        amount = (IN_QUARTER, k)
        cells[amount] = quarters[k] - (0 if previous is None else quarters[previous])  # type: ignore[operator]
        underlying.append(amount)
        members = (amount,) if previous is None else (previous, amount)
        constraints.append(Constraint(k, members))
        previous = k

    if not publish_total:
        cells[SERIES_TOTAL] = None
    elif previous is None:
        # Nothing reported in the quarters, so the total can only be primary-suppressed on its own.
        cells[SERIES_TOTAL] = annual_total
    else:
        latest = quarters[previous]
        total = latest if annual_total is None else annual_total
        cells[SERIES_TOTAL] = total
        if total == latest:
            constraints.append(Constraint(SERIES_TOTAL, (previous,)))
        else:
            rest = (IN_QUARTER, "rest")
            cells[rest] = total - latest  # type: ignore[operator]
            underlying.append(rest)
            constraints.append(Constraint(SERIES_TOTAL, (previous, rest)))
    return protect(
        cells, constraints, threshold=threshold, suppress_zeros=suppress_zeros, underlying=underlying
    )


def protect_grid(
    rows: Mapping[Hashable, Mapping[Hashable, int | None]],
    *,
    row_totals: bool = True,
    column_totals: bool = True,
    grand_total: bool = True,
    threshold: int = 5,
    suppress_zeros: bool = False,
) -> Protection:
    """Protect a two-way table: cells (row, col), totals (row, "Total"), ("Total", col), ("Total", "Total").

    Edge cases: a column missing from a row is None (not reported); a total of nothing reported is None;
    a row or column named "Total" raises ValueError because its key would clash with the totals.
    """
    columns: list[Hashable] = []
    for row in rows.values():
        columns.extend(col for col in row if col not in columns)
    if GRID_TOTAL in rows or GRID_TOTAL in columns:
        raise ValueError(f'A row or column cannot be called "{GRID_TOTAL}"')

    cells: dict[Hashable, int | None] = {}
    constraints: list[Constraint] = []
    for r, row in rows.items():
        members = [(r, c) for c in columns]
        cells.update({(r, c): row.get(c) for c in columns})
        if row_totals:
            cells[(r, GRID_TOTAL)] = _sum_reported(row.get(c) for c in columns)
            constraints.append(Constraint((r, GRID_TOTAL), tuple(members)))
    if column_totals:
        for c in columns:
            cells[(GRID_TOTAL, c)] = _sum_reported(row.get(c) for row in rows.values())
            constraints.append(Constraint((GRID_TOTAL, c), tuple((r, c) for r in rows)))
    if grand_total:
        grand = (GRID_TOTAL, GRID_TOTAL)
        cells[grand] = _sum_reported(value for row in rows.values() for value in row.values())
        # Each published margin adds its own route to the grand total; redundant equations cost nothing.
        if row_totals:
            constraints.append(Constraint(grand, tuple((r, GRID_TOTAL) for r in rows)))
        if column_totals:
            constraints.append(Constraint(grand, tuple((GRID_TOTAL, c) for c in columns)))
        if not row_totals and not column_totals:
            constraints.append(Constraint(grand, tuple((r, c) for r in rows for c in columns)))
    return protect(cells, constraints, threshold=threshold, suppress_zeros=suppress_zeros)


def _is_small(value: int | float | None, threshold: int, suppress_zeros: bool) -> bool:
    """Return whether a count must be withheld on its own; None and negatives never are."""
    if value is None:
        return False
    return 0 < value < threshold or (suppress_zeros and value == 0)


def _sum_reported(values: Iterable[int | None]) -> int | None:
    """Return the sum of the reported values, or None when nothing was reported."""
    reported = [value for value in values if value is not None]
    return sum(reported) if reported else None


def _equation(constraint: Constraint, cells: Mapping[Hashable, int | None]) -> dict[Hashable, int]:
    """Return the constraint as {cell: coefficient} (total +1, members -1) as the reader can use it."""
    total = cells[constraint.total]
    reported = sum(value for m in constraint.members if (value := cells[m]) is not None)
    # A total that matches the reported members shows the missing ones added nothing: they drop out.
    # Otherwise a missing cell is a free unknown that absorbs the difference.
    missing_is_zero = total is not None and total == reported
    equation: dict[Hashable, int] = {}
    for key, sign in ((constraint.total, 1), *((m, -1) for m in constraint.members)):
        if cells[key] is None and missing_is_zero:
            continue
        equation[key] = equation.get(key, 0) + sign
    return {key: sign for key, sign in equation.items() if sign}


def _components(
    equations: list[tuple[Hashable, dict[Hashable, int]]],
) -> list[list[tuple[Hashable, dict[Hashable, int]]]]:
    """Group equations that share a cell, so each independent table is solved on its own (linear scaling)."""
    parent: dict[Hashable, Hashable] = {}

    def find(key: Hashable) -> Hashable:
        root = key
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[key] != root:  # path compression keeps later finds O(1)
            parent[key], key = root, parent[key]
        return root

    for _, eq in equations:
        first, *rest = eq
        for key in rest:
            parent[find(key)] = find(first)
    groups: dict[Hashable, list[tuple[Hashable, dict[Hashable, int]]]] = {}
    for total, eq in equations:
        groups.setdefault(find(next(iter(eq))), []).append((total, eq))
    return list(groups.values())


class _ComponentSolver:
    """Greedy secondary suppression within one connected table."""

    def __init__(
        self,
        keys: list[Hashable],
        equations: list[tuple[Hashable, dict[Hashable, int]]],
        cells: Mapping[Hashable, int | None],
        hidden: set[Hashable],
        protected: set[Hashable],
        candidates: set[Hashable],
    ) -> None:
        self.keys = keys
        self.index = {key: i for i, key in enumerate(keys)}
        self.matrix = np.zeros((len(equations), len(keys)))
        for row, (_, eq) in enumerate(equations):
            for key, sign in eq.items():
                self.matrix[row, self.index[key]] = sign
        self.hidden = [key in hidden for key in keys]
        self.protected = [key in protected for key in keys]
        self.candidates = [key in candidates for key in keys]
        totals = {total for total, _ in equations}
        values = [cells[key] for key in keys]
        # Lose as little as possible: a non-zero inner cell first, then a total, zeros last (a withheld
        # zero next to a small count narrows it down); within a tier the smallest value, then table order.
        self.preference = [
            (2 * (values[i] == 0) + (key in totals), values[i] if values[i] is not None else 0, i)
            for i, key in enumerate(keys)
        ]

    def run(self) -> tuple[list[Hashable], set[Hashable]]:
        """Hide cells until no protected cell is determined; return (cells added, cells left exposed)."""
        added: list[Hashable] = []
        while True:
            hidden_cols = [i for i, h in enumerate(self.hidden) if h]
            sub = self.matrix[:, hidden_cols]
            determined, pinv = _analyse(sub)
            at_risk = [j for j, i in enumerate(hidden_cols) if determined[j] and self.protected[i]]
            if not at_risk:
                return added, set()
            touching = self._touching([hidden_cols[j] for j in at_risk])
            pool = [i for i in touching if self.candidates[i] and not self.hidden[i]]
            must_improve = not pool
            if must_improve:
                # Only exempt or hidden cells share an equation with the exposed ones: a cell elsewhere in
                # the table is worth hiding only if it actually frees something.
                pool = [i for i, c in enumerate(self.candidates) if c and not self.hidden[i]]
            scores = self._lookahead(sub, pinv, at_risk, pool)
            choices = [
                (self.preference[i][0], score, *self.preference[i][1:], i)
                for i, score in zip(pool, scores, strict=True)
                if not must_improve or score < len(at_risk)
            ]
            if not choices:
                return added, {self.keys[hidden_cols[j]] for j in at_risk}
            best = min(choices)[-1]
            self.hidden[best] = True
            self.protected[best] = True
            added.append(self.keys[best])

    def _touching(self, columns: list[int]) -> list[int]:
        """Return the columns that share an equation with any of `columns`."""
        rows = np.any(self.matrix[:, columns] != 0, axis=1)
        return [int(i) for i in np.flatnonzero(np.any(self.matrix[rows] != 0, axis=0))]

    def _lookahead(self, sub: np.ndarray, pinv: np.ndarray, at_risk: list[int], pool: list[int]) -> list[int]:
        """Return, per candidate, how many protected cells would be determined after also hiding it.

        Hiding column b adds null vectors (x, 1) with sub @ x = -b when b is in sub's column space; a
        determined cell h stays determined iff x[h] = 0 (x[h] is the same for every such x). When b is
        not in the column space nothing is freed and b itself becomes determined.
        """
        # This only ranks candidates: each round re-checks determinacy from a fresh SVD, so a borderline
        # tolerance here can cost an extra suppression but never lets a leak through. A least-squares
        # residual carries more rounding than a null-space component, hence the looser bound.
        extra = self.matrix[:, pool]
        solution = -pinv @ extra
        residual = np.linalg.norm(sub @ solution + extra, axis=0)
        still = np.sum(np.abs(solution[at_risk]) < _TOL, axis=0)
        return [int(s) if r < _TOL * 1e3 else len(at_risk) + 1 for s, r in zip(still, residual, strict=True)]


def _analyse(sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (which columns the equations pin down, pseudo-inverse of `sub`) from one SVD."""
    rows, cols = sub.shape
    u, s, vt = np.linalg.svd(sub, full_matrices=True)
    rank = int(np.sum(s > (s[0] if s.size else 0.0) * max(rows, cols) * np.finfo(float).eps))
    null = vt[rank:]
    # Column h is pinned iff no null vector moves it, i.e. its projection onto the null space vanishes.
    determined = np.linalg.norm(null, axis=0) < _TOL if null.size else np.ones(cols, dtype=bool)
    pinv = vt[:rank].T @ (u[:, :rank].T / s[:rank, None])
    return determined, pinv
