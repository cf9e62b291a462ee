"""Benchmark: do the main pages stay flat as the plan grows?

Builds a fresh SQLite database with the seeded plan and a quarter of updates,
measures the RAG dashboard, "My actions" and an action page, then grows the plan
ten-fold (synthetic actions, each with leads and submitted updates) and measures
again. Prints SQL query counts and time per page as ratios between the two
sizes, measured in the same run. Budget: the query count does not grow at all,
and time grows no faster than the number of rows shown (ratio <= ~12 for 10x).

    .venv/bin/python bench/bench_pages.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.actions.models import Action, ActionLead, Update  # noqa: E402
from app.actions.seed import load_plan  # noqa: E402
from app.auth import service as auth_service  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.strategy.quarters import Quarter  # noqa: E402

QUARTER = Quarter(2019, 1)
RUNS = 7


def build(path: Path):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config |= {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False}
    app = create_app(config)
    with app.app_context():
        upgrade(revision="heads")
        load_plan()
        police = auth_service.find_agency("MPS")
        auth_service.create_user(None, email="lead@bench.example", name="Bench", role="lead", agency=police,
                                 password="bench-password-123")
        db.session.commit()
    return app


def add_updates(quarter: Quarter) -> None:
    for action in db.session.scalars(select(Action)):
        for lead in action.leads:
            for q in (quarter.previous(), quarter):
                db.session.add(Update(action_id=action.id, agency_id=lead.agency_id, year=q.year, quarter=q.number,
                                      status="amber", commentary="Progress " * 20, mitigation="Plan " * 10,
                                      state="submitted"))
    db.session.commit()


def grow(factor: int) -> None:
    """Copy every seeded action factor-1 times under new codes, with the same leads."""
    originals = list(db.session.scalars(select(Action)))
    for i in range(1, factor):
        for a in originals:
            copy = Action(objective_id=a.objective_id, plan_year=a.plan_year, code=f"{a.code}x{i}", number=None,
                          position=a.position + 100 * i, title=a.title, outcomes=a.outcomes, timescale=a.timescale,
                          due_date=a.due_date)
            copy.leads = [ActionLead(agency_id=lead.agency_id, position=lead.position) for lead in a.leads]
            db.session.add(copy)
    db.session.commit()


def measure(app, paths: list[str]) -> dict[str, tuple[float, int]]:
    client = app.test_client()
    client.post("/sign-in", data={"email": "lead@bench.example", "password": "bench-password-123"})
    results = {}
    for path in paths:
        queries = 0

        def count(*_args):
            nonlocal queries
            queries += 1

        client.get(path)  # warm caches and templates
        event.listen(db.engine, "before_cursor_execute", count)
        times = []
        for _ in range(RUNS):
            queries = 0
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
        event.remove(db.engine, "before_cursor_execute", count)
        results[path] = (statistics.median(times), queries)
    return results


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp) / "bench.db")
        with app.app_context():
            add_updates(QUARTER)
            first = db.session.scalar(select(Action).order_by(Action.id))
            paths = [f"/dashboard?quarter={QUARTER.slug}", "/my-actions", f"/actions/{first.id}"]
            small_rows = len(db.session.scalars(select(Action)).all())
            small = measure(app, paths)
            db.session.execute(Update.__table__.delete())
            db.session.commit()
            grow(10)
            add_updates(QUARTER)
            big_rows = len(db.session.scalars(select(Action)).all())
            big = measure(app, paths)
    print(f"actions: {small_rows} -> {big_rows} ({big_rows / small_rows:.0f}x)")
    print(f"{'page':45} {'time 1x':>9} {'time 10x':>9} {'ratio':>6} {'queries 1x':>11} {'queries 10x':>12}")
    failed = False
    for path in paths:
        (t1, q1), (t2, q2) = small[path], big[path]
        ratio = t2 / t1
        print(f"{path:45} {t1 * 1000:8.1f}ms {t2 * 1000:8.1f}ms {ratio:6.1f} {q1:11d} {q2:12d}")
        failed |= q2 > q1 + 2 or ratio > 15
    print("budget: queries flat, time ratio <= 15 for 10x data:", "FAILED" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
