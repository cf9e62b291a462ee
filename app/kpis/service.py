"""Every query and write of the indicators feature.

Functions here flush and never commit: the view (or CLI command) that calls them
commits once. Pages load their indicators, values and targets in a constant number
of queries and score them in Python with the pure rules of `app.kpis.scoring`.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.actions import service as actions_service
from app.actions.models import Objective
from app.audit.models import AuditEvent
from app.audit.service import changed_fields, record
from app.auth.models import User
from app.database import utcnow
from app.errors import ConflictError
from app.extensions import db
from app.kpis import scoring
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.quarters import Quarter, financial_year_label

# --- the catalogue ------------------------------------------------------------------------------


def indicators(objective: str | None = None, agency_id: int | None = None) -> list[Indicator]:
    """Active indicators in code order, optionally one objective's (by code) or one owner agency's."""
    query = select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.code)
    if objective:
        query = query.where(
            Indicator.objective_id.in_(select(Objective.id).where(Objective.code == objective))
        )
    if agency_id is not None:
        query = query.where(Indicator.owner_agency_id == agency_id)
    return list(db.session.scalars(query))


def indicator_by_code(code: str) -> Indicator | None:
    return db.session.scalar(select(Indicator).where(Indicator.code == code.upper()))


# --- targets ------------------------------------------------------------------------------------


def _pick_target_row(
    rows: list[IndicatorTarget], year: int, as_of: datetime | None
) -> IndicatorTarget | None:
    # rows are one indicator's, oldest decision first. The target in force for a year is the latest
    # decision for that year; a year the HCSP has not yet agreed keeps the latest earlier year's target.
    usable = [r for r in rows if r.year <= year and (as_of is None or r.set_at <= as_of)]
    if not usable:
        return None
    latest_year = max(r.year for r in usable)
    return [r for r in usable if r.year == latest_year][-1]


def _to_target(
    indicator: Indicator, row: IndicatorTarget | None, quarter_number: int
) -> scoring.Target | None:
    lower = row.lower if row is not None and row.lower is not None else indicator.band_lower
    upper = row.upper if row is not None and row.upper is not None else indicator.band_upper
    value = None
    if row is not None:
        profiled = row.profile_value(quarter_number)
        value = profiled if profiled is not None else row.value
    if value is None and lower is None and upper is None:
        return None
    tolerance = next(
        (t for t in (row.tolerance if row else None, indicator.tolerance) if t is not None),
        scoring.DEFAULT_TOLERANCE,
    )
    return scoring.Target(value=value, lower=lower, upper=upper, tolerance=tolerance)


def _sorted_rows(rows) -> list[IndicatorTarget]:
    return sorted(rows, key=lambda r: (r.set_at, r.id))


def target_rows(indicator: Indicator) -> list[IndicatorTarget]:
    """Every target decision for `indicator`, oldest first."""
    return list(
        db.session.scalars(
            select(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == indicator.id)
            .order_by(IndicatorTarget.set_at, IndicatorTarget.id)
        )
    )


def target_row_for(indicator: Indicator, year: int, as_of: datetime | None = None) -> IndicatorTarget | None:
    """The target decision in force for financial year `year` (carried from an earlier year if none)."""
    return _pick_target_row(target_rows(indicator), year, as_of)


def target_for(
    indicator: Indicator, quarter: Quarter, as_of: datetime | None = None
) -> scoring.Target | None:
    """The target for `quarter` as decided at `as_of` (None: now); None when no target is agreed.

    The quarterly profile value is used when set, else the annual value; the indicator's
    band and tolerance fill what the decision leaves out.
    """
    return _to_target(indicator, target_row_for(indicator, quarter.year, as_of), quarter.number)


@dataclass
class TargetProfile:
    q1: float | None = None
    q2: float | None = None
    q3: float | None = None
    q4: float | None = None


def _target_snapshot(row: IndicatorTarget) -> dict:
    return {
        "year": row.year,
        "value": row.value,
        "profile": row.profile,
        "lower": row.lower,
        "upper": row.upper,
        "tolerance": row.tolerance,
        "note": row.note,
    }


def set_target(
    actor: User | None,
    indicator: Indicator,
    year: int,
    *,
    value: float | None,
    profile: list[float | None] | None,
    lower: float | None,
    upper: float | None,
    tolerance: float | None,
    note: str,
    expected_latest_id: int | None = None,
) -> IndicatorTarget:
    """Record a new target decision for `indicator` and financial year `year` (never edits an old one).

    `tolerance` is a fraction (0.1 = 10%). `expected_latest_id` is the decision the user's form
    was built from (0 for none); if someone decided since, ConflictError carries theirs.
    """
    current = db.session.scalar(
        select(IndicatorTarget)
        .where(IndicatorTarget.indicator_id == indicator.id, IndicatorTarget.year == year)
        .order_by(IndicatorTarget.set_at.desc(), IndicatorTarget.id.desc())
        .limit(1)
    )
    if expected_latest_id is not None and (current.id if current else 0) != expected_latest_id:
        raise ConflictError(current)
    profile = list(profile or [None] * 4)
    row = IndicatorTarget(
        indicator_id=indicator.id,
        year=year,
        value=value,
        q1=profile[0],
        q2=profile[1],
        q3=profile[2],
        q4=profile[3],
        lower=lower,
        upper=upper,
        tolerance=tolerance,
        set_by_id=getattr(actor, "id", None),
        set_at=utcnow(),
        note=note.strip(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "set-target",
        "indicator_target",
        row.id,
        f"Set the {financial_year_label(year)} target for {indicator.code}",
        _target_snapshot(current) if current else None,
        _target_snapshot(row),
    )
    return row


# --- values and scoring ---------------------------------------------------------------------


def _values_by_indicator(indicator_ids: list[int]) -> dict[int, list[IndicatorValue]]:
    grouped: dict[int, list[IndicatorValue]] = defaultdict(list)
    if not indicator_ids:
        return grouped
    for row in db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.indicator_id.in_(indicator_ids))
    ):
        grouped[row.indicator_id].append(row)
    return grouped


def _targets_by_indicator(indicator_ids: list[int]) -> dict[int, list[IndicatorTarget]]:
    grouped: dict[int, list[IndicatorTarget]] = defaultdict(list)
    if not indicator_ids:
        return grouped
    rows = db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_(indicator_ids)))
    for row in _sorted_rows(rows):
        grouped[row.indicator_id].append(row)
    return grouped


def _assess(
    indicator: Indicator,
    values: list[IndicatorValue],
    targets: list[IndicatorTarget],
    all_quarters: list[Quarter],
    as_of_by_quarter: dict[Quarter, datetime] | None = None,
) -> list[scoring.Assessment]:
    # Scores every quarter the indicator reports in; the year before the strategy is included
    # only as a comparator when a value exists for it.
    by_key = {(v.year, v.quarter): v.value for v in values if v.counts}
    as_of_by_quarter = as_of_by_quarter or {}
    shown = [q for q in all_quarters if indicator.takes_value_in(q)]
    points = [
        scoring.Point(
            q.year,
            q.number,
            by_key.get((q.year, q.number)),
            _to_target(indicator, _pick_target_row(targets, q.year, as_of_by_quarter.get(q)), q.number),
        )
        for q in shown
    ]
    shown_keys = {(q.year, q.number) for q in shown}
    extra = [scoring.Point(y, n, v, None) for (y, n), v in sorted(by_key.items()) if (y, n) not in shown_keys]
    assessed = scoring.assess_series(extra + points, indicator.polarity, indicator.cumulative)
    return assessed[len(extra) :]


def series(
    indicator: Indicator,
    as_of_by_quarter: dict[Quarter, datetime] | None = None,
) -> list[scoring.Assessment]:
    """Every strategy quarter the indicator reports in, scored, oldest first (annual: Q4s only).

    `as_of_by_quarter` maps a locked quarter to its lock time, so its target is the one in force then.
    """
    return _assess(
        indicator,
        _values_by_indicator([indicator.id])[indicator.id],
        _targets_by_indicator([indicator.id])[indicator.id],
        actions_service.quarters(),
        as_of_by_quarter,
    )


def values_for(indicator: Indicator) -> dict[Quarter, IndicatorValue]:
    """The indicator's value rows keyed by quarter."""
    return {v.period: v for v in _values_by_indicator([indicator.id])[indicator.id]}


