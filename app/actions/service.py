"""Every query and write of the actions feature.

Functions here flush and never commit: the view (or CLI command) that calls
them commits once, so one request is one transaction.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cmp_to_key
from itertools import chain, repeat

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, load_only, subqueryload

from app.actions.models import Action, ActionLead, Objective, SubActionStatus, Update
from app.actions.rollup import (
    MITIGATION_NEEDED,
    Movement,
    Status,
    count_by_status,
    movement,
    partnership_status,
)
from app.actions.timescale import is_overdue
from app.audit.service import changed_fields, record
from app.auth.models import Agency, User
from app.database import page_with_total, utcnow
from app.errors import ConflictError
from app.extensions import db
from app.strategy.quarters import Quarter
from app.strategy.service import ensure_unlocked, plan_year_for
from app.versioning import bump

# --- the plan ---------------------------------------------------------------------------------

def objectives() -> list[Objective]:
    return list(db.session.scalars(select(Objective).order_by(Objective.code)))


# What a list of the whole plan does not show, so it is not loaded: at 100 times the plan these eager
# loads turned tens of thousands of rows into objects nobody read (issue 11). Loaded on access if needed.
LEAN_ACTION = (lazyload(Action.sub_actions),)
LEAN_UPDATE = (lazyload(Update.sub_statuses), lazyload(Update.updated_by), lazyload(Update.submitted_by))


def actions_for(quarter: Quarter, *, agency_id: int | None = None, lean: bool = False) -> list[Action]:
    """The actions in force for `quarter`, in plan order, optionally only those `agency_id` leads.

    `lean` leaves out the sub-actions (LEAN_ACTION), for lists that show only the action itself.
    """
    return list(db.session.scalars(_actions_query(quarter, agency_id=agency_id, lean=lean)))


def _actions_query(quarter: Quarter, *, agency_id: int | None = None, lean: bool = False):
    query = (
        select(Action)
        .options(*(LEAN_ACTION if lean else ()))
        .join(Objective)
        .where(Action.plan_year == plan_year_for(quarter))
        .where(Action.retired_at.is_(None))  # retired in the annual refresh's plan (app.refresh)
        .order_by(Objective.code, Action.position)
    )
    if agency_id is not None:
        query = query.where(Action.id.in_(select(ActionLead.action_id).where(ActionLead.agency_id == agency_id)))
    return query


def action_by_code(quarter: Quarter, code: str) -> Action | None:
    return db.session.scalar(
        select(Action).where(Action.plan_year == plan_year_for(quarter), func.upper(Action.code) == code.upper())
    )


def lineage_ids(action: Action) -> list[int]:
    """The ids of this action and every earlier year's row it was carried forward from."""
    ids = [action.id]
    predecessor_id = action.predecessor_id
    while predecessor_id is not None:
        ids.append(predecessor_id)
        predecessor_id = db.session.scalar(select(Action.predecessor_id).where(Action.id == predecessor_id))
    return ids


def row_in_force(action: Action, quarter: Quarter) -> Action | None:
    """The row of this action's lineage (earlier or later years) that is in force for `quarter`.

    None when the lineage has no row in that plan year: the action closed or was retired before it,
    or was added after it. A row is carried forward at most once (a year is refreshed once), so the
    walk forward never branches.
    """
    year = plan_year_for(quarter)
    row: Action | None = action
    while row is not None and row.plan_year > year:
        row = db.session.get(Action, row.predecessor_id) if row.predecessor_id else None
    while row is not None and row.plan_year < year:
        row = db.session.scalar(select(Action).where(Action.predecessor_id == row.id).order_by(Action.id).limit(1))
    return row if row is not None and row.plan_year == year else None


# --- updates ----------------------------------------------------------------------------------

