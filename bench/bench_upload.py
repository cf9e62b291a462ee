"""Benchmark: how long does a 200-row return workbook take to upload and validate?

Builds a fresh SQLite database with the seeded plan and indicators, gives the Metropolitan Police Service
enough synthetic actions that its return workbook has 200 rows (actions plus its indicators), fills every
row in with openpyxl, and times the upload's preview (file checks, openpyxl read, every row judged by the
web forms' rules) and the confirmation (every row saved and audited). A 20-row workbook is timed in the
same run, so the figure is also given as a ratio. No goal is asserted: it prints the figures.

    .venv/bin/python bench/bench_upload.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.actions.models import Action, ActionLead  # noqa: E402
from app.actions.seed import load_plan  # noqa: E402
from app.auth import service as auth_service  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.kpis import service as kpis_service  # noqa: E402
from app.kpis.seed import load_indicators  # noqa: E402
from app.returns_io import service  # noqa: E402
from app.strategy.quarters import Quarter  # noqa: E402
from tests.returns_helpers import fill  # noqa: E402

QUARTER = Quarter(2019, 1)
RUNS = 5


def build(path: Path):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config |= {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False}
    app = create_app(config)
    with app.app_context():
        upgrade(revision="heads")
        load_plan()
        load_indicators()
        db.session.commit()
    return app


def grow_to(agency, rows: int) -> int:
    """Give `agency` synthetic actions (no sub-actions) until its workbook has `rows` rows; returns the count."""
    actions = service._agency_actions(agency, QUARTER)
    current = len(actions) + sum(len(a.sub_actions) for a in actions) + len(service._agency_indicators(agency, QUARTER))
    template = actions[0]
    for i in range(rows - current):
        copy = Action(objective_id=template.objective_id, plan_year=template.plan_year, code=f"Z{i}", number=None,
                      position=1000 + i, title=f"Synthetic action {i} for the benchmark", outcomes=[])
        copy.leads = [ActionLead(agency_id=agency.id, position=0)]
        db.session.add(copy)
    db.session.commit()
    return rows


def filled_workbook(agency) -> bytes:
    data = service.workbook_for(agency, QUARTER)
    actions = {a.code: {"status": "Amber", "commentary": "Progress this quarter " * 10,
                        "mitigation": "Extra sessions booked " * 5} for a in service._agency_actions(agency, QUARTER)}
    subs = {(a.code, s.number): "Green" for a in service._agency_actions(agency, QUARTER) for s in a.sub_actions}
    values = {i.code: ({"numerator": 40, "denominator": 50} if i.is_rate else {"value": 120})
              for i in service._agency_indicators(agency, QUARTER)}
    return fill(data, actions, values, subs=subs)


def time_it(app, user, agency, data: bytes) -> tuple[float, float, int]:
    times = []
    for _ in range(RUNS):
        with app.test_request_context():
            start = time.perf_counter()
            outcome = service.preview_workbook(user, agency, QUARTER, data, "bench.xlsx", submit=True)
            times.append(time.perf_counter() - start)
            assert not outcome.problems, outcome.problems[:3]
            db.session.rollback()
    with app.test_request_context():
        start = time.perf_counter()
        done = service.confirm_workbook(user, agency, QUARTER, outcome.token)
        confirm_seconds = time.perf_counter() - start
        db.session.rollback()  # leave the database as it was, for the next size
    return statistics.median(times), confirm_seconds, len(done.to_save)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp) / "bench.db")
        with app.app_context():
            police = auth_service.find_agency("Metropolitan Police Service")
            user = auth_service.create_user(None, email="lead@bench.example", name="Bench", role="lead",
                                            agency=police, password="bench-password-123")
            db.session.commit()
            results = {}
            for rows in (20, 200):
                grow_to(police, rows)
                data = filled_workbook(police)
                results[rows] = (len(data), *time_it(app, user, police, data))
            assert kpis_service.indicators(agency_id=police.id)
    for rows, (size, preview, confirm, saved) in results.items():
        print(f"{rows:>4}-row workbook ({size / 1024:.0f} KB, {saved} rows to save): upload and validation "
              f"{preview * 1000:.0f} ms (median of {RUNS}); confirm (save and audit every row) {confirm * 1000:.0f} ms")
    print(f"ratio 200 rows / 20 rows: upload and validation {results[200][2] / results[20][2]:.1f}x, "
          f"confirm {results[200][3] / results[20][3]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
