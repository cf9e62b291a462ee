"""Small helpers shared by the test modules: look up seeded rows, count audit events, count queries.

Plain functions rather than fixtures because tests call them many times with arguments; the factories
that need the app (make_user, agency_named, login) are fixtures in tests/conftest.py.
"""

import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.models import Indicator, IndicatorValue
from app.strategy.quarters import Quarter


def action(code: str, year: int = 2018, *, fresh: bool = False) -> Action:
    """The seeded action `code` of plan year `year` (the seed's plan is 2018/19; a refresh adds 2019/20).

    `fresh` first expires the session, so what the last request committed is read again.
    """
    if fresh:
        db.session.expire_all()
    return db.session.scalar(select(Action).where(Action.code == code, Action.plan_year == year))


def fresh(model, ident):
    """The row `ident` of `model` read afresh, as the last request committed it."""
    db.session.expire_all()
    return db.session.get(model, ident)


def submit_update(user, code: str, quarter: Quarter, *, agency=None, commentary: str = "On track.",
                  submit: bool = True) -> Update:
    """`user` saves a Green update on action `code` for `quarter` through the service, submitted unless
    `submit` is False, over any saved before, and commits; `agency` defaults to the user's own."""
    act = action(code)
    agency = agency or user.agency
    existing = actions_service.find_update(act, agency.id, quarter)
    upd = actions_service.save_update(user, act, agency, quarter, version=existing.version if existing else 0,
                                      status=Status.GREEN, commentary=commentary, mitigation="", sub_statuses={},
                                      submit=submit)
    db.session.commit()
    return upd


def enter_indicator_value(user, code: str, quarter: Quarter, value: float | None, *, numerator=None,
                          denominator=None, note: str = "Secret note") -> IndicatorValue:
    """`user` saves indicator `code`'s value for `quarter` through the service, over any saved before, and
    commits."""
    ind = db.session.scalar(select(Indicator).where(Indicator.code == code))
    existing = kpis_service.find_value(ind, quarter)
    row = kpis_service.save_value(user, ind, quarter, version=existing.version if existing else 0, value=value,
                                  numerator=numerator, denominator=denominator, note=note, provisional=False)
    db.session.commit()
    return row


# The people the permission tests sign in as: every role, a lead of another agency, and nobody signed in.
PEOPLE = (*(role.value for role in Role), "other_lead", "anonymous")


def holds(who: str, allowed: Iterable[Role]) -> bool:
    """Whether a test's person holds one of the registry's `allowed` roles (app.permissions).

    `who` is a role, or a role with an agency qualifier ("other_lead", "lead_owner", "lead_other");
    "anonymous" holds none.
    """
    if who == "anonymous":
        return False
    return Role(who.removeprefix("other_").removesuffix("_owner").removesuffix("_other")) in tuple(allowed)


def audit_count() -> int:
    """How many audit events exist, read afresh: a refused write must leave this unchanged."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@contextmanager
def count_queries(app=None) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the `with` block; the list's length is the query count.

    Those of the current app, or of `app` (a second app: another worker). The list may be cleared
    inside the block to start counting again.
    """
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    if app is None:
        engine = db.engine
    else:
        with app.app_context():
            engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def zip_of(parts: dict[str, bytes]) -> bytes:
    """A zip archive of these parts (name -> bytes): the shape of an .xlsx, for the upload refusals."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()