def updates_in(quarter: Quarter, action_ids: list[int] | None = None, *, lean: bool = False
               ) -> dict[int, list[Update]]:
    """Every update filed for `quarter`, grouped by action id, in one query (two unless `lean`).

    `lean` leaves out the sub-action statuses and the authors (LEAN_UPDATE), for lists of returns.
    """
    query = (
        select(Update)
        .where(Update.year == quarter.year, Update.quarter == quarter.number)
        .options(*(LEAN_UPDATE if lean else (subqueryload(Update.sub_statuses),)))
        .order_by(Update.action_id, Update.agency_id)
    )
    if action_ids is not None:
        query = query.where(Update.action_id.in_(action_ids))
    grouped: dict[int, list[Update]] = defaultdict(list)
    for upd in db.session.scalars(query):
        grouped[upd.action_id].append(upd)
    return grouped


def find_update(action: Action, agency_id: int, quarter: Quarter) -> Update | None:
    return db.session.scalar(
        select(Update).where(
            Update.action_id == action.id, Update.agency_id == agency_id,
            Update.year == quarter.year, Update.quarter == quarter.number,
        )
    )


def previous_update(action: Action, agency_id: int, quarter: Quarter) -> Update | None:
    """The same agency's update for the quarter before, following the action back across a refresh."""
    before = quarter.previous()
    return db.session.scalar(
        select(Update).where(
            Update.action_id.in_(lineage_ids(action)), Update.agency_id == agency_id,
            Update.year == before.year, Update.quarter == before.number,
        )
    )


def history(action: Action) -> list[Update]:
    """Every quarter's updates from every lead on this action and its predecessors, newest first."""
    return list(db.session.scalars(
        select(Update)
        .where(Update.action_id.in_(lineage_ids(action)))
        .options(subqueryload(Update.sub_statuses))
        .order_by(Update.year.desc(), Update.quarter.desc(), Update.agency_id)
    ))


def _snapshot(upd: Update) -> dict:
    return {
        "status": upd.status, "commentary": upd.commentary, "mitigation": upd.mitigation,
        "state": upd.state,
        "sub_statuses": {str(s.sub_action_id): s.status for s in upd.sub_statuses},
    }


class UpdateError(ValueError):
    """An update that breaks a rule of a return (the message is the form's, for the user); nothing is written."""


def save_update(actor: User, action: Action, agency: Agency, quarter: Quarter, *, version: int,
                status: Status | None, commentary: str, mitigation: str,
                sub_statuses: dict[int, Status], submit: bool, source: str | None = None) -> Update:
    """Create or change an agency's update, as a draft or submitted.

    `version` is the version the user's form was built from (0 for a new
    update). If someone saved in between, ConflictError carries their
    version and nothing is written. Permission is checked by the caller.
    A locked (signed-off) quarter raises QuarterLockedError and nothing is written. Submitting
    Amber or Red without a mitigation raises UpdateError, as the form does: a draft may be incomplete.
    `source`, when given, says where the change came from in the audit trail ("uploaded by ... from file ...").
    """
    if submit and status is not None and Status(status).needs_mitigation and not mitigation.strip():
        raise UpdateError(MITIGATION_NEEDED)
    ensure_unlocked(quarter)
    existing = find_update(action, agency.id, quarter)
    now = utcnow()
    values = {
        "status": status.value if status else None,
        "commentary": commentary.strip(),
        "mitigation": mitigation.strip(),
        "state": "submitted" if submit else "draft",
        "updated_at": now,
        "updated_by_id": actor.id,
    }
    if submit:
        values |= {"submitted_at": now, "submitted_by_id": actor.id}

    if existing is None:
        if version != 0:
            raise ConflictError(None)
        upd = Update(action_id=action.id, agency_id=agency.id, year=quarter.year, quarter=quarter.number,
                     version=1, **values)
        try:
            with db.session.begin_nested():
                db.session.add(upd)
                db.session.flush()
        except IntegrityError:
            # Someone created the same update between our read and our insert.
            raise ConflictError(find_update(action, agency.id, quarter)) from None
        old = None
    else:
        old = _snapshot(existing)
        bump(existing, version, **values)
        upd = existing

    by_sub = {s.sub_action_id: s for s in upd.sub_statuses}
    for sub_id, sub_status in sub_statuses.items():
        if sub_id in by_sub:
            by_sub[sub_id].status = sub_status.value
        else:
            upd.sub_statuses.append(SubActionStatus(sub_action_id=sub_id, status=sub_status.value))
    for sub_id, row in by_sub.items():
        if sub_id not in sub_statuses:
            upd.sub_statuses.remove(row)
    db.session.flush()

    new = _snapshot(upd)
    verb = "submit" if submit else "save-draft"
    summary = (f"{'Submitted' if submit else 'Saved a draft of'} the {agency.short_name} update on "
               f"{action.code} for {quarter.label}" + (f" ({source})" if source else ""))
    if old is None:
        record(actor, verb, Update.AUDIT_ENTITY, upd.id, summary, None, new)
    else:
        before, after = changed_fields(old, new)
        record(actor, verb, Update.AUDIT_ENTITY, upd.id, summary, before, after)
    return upd


