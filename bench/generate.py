"""Build a database of the partnership at 1x, 10x or 100x the seeded demo, fast enough to benchmark.

1x is exactly what `flask seed --demo` makes: the seeded plan and catalogue, the demo users, two years
of demo updates and values, reviewed, locked and refreshed through the cycle's own services (so the
audit trail is real). Larger sizes grow that 1x copy with bulk SQL (one executemany per table), never
through the ORM, so 100x builds in seconds:

* actions: every plan row (both plan years) is copied factor-1 times under new codes ("A1-7"), with its
  leads, sub-actions and every update, and the refresh's predecessor links re-pointed to the copies;
* history: the strategy starts earlier (2 years at 10x, 6 at 100x: 40 quarters in all), and each of
  those years gets the 2018/19 updates and indicator values again, accepted;
* indicators: copied factor/5 times (560 at 100x) with their targets and values;
* audit trail: every event copied factor-1 times.

    python bench/generate.py 100 /tmp/vawg-100x.db    # or a PostgreSQL URL
"""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.actions.models import Action, ActionLead, SubAction, Update  # noqa: E402
from app.audit.models import AuditEvent  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.kpis.models import Indicator, IndicatorTarget, IndicatorValue  # noqa: E402
from app.strategy.models import Strategy  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
COORDINATOR = "coordinator@bench.example"
LEAD = "lead@bench.example"
LEAD_AGENCY = "MPS"  # the Metropolitan Police lead the most actions
HISTORY_YEAR = 2018  # the demo's first year, copied into the earlier years at larger sizes


@dataclass
class Size:
    actions: int = 0
    updates: int = 0
    indicators: int = 0
    values: int = 0
    quarters: int = 0
    audit: int = 0

    def __str__(self) -> str:
        return (f"{self.actions} action rows, {self.quarters} quarters, {self.updates} updates, "
                f"{self.indicators} indicators, {self.values} values, {self.audit} audit events")


SIGNAL_DIR = str(Path(tempfile.gettempdir()) / "vawg-bench-signals")  # app/changes.py


def config(url: str) -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "ENV_NAME": "test",
        # Each request is timed alone; the idle and touch rules would only add writes between them.
        "SESSION_TOUCH_SECONDS": 10**9,
        "LOG_LEVEL": "WARNING",  # one log line per request would be timed too, and drown the table
        "CHANGE_SIGNAL_DIR": SIGNAL_DIR,  # as in production, but not left in the checkout's instance/
    }


def build_base(url: str):
    """Migrate, seed and load the demo exactly as `flask seed --demo` does, plus the two bench users."""
    from flask_migrate import upgrade

    from app.actions.seed import load_plan
    from app.auth import second_factor
    from app.auth import service as auth_service
    from app.demo import load_demo, run_demo_cycle
    from app.kpis.demo import load_demo_values
    from app.kpis.seed import load_indicators

    app = create_app(config(url))
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(revision="heads")
        load_plan()
        load_indicators()
        load_demo()
        db.session.flush()
        load_demo_values()
        db.session.flush()
        run_demo_cycle()
        csp = auth_service.find_agency("Community Safety Partnership")
        coordinator = auth_service.create_user(None, email=COORDINATOR, name="Bench Coordinator",
                                               role="coordinator", agency=csp, password=PASSWORD)
        second_factor.enrol(None, coordinator, second_factor.new_secret(), None)
        auth_service.create_user(None, email=LEAD, name="Bench Lead", role="lead",
                                 agency=auth_service.find_agency(LEAD_AGENCY), password=PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return app


def _rows(model, *where) -> list[dict]:
    return [dict(r) for r in db.session.execute(select(model.__table__).where(*where)).mappings()]


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _insert(model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model.__table__), rows[start:start + chunk])


def _extend_history(years: int) -> None:
    """Start the strategy `years` earlier and give those years the 2018/19 updates and values again."""
    strategy = db.session.scalar(select(Strategy).order_by(Strategy.id).limit(1))
    first = strategy.first_year
    strategy.first_year = first - years
    db.session.flush()
    updates = _rows(Update, Update.year == HISTORY_YEAR)
    values = _rows(IndicatorValue, IndicatorValue.year == HISTORY_YEAR)
    new_updates, new_values = [], []
    uid, vid = _next_id(Update), _next_id(IndicatorValue)
    for year in range(first - years, first):
        for row in updates:
            new_updates.append(row | {"id": uid, "year": year, "state": "accepted", "version": 1})
            uid += 1
        for row in values:
            new_values.append(row | {"id": vid, "year": year, "state": "accepted", "version": 1})
            vid += 1
    _insert(Update, new_updates)
    _insert(IndicatorValue, new_values)


