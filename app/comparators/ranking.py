"""Where one area stands among its comparators: rank, quartile and average. Pure.

Rank 1 is the best, following the indicator's polarity: the highest value when higher is better, the
lowest when lower is better. Ties share the better rank ("standard competition" ranking: 1, 2, 2, 4),
so no area is ranked below another with the same value. The quartile follows the rank: 1 is the best
quarter of the group.

A contextual or band indicator has no better or worse among boroughs: its position is counted from
the lowest value ("8th lowest of 32") and it has no quartile judgement, only where it sits.
"""

from dataclasses import dataclass

from app.kpis.scoring import Polarity


@dataclass(frozen=True)
class Position:
    rank: int  # 1 = best (judged), or 1 = lowest (not judged)
    of: int
    judged: bool  # False for contextual and band indicators: a position, not a verdict
    quartile: int  # 1..4, counted the same way as the rank
    average: float | None = None  # the group's mean, when the group's values are known
    lowest: float | None = None
    highest: float | None = None
    value: float | None = None

    @property
    def wording(self) -> str:
        """ "8th best of 32", "8th lowest of 32". """
        return f"{ordinal(self.rank)} {'best' if self.judged else 'lowest'} of {self.of}"

    @property
    def quartile_wording(self) -> str:
        if self.judged:
            return {1: "Top quartile (best 25%)", 2: "Second quartile", 3: "Third quartile",
                    4: "Bottom quartile (worst 25%)"}[self.quartile]
        return {1: "Lowest quarter of values", 2: "Second-lowest quarter", 3: "Second-highest quarter",
                4: "Highest quarter of values"}[self.quartile]


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def judged(polarity: Polarity | str) -> bool:
    return Polarity(polarity) in (Polarity.HIGHER, Polarity.LOWER)


def quartile(rank: int, of: int) -> int:
    """The quarter of the group a rank falls in, counting from rank 1: ranks 1-8 of 32 are the 1st
    quartile, 25-32 the 4th. In a group smaller than four some quartiles are empty (3 of 3 is the 3rd)."""
    if not 1 <= rank <= of:
        raise ValueError(f"rank {rank} is not within 1 to {of}")
    return (rank - 1) * 4 // of + 1


def position(values: dict[str, float], area: str, polarity: Polarity | str) -> Position | None:
    """`area`'s position among `values` (area -> value); None when the area has no value."""
    if area not in values:
        return None
    mine = values[area]
    is_judged = judged(polarity)
    if is_judged and Polarity(polarity) is Polarity.HIGHER:
        ahead = sum(1 for v in values.values() if v > mine)
    else:
        ahead = sum(1 for v in values.values() if v < mine)
    rank = ahead + 1
    return Position(rank=rank, of=len(values), judged=is_judged, quartile=quartile(rank, len(values)),
                    average=sum(values.values()) / len(values), lowest=min(values.values()),
                    highest=max(values.values()), value=mine)


def stated_position(rank: int, of: int, counted_from: str, polarity: Polarity | str) -> Position:
    """A rank a source states, turned the indicator's way.

    `counted_from` says how the source counts: "lowest" (1st = the lowest value), "highest", or
    "best" (1st = the best performing, as the source judges). A judged indicator counted from the
    wrong end is turned round: the 8th lowest of 32 where higher is better is the 25th best.
    """
    if counted_from not in ("lowest", "highest", "best"):
        raise ValueError(f"counted_from must be lowest, highest or best, not {counted_from!r}")
    polarity = Polarity(polarity)
    is_judged = judged(polarity)
    if is_judged:
        best_end = "lowest" if polarity is Polarity.LOWER else "highest"
        turned = counted_from not in ("best", best_end)
    else:
        # Not judged: the position is told from the lowest; a "best" count cannot be turned without
        # knowing which way the source judged, so it is kept as stated.
        turned = counted_from == "highest"
    final = of - rank + 1 if turned else rank
    return Position(rank=final, of=of, judged=is_judged, quartile=quartile(final, of))