# --- what each lead sees -------------------------------------------------------------------------

@dataclass
class MyActionRow:
    action: Action
    update: Update | None
    joint_with: str = ""  # the other lead agencies' short names, for a jointly led action

    @property
    def state(self) -> str:
        """Not started, Draft, Returned, Submitted or Accepted, as the lead sees their own return."""
        if self.update is None:
            return "Not started"
        if self.update.is_returned:
            return "Returned"
        return {"submitted": "Submitted", "accepted": "Accepted"}.get(self.update.state, "Draft")


def my_actions(agency_id: int, quarter: Quarter) -> list[MyActionRow]:
    """The actions `agency_id` leads, each with that agency's update for `quarter` (or None)."""
    return my_actions_page(agency_id, quarter, 1, per_page=None)[0]


MY_ACTIONS_PAGE_SIZE = 50  # actions listed per page of "My actions"


def my_actions_page(agency_id: int, quarter: Quarter, page: int, per_page: int | None = MY_ACTIONS_PAGE_SIZE
                    ) -> tuple[list[MyActionRow], int]:
    """One page of `my_actions` (per_page None: all of them), and how many actions the agency leads in
    all; the same queries at any size.

    The count rides along on the page's query (database.page_with_total), where a count of its own read
    the agency's actions again.
    """
    query = _actions_query(quarter, agency_id=agency_id, lean=True)
    # The list shows each action's code, title, timescale and other leads, and the agency's own update:
    # the long texts, the objective (already joined for the order), the leads' rows and their updates
    # are not read, so a full page costs little more than a short one.
    listed = query.options(load_only(Action.code, Action.title, Action.timescale), lazyload(Action.objective),
                           lazyload(Action.leads))
    rows, total = page_with_total(db.session, listed, page, per_page)
    actions = [row.Action for row in rows]
    ids = [a.id for a in actions]
    own = db.session.scalars(
        select(Update).options(*LEAN_UPDATE, lazyload(Update.agency)).where(
            Update.year == quarter.year, Update.quarter == quarter.number, Update.agency_id == agency_id,
            Update.action_id.in_(ids)))
    by_action = {u.action_id: u for u in own}
    # The other leads of each jointly led action, by short name in the plan's order: plain rows, where
    # loading every lead with its agency built three objects (and read the agency's aliases) a lead.
    others: dict[int, list[str]] = defaultdict(list)
    for action_id, short_name in db.session.execute(
            select(ActionLead.action_id, Agency.short_name).join(Agency, Agency.id == ActionLead.agency_id)
            .where(ActionLead.action_id.in_(ids), ActionLead.agency_id != agency_id)
            .order_by(ActionLead.action_id, ActionLead.position)):
        others[action_id].append(short_name)
    return [MyActionRow(a, by_action.get(a.id), ", ".join(others[a.id])) for a in actions], total


# --- the Strategic Group's dashboard --------------------------------------------------------

