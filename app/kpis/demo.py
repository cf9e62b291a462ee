"""Plausible demonstration indicator values, 2018/19 Q1 to the demo's current quarter (2019/20 Q3).

Every value is flagged `demo` and its note starts with "[Demo]". Deterministic (a fixed random seed)
and skipped if demo values exist. Nothing is entered for a quarter after the current one.

Values follow what each indicator is, read from its definition (unit, frequency, cumulative flag and
code), not from any stored declaration of how it aggregates:

* a flow (events counted in the quarter: offences, incidents, calls, referrals) moves around a
  per-quarter level taken from the documents (an annual baseline / 4, or what the strategy says), and
  the flows agree with each other: calls to police (one every 87 minutes, about 1,500 a quarter) exceed
  incidents (about 700) and offences (about 300), and children at MARAC follow the cases heard;
* a snapshot (MARAC core agencies attending) moves by at most one a quarter within its range;
* a cumulative (year-to-date) series never falls within a year and starts again each April;
* a percentage is stored as numerator and denominator, built on the flow it is a share of where there
  is one (arrests out of offences, detections out of arrests, repeat cases out of MARAC cases, guilty
  verdicts and withdrawals out of the same trials);
* an annual indicator has a value in Q4 only.

Small counts (forced marriage, FGM, health referrals to the IDVA) come out small, as they are in life,
so the published outputs have something to suppress.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.database import utcnow
from app.demo import DEMO_CURRENT
from app.extensions import db
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.kpis.scoring import Unit, compute_rate
from app.strategy.quarters import Quarter

DEMO_YEARS = (2018, 2019)
# Illustrative targets so the demo shows every rating; never agreed by anyone.
DEMO_TARGETS = {"DV06": 27.0, "MA03": 16.0, "ID02": 5.0, "CJ01": 35.0, "CJ02": 30.0, "CH01": 20.0}
DEMO_BANDS = {"MA02": (28.0, 40.0)}  # SafeLives' expected MARAC repeat rate

# Per-quarter level of each flow. Where a document gives a year's figure, a quarter of it:
FLOW_LEVELS = {
    "DV01": 300,  # DV offences: 1,200 in 2010/11
    "DV02": 700,  # non-crime domestic incidents: 2,817 in 2010/11
    "MA01": 30,  # MARAC cases: 109 in 2010/11, more since referral routes were promoted (B1)
    "ID01": 45,  # IDVA high-risk victims: 177 in 2010/11
    "ID03": 175,  # further police referrals to the IDVA: 708 in 2010/11
    "WA01": 300,  # women supported by Women's Aid: 1,192 in 2010/11
    "EA01": 35,  # elder abuse crime reports: 140 in 2017/18
    "AP01": 11,  # adolescent-to-parent violence: 45 in 2017/18
    "EH01": 27,  # Early Help families, DV the key need: 436 over four years
    "TF01": 17,  # Troubled Families, sustained progress: 278 over four years
    "SV01": 6,  # rape crisis referrals: no figure given
    "PP01": 5,  # perpetrator programme completions: no figure given
    "HP01": 1.5,  # forced marriage reports: 5 in part of 2011/12
    "HP02": 0.5,  # FGM allegations to police: none in part of 2011/12
}
# 2018/19 then 2019/20: health referrals to the IDVA grow as the IRIS-style work (B6, C2) beds in.
GROWING = {"ID02": (0.8, 2.5)}
CALLS_PER_REPORT = 1.5  # DV03: about 1,500 calls a quarter against about 1,000 offences and incidents
CHILDREN_PER_CASE = (1.0, 1.3)  # MA04 against MA01: 112 children in 109 cases' year
SNAPSHOTS = {"MA03": (14, 18)}  # 18 core agencies attended every MARAC in June 2018
CUMULATIVE_STEP = (6, 18)  # CH01: champions trained in a quarter, added to the year to date
ANNUAL_LEVELS = {"HP03": 12}  # maternities with FGM recorded: 47 estimated over 2001-2004
# Percentages: what the denominator is, and the share range (2018/19 start, 2019/20 end) of the numerator.
RATE_PARTS = {
    "DV04": ("DV01", (0.78, 0.88)),  # arrests out of offences (84% in 2010/11)
    "DV05": ("DV04:numerator", (0.44, 0.52)),  # charge or caution out of arrests (49%)
    "DV06": (270, (0.26, 0.31)),  # repeat victims out of victims first reporting (29%)
    "MA02": ("MA01", (0.20, 0.34)),  # repeat cases out of cases heard, rising towards the SafeLives band
    "CJ01": ("trials", (0.32, 0.45)),  # guilty verdicts out of trials (34 of 99)
    "CJ02": ("trials", (0.24, 0.32)),  # withdrawn out of the same trials (31 of 99)
    "CP01": (210, (0.45, 0.55)),  # child protection plans with domestic abuse recorded
    "CC01": (3000, (0.04, 0.06)),  # Children's Centre referrals with DV recorded (about 5%)
}
TRIALS = (22, 30)  # DV trials listed a quarter (99 in a year)
# In the current quarter, these owners have not sent their values yet; everyone else has.
CURRENT_MISSING_OWNERS = ("Victim Support",)
# One return that never came in for a quarter now locked (the lock gives the reason).
MISSED = {("PP01", Quarter(2018, 2))}


@dataclass
class DemoValuesResult:
    values: int = 0
    targets: int = 0


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), for the small counts where a normal approximation would go negative."""
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _around(rng: random.Random, level: float) -> int:
    """A quarter's count of a flow whose level is `level`: Poisson when small, about +/-8% when large."""
    if level < 20:
        return _poisson(rng, level)
    return max(0, round(rng.gauss(level, level * 0.08)))


