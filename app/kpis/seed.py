"""Loading the indicator catalogue (seed/indicators.yaml) into the database.

Idempotent: an indicator whose code exists is left exactly as it is, so running the
seed again adds only what is missing and never overwrites targets or edits made in the app.
"""

from pathlib import Path

import yaml
from sqlalchemy import select

from app.actions.models import Objective
from app.actions.seed import SEED_DIR, agency_index
from app.audit.service import record
from app.comparators.seed import load_comparisons
from app.database import utcnow
from app.extensions import db
from app.kpis.aggregation import Aggregation, TargetBasis
from app.kpis.models import Indicator, IndicatorTarget

INDICATORS_FILE = SEED_DIR / "indicators.yaml"
# The documents' targets are the 2010/11 ones; they are seeded as the first year's targets for the
# coordinator to confirm or replace at the first annual target-setting (see seed/INDICATORS.md).
FIRST_TARGET_YEAR = 2018
SOURCE_NAMES = {"000_8cfb82a6134874a5.txt": "the JSNA", "001_23d886852e04d068.txt": "the VAWG Strategy"}


def read_indicators(path: Path = INDICATORS_FILE) -> list[dict]:
    """The catalogue file's indicator entries."""
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["indicators"]


def source_name(source: str | None) -> str:
    """A readable name for a cited file: "the JSNA" for the JSNA chapter's file."""
    return SOURCE_NAMES.get(source or "", source or "an unnamed source")


def load_indicators(path: Path = INDICATORS_FILE) -> int:
    """Add the catalogue's missing indicators and their documents' targets; flushes, never commits.

    Returns how many indicators were added.
    """
    existing = set(db.session.scalars(select(Indicator.code)))
    agencies = agency_index()
    objectives = {o.code: o for o in db.session.scalars(select(Objective))}
    added = 0
    entries = read_indicators(path)
    for entry in entries:
        if entry["code"] in existing:
            continue
        owner = agencies.get(entry["owner"].lower())
        if owner is None:
            raise ValueError(
                f"Indicator {entry['code']} names owner {entry['owner']!r}, which is not an agency"
            )
        objective = objectives.get(entry.get("objective") or "")
        band = entry.get("band") or {}
        baseline = entry.get("baseline") or {}
        target = entry.get("target") or {}
        indicator = Indicator(
            code=entry["code"],
            name=entry["name"],
            definition=entry["definition"],
            counting=entry.get("counting") or "",
            unit=entry["unit"],
            frequency=entry["frequency"],
            aggregation=Aggregation(entry["aggregation"]).value,
            owner_agency_id=owner.id,
            objective_id=objective.id if objective else None,
            action_codes=list(entry.get("actions") or []),
            polarity=entry["polarity"],
            band_lower=band.get("lower"),
            band_upper=band.get("upper"),
            tolerance=entry.get("tolerance"),
            headline=bool(entry.get("headline")),
            suppress=bool(entry.get("suppress")),
            suppress_reason=entry.get("suppress_reason"),
            suppress_zeros=bool(entry.get("suppress_zeros")),
            baseline_value=baseline.get("value"),
            baseline_numerator=baseline.get("numerator"),
            baseline_denominator=baseline.get("denominator"),
            baseline_period=baseline.get("period"),
            baseline_published_as=baseline.get("published_as"),
            baseline_source=baseline.get("source"),
            baseline_line=baseline.get("line"),
            baseline_passage=baseline.get("passage"),
            target_source=target.get("source"),
            target_line=target.get("line"),
            target_passage=target.get("passage"),
        )
        db.session.add(indicator)
        db.session.flush()
        record(None, "seed", Indicator.AUDIT_ENTITY, indicator.id, f"Seeded indicator {indicator.code}")
        if target.get("value") is not None:
            name = "JSNA" if target.get("source") == "000_8cfb82a6134874a5.txt" else "VAWG Strategy"
            row = IndicatorTarget(
                indicator_id=indicator.id,
                year=FIRST_TARGET_YEAR,
                basis=TargetBasis(target.get("basis") or TargetBasis.QUARTER).value,
                value=target["value"],
                tolerance=target.get("tolerance"),
                set_at=utcnow(),
                note=f"From the {name}: {target.get('passage') or ''}".strip(),
            )
            db.session.add(row)
        added += 1
    db.session.flush()
    load_comparisons(entries)
    return added