@dataclass
class DashboardRow:
    action: Action
    status: Status
    updates: list[Update]  # submitted updates this quarter, one per lead that has submitted
    previous_status: Status
    movement: Movement
    overdue: bool

    @property
    def waiting_on(self) -> list[Agency]:
        """Lead agencies that have not submitted this quarter."""
        submitted = {u.agency_id for u in self.updates}
        return [a for a in self.action.lead_agencies if a.id not in submitted]


@dataclass
class Dashboard:
    quarter: Quarter
    rows: list[DashboardRow]
    counts: dict[Status, int]
    counts_by_objective: list[tuple[Objective, dict[Status, int]]]
    movement_counts: dict[Movement, int] = field(default_factory=dict)
    total: int | None = None  # rows matching the filters, on every page; None: all of them are in `rows`


def _submitted(updates: list[Update]) -> list[Update]:
    return [u for u in updates if u.is_reported and u.status]


def _reported_in(quarter: Quarter) -> tuple[ColumnElement[bool], ...]:
    """The updates that count towards `quarter`'s partnership status: submitted or accepted, with a status."""
    return (Update.year == quarter.year, Update.quarter == quarter.number,
            Update.state.in_(("submitted", "accepted")), Update.status.is_not(None))


def _submitted_statuses(quarter: Quarter) -> dict[int, list[Status]]:
    """The statuses submitted (or accepted) for `quarter`, by action id: plain rows, no objects."""
    grouped: dict[int, list[Status]] = defaultdict(list)
    for action_id, status in db.session.execute(select(Update.action_id, Update.status).where(*_reported_in(quarter))):
        grouped[action_id].append(Status(status))
    return grouped


# The roll-up's order of severity, least first, read from the pure rule itself (app.actions.rollup) so the
# two cannot drift apart; as SQL, the worst submitted status is then the largest rank.
_BY_SEVERITY = sorted(
    (s for s in Status if s is not Status.NO_UPDATE),
    key=cmp_to_key(lambda a, b: 0 if a is b else 1 if partnership_status([a, b]) is a else -1),
)
_SEVERITY_SQL = case({s.value: rank for rank, s in enumerate(_BY_SEVERITY)}, value=Update.status)


def _ranked(quarter: Quarter):
    """Each action's partnership status for `quarter` as its severity rank (the worst submitted), rolled up
    in SQL by GROUP BY, as a subquery. Actions nothing was submitted on are absent: No update."""
    return (select(Update.action_id.label("action_id"), func.max(_SEVERITY_SQL).label("rank"))
            .where(*_reported_in(quarter)).group_by(Update.action_id).subquery())


def _rank_of(action_id: ColumnElement, quarter: Quarter):
    """One action's rank for `quarter`, as _ranked gives it, as a correlated subquery: for a few rows."""
    return (select(func.max(_SEVERITY_SQL)).where(Update.action_id == action_id, *_reported_in(quarter))
            .scalar_subquery())


def _status(rank: int | None) -> Status:
    return Status.NO_UPDATE if rank is None else _BY_SEVERITY[rank]


def partnership_rows(quarter: Quarter) -> list[DashboardRow]:
    """Every action in force for `quarter` with its partnership status, in a fixed number of queries.

    Only the quarter shown and the one before are read; the one before as bare statuses.
    """
    actions = actions_for(quarter, lean=True)
    previous = quarter.previous()
    current_updates = updates_in(quarter, lean=True)
    previous_statuses = _submitted_statuses(previous)
    rows = []
    for action in actions:
        submitted = _submitted(current_updates.get(action.id, []))
        status = partnership_status(Status(u.status) for u in submitted)
        prev_key = action.id if action.plan_year <= previous.year else action.predecessor_id
        prev_status = partnership_status(previous_statuses.get(prev_key, []))
        rows.append(DashboardRow(
            action=action, status=status, updates=submitted, previous_status=prev_status,
            movement=movement(prev_status, status),
            # Judged at the end of the quarter being viewed, so a past quarter reads as it did then.
            overdue=is_overdue(action.due_date, status, quarter.end),
        ))
    return rows