def _drift(quarter: Quarter, low: float, high: float) -> float:
    """A share moving from `low` in 2018/19 Q1 to `high` by 2019/20 Q4, eight steps."""
    step = (quarter.year - DEMO_YEARS[0]) * 4 + quarter.number - 1
    return low + (high - low) * min(step, 7) / 7


def _demo_quarters(last: Quarter) -> list[Quarter]:
    return [q for year in DEMO_YEARS for q in Quarter(year, 1).year_quarters() if q <= last]


class _Generator:
    """Makes each indicator's (value, numerator, denominator) for one quarter, sources before rates."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.made: dict[tuple[str, Quarter], tuple[float | None, int | None, int | None]] = {}
        self.trials: dict[Quarter, int] = {}
        self.snapshot: dict[str, int] = {}
        self.ytd: dict[str, tuple[int, float]] = {}

    def count(self, indicator: Indicator, quarter: Quarter) -> float:
        code, rng = indicator.code, self.rng
        if indicator.cumulative:
            year, so_far = self.ytd.get(code, (quarter.year, 0.0))
            if year != quarter.year or quarter.number == 1:
                so_far = 0.0  # a year-to-date series starts again each April
            so_far += rng.randint(*CUMULATIVE_STEP)
            self.ytd[code] = (quarter.year, so_far)
            return so_far
        if code in SNAPSHOTS:
            low, high = SNAPSHOTS[code]
            now = self.snapshot.get(code, high - 1)
            now = min(high, max(low, now + rng.choice((-1, 0, 0, 1))))
            self.snapshot[code] = now
            return float(now)
        if indicator.is_annual:
            level = ANNUAL_LEVELS.get(code) or (indicator.baseline_value or 10)
            return float(_around(rng, level))
        if code == "DV03" and ("DV01", quarter) in self.made and ("DV02", quarter) in self.made:
            reports = self.made[("DV01", quarter)][0] + self.made[("DV02", quarter)][0]
            return float(round(reports * rng.uniform(CALLS_PER_REPORT - 0.08, CALLS_PER_REPORT + 0.08)))
        if code == "MA04" and ("MA01", quarter) in self.made:
            return float(round(self.made[("MA01", quarter)][0] * rng.uniform(*CHILDREN_PER_CASE)))
        if code in GROWING:
            return float(_poisson(rng, GROWING[code][quarter.year > DEMO_YEARS[0]]))
        level = FLOW_LEVELS.get(code)
        if level is None:
            # Not one the demo knows: a quarter of the baseline if it is a year's figure, else small.
            level = (indicator.baseline_value or 0) / 4 or 6
        return float(_around(rng, level))

    def rate(self, indicator: Indicator, quarter: Quarter) -> tuple[float | None, int, int]:
        rng = self.rng
        source, (low, high) = RATE_PARTS.get(indicator.code, (None, (None, None)))
        if low is None:
            centre = (indicator.baseline_value if indicator.baseline_value is not None else 40) / 100
            low, high = max(centre - 0.05, 0.0), min(centre + 0.05, 1.0)
        denominator = None
        if source == "trials":
            denominator = self.trials.setdefault(quarter, rng.randint(*TRIALS))
        elif isinstance(source, int):
            denominator = max(1, round(rng.gauss(source, source * 0.06)))
        elif isinstance(source, str):
            code, _, part = source.partition(":")
            made = self.made.get((code, quarter))
            if made is not None:
                denominator = made[1] if part == "numerator" else made[0]
        if not denominator:
            denominator = rng.randint(40, 80)
        denominator = int(denominator)
        share = _drift(quarter, low, high) + rng.uniform(-0.02, 0.02)
        numerator = min(denominator, max(0, round(denominator * share)))
        unit = Unit(indicator.unit)
        return compute_rate(numerator, denominator, unit), numerator, denominator

    def make(self, indicator: Indicator, quarter: Quarter) -> tuple[float | None, int | None, int | None]:
        made = self.rate(indicator, quarter) if indicator.is_rate else (self.count(indicator, quarter), None, None)
        self.made[(indicator.code, quarter)] = made
        return made


def _order(indicator: Indicator) -> tuple:
    """Sources first: plain counts, then counts built on others (calls, children), then rates by code."""
    if indicator.is_rate:
        return (2, indicator.code)
    return (1 if indicator.code in ("DV03", "MA04") else 0, indicator.code)


def _entered_at(rng: random.Random, quarter: Quarter) -> datetime:
    day = quarter.end + timedelta(days=rng.randint(-5, 14))
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=UTC)


def load_demo_values() -> DemoValuesResult:
    """Add demo values from 2018/19 Q1 to the demo's current quarter unless some exist; flushes only."""
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
    found = sorted(db.session.scalars(select(Indicator)), key=_order)
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
    generator = _Generator(rng)
    for quarter in _demo_quarters(DEMO_CURRENT):
        for indicator in found:
            if not indicator.takes_value_in(quarter):
                continue
            # Generated even when not entered, so the series and the figures built on it stay whole.
            value, numerator, denominator = generator.make(indicator, quarter)
            if (indicator.code, quarter) in MISSED:
                continue
            if quarter == DEMO_CURRENT and indicator.owner.name in CURRENT_MISSING_OWNERS:
                continue
            author = demo_leads.get(indicator.owner_agency_id)
            db.session.add(
                IndicatorValue(
                    indicator_id=indicator.id,
                    year=quarter.year,
                    quarter=quarter.number,
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    note="[Demo] Illustrative figure, not a real return.",
                    provisional=quarter == DEMO_CURRENT and rng.random() < 0.2,
                    state="submitted",
                    demo=True,
                    entered_by_id=author.id if author else None,
                    entered_at=_entered_at(rng, quarter),
                )
            )
            result.values += 1
    db.session.flush()
    return result
