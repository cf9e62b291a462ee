"""Do the pages cost the same as the partnership grows? Statement counts and latency at 1x, 10x (and 100x).

Builds the demo database (bench/generate.py) once, copies it for each size and grows the copy, then asks
each page through the Flask test client, signed in as a coordinator (second factor completed) or, for
"My actions", as the police lead. Measured in one run, so the ratios compare like with like: every
size's app is built first, then each page is asked for at each size in turns (see measure()).

* queries: the SQL statements one request runs, which must be the same at every size (no N+1);
* interactive pages: median latency at the largest size over 1x, goal <= 3;
* documents (report page, Excel pack): their size grows with the plan, so the goal is per row (actions
  in force plus indicators): (time at Nx / rows at Nx) / (time at 1x / rows at 1x) <= 1.5.

    python bench/bench_scale.py                  # 1x and 10x on SQLite
    BENCH_SCALE=100 python bench/bench_scale.py  # 1x, 10x and 100x
    BENCH_DB=postgres python bench/bench_scale.py  # on a throwaway PostgreSQL (scripts/with-postgres.sh)
    BENCH_PAGES="cycle tracker" python bench/bench_scale.py  # only these pages (names comma-separated)

Exits 1 when a goal is missed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import cache, create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import bench_pack, generate  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))  # median of this many requests per page and size
INTERACTIVE_GOAL, DOCUMENT_GOAL = 3.0, 1.5


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # "coordinator" or "lead"
    document: bool = False
    # After a save: the data version moves on before each request (not timed), so nothing kept for the
    # page (app/cache.py) is used and the page is built afresh, as the first view after every save is.
    after_save: bool = False


def pages(quarter: str) -> list[Page]:
    chosen = {n.strip() for n in os.environ.get("BENCH_PAGES", "").split(",") if n.strip()}
    return [page for page in _pages(quarter) if not chosen or page.name in chosen]


def _pages(quarter: str) -> list[Page]:
    return [
        Page("dashboard", f"/dashboard?quarter={quarter}", "coordinator"),
        Page("dashboard after a save", f"/dashboard?quarter={quarter}", "coordinator", after_save=True),
        Page("my actions", "/my-actions", "lead"),
        Page("cycle tracker", f"/cycle/{quarter}", "coordinator"),
        Page("indicator catalogue", f"/indicators?quarter={quarter}", "coordinator"),
        Page("audit trail", "/audit/", "coordinator"),
        Page("report page", f"/reports/{quarter}", "coordinator", document=True),
        Page("report after a save", f"/reports/{quarter}", "coordinator", document=True, after_save=True),
        Page("pack export", f"/reports/{quarter}/pack.xlsx?audience=published", "coordinator", document=True),
    ]


@dataclass
class Measure:
    ms: float
    queries: int
    rows: int  # document rows: actions in force plus indicators


class Databases:
    """Where each size's database lives: SQLite files, or databases of one PostgreSQL server."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg = os.environ.get("TEST_DATABASE_URL", "") if os.environ.get("BENCH_DB") == "postgres" else ""

    def base_url(self) -> str:
        if self.pg:
            return self._create("vawg_bench_base")
        return f"sqlite:///{self.tmp / 'base.db'}"

    def copy(self, base_url: str, factor: int) -> str:
        if self.pg:
            return self._create(f"vawg_bench_{factor}x_{uuid.uuid4().hex[:6]}",
                                template=make_url(base_url).database)
        path = self.tmp / f"{factor}x.db"
        shutil.copyfile(self.tmp / "base.db", path)
        return f"sqlite:///{path}"

    def _create(self, name: str, template: str | None = None) -> str:
        engine = create_engine(make_url(self.pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        engine.dispose()
        return make_url(self.pg).set(database=name).render_as_string(hide_password=False)


def sign_in(app, email: str):
    from app.auth.models import User

    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": generate.PASSWORD})
    assert response.status_code == 302, response.status_code
    if response.headers["Location"].endswith("/sign-in/code"):
        with app.app_context():
            secret = db.session.scalar(select(User.totp_secret).where(User.email == email))
        response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302, response.status_code
    return client


def document_rows(app, quarter_slug: str) -> int:
    from app.actions import service as actions_service
    from app.kpis.models import Indicator
    from app.strategy.quarters import Quarter

    with app.app_context():
        quarter = Quarter.parse(quarter_slug)
        return (len(actions_service.actions_for(quarter))
                + db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.active.is_(True))))


