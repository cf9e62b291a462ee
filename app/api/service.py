"""What the read API returns, for a caller: anonymous (published, locked quarters only) or a token's user.

Every figure comes from the services the screens use: the report's indicator figures (frozen.figures,
the same function as the page, pack and CSV, so the same small-number suppression) and the actions
dashboard's partnership statuses. Nothing is re-derived here. Functions only read.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.actions import service as actions_service
from app.auth.models import User
from app.extensions import db
from app.kpis import service as kpi_service
from app.public import service as public_service
from app.reports import frozen
from app.reports import service as report_service
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter, QuarterError


@dataclass
class ApiError(Exception):
    """A refusal the API answers as application/problem+json."""

    status: int
    detail: str


def _locked() -> set[Quarter]:
    rows = db.session.execute(select(ReportingPeriod.year, ReportingPeriod.quarter)
                              .where(ReportingPeriod.locked_at.is_not(None))).all()
    return {Quarter(year, number) for year, number in rows}


def quarters(user: User | None) -> list[dict]:
    """The quarters the caller may read, newest first: anonymous callers only the public ones."""
    public = public_service.public_quarters()
    shown = public if user is None else list(reversed(calendar.quarters()))
    locked = _locked()
    return [{"slug": q.slug, "label": q.label, "locked": q in locked, "public": q in public} for q in shown]


def quarter_for(user: User | None, slug: str | None) -> Quarter:
    """The quarter asked for, if the caller may read it; the default when none is named.

    An anonymous caller gets the same 404 for a quarter that is not public as for one that does not
    exist, so the API says nothing about unpublished quarters.
    """
    if slug is None:
        if user is not None:
            return calendar.current_quarter()
        public = public_service.public_quarters()
        if not public:
            raise ApiError(404, "No quarter is published yet")
        return public[0]
    try:
        quarter = calendar.parse_strategy_quarter(slug)
    except (QuarterError, ValueError) as exc:
        raise ApiError(404, f"No such quarter: {exc}") from None
    if user is None and not public_service.is_public(quarter):
        raise ApiError(404, f"{quarter.label} is not published")
    return quarter


def audience_for(user: User | None, requested: list[str]) -> str:
    """The figures' audience: the published one for anonymous callers; for a token, the screens' rule."""
    if user is None:
        if requested and requested != [report_service.PUBLISHED]:
            raise ApiError(401, "Send an API token to ask for the partnership figures")
        return report_service.PUBLISHED
    try:
        return report_service.audience_for(user, requested, default=report_service.PUBLISHED, output="api")
    except report_service.AudienceError as exc:
        raise ApiError(400, str(exc)) from None
    except report_service.AudienceForbiddenError as exc:
        raise ApiError(403, str(exc)) from None


def strategy() -> dict:
    found = calendar.strategy()
    return {"name": found.name, "first_year": found.first_year, "last_year": found.last_year,
            "objectives": [{"code": o.code, "title": o.title} for o in actions_service.objectives()]}


def actions(quarter: Quarter) -> list[dict]:
    """Each action in force in `quarter`, its leads and its partnership status (the dashboard's)."""
    return [{
        "code": row.action.code, "title": row.action.title, "objective": row.action.objective.code,
        "objective_title": row.action.objective.title,
        "leads": [agency.name for agency in row.action.lead_agencies],
        "timescale": row.action.timescale, "due_date": row.action.due_date,
        "status": row.status.label, "status_code": row.status.value, "previous_status": row.previous_status.label,
        "movement": row.movement.label, "overdue": row.overdue,
    } for row in actions_service.dashboard(quarter).rows]


def indicators(quarter: Quarter, audience: str) -> dict:
    """The report's indicator figures for `audience` (frozen.figures), with each indicator's unit,
    polarity and headline flag."""
    figures = frozen.figures(quarter, audience)
    by_code = {i.code: i for i in kpi_service.indicators()}
    items = []
    for line in figures["indicators"]:
        found = by_code.get(line["code"])
        items.append({**line, "unit": found.unit if found else "", "polarity": found.polarity if found else "",
                      "headline": bool(found and found.headline)})
    return {"quarter": figures["quarter"], "audience": figures["audience"], "suppressed": figures["suppressed"],
            "items": items}
