"""Search the plan, the updates and the indicators with the database's own full-text engine.

The text index is built by migration 0007_search: FTS5 tables kept by triggers on SQLite, GIN indexes
on `to_tsvector('english', ...)` on PostgreSQL. This module writes the matching condition for each,
so the database finds the rows and Python only shapes one page of them. Each listing costs two
statements (a count and a page) whatever the size of the data.

Other agencies' drafts never match (app.permissions.can_see_return, written here as SQL).
"""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, column, func, literal_column, or_, select, table, text

from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.auth.models import Agency, User
from app.extensions import db
from app.kpis.models import Indicator
from app.returns import REPORTED
from app.search import query
from app.strategy.quarters import Quarter

KINDS = ("actions", "updates", "indicators")
KIND_LABELS = {"actions": "Actions", "updates": "Updates", "indicators": "Indicators"}
PREVIEW_SIZE = 5  # hits of each kind shown when searching everything
PAGE_SIZE = 20  # hits per page when one kind is chosen

# The searched columns of each table, in the order migration 0007_search indexes them.
_SOURCES = {
    "action": ("title", "detail"),
    "action_update": ("commentary", "mitigation"),
    "indicator": ("name", "definition"),
}


def _matches(table_name: str, id_column: ColumnElement, search_words: list[str]) -> ColumnElement[bool]:
    """The condition "this row holds every searched word", in the dialect's full-text language."""
    if db.session.get_bind().dialect.name == "sqlite":
        fts_name = f"{table_name}_search"
        fts = table(fts_name, column("rowid"))
        found = select(fts.c.rowid).where(literal_column(fts_name).op("MATCH")(query.fts5_query(search_words)))
        return id_column.in_(found)
    # Written exactly as the index expression, so PostgreSQL uses the GIN index.
    document = " || ' ' || ".join(f"coalesce({table_name}.{c}, '')" for c in _SOURCES[table_name])
    return text(f"to_tsvector('english', {document}) @@ to_tsquery('english', :tsquery)").bindparams(
        tsquery=query.tsquery(search_words))


@dataclass
class Hit:
    """One row found, in the words the results page shows."""

    kind: str
    heading: str
    detail: str  # one line under the heading: plan year, agency and quarter, or indicator unit
    excerpt: list[tuple[str, bool]]
    excerpt_label: str = ""
    action_id: int | None = None
    quarter: Quarter | None = None
    indicator_code: str | None = None
    tags: list[str] = field(default_factory=list)  # states and statuses, always as words


@dataclass
class Listing:
    total: int
    hits: list[Hit]


@dataclass
class Results:
    words: list[str]
    listings: dict[str, Listing]


def _listing(statement: Select, shape, limit: int, offset: int) -> Listing:
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.execute(statement.limit(limit).offset(offset)).all() if total else []
    return Listing(total=total or 0, hits=[shape(row) for row in rows])


def _actions(search_words: list[str]) -> tuple[Select, object]:
    statement = (select(Action.id, Action.code, Action.title, Action.detail, Action.plan_year, Action.retired_at)
                 .where(_matches("action", Action.id, search_words))
                 .order_by(Action.plan_year.desc(), Action.position, Action.id))

    def shape(row) -> Hit:
        plan = Quarter(row.plan_year, 4)
        return Hit(kind="actions", heading=f"{row.code}: {row.title}", detail=f"Plan for {plan.fy_label}",
                   excerpt=query.excerpt(row.detail or "", search_words), excerpt_label="Detail",
                   action_id=row.id, quarter=plan, tags=["Retired"] if row.retired_at else [])

    return statement, shape


def _updates(user: User, search_words: list[str]) -> tuple[Select, object]:
    statement = (
        select(Update.id, Update.action_id, Update.year, Update.quarter, Update.status, Update.state,
               Update.review_comment, Update.commentary, Update.mitigation, Action.code, Action.title,
               Agency.short_name)
        .join(Action, Action.id == Update.action_id)
        .join(Agency, Agency.id == Update.agency_id)
        .where(_matches("action_update", Update.id, search_words),
               or_(Update.state.in_(REPORTED), Update.agency_id == user.agency_id))
        .order_by(Update.year.desc(), Update.quarter.desc(), Action.position, Action.id, Agency.short_name)
    )

    def shape(row) -> Hit:
        from_commentary = query.excerpt(row.commentary, search_words)
        from_mitigation = query.excerpt(row.mitigation, search_words)
        use_mitigation = any(m for _, m in from_mitigation) and not any(m for _, m in from_commentary)
        quarter = Quarter(row.year, row.quarter)
        return Hit(kind="updates", heading=f"{row.code}: {row.title}",
                   detail=f"{row.short_name} update for {quarter.label}",
                   excerpt=from_mitigation if use_mitigation else from_commentary,
                   excerpt_label="Mitigation" if use_mitigation else "Commentary",
                   action_id=row.action_id, quarter=quarter, tags=_update_tags(row))

    return statement, shape


def _update_tags(row) -> list[str]:
    tags = [Status(row.status).label] if row.status else []
    if row.state == "draft":
        tags.append("Returned draft" if row.review_comment else "Draft")
    else:
        tags.append(row.state.capitalize())
    return tags


def _indicators(search_words: list[str]) -> tuple[Select, object]:
    statement = (select(Indicator.code, Indicator.name, Indicator.definition, Indicator.unit)
                 .where(_matches("indicator", Indicator.id, search_words))
                 .order_by(Indicator.code))

    def shape(row) -> Hit:
        return Hit(kind="indicators", heading=f"{row.code}: {row.name}", detail=f"Unit: {row.unit}",
                   excerpt=query.excerpt(row.definition or "", search_words), excerpt_label="Definition",
                   indicator_code=row.code)

    return statement, shape


def search(user: User, text_typed: str | None, *, kind: str | None = None, page: int = 1) -> Results:
    """Every kind's first few hits (kind None), or one page of one kind's hits."""
    search_words = query.words(text_typed)
    if not search_words:
        return Results(words=[], listings={})
    builders = {"actions": lambda: _actions(search_words), "updates": lambda: _updates(user, search_words),
                "indicators": lambda: _indicators(search_words)}
    if kind is None:
        limit, offset, kinds = PREVIEW_SIZE, 0, KINDS
    else:
        limit, offset, kinds = PAGE_SIZE, (page - 1) * PAGE_SIZE, (kind,)
    return Results(words=search_words,
                   listings={k: _listing(*builders[k](), limit=limit, offset=offset) for k in kinds})