@dataclass(frozen=True)
class _Group:
    """Actions in force alike in objective, both statuses and due date, judged once by the pure rules."""

    objective_id: int
    rank: int | None  # this quarter's status as a severity rank; None for No update
    due_date: date | None
    status: Status
    previous_status: Status
    movement: Movement
    overdue: bool
    count: int


class _InForce:
    """The actions in force for a quarter, as SQL with this quarter's and last quarter's status ranks:
    what the dashboard's counts, filters and page need, never the whole plan as objects (issue 11).

    The counts come from GROUP BY rows (objective, the two ranks and the due date), few whatever the
    size of the plan; movement and overdue are judged per group by the pure rules (app.actions.rollup,
    app.actions.timescale), so neither rule is written again in SQL.
    """

    def __init__(self, quarter: Quarter):
        self.quarter, self.before = quarter, quarter.previous()
        now, before = _ranked(quarter).alias("now"), _ranked(self.before).alias("before")
        # An action carried into a new plan year was reported last quarter under its predecessor.
        self.reported_before = case((Action.plan_year <= self.before.year, Action.id), else_=Action.predecessor_id)
        self.rank, self.previous = now.c.rank, before.c.rank
        self.plain = (select(Action.id).join(Objective, Objective.id == Action.objective_id)
                      .where(Action.plan_year == plan_year_for(quarter), Action.retired_at.is_(None)))
        self.query = (self.plain.outerjoin(now, now.c.action_id == Action.id)
                      .outerjoin(before, before.c.action_id == self.reported_before))

    def judged(self, rank: int | None, previous: int | None, due_date: date | None) -> tuple:
        status, before = _status(rank), _status(previous)
        # Judged at the end of the quarter viewed, so a past quarter reads as it did then.
        return status, before, movement(before, status), is_overdue(due_date, status, self.quarter.end)

    def groups(self) -> list[_Group]:
        columns = (Action.objective_id, self.rank, self.previous, Action.due_date)
        rows = db.session.execute(self.query.with_only_columns(*columns, func.count()).group_by(*columns))
        return [_Group(objective_id, rank, due, *self.judged(rank, previous, due), n)
                for objective_id, rank, previous, due, n in rows]

    def filtered(self, groups: list[_Group], objective: str | None, agency_id: int | None, status: str | None,
                 *, ranked: bool):
        """The actions in force matching the dashboard's filters, as a query of ids. Both quarters' ranks
        are joined when the status filter needs them or `ranked` asks for them (for rows(page=None))."""
        query = self.query if status or ranked else self.plain
        if objective:
            query = query.where(Objective.code == objective)
        if agency_id:
            query = query.where(Action.id.in_(select(ActionLead.action_id).where(ActionLead.agency_id == agency_id)))
        if status == "overdue":
            # The (status, due date) pairs the rule judged overdue: an empty list matches nothing.
            late = {(g.rank, g.due_date) for g in groups if g.overdue}
            query = query.where(or_(false(), *[and_(self._rank_is(rank), Action.due_date == due)
                                               for rank, due in late]))
        elif status:
            wanted = Status(status)
            query = query.where(self._rank_is(None if wanted is Status.NO_UPDATE else _BY_SEVERITY.index(wanted)))
        return query

    def _rank_is(self, rank: int | None) -> ColumnElement[bool]:
        return self.rank.is_(None) if rank is None else self.rank == rank

    def rows(self, query, page: int | None, per_page: int) -> list[tuple]:
        """(id, status, previous status, movement, overdue) for the matching actions (`query`, from
        filtered()) in plan order.

        A page is chosen first and its own actions ranked after, each by a correlated subquery: ranking
        every action in force in both quarters to list 50 of them was the dashboard's largest read at
        100x (12.5 of its 40 ms of SQL on PostgreSQL, issue 11). Every row (page None: the CSV, the
        report) is ranked by the joined roll-ups, once for all.
        """
        order = (Objective.code, Action.position)
        if page is None:  # `query` was filtered(ranked=True)
            ranked = query.with_only_columns(Action.id, self.rank, self.previous, Action.due_date).order_by(*order)
        else:
            listed = query.with_only_columns(Action.id).order_by(*order).limit(per_page).offset((page - 1) * per_page)
            ranked = (select(Action.id, _rank_of(Action.id, self.quarter),
                             _rank_of(self.reported_before, self.before), Action.due_date)
                      .join(Objective, Objective.id == Action.objective_id)
                      .where(Action.id.in_(listed.subquery().select())).order_by(*order))
        return [(action_id, *self.judged(rank, previous, due)) for action_id, rank, previous, due
                in db.session.execute(ranked)]


