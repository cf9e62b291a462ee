"""Every query and write of the indicators feature.

Functions here flush and never commit: the view (or CLI command) that calls them
commits once. Pages load their indicators, values and targets in a constant number
of queries and score them in Python with the pure rules of `app.kpis.scoring`.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from app.actions.models import Objective
from app.audit.models import AuditEvent
from app.audit.service import changed_fields, record
from app.auth.models import User
from app.database import utcnow
from app.errors import ConflictError
from app.extensions import db
from app.kpis import aggregation, scoring
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, financial_year_label
from app.versioning import bump

# --- the catalogue ------------------------------------------------------------------------------


def indicators(objective: str | None = None, agency_id: int | None = None) -> list[Indicator]:
    """Active indicators in code order, optionally one objective's (by code) or one owner agency's."""
    return list(db.session.scalars(_indicators_query(objective, agency_id)))


def _indicators_query(objective: str | None = None, agency_id: int | None = None):
    query = select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.code)
    if objective:
        query = query.where(
            Indicator.objective_id.in_(select(Objective.id).where(Objective.code == objective))
        )
    if agency_id is not None:
        query = query.where(Indicator.owner_agency_id == agency_id)
    return query


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


def _decision(indicator: Indicator, row: IndicatorTarget | None) -> aggregation.Decision | None:
    # The indicator's own band and tolerance fill what the decision leaves out; a band alone (no
    # decision yet) is a per-quarter band.
    tolerance = indicator.tolerance if indicator.tolerance is not None else scoring.DEFAULT_TOLERANCE
    if row is None:
        if indicator.band_lower is None and indicator.band_upper is None:
            return None
        return aggregation.Decision(aggregation.TargetBasis.QUARTER, None, (None,) * 4, indicator.band_lower,
                                    indicator.band_upper, tolerance)
    return aggregation.with_band(row.decision(tolerance), indicator.band_lower, indicator.band_upper)


def _to_target(
    indicator: Indicator, row: IndicatorTarget | None, quarter_number: int
) -> scoring.Target | None:
    # The target one quarter's own value is judged against (app.kpis.aggregation.quarter_target).
    return aggregation.quarter_target(
        indicator.aggregation_enum, _decision(indicator, row), quarter_number, expected=indicator.reports_in
    )


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
    """The target `quarter`'s own value is judged against, as decided at `as_of` (None: now).

    None when no target is agreed. The decision's basis says what its value means (see
    app.kpis.aggregation); the indicator's band and tolerance fill what the decision leaves out.
    """
    return _to_target(indicator, target_row_for(indicator, quarter.year, as_of), quarter.number)


def targets_in_force(found: list[Indicator], year: int) -> dict[int, IndicatorTarget | None]:
    """The target decision in force now for financial year `year`, by indicator id; one query."""
    targets = _targets_by_indicator([i.id for i in found])
    return {i.id: _pick_target_row(targets[i.id], year, None) for i in found}


def _target_snapshot(row: IndicatorTarget) -> dict:
    return {
        "year": row.year,
        "basis": row.basis,
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
    basis: str = aggregation.TargetBasis.QUARTER.value,
    lower: float | None,
    upper: float | None,
    tolerance: float | None,
    note: str,
    expected_latest_id: int | None = None,
) -> IndicatorTarget:
    """Record a new target decision for `indicator` and financial year `year` (never edits an old one).

    `tolerance` is a fraction (0.1 = 10%). `basis` is "quarter" (value is each quarter's target) or
    "year" (value is the year's outturn target); anything else raises ValueError. `expected_latest_id`
    is the decision the user's form was built from (0 for none); if someone decided since,
    ConflictError carries theirs.
    """
    current = db.session.scalar(
        select(IndicatorTarget)
        .where(IndicatorTarget.indicator_id == indicator.id, IndicatorTarget.year == year)
        .order_by(IndicatorTarget.set_at.desc(), IndicatorTarget.id.desc())
        .limit(1)
    )
    if expected_latest_id is not None and (current.id if current else 0) != expected_latest_id:
        raise ConflictError(current)
    basis = aggregation.TargetBasis(basis).value
    profile = list(profile or [None] * 4)
    row = IndicatorTarget(
        indicator_id=indicator.id,
        year=year,
        basis=basis,
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
        IndicatorTarget.AUDIT_ENTITY,
        row.id,
        f"Set the {financial_year_label(year)} target for {indicator.code}",
        _target_snapshot(current) if current else None,
        _target_snapshot(row),
    )
    return row


# --- values and scoring ---------------------------------------------------------------------


def _values_by_indicator(indicator_ids: list[int], since: int | None = None) -> dict[int, list[IndicatorValue]]:
    grouped: dict[int, list[IndicatorValue]] = defaultdict(list)
    if not indicator_ids:
        return grouped
    query = select(IndicatorValue).where(IndicatorValue.indicator_id.in_(indicator_ids))
    if since is not None:
        query = query.where(IndicatorValue.year >= since)
    for row in db.session.scalars(query):
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
    as_of: datetime | None = None,
) -> list[scoring.Assessment]:
    # Scores every quarter the indicator reports in against the targets decided by `as_of` (None: now);
    # the year before the strategy is included only as a comparator when a value exists for it.
    by_key = {(v.year, v.quarter): v.value for v in values if v.is_reported}
    shown = [q for q in all_quarters if indicator.takes_value_in(q)]
    points = [
        scoring.Point(
            q.year,
            q.number,
            by_key.get((q.year, q.number)),
            _to_target(indicator, _pick_target_row(targets, q.year, as_of), q.number),
        )
        for q in shown
    ]
    shown_keys = {(q.year, q.number) for q in shown}
    extra = [scoring.Point(y, n, v, None) for (y, n), v in sorted(by_key.items()) if (y, n) not in shown_keys]
    assessed = scoring.assess_series(extra + points, indicator.polarity, indicator.cumulative)
    return assessed[len(extra) :]


def _figures(values: list[IndicatorValue], year: int) -> dict[int, aggregation.Figure]:
    return {
        v.quarter: aggregation.Figure(v.value, v.numerator, v.denominator)
        for v in values
        if v.is_reported and v.year == year
    }


def _year(
    indicator: Indicator,
    values: list[IndicatorValue],
    targets: list[IndicatorTarget],
    quarter: Quarter,
    as_of: datetime | None,
) -> aggregation.YearAssessment:
    # The financial year to date at `quarter`, judged against the target decided by `as_of`.
    return aggregation.assess_year(
        indicator.aggregation_enum,
        indicator.polarity_enum,
        _figures(values, quarter.year),
        _figures(values, quarter.year - 1),
        _decision(indicator, _pick_target_row(targets, quarter.year, as_of)),
        quarter.number,
        unit=indicator.unit_enum,
        expected=indicator.reports_in,
    )


@dataclass
class Standing:
    """One indicator up to a quarter as it stood when that quarter was locked (now, if it is not)."""

    indicator: Indicator
    quarter: Quarter
    locked_at: datetime | None
    series: list[scoring.Assessment]  # every strategy quarter up to `quarter` it reports in, oldest first
    year: aggregation.YearAssessment  # the financial year to date at `quarter`
    target: scoring.Target | None  # the target `quarter`'s own value is judged against
    value_rows: dict[Quarter, IndicatorValue]  # the rows behind the values, up to `quarter`

    @property
    def current(self) -> scoring.Assessment | None:
        """The assessment of `quarter` itself; None when the indicator does not report in it."""
        key = (self.quarter.year, self.quarter.number)
        return next((a for a in self.series if (a.year, a.quarter) == key), None)


def _standing(
    indicator: Indicator,
    values: list[IndicatorValue],
    targets: list[IndicatorTarget],
    strategy_quarters: list[Quarter],
    quarter: Quarter,
    locked_at: datetime | None,
) -> Standing:
    # Nothing reported for a later quarter is read, and no target decided after the lock.
    upto = [v for v in values if (v.year, v.quarter) <= (quarter.year, quarter.number)]
    decided = [t for t in targets if locked_at is None or t.set_at <= locked_at]
    series_ = _assess(indicator, upto, decided, [q for q in strategy_quarters if q <= quarter], locked_at)
    return Standing(
        indicator=indicator,
        quarter=quarter,
        locked_at=locked_at,
        series=series_,
        year=_year(indicator, upto, decided, quarter, locked_at),
        target=_to_target(indicator, _pick_target_row(decided, quarter.year, locked_at), quarter.number),
        value_rows={v.period: v for v in upto},
    )


_LOOK_UP = object()  # as_locked's default: read the quarter's lock time from the cycle


def as_locked(found: list[Indicator], quarter: Quarter, *, locked_at=_LOOK_UP,
              since: int | None = None) -> list[Standing]:
    """Each indicator assessed up to `quarter` as it stood when `quarter` was locked; three queries.

    The one rule for "as it stood at the lock", used by the indicator page, the report, the pack and
    the year-end summary: values of quarters after `quarter` are not read, and only target decisions
    made by the lock time count (every decision while the quarter is unlocked). `locked_at` may be
    passed when the caller already knows it (None: not locked). `since` (a financial year) reads and
    assesses only the quarters from that year on: a page that shows one quarter need not read every year.
    """
    if locked_at is _LOOK_UP:
        locked_at = calendar.locked_at(quarter)
    ids = [i.id for i in found]
    values = _values_by_indicator(ids, since)
    targets = _targets_by_indicator(ids)
    strategy_quarters = [q for q in calendar.quarters() if since is None or q.year >= since]
    return [
        _standing(i, values[i.id], targets[i.id], strategy_quarters, quarter, locked_at) for i in found
    ]


@dataclass
class History:
    """An indicator's page: every quarter as it stood at its own lock, and each year to date so far."""

    series: list[scoring.Assessment]
    years: list[Standing]  # one per financial year up to `upto`, at its Q4 (or at `upto` in its year)


def history(indicator: Indicator, upto: Quarter) -> History:
    """Every strategy quarter the indicator reports in, each rated as it stood when it was locked.

    A quarter's row therefore always agrees with that quarter's report. `upto` bounds the years shown.
    """
    locks = {Quarter(p.year, p.quarter): p.locked_at for p in calendar.periods()}
    values = _values_by_indicator([indicator.id])[indicator.id]
    targets = _targets_by_indicator([indicator.id])[indicator.id]
    strategy_quarters = calendar.quarters()
    rows = []
    for quarter in strategy_quarters:
        if indicator.takes_value_in(quarter):
            standing = _standing(indicator, values, targets, strategy_quarters, quarter, locks.get(quarter))
            if standing.current is not None:
                rows.append(standing.current)
    years = []
    for year in sorted({q.year for q in strategy_quarters if q <= upto}):
        end = min(Quarter(year, 4), upto)
        years.append(_standing(indicator, values, targets, strategy_quarters, end, locks.get(end)))
    return History(rows, years)


def series(indicator: Indicator) -> list[scoring.Assessment]:
    """Every strategy quarter the indicator reports in, scored as it stood at its lock, oldest first."""
    return history(indicator, calendar.quarters()[-1]).series


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


# The years before the quarter's own that a catalogue row reads: a point is judged against the quarter
# before and the same quarter a year before (app.kpis.scoring), so two years back judge every point of
# the last two years exactly as the whole history would (issue 11: flat cost as the years pile up).
_LOOKBACK_YEARS = 2


def _latest(standing: Standing) -> scoring.Assessment | None:
    return next((a for a in reversed(standing.series) if a.value is not None), None)


def _rows(found: list[Indicator], quarter: Quarter, *, exact: bool) -> list[CatalogueRow]:
    standings = as_locked(found, quarter, since=quarter.year - _LOOKBACK_YEARS)
    # An indicator with no value in the window shows its last value from further back: read it whole.
    stale = [s.indicator for s in standings if _latest(s) is None or _latest(s).year < quarter.year - 1]
    if stale and not exact:
        whole = {s.indicator.id: s for s in as_locked(stale, quarter)}
        standings = [whole.get(s.indicator.id, s) for s in standings]
    rows = []
    for standing in standings:
        chosen = standing.current if exact else _latest(standing)
        value_row = None
        if chosen is not None:
            value_row = standing.value_rows.get(Quarter(chosen.year, chosen.quarter))
        rows.append(CatalogueRow(standing.indicator, chosen, standing.target, value_row))
    return rows


def catalogue(
    quarter: Quarter, *, objective: str | None = None, agency_id: int | None = None, rag: str | None = None
) -> list[CatalogueRow]:
    """Every indicator with its latest assessment up to `quarter`, filtered; five queries whatever the size.

    `rag` is a Rag value ("no_rating" lists indicators with no value, no target or no rating).
    """
    rows = _rows(indicators(objective, agency_id), quarter, exact=False)
    if rag:
        rows = [r for r in rows if r.rag.value == rag]
    return rows


CATALOGUE_PAGE_SIZE = 50  # indicators listed per page of the catalogue


def catalogue_page(
    quarter: Quarter, page: int, *, objective: str | None = None, agency_id: int | None = None,
    rag: str | None = None, per_page: int = CATALOGUE_PAGE_SIZE,
) -> tuple[list[CatalogueRow], int]:
    """One page of `catalogue`, and how many rows match in all.

    Without a rating filter only the page's indicators are assessed, so the cost is one page's
    whatever the size of the catalogue; a rating filter needs every indicator assessed first.
    """
    window = slice((page - 1) * per_page, page * per_page)
    if rag:
        rows = [r for r in _rows(indicators(objective, agency_id), quarter, exact=False) if r.rag.value == rag]
        return rows[window], len(rows)
    # Counted and sliced in SQL: only the page's indicators are loaded at all.
    query = _indicators_query(objective, agency_id)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    found = list(db.session.scalars(query.limit(per_page).offset(window.start)))
    return _rows(found, quarter, exact=False), total


def entry_rows(agency_id: int, quarter: Quarter) -> list[CatalogueRow]:
    """The indicators `agency_id` owns that report in `quarter`, each assessed for exactly that quarter."""
    found = [i for i in indicators(agency_id=agency_id) if i.takes_value_in(quarter)]
    return _rows(found, quarter, exact=True)


def entry_row(indicator: Indicator, quarter: Quarter) -> CatalogueRow:
    """One indicator assessed for exactly `quarter` (the inline entry row)."""
    return _rows([indicator], quarter, exact=True)[0]


def missing_values(quarter: Quarter) -> list[Indicator]:
    """Active indicators with no submitted value for `quarter`: quarterly ones, and annual ones in Q4."""
    entered = select(IndicatorValue.id).where(
        IndicatorValue.indicator_id == Indicator.id,
        IndicatorValue.year == quarter.year,
        IndicatorValue.quarter == quarter.number,
        IndicatorValue.state.in_(("submitted", "accepted")),
    )
    # The list shows each one's code, name and owner: the long texts are not read (hundreds of rows in
    # a large partnership, on every coordinator's dashboard after a save).
    query = _indicators_query().where(~entered.exists()).options(
        load_only(Indicator.code, Indicator.name, Indicator.frequency, Indicator.owner_agency_id))
    return [i for i in db.session.scalars(query) if i.takes_value_in(quarter)]


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
    source: str | None = None,
) -> IndicatorValue:
    """Create or change the indicator's value for `quarter`; saving submits it.

    With a numerator the value is computed from the parts (scoring.compute_rate).
    `version` is the version the form was built from (0 for a new value); if someone
    saved in between, ConflictError carries theirs and nothing is written.
    Permission and validation are the caller's. A locked quarter raises QuarterLockedError.
    `source`, when given, says where the change came from in the audit trail ("uploaded by ... from file ...").
    """
    calendar.ensure_unlocked(quarter)
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
        bump(existing, version, demo=False, **values)
        row = existing
    new = _value_snapshot(row)
    summary = f"Entered the {quarter.label} value of {indicator.code}" + (f" ({source})" if source else "")
    if old is None:
        record(actor, "enter-value", IndicatorValue.AUDIT_ENTITY, row.id, summary, None, new)
    else:
        before, after = changed_fields(old, new)
        record(actor, "enter-value", IndicatorValue.AUDIT_ENTITY, row.id, summary, before, after)
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
                .where(AuditEvent.entity == IndicatorValue.AUDIT_ENTITY, AuditEvent.entity_id.in_(list(by_id)))
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