def find_value(indicator: Indicator, quarter: Quarter) -> IndicatorValue | None:
    return db.session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator.id,
            IndicatorValue.year == quarter.year,
            IndicatorValue.quarter == quarter.number,
        )
    )


@dataclass
class CatalogueRow:
    indicator: Indicator
    assessment: scoring.Assessment | None  # the latest quarter up to the one viewed that has a value
    target: scoring.Target | None  # the target in force for the quarter viewed
    value_row: IndicatorValue | None = None  # the value row behind `assessment`

    @property
    def quarter(self) -> Quarter | None:
        return Quarter(self.assessment.year, self.assessment.quarter) if self.assessment else None

    @property
    def rag(self) -> scoring.Rag:
        return self.assessment.rag if self.assessment else scoring.Rag.NO_RATING


def _rows(found: list[Indicator], quarter: Quarter, *, exact: bool) -> list[CatalogueRow]:
    ids = [i.id for i in found]
    values = _values_by_indicator(ids)
    targets = _targets_by_indicator(ids)
    all_quarters = actions_service.quarters()
    rows = []
    for indicator in found:
        assessed = _assess(indicator, values[indicator.id], targets[indicator.id], all_quarters)
        upto = [a for a in assessed if (a.year, a.quarter) <= (quarter.year, quarter.number)]
        if exact:
            chosen = next((a for a in upto if (a.year, a.quarter) == (quarter.year, quarter.number)), None)
        else:
            chosen = next((a for a in reversed(upto) if a.value is not None), None)
        value_row = None
        if chosen is not None:
            value_row = next(
                (v for v in values[indicator.id] if (v.year, v.quarter) == (chosen.year, chosen.quarter)),
                None,
            )
        target = _to_target(
            indicator, _pick_target_row(targets[indicator.id], quarter.year, None), quarter.number
        )
        rows.append(CatalogueRow(indicator, chosen, target, value_row))
    return rows