DASHBOARD_PAGE_SIZE = 50  # actions listed per page; the seeded plan fits on one


def dashboard(quarter: Quarter, *, objective: str | None = None, agency_id: int | None = None,
              status: str | None = None, page: int | None = None,
              per_page: int = DASHBOARD_PAGE_SIZE) -> Dashboard:
    """Counts over the whole plan, and the rows matching the filters (one page of them if `page`).

    `status` is a Status value, or "overdue"; "no_update" lists actions nothing has been submitted on.
    The counts come from GROUP BY rows and the filters and page are SQL (_InForce); only the rows listed
    are loaded as actions and updates, so the number of queries is the same whatever the size of the plan.
    """
    in_force = _InForce(quarter)
    groups = in_force.groups()

    def statuses(chosen: list[_Group]):
        return chain.from_iterable(repeat(g.status, g.count) for g in chosen)

    all_objectives = objectives()
    counts_by_objective = [(obj, count_by_status(statuses([g for g in groups if g.objective_id == obj.id])))
                           for obj in all_objectives]
    movement_counts = {m: 0 for m in Movement}
    for group in groups:
        movement_counts[group.movement] += group.count
    query = in_force.filtered(groups, objective, agency_id, status, ranked=page is None)
    if agency_id:  # who leads an action is not in the groups: SQL counts
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    else:  # the same filters, read off the groups (one query fewer)
        wanted = {o.id for o in all_objectives if o.code == objective}
        total = sum(g.count for g in groups if (not objective or g.objective_id in wanted)
                    and (not status or (g.overdue if status == "overdue" else g.status.value == status)))
    shown = in_force.rows(query, page, per_page)
    # Only the rows listed become objects: the whole plan when no page is asked for (the report).
    if page is None:
        listed = {a.id: a for a in actions_for(quarter, lean=True)}
        updates = updates_in(quarter, lean=True)
    else:
        ids = [row[0] for row in shown]
        listed = {a.id: a for a in db.session.scalars(
            select(Action).where(Action.id.in_(ids)).options(*LEAN_ACTION))}
        updates = updates_in(quarter, ids, lean=True)
    rows = [
        DashboardRow(action=listed[action_id], status=status_, updates=_submitted(updates.get(action_id, [])),
                     previous_status=previous, movement=moved, overdue=overdue)
        for action_id, status_, previous, moved, overdue in shown
    ]
    return Dashboard(quarter, rows, count_by_status(statuses(groups)), counts_by_objective, movement_counts,
                     total=total)


def dashboard_table(board: Dashboard) -> tuple[list[str], list[list]]:
    """The dashboard's rows as a CSV's header and rows: what the page lists, in words (statuses are the
    partnership's, from submitted updates only, as on the page)."""
    header = ["Objective", "Action", "Title", "Lead agencies", f"Status {board.quarter.label}", "Previous quarter",
              "Movement", "Overdue", "Waiting on"]
    rows = [[row.action.objective.code, row.action.code, row.action.title,
             "; ".join(a.name for a in row.action.lead_agencies), row.status.label, row.previous_status.label,
             row.movement.label, "Yes" if row.overdue else "No", "; ".join(a.name for a in row.waiting_on)]
            for row in board.rows]
    return header, rows
