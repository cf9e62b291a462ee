"""Writing and reading the audit trail."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Agency, User
from app.extensions import db

PAGE_SIZE = 50  # rows per audit page


def record(actor, verb: str, entity: str, entity_id: int | None, summary: str,
           old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit event to the current transaction; actor None means the command line."""
    event = AuditEvent(
        user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or "command line",
        verb=verb,
        entity=entity,
        entity_id=entity_id,
        summary=summary,
        old=old,
        new=new,
    )
    db.session.add(event)
    return event


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value changed, as (old, new); both empty when nothing changed."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


@dataclass(frozen=True)
class AuditFilters:
    """Which events to show; None means any. Dates are whole UTC days, both ends included."""

    user_id: int | None = None
    agency_id: int | None = None  # the agency the person belongs to now
    entity: str | None = None
    entity_id: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    name: str | None  # the person's name now; None for the command line or a deleted account
    agency: str | None  # the short name of the person's agency now


def _filtered(query, filters: AuditFilters):
    if filters.user_id is not None:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.agency_id is not None:
        query = query.where(AuditEvent.user_id.in_(select(User.id).where(User.agency_id == filters.agency_id)))
    if filters.entity:
        query = query.where(AuditEvent.entity == filters.entity)
    if filters.entity_id is not None:
        query = query.where(AuditEvent.entity_id == filters.entity_id)
    if filters.start is not None:
        query = query.where(AuditEvent.at >= datetime.combine(filters.start, time.min, UTC))
    if filters.end is not None:
        query = query.where(AuditEvent.at < datetime.combine(filters.end + timedelta(days=1), time.min, UTC))
    return query


def count_events(filters: AuditFilters = AuditFilters()) -> int:
    """How many events match `filters`."""
    return db.session.scalar(_filtered(select(func.count()).select_from(AuditEvent), filters)) or 0


def _rows(filters: AuditFilters):
    return _filtered(
        select(AuditEvent, User.name, Agency.short_name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Agency, Agency.id == User.agency_id),
        filters,
    ).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events(filters: AuditFilters = AuditFilters(), page: int = 1, per_page: int = PAGE_SIZE) -> list[AuditRow]:
    """One page of matching events, newest first, each with its person's name and agency, in one query."""
    query = _rows(filters).limit(per_page).offset((max(page, 1) - 1) * per_page)
    return [AuditRow(event, name, agency) for event, name, agency in db.session.execute(query)]


def all_events(filters: AuditFilters = AuditFilters()) -> Iterator[AuditRow]:
    """Every matching event, newest first, read in batches (the CSV download streams them)."""
    for event, name, agency in db.session.execute(_rows(filters).execution_options(yield_per=500)):
        yield AuditRow(event, name, agency)


def entities() -> list[str]:
    """The kinds of object the trail holds, for the object filter."""
    return list(db.session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)))


def people() -> list[User]:
    """Everyone who could appear in the trail, by name."""
    return list(db.session.scalars(select(User).order_by(User.name, User.email)))