def _copy_actions(copies: int) -> None:
    actions = sorted(_rows(Action), key=lambda r: r["id"])
    leads = _rows(ActionLead)
    subs = _rows(SubAction)
    updates = _rows(Update)
    leads_of, subs_of, updates_of = {}, {}, {}
    for row in leads:
        leads_of.setdefault(row["action_id"], []).append(row)
    for row in subs:
        subs_of.setdefault(row["action_id"], []).append(row)
    for row in updates:
        updates_of.setdefault(row["action_id"], []).append(row)
    aid, sid, uid = _next_id(Action), _next_id(SubAction), _next_id(Update)
    new_actions, new_leads, new_subs, new_updates = [], [], [], []
    for i in range(1, copies + 1):
        ids: dict[int, int] = {}
        for row in actions:  # oldest first, so a predecessor is copied before its successor
            ids[row["id"]] = aid
            new_actions.append(row | {
                "id": aid, "code": f"{row['code']}-{i}", "position": row["position"] + 1000 * i,
                "predecessor_id": ids.get(row["predecessor_id"]) if row["predecessor_id"] else None,
            })
            new_leads += [lead | {"action_id": aid} for lead in leads_of.get(row["id"], [])]
            for sub in subs_of.get(row["id"], []):
                new_subs.append(sub | {"id": sid, "action_id": aid})
                sid += 1
            for upd in updates_of.get(row["id"], []):
                new_updates.append(upd | {"id": uid, "action_id": aid})
                uid += 1
            aid += 1
    _insert(Action, new_actions)
    _insert(ActionLead, new_leads)
    _insert(SubAction, new_subs)
    _insert(Update, new_updates)


def _copy_indicators(copies: int) -> None:
    indicators = _rows(Indicator)
    targets, values = _rows(IndicatorTarget), _rows(IndicatorValue)
    targets_of, values_of = {}, {}
    for row in targets:
        targets_of.setdefault(row["indicator_id"], []).append(row)
    for row in values:
        values_of.setdefault(row["indicator_id"], []).append(row)
    iid, tid, vid = _next_id(Indicator), _next_id(IndicatorTarget), _next_id(IndicatorValue)
    new_indicators, new_targets, new_values = [], [], []
    for i in range(1, copies + 1):
        for row in indicators:
            new_indicators.append(row | {"id": iid, "code": f"{row['code']}-{i}"})
            for target in targets_of.get(row["id"], []):
                new_targets.append(target | {"id": tid, "indicator_id": iid})
                tid += 1
            for value in values_of.get(row["id"], []):
                new_values.append(value | {"id": vid, "indicator_id": iid})
                vid += 1
            iid += 1
    _insert(Indicator, new_indicators)
    _insert(IndicatorTarget, new_targets)
    _insert(IndicatorValue, new_values)


def _copy_audit(copies: int) -> None:
    events = _rows(AuditEvent)
    eid = _next_id(AuditEvent)
    new = []
    for _ in range(copies):
        for row in events:
            new.append(row | {"id": eid})
            eid += 1
    _insert(AuditEvent, new)


def _fix_sequences() -> None:
    """Rows went in with explicit ids: move PostgreSQL's sequences past them so the app's inserts work."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in (Action, SubAction, Update, Indicator, IndicatorTarget, IndicatorValue, AuditEvent):
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))  # noqa: S608


def history_years(factor: int) -> int:
    """Years added before the demo's: 16 quarters at 1x, 24 at 10x, 40 at 100x."""
    return 0 if factor <= 1 else 2 if factor <= 10 else 6


def grow(factor: int) -> None:
    """Grow the 1x database in the current app context to `factor` times; commits."""
    if factor > 1:
        _extend_history(history_years(factor))
        _copy_actions(factor - 1)
        _copy_indicators(max(1, factor // 5) - 1)
        _copy_audit(factor - 1)
        _fix_sequences()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # A live database is analysed by autovacuum as it grows; rows bulk-inserted a moment ago are not.
        # Without statistics the planner takes every table for one row and nests loops over the quarter's
        # roll-up: 2.8 s instead of 13 ms for the dashboard's counts at 100x (EXPLAIN ANALYZE, issue 11).
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def size() -> Size:
    from app.strategy.quarters import strategy_quarters

    strategy = db.session.scalar(select(Strategy).order_by(Strategy.id).limit(1))
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return Size(actions=count(Action), updates=count(Update), indicators=count(Indicator),
                values=count(IndicatorValue), audit=count(AuditEvent),
                quarters=len(strategy_quarters(strategy.first_year, strategy.last_year)))


def main() -> int:
    import time

    factor, target = int(sys.argv[1]), sys.argv[2]
    url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
    start = time.perf_counter()
    app = build_base(url)
    with app.app_context():
        grow(factor)
        print(f"{factor}x: {size()} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