def catalogue(
    quarter: Quarter, *, objective: str | None = None, agency_id: int | None = None, rag: str | None = None
) -> list[CatalogueRow]:
    """Every indicator with its latest assessment up to `quarter`, filtered; four queries whatever the size.

    `rag` is a Rag value ("no_rating" lists indicators with no value, no target or no rating).
    """
    rows = _rows(indicators(objective, agency_id), quarter, exact=False)
    if rag:
        rows = [r for r in rows if r.rag.value == rag]
    return rows


def entry_rows(agency_id: int, quarter: Quarter) -> list[CatalogueRow]:
    """The indicators `agency_id` owns that report in `quarter`, each assessed for exactly that quarter."""
    found = [i for i in indicators(agency_id=agency_id) if i.takes_value_in(quarter)]
    return _rows(found, quarter, exact=True)


def entry_row(indicator: Indicator, quarter: Quarter) -> CatalogueRow:
    """One indicator assessed for exactly `quarter` (the inline entry row)."""
    return _rows([indicator], quarter, exact=True)[0]


def missing_values(quarter: Quarter) -> list[Indicator]:
    """Active indicators with no submitted value for `quarter`: quarterly ones, and annual ones in Q4."""
    entered = set(
        db.session.scalars(
            select(IndicatorValue.indicator_id).where(
                IndicatorValue.year == quarter.year,
                IndicatorValue.quarter == quarter.number,
                IndicatorValue.state.in_(("submitted", "accepted")),
            )
        )
    )
    return [i for i in indicators() if i.takes_value_in(quarter) and i.id not in entered]


def _value_snapshot(row: IndicatorValue) -> dict:
    return {
        "quarter": row.period.slug,
        "value": row.value,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "note": row.note,
        "provisional": row.provisional,
        "state": row.state,
    }


