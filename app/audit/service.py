"""Writing and reading the audit trail."""

from typing import Any

from sqlalchemy import select

from app.audit.models import AuditEvent
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


def events(entity: str | None = None, entity_id: int | None = None, page: int = 1) -> list[AuditEvent]:
    """Newest first, one page at a time, optionally for one object."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    query = query.limit(PAGE_SIZE + 1).offset((max(page, 1) - 1) * PAGE_SIZE)
    return list(db.session.scalars(query))
