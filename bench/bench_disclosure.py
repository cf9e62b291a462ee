"""Time disclosure control over a board-pack-shaped workload, then over ten times as much, and compare.

Run: python bench/bench_disclosure.py. Exits 1 only if 10x the data takes more than 30x the time (the
budget is linear scaling, about 15x); the milliseconds themselves depend on the machine, so they are printed.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Hashable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.disclosure import Constraint, protect  # noqa: E402

INDICATORS = 20  # indicators in one pack
YEARS = 4  # the strategy runs 2018/19 to 2021/22: 16 quarters
OBJECTIVES, STATUSES = 5, 5  # objectives A-D plus carried forward, by Complete/Green/Amber/Red/No update
RUNS = 7  # median of this many timings
TOTAL = "Total"


def count(rng: random.Random) -> int:
    """Return a count shaped like VAWG data: many 1-4s, some zeros, the rest up to 30."""
    return rng.randint(1, 4) if rng.random() < 0.4 else rng.randint(0, 30)


def workload(scale: int, seed: int = 2018) -> tuple[dict, list[Constraint], list[Hashable]]:
    """Build `scale` packs' worth of cells: indicator quarters with year totals, objective x status grids."""
    rng = random.Random(seed)
    cells: dict[Hashable, int | None] = {}
    constraints: list[Constraint] = []
    underlying: list[Hashable] = []
    for indicator in range(INDICATORS * scale):
        # Half the indicators are reported year-to-date, which hides in-quarter amounts behind differences.
        cumulative = indicator % 2 == 1
        for year in range(YEARS):
            amounts = [count(rng) for _ in range(4)]
            total_key = (indicator, year, "total")
            cells[total_key] = sum(amounts)
            if not cumulative:
                cells.update({(indicator, year, q): a for q, a in enumerate(amounts)})
                constraints.append(Constraint(total_key, tuple((indicator, year, q) for q in range(4))))
                continue
            ytd = 0
            for q, amount in enumerate(amounts):
                ytd += amount
                key, in_quarter = (indicator, year, q), (indicator, year, "in", q)
                cells[key], cells[in_quarter] = ytd, amount
                underlying.append(in_quarter)
                members = (in_quarter,) if q == 0 else ((indicator, year, q - 1), in_quarter)
                constraints.append(Constraint(key, members))
            constraints.append(Constraint(total_key, ((indicator, year, 3),)))
    for grid in range(scale):
        values = {(grid, r, c): count(rng) for r in range(OBJECTIVES) for c in range(STATUSES)}
        cells.update(values)
        for r in range(OBJECTIVES):
            cells[(grid, r, TOTAL)] = sum(values[(grid, r, c)] for c in range(STATUSES))
            constraints.append(Constraint((grid, r, TOTAL), tuple((grid, r, c) for c in range(STATUSES))))
        for c in range(STATUSES):
            cells[(grid, TOTAL, c)] = sum(values[(grid, r, c)] for r in range(OBJECTIVES))
            constraints.append(Constraint((grid, TOTAL, c), tuple((grid, r, c) for r in range(OBJECTIVES))))
        cells[(grid, TOTAL, TOTAL)] = sum(values.values())
        row_totals = tuple((grid, r, TOTAL) for r in range(OBJECTIVES))
        constraints.append(Constraint((grid, TOTAL, TOTAL), row_totals))
    return cells, constraints, underlying


def median_seconds(scale: int) -> tuple[float, int, int]:
    """Return (median seconds for one protect call, cells, values suppressed) at `scale`."""
    cells, constraints, underlying = workload(scale)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = protect(cells, constraints, underlying=underlying)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), len(cells), result.suppressed_count


def main() -> int:
    """Print both timings and their ratio; return 1 if scaling is badly worse than linear."""
    base, base_cells, base_hidden = median_seconds(1)
    big, big_cells, big_hidden = median_seconds(10)
    ratio = big / base
    print(f"1x : {base_cells:6d} cells, {base_hidden:5d} suppressed, median {base * 1000:8.1f} ms")
    print(f"10x: {big_cells:6d} cells, {big_hidden:5d} suppressed, median {big * 1000:8.1f} ms")
    print(f"ratio 10x/1x: {ratio:.1f} (budget ~15, fail above 30)")
    return 1 if ratio > 30 else 0


if __name__ == "__main__":
    sys.exit(main())
