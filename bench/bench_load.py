"""Throughput: the dashboard under 50 concurrent signed-in clients, against a hello-world route.

Builds the 1x demo database (bench/generate.py; BENCH_LOAD_SCALE=10 or 100 grows it), starts gunicorn
with 2 sync workers on loopback twice, once with the app (wsgi:app, production settings) and once with
bench/hello_app.py, and drives each with the same bounded asyncio client: 50 clients, each signed in
for real as the bench's lead (GET /sign-in, CSRF token scraped, POST /sign-in), then asking for the
dashboard (or "/") as fast as answers come. The two take turns, BENCH_LOAD_ROUNDS (3) each of
BENCH_LOAD_SECONDS (5) measured after a second's warm-up: on a shared machine a slow or fast spell then
falls on both, where one long run of each let it fall on one (the share swung from 23% to 39%).

Prints requests/s, p50 and p95 latency and errors for both, the ratio (goal >= 30%), and each
worker's resident memory after the load (goal < 250 MB). BENCH_LOAD_WORKERS (2) sets the number of
workers of both servers. Every run ends by itself: the client stops
at its deadline and gunicorn is stopped whatever happens.

    python bench/bench_load.py
    BENCH_DB=postgres python bench/bench_load.py

Exits 1 when a goal is missed.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench.bench_scale import Databases  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS", "3"))  # turns of dashboard then hello world
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "5"))  # measured in each turn
WARMUP_SECONDS = 1.0
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "2"))
THROUGHPUT_GOAL, RSS_GOAL_MB = 0.30, 250
REQUEST_TIMEOUT = 30.0  # seconds: a request slower than this counts as an error
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    rss_mb: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# --- a tiny HTTP/1.1 client: one connection per request (gunicorn's sync workers close it) ---------


async def request(port: int, method: str, path: str, cookies: dict[str, str], body: str = "") -> tuple[int, dict, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                "User-Agent: bench-load"]
        if cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if method == "POST":
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body.encode())}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n" + body).encode())
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    header_block, _, content = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, content.decode("utf-8", "replace")


def _keep_cookies(headers: dict, cookies: dict[str, str]) -> None:
    for value in headers.get("set-cookie", []):
        pair = value.split(";", 1)[0]
        name, _, content = pair.partition("=")
        cookies[name.strip()] = content.strip()


async def sign_in(port: int) -> dict[str, str]:
    """A real sign-in: the form's CSRF token scraped from the page, then the POST."""
    cookies: dict[str, str] = {}
    status, headers, page = await request(port, "GET", "/sign-in", cookies)
    _keep_cookies(headers, cookies)
    match = _TOKEN.search(page)
    assert status == 200 and match, f"no sign-in form ({status})"
    token = match.group(1) or match.group(2)
    body = urllib.parse.urlencode({"email": generate.LEAD, "password": generate.PASSWORD, "csrf_token": token})
    status, headers, _ = await request(port, "POST", "/sign-in", cookies, body)
    assert status == 302, f"sign-in answered {status}"
    _keep_cookies(headers, cookies)
    return cookies


async def sign_in_all(port: int) -> list[dict[str, str]]:
    # Sign in a few at a time: each sign-in hashes a password, which is not what is measured.
    gate = asyncio.Semaphore(4)

    async def one_sign_in() -> dict[str, str]:
        async with gate:
            return await sign_in(port)

    return await asyncio.gather(*[one_sign_in() for _ in range(CLIENTS)])