# Housekeeping a request may do now and then, whatever the page and the size, so not counted: the
# sign-in session's "last seen" touch (once a minute, app/auth/sessions.py) and the cache's sweep of
# older versions (once in 100 stores in a process, app/cache.py). Counted, the sweep made "report after a
# save" read 29 statements at 1x against 28 at 10x and 100x, in the run where one of its requests made
# the 100th store.
_HOUSEKEEPING = ("UPDATE user_session SET last_seen_at=", "DELETE FROM cache_entry WHERE cache_entry.version <")


class Size:
    """One size's app, its signed-in clients and a count of the statements its requests run."""

    def __init__(self, app, quarter: str):
        self.app = app
        self.clients = {"coordinator": sign_in(app, generate.COORDINATOR), "lead": sign_in(app, generate.LEAD)}
        self.rows = document_rows(app, quarter)
        with app.app_context():
            self.engine = db.engine
        self.counting = False
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement: str, *_args) -> None:
        if self.counting and not statement.startswith(_HOUSEKEEPING):
            self.statements += 1

    def get(self, page: Page) -> tuple[float, int]:
        """One request for `page`: seconds taken and statements run (the save before it not counted)."""
        if page.after_save:
            with self.app.app_context():
                cache.bump()
                db.session.commit()
        self.statements, self.counting = 0, True
        start = time.perf_counter()
        response = self.clients[page.who].get(page.path)
        seconds = time.perf_counter() - start
        self.counting = False
        assert response.status_code == 200, (page.path, response.status_code)
        return seconds, self.statements

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        self.engine.dispose()


def measure(sizes: dict[int, Size], quarter: str) -> dict[int, dict[str, Measure]]:
    """Each page at every size, RUNS requests each, taken in turns: one request at each size, then the
    next round in the opposite order. A slower or faster spell of the machine then falls on every size
    alike, where measuring one size after another let it fall on one (the same page's ratio swung by
    a third between runs of the same code)."""
    results: dict[int, dict[str, Measure]] = {factor: {} for factor in sizes}
    order = list(sizes)
    for page in pages(quarter):
        times: dict[int, list[float]] = {factor: [] for factor in sizes}
        counts: dict[int, list[int]] = {factor: [] for factor in sizes}
        for size in sizes.values():
            size.get(page)  # warm templates and caches
        for run in range(RUNS):
            for factor in (order if run % 2 == 0 else order[::-1]):
                seconds, statements = sizes[factor].get(page)
                times[factor].append(seconds)
                counts[factor].append(statements)
        for factor, size in sizes.items():
            results[factor][page.name] = Measure(statistics.median(times[factor]) * 1000, max(counts[factor]),
                                                 size.rows)
    return results