def save_value(
    actor: User,
    indicator: Indicator,
    quarter: Quarter,
    *,
    version: int,
    value: float | None,
    numerator: int | None,
    denominator: int | None,
    note: str,
    provisional: bool,
) -> IndicatorValue:
    """Create or change the indicator's value for `quarter`; saving submits it.

    With a numerator the value is computed from the parts (scoring.compute_rate).
    `version` is the version the form was built from (0 for a new value); if someone
    saved in between, ConflictError carries theirs and nothing is written.
    Permission and validation are the caller's. A locked quarter raises QuarterLockedError.
    """
    from app.cycle.service import ensure_unlocked  # the cycle reads this module; import late

    ensure_unlocked(quarter)
    if numerator is not None:
        value = scoring.compute_rate(numerator, denominator, indicator.unit)
    values = {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "note": (note or "").strip(),
        "provisional": provisional,
        "state": "submitted",
        "entered_by_id": actor.id,
        "entered_at": utcnow(),
    }
    existing = find_value(indicator, quarter)
    if existing is None:
        if version != 0:
            raise ConflictError(None)
        row = IndicatorValue(
            indicator_id=indicator.id, year=quarter.year, quarter=quarter.number, version=1, **values
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            # Someone entered the same quarter between our read and our insert.
            raise ConflictError(find_value(indicator, quarter)) from None
        old = None
    else:
        old = _value_snapshot(existing)
        result = db.session.execute(
            update(IndicatorValue)
            .where(IndicatorValue.id == existing.id, IndicatorValue.version == version)
            .values(version=IndicatorValue.version + 1, demo=False, **values)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(existing)
        if result.rowcount != 1:
            raise ConflictError(existing)
        row = existing
    new = _value_snapshot(row)
    summary = f"Entered the {quarter.label} value of {indicator.code}"
    if old is None:
        record(actor, "enter-value", "indicator_value", row.id, summary, None, new)
    else:
        before, after = changed_fields(old, new)
        record(actor, "enter-value", "indicator_value", row.id, summary, before, after)
    return row


@dataclass
class HistoryEntry:
    quarter: Quarter
    value: float | None
    numerator: int | None
    denominator: int | None
    provisional: bool
    note: str
    by: str  # who entered it
    at: datetime
    demo: bool = False


def value_history(indicator: Indicator) -> list[HistoryEntry]:
    """Every value ever entered for `indicator`, newest first, from the audit trail.

    Values loaded without an audit event (demonstration data) appear once, as they stand.
    """
    rows = list(db.session.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id)))
    by_id = {r.id: r for r in rows}
    events = (
        list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "indicator_value", AuditEvent.entity_id.in_(list(by_id)))
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        )
        if by_id
        else []
    )
    entries: list[HistoryEntry] = []
    state: dict[int, dict] = {}
    for event in events:
        current = state.setdefault(event.entity_id, {}) | (event.new or {})
        state[event.entity_id] = current
        row = by_id[event.entity_id]
        entries.append(
            HistoryEntry(
                row.period,
                current.get("value"),
                current.get("numerator"),
                current.get("denominator"),
                bool(current.get("provisional")),
                current.get("note") or "",
                event.actor,
                event.at,
            )
        )
    for row in rows:
        if row.id not in state:
            by = row.entered_by.name if row.entered_by else "Data load"
            entries.append(
                HistoryEntry(
                    row.period,
                    row.value,
                    row.numerator,
                    row.denominator,
                    row.provisional,
                    row.note,
                    by,
                    row.entered_at,
                    demo=row.demo,
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def previous_value(indicator: Indicator, quarter: Quarter) -> IndicatorValue | None:
    """The value for the reporting period before `quarter` (an annual indicator's is last year's Q4).

    None when nothing was entered for that period.
    """
    before = quarter.previous()
    while not indicator.takes_value_in(before) and before > Quarter(quarter.year - 1, quarter.number):
        before = before.previous()
    return find_value(indicator, before)
