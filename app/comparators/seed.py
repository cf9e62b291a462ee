"""Load the comparisons the catalogue cites (seed/indicators.yaml, each indicator's `comparisons`)."""

from sqlalchemy import select

from app.comparators.models import ComparatorRank
from app.extensions import db
from app.kpis.models import Indicator


def load_comparisons(entries: list[dict]) -> int:
    """Add the stated ranks not yet in the database; flushes, never commits. Returns how many were added."""
    indicators = {i.code: i for i in db.session.scalars(select(Indicator))}
    existing = set(db.session.execute(
        select(ComparatorRank.indicator_id, ComparatorRank.group_name, ComparatorRank.measure,
               ComparatorRank.period)).all())
    added = 0
    for entry in entries:
        indicator = indicators.get(entry["code"])
        for c in entry.get("comparisons") or []:
            if indicator is None or (indicator.id, c["group"], c["measure"], str(c["period"])) in existing:
                continue
            db.session.add(ComparatorRank(
                indicator_id=indicator.id, group_name=c["group"], measure=c["measure"], period=str(c["period"]),
                rank=c["rank"], of_areas=c["of"], counted_from=c["counted_from"], source=c["source"],
                line=c.get("line"), passage=c.get("passage") or ""))
            added += 1
    db.session.flush()
    return added
