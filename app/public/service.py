"""Which quarters the public may see, and turning publication on or off.

A quarter is public only while both hold: the coordinator has published it, and it is locked. So
nothing unlocked is ever public, and re-opening a quarter takes it off the public page until it is
locked again. What the public page shows is the published audience of the HCSP report (the same
function, so the same small-number suppression as the published pack), less everything internal:
no commentary, named contacts, drafts or returns tracker.
"""

from dataclasses import dataclass

from sqlalchemy import select, update

from app.audit.service import record
from app.auth.models import User
from app.database import utcnow
from app.errors import ConflictError
from app.extensions import db
from app.public.models import Publication
from app.reports import service as report_service
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter

SUMMARY_MAX = 2000


class PublicationError(ValueError):
    """Publication cannot change as asked; the message is for the user."""


def publication_for(quarter: Quarter) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.year == quarter.year,
                                                       Publication.quarter == quarter.number))


def public_quarters() -> list[Quarter]:
    """Every quarter the public may see, newest first: published and locked, in one query."""
    rows = db.session.execute(
        select(Publication.year, Publication.quarter)
        .join(ReportingPeriod, (ReportingPeriod.year == Publication.year)
              & (ReportingPeriod.quarter == Publication.quarter))
        .where(Publication.published.is_(True), ReportingPeriod.locked_at.is_not(None))
        .order_by(Publication.year.desc(), Publication.quarter.desc())
    ).all()
    return [Quarter(year, number) for year, number in rows]


def is_public(quarter: Quarter) -> bool:
    return quarter in public_quarters()


def set_publication(actor: User, quarter: Quarter, *, version: int, published: bool, summary: str,
                    locked: bool) -> Publication:
    """Publish or withdraw `quarter` and set its public summary; audited with the old and new values.

    Only a locked quarter may be published (PublicationError); withdrawing is always allowed. `version` is
    the publication's version as the form showed it (0: none yet); ConflictError if someone saved since.
    """
    if published and not locked:
        raise PublicationError(f"Lock {quarter.label} before publishing it: only signed-off quarters are public")
    found = publication_for(quarter)
    old = None if found is None else {"published": found.published, "summary": found.summary}
    if found is None:
        if version != 0:
            raise ConflictError(None)
        found = Publication(year=quarter.year, quarter=quarter.number, published=published, summary=summary,
                            changed_by_id=actor.id)
        db.session.add(found)
        db.session.flush()
    else:
        result = db.session.execute(
            update(Publication).where(Publication.id == found.id, Publication.version == version)
            .values(published=published, summary=summary, version=Publication.version + 1,
                    changed_at=utcnow(), changed_by_id=actor.id)
            .execution_options(synchronize_session=False))
        db.session.refresh(found)
        if result.rowcount != 1:
            raise ConflictError(found)
    verb = "publish" if published else "withdraw"
    record(actor, verb, "publication", found.id,
           f"{'Published' if published else 'Withdrew'} {quarter.label} on the public progress page",
           old, {"published": published, "summary": summary})
    return found


@dataclass
class PublicPage:
    quarter: Quarter
    summary: str
    report: report_service.Report  # the published audience's report; the template shows only public parts
    quarters: list[Quarter]  # every public quarter, newest first


def page(quarter: Quarter) -> PublicPage | None:
    """The public page of `quarter`, or None when the public may not see it."""
    quarters = public_quarters()
    if quarter not in quarters:
        return None
    publication = publication_for(quarter)
    return PublicPage(quarter=quarter, summary=publication.summary,
                      report=report_service.report(quarter, report_service.PUBLISHED), quarters=quarters)


def action_rows(data: PublicPage) -> tuple[list[str], list[list]]:
    """The open-data CSV of the actions: each one's status and movement, nothing internal."""
    header = ["Objective", "Action", "Title", "Lead agencies", "Status", "Previous quarter", "Movement",
              "Overdue"]
    rows = [[row.action.objective.code, row.action.code, row.action.title,
             "; ".join(a.name for a in row.action.lead_agencies), row.status.label, row.previous_status.label,
             row.movement.label, "Yes" if row.overdue else "No"] for row in data.report.rows]
    return header, rows
