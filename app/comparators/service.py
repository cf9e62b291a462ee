"""Comparisons for an indicator, and the comparator import: preview, then all or nothing, audited."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.audit.service import record
from app.auth.models import User
from app.comparators import ranking, rows
from app.comparators.models import HAVERING, ComparatorRank, ComparatorValue
from app.extensions import db
from app.kpis.models import Indicator
from app.kpis.seed import source_name


@dataclass
class Comparison:
    """One group, measure and period Havering is compared in, as the indicator page shows it."""

    group: str
    measure: str
    period: str
    position: ranking.Position
    cited: str  # where the figure comes from, in words
    passage: str = ""
    areas: list[tuple[str, float]] = field(default_factory=list)  # every area's figure, when known


def comparisons(indicator: Indicator) -> list[Comparison]:
    """Stated ranks and positions among imported values, newest period first; two queries."""
    return comparisons_for([indicator]).get(indicator.id, [])


def comparisons_for(indicators: list[Indicator]) -> dict[int, list[Comparison]]:
    """Every indicator's comparisons (by indicator id), in two queries whatever the number of indicators."""
    by_id = {i.id: i for i in indicators}
    found: dict[int, list[Comparison]] = defaultdict(list)
    for r in db.session.scalars(select(ComparatorRank).where(ComparatorRank.indicator_id.in_(by_id))):
        polarity = by_id[r.indicator_id].polarity
        found[r.indicator_id].append(Comparison(
            r.group_name, r.measure, r.period, ranking.stated_position(r.rank, r.of_areas, r.counted_from, polarity),
            f"{source_name(r.source)}, line {r.line}" if r.line else source_name(r.source), r.passage))
    sets: dict[tuple[int, str, str], list[ComparatorValue]] = defaultdict(list)
    for value in db.session.scalars(select(ComparatorValue).where(ComparatorValue.indicator_id.in_(by_id))):
        sets[(value.indicator_id, value.group_name, value.period)].append(value)
    for (indicator_id, group, period), members in sets.items():
        indicator = by_id[indicator_id]
        figures = {m.area: m.figure for m in members if m.figure is not None}
        where = ranking.position(figures, HAVERING, indicator.polarity)
        if where is None:
            continue
        sources = sorted({f"{m.source} ({m.published_on:%d %b %Y})" for m in members})
        found[indicator_id].append(Comparison(group, indicator.name, period, where, "; ".join(sources),
                                              areas=sorted(figures.items(), key=lambda item: item[1])))
    return {key: sorted(items, key=lambda c: (c.period, c.group), reverse=True) for key, items in found.items()}


@dataclass
class Preview:
    filename: str
    rows: list[rows.Row]
    problems: list[rows.Problem]
    changes: dict[int, tuple[str, str | None]]  # row number -> ("new" | "changed" | "unchanged", old figure)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _existing() -> dict[tuple, ComparatorValue]:
    codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).all())
    return {(codes[v.indicator_id], v.group_name, v.area, v.period): v
            for v in db.session.scalars(select(ComparatorValue))}


def _figure_text(value, numerator, denominator) -> str:
    return f"{value:g}" if value is not None else f"{numerator} / {denominator}"


def preview(filename: str, text: str, today: date) -> Preview:
    """Check every row and say what it would change; writes nothing."""
    units = dict(db.session.execute(select(Indicator.code, Indicator.unit)).all())
    found, problems = rows.read(text, units, today)
    existing = _existing()
    changes = {}
    for row in found:
        old = existing.get(row.key)
        if old is None:
            changes[row.number] = ("new", None)
        else:
            same = (old.value, old.numerator, old.denominator, old.source, old.published_on) == (
                row.value, row.numerator, row.denominator, row.source, row.published)
            changes[row.number] = ("unchanged" if same else "changed",
                                   _figure_text(old.value, old.numerator, old.denominator))
    return Preview(filename, found, problems, changes)


def apply(actor: User, checked: Preview) -> int:
    """Save every new or changed row in this transaction, each audited; returns how many changed."""
    if not checked.ok:
        raise ValueError("a file with problems is never applied")
    ids = dict(db.session.execute(select(Indicator.code, Indicator.id)).all())
    existing = _existing()
    changed = 0
    for row in checked.rows:
        if checked.changes[row.number][0] == "unchanged":
            continue
        new = {"value": row.value, "numerator": row.numerator, "denominator": row.denominator,
               "source": row.source, "published_on": row.published.isoformat()}
        item = existing.get(row.key)
        old = None if item is None else {"value": item.value, "numerator": item.numerator,
                                         "denominator": item.denominator, "source": item.source,
                                         "published_on": item.published_on.isoformat()}
        if item is None:
            item = ComparatorValue(indicator_id=ids[row.indicator], group_name=row.group, area=row.area,
                                   period=row.period)
            db.session.add(item)
        item.value, item.numerator, item.denominator = row.value, row.numerator, row.denominator
        item.source, item.published_on, item.imported_by_id = row.source, row.published, actor.id
        db.session.flush()
        record(actor, "import", "comparator_value", item.id,
               f"Imported {row.area}'s {row.indicator} for {row.period} ({row.group}) from {checked.filename}",
               old, new)
        changed += 1
    return changed