async def load(port: int, path: str, jars: list[dict[str, str]], run: Run) -> None:
    """One round: every client asks for `path` as fast as answers come, for WARMUP_SECONDS unmeasured,
    then SECONDS measured into `run`."""
    start = time.perf_counter()
    measure_from = start + WARMUP_SECONDS
    deadline = measure_from + SECONDS

    async def client(cookies: dict[str, str]) -> None:
        while True:
            began = time.perf_counter()
            if began >= deadline:
                return
            try:
                status, headers, _ = await asyncio.wait_for(request(port, "GET", path, cookies), REQUEST_TIMEOUT)
                # Keep what the server sets, as a browser does. A client that never did sent the
                # sign-in's cookie for ever: the first page's CSRF token was never kept, so every view
                # made a new token and signed a new cookie, which no real browser ever causes.
                _keep_cookies(headers, cookies)
                ok = status == 200
            except (TimeoutError, OSError, IndexError, ValueError):
                ok = False
            ended = time.perf_counter()
            if began >= measure_from and ended <= deadline:
                if ok:
                    run.latencies.append(ended - began)
                else:
                    run.errors += 1

    await asyncio.wait_for(asyncio.gather(*[client(jar) for jar in jars]),
                           WARMUP_SECONDS + SECONDS + REQUEST_TIMEOUT)
    run.seconds += SECONDS


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each process whose parent is `master` (gunicorn's workers)."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sizes


@contextmanager
def served(app_spec: str, env: dict, name: str) -> Iterator[tuple[int, int]]:
    """gunicorn serving `app_spec` on a free loopback port, stopped whatever happens: (port, master pid)."""
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
               "--timeout", "60", "--log-level", "warning", app_spec]
    server = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command line
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn for {name} exited with {server.returncode}") from None
                time.sleep(0.2)
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_load(env: dict) -> tuple[Run, Run]:
    """The dashboard and hello world, each served by its own gunicorn, measured in turns (ROUNDS each),
    so that a slower or faster spell of the machine falls on both alike."""
    dashboard, hello = Run("dashboard"), Run("hello world")
    with served("wsgi:app", env, "dashboard") as (app_port, app_pid), \
            served("bench.hello_app:app", env, "hello world") as (hello_port, hello_pid):
        # Bounded like each turn: a server that stops answering ends the run, not hangs it.
        jars = asyncio.run(asyncio.wait_for(sign_in_all(app_port), 60))
        for _ in range(ROUNDS):
            asyncio.run(load(app_port, "/dashboard", jars, dashboard))
            asyncio.run(load(hello_port, "/", [{}] * CLIENTS, hello))
        dashboard.rss_mb, hello.rss_mb = worker_rss_mb(app_pid), worker_rss_mb(hello_pid)
    return dashboard, hello


def main() -> int:
    if os.environ.get("BENCH_DB") == "postgres" and not os.environ.get("TEST_DATABASE_URL"):
        return subprocess.call([str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__])
    from app import create_app
    from app.extensions import db

    factor = int(os.environ.get("BENCH_LOAD_SCALE", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        dbs = Databases(Path(tmp))
        base = dbs.base_url()
        generate.build_base(base)
        url = dbs.copy(base, factor) if factor > 1 else base
        if factor > 1:
            app = create_app(generate.config(url))
            with app.app_context():
                generate.grow(factor)
                db.engine.dispose()
        env = os.environ | {
            "APP_ENV": "production", "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
            "SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback
            "LOG_LEVEL": "WARNING",  # one access-log line per request is not what is measured
            "SIGN_IN_IP_LIMIT": "1000",
            "CHANGE_SIGNAL_DIR": generate.SIGNAL_DIR,  # production's default is instance/, in the checkout
        }
        env.pop("TEST_DATABASE_URL", None)
        started = time.perf_counter()
        dashboard, hello = run_load(env)
        elapsed = time.perf_counter() - started
    backend = "PostgreSQL" if os.environ.get("BENCH_DB") == "postgres" else "SQLite"
    print(f"== load at {factor}x on {backend}: {CLIENTS} clients, gunicorn {WORKERS} sync workers, "
          f"{ROUNDS} turns each of {SECONDS:g} s measured after {WARMUP_SECONDS:g} s warm-up ({elapsed:.0f} s) ==")
    header = f"{'route':14} {'requests/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'worker RSS MB':>16}"
    print(header)
    print("-" * len(header))
    for run in (dashboard, hello):
        rss = " / ".join(f"{m:.0f}" for m in run.rss_mb) or "?"
        print(f"{run.name:14} {run.rps:10.1f} {run.percentile(0.5):8.1f} {run.percentile(0.95):8.1f} "
              f"{run.errors:7d} {rss:>16}")
    ratio = dashboard.rps / hello.rps if hello.rps else 0.0
    worst_rss = max(dashboard.rss_mb or [float("inf")])
    checks = [
        (f"dashboard throughput / hello world = {ratio:.1%}", f">= {THROUGHPUT_GOAL:.0%}", ratio >= THROUGHPUT_GOAL),
        (f"errors: dashboard {dashboard.errors}, hello world {hello.errors}", "0",
         dashboard.errors == 0 and hello.errors == 0),
        (f"largest app worker RSS after the load = {worst_rss:.0f} MB", f"< {RSS_GOAL_MB} MB",
         worst_rss < RSS_GOAL_MB),
    ]
    print()
    for text, goal, ok in checks:
        print(f"{text:60} goal {goal:>8}  {'ok' if ok else 'MISSED'}")
    failed = not all(ok for _, _, ok in checks)
    print("RESULT:", "FAILED (" + "; ".join(t for t, _, ok in checks if not ok) + ")" if failed
          else "all goals met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