def main() -> int:
    if os.environ.get("BENCH_DB") == "postgres" and not os.environ.get("TEST_DATABASE_URL"):
        # Re-run this script inside a throwaway PostgreSQL cluster, which the wrapper stops afterwards.
        return subprocess.call([str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__])
    from app.demo import DEMO_CURRENT

    largest = int(os.environ.get("BENCH_SCALE", "10"))
    factors = [f for f in (1, 10, 100) if f <= largest]
    quarter = DEMO_CURRENT.slug
    sizes = {}
    packs: dict[int, dict] = {}
    export: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        dbs = Databases(Path(tmp))
        start = time.perf_counter()
        base = dbs.base_url()
        generate.build_base(base)
        urls, built = {}, {}
        for factor in factors:
            urls[factor] = dbs.copy(base, factor)
            app = create_app(generate.config(urls[factor]))
            with app.app_context():
                generate.grow(factor)
                sizes[factor] = generate.size()
                db.engine.dispose()
            built[factor] = Size(app, quarter)
        try:
            results = measure(built, quarter)
        finally:
            for size in built.values():
                size.close()
        built.clear()
        for factor in factors:  # each on an app of its own: the pages' apps and what they kept are gone
            packs[factor] = bench_pack.pack_vs_xlsxwriter(create_app(generate.config(urls[factor])), quarter)
        export = bench_pack.export_peak_rss(urls[factors[-1]], quarter)
        elapsed = time.perf_counter() - start
    backend = "PostgreSQL" if os.environ.get("BENCH_DB") == "postgres" else "SQLite"
    print(f"== pages at {', '.join(f'{f}x' for f in factors)} on {backend}, median of {RUNS}, "
          f"quarter {quarter} ({elapsed:.0f} s) ==")
    for factor in factors:
        print(f"{factor:>4}x: {sizes[factor]}")
    top = factors[-1]
    print()
    header = (f"{'page':20} {'queries ' + ' / '.join(f'{f}x' for f in factors):>22} "
              + " ".join(f"{f'ms {f}x':>9}" for f in factors) + f" {'ratio':>7} {'goal':>12} {'verdict':>7}")
    print(header)
    print("-" * len(header))
    failed = False
    for page in pages(quarter):
        per = [results[f][page.name] for f in factors]
        queries = " / ".join(str(m.queries) for m in per)
        flat = len({m.queries for m in per}) == 1
        small, big = per[0], per[-1]
        if page.document:
            ratio = (big.ms / big.rows) / (small.ms / small.rows)
            goal, limit = "per row <=1.5", DOCUMENT_GOAL
        else:
            ratio = big.ms / small.ms
            goal, limit = "<=3", INTERACTIVE_GOAL
        ok = flat and ratio <= limit
        failed |= not ok
        verdict = "ok" if ok else ("QUERIES" if not flat else "SLOW")
        print(f"{page.name:20} {queries:>22} " + " ".join(f"{m.ms:9.1f}" for m in per)
              + f" {ratio:7.2f} {goal:>12} {verdict:>7}")
    print()
    print(f"{'pack build':20} {'cells / charts':>22} {'pack ms':>9} {'bare ms':>9} {'ratio':>7} {'goal':>12} "
          f"{'verdict':>7}")
    for factor in factors:
        p = packs[factor]
        ok = p["ratio"] <= bench_pack.PACK_GOAL
        failed |= not ok
        print(f"{f'pack at {factor}x':20} {str(p['cells']) + ' / ' + str(p['charts']):>22} "
              f"{p['pack_s'] * 1000:9.1f} {p['bare_s'] * 1000:9.1f} {p['ratio']:7.2f} "
              f"{'<=' + str(bench_pack.PACK_GOAL) + ' bare':>12} {'ok' if ok else 'SLOW':>7}")
    print("  (pack: workbook.build_pack from gathered data; bare: XlsxWriter alone, the same cells and charts)")
    ok = export["peak_mb"] < bench_pack.EXPORT_RSS_GOAL_MB
    failed |= not ok
    print(f"{f'export at {top}x':20} {str(export['bytes']) + ' bytes':>22} peak RSS {export['peak_mb']:.0f} MB"
          f"{'':>14} goal < {bench_pack.EXPORT_RSS_GOAL_MB} MB {'ok' if ok else 'MISSED':>7}")
    print()
    print(f"goals ({top}x against 1x): queries equal at every size; interactive median ratio <= {INTERACTIVE_GOAL:g}; "
          f"documents per-row ratio <= {DOCUMENT_GOAL:g} (rows: actions in force + indicators, "
          + ", ".join(f"{next(iter(results[f].values())).rows} at {f}x" for f in factors) + ")")
    print("RESULT:", "FAILED" if failed else "all goals met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
