"""Two years (2018/19 and 2019/20) of plausible demonstration indicator values.

Every value is flagged `demo` and its note starts with "[Demo]". Deterministic (a fixed
random seed) and skipped if demo values exist. Most count indicators get small counts
(0 to 12) on purpose: the disclosure-control work needs numbers under 5 to suppress.
"""

import random
from dataclasses import dataclass

from sqlalchemy import select

from app.auth.models import User
from app.database import utcnow
from app.extensions import db
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.kpis.scoring import Unit, compute_rate
from app.quarters import Quarter

DEMO_YEARS = (2018, 2019)
LARGE_VOLUME = 20  # a count whose baseline is above this many a quarter is demoed near its baseline
# Illustrative targets so the demo shows every rating; never agreed by anyone.
DEMO_TARGETS = {"DV06": 27.0, "MA03": 10.0, "ID02": 8.0, "CJ01": 35.0, "CJ02": 30.0, "CH01": 20.0}
DEMO_BANDS = {"MA02": (28.0, 40.0)}


@dataclass
class DemoValuesResult:
    values: int = 0
    targets: int = 0


def _count(rng: random.Random, indicator: Indicator, previous_ytd: int, quarter: Quarter) -> float:
    per_quarter = (indicator.baseline_value or 0) / (1 if indicator.is_annual else 4)
    if per_quarter > LARGE_VOLUME:
        return float(round(per_quarter * rng.uniform(0.8, 1.2)))
    amount = rng.randint(0, 12)
    if indicator.cumulative:
        return float((0 if quarter.number == 1 else previous_ytd) + amount)
    return float(amount)


def _rate(rng: random.Random, indicator: Indicator) -> tuple[float | None, int, int]:
    centre = indicator.baseline_value if indicator.baseline_value is not None else rng.uniform(20, 60)
    denominator = rng.randint(200, 320) if centre > 60 else rng.randint(12, 60)
    rate = min(max(centre + rng.uniform(-9, 6), 0.0), 100.0)
    numerator = min(
        denominator, round(denominator * rate / (100 if indicator.unit == Unit.PERCENTAGE else 1000))
    )
    return compute_rate(numerator, denominator, indicator.unit), numerator, denominator


def load_demo_values() -> DemoValuesResult:
    """Add demo values for 2018/19 and 2019/20 unless some exist; flushes, never commits."""
    result = DemoValuesResult()
    if db.session.scalar(select(IndicatorValue.id).where(IndicatorValue.demo.is_(True)).limit(1)):
        return result
    rng = random.Random(201819)  # noqa: S311 - demo data, not security
    demo_leads = {
        u.agency_id: u
        for u in db.session.scalars(
            select(User).where(User.demo.is_(True), User.role == "lead").order_by(User.id)
        )
    }
    found = list(db.session.scalars(select(Indicator).order_by(Indicator.code)))
    for indicator in found:
        if indicator.code in DEMO_TARGETS or indicator.code in DEMO_BANDS:
            lower, upper = DEMO_BANDS.get(indicator.code, (None, None))
            db.session.add(
                IndicatorTarget(
                    indicator_id=indicator.id,
                    year=DEMO_YEARS[0],
                    value=DEMO_TARGETS.get(indicator.code),
                    lower=lower,
                    upper=upper,
                    set_at=utcnow(),
                    note="[Demo] Illustrative target for trying the app out; not agreed by the HCSP.",
                )
            )
            result.targets += 1
        author = demo_leads.get(indicator.owner_agency_id)
        ytd = 0
        for year in DEMO_YEARS:
            for number in range(1, 5):
                quarter = Quarter(year, number)
                if not indicator.takes_value_in(quarter):
                    continue
                numerator = denominator = None
                if indicator.is_rate:
                    value, numerator, denominator = _rate(rng, indicator)
                else:
                    value = _count(rng, indicator, ytd, quarter)
                    ytd = int(value)
                # A few returns are always missing, but never a cumulative series' (it would break the YTD).
                if not indicator.cumulative and rng.random() < 0.05:
                    continue
                db.session.add(
                    IndicatorValue(
                        indicator_id=indicator.id,
                        year=year,
                        quarter=number,
                        value=value,
                        numerator=numerator,
                        denominator=denominator,
                        note="[Demo] Illustrative figure, not a real return.",
                        provisional=rng.random() < 0.05,
                        state="submitted",
                        demo=True,
                        entered_by_id=author.id if author else None,
                        entered_at=utcnow(),
                    )
                )
                result.values += 1
    db.session.flush()
    return result
