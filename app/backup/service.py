"""Backing up and restoring the whole database: SQLite's online backup API, or pg_dump / pg_restore.

No Flask here: the commands in app/backup/cli.py pass the app's engine, so the same functions serve the
command line and the tests' restore drill.

- SQLite: `sqlite3.Connection.backup` copies a consistent snapshot while the app keeps running, into a
  single self-contained file (rollback journal, not WAL). Restore is the same API in reverse.
- PostgreSQL: `pg_dump --format=custom`; restore is `pg_restore --clean --if-exists` in one transaction,
  so a failed restore changes nothing. The password never appears in a process's arguments (where any
  local user can read it with `ps`): the tools get a connection URI without it and PGPASSWORD.

A restore refuses a database that holds any row in the partnership's tables (DATA_TABLES) unless told
to overwrite it, and refuses a file that is not a backup of this application's database kind.
"""

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from sqlalchemy import column, func, inspect, literal, select, table
from sqlalchemy.engine import URL, Engine

from app import changes

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # the custom format's first bytes

# "Non-empty" means a row in any of these: the plan, agencies and users, updates, indicators and
# their values, the quarterly cycle and the audit trail. `flask db upgrade` alone leaves them all empty.
DATA_TABLES = (
    "strategy", "objective", "action", "agency", "user_account", "action_update",
    "indicator", "indicator_value", "indicator_target", "reporting_period", "audit_event",
)
# Tables every backup of this application has; a file without them is someone else's database.
REQUIRED_TABLES = ("alembic_version", "action", "user_account", "audit_event")
# What the commands report, so an operator (and the drill) can compare before and after.
COUNTED = {"action_update": "updates", "indicator_value": "indicator values", "audit_event": "audit events",
           "user_account": "users"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    kind: str  # "SQLite" or "PostgreSQL"
    path: Path
    size: int  # bytes
    counts: dict[str, int]
    revision: str | None

    def describe(self) -> str:
        """The counts as one line: '12 updates, 30 indicator values, ...'."""
        return ", ".join(f"{self.counts[name]} {label}" for name, label in COUNTED.items() if name in self.counts)


def file_kind(path: Path) -> str:
    """'sqlite', 'postgresql' (a pg_dump custom-format file) or 'unknown', from the file's first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"{path} cannot be read ({exc.strerror}).") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return "unknown"


def database_kind(url: URL) -> str:
    """'sqlite' or 'postgresql'; BackupError for any other database."""
    name = url.get_backend_name()
    if name in ("sqlite", "postgresql"):
        return name
    raise BackupError(f"Backups are supported for SQLite and PostgreSQL, not {name}.")


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each COUNTED table (0 for a table that does not exist yet)."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(table(name))) if name in present else 0
                for name in COUNTED}


def occupied_tables(engine: Engine) -> list[str]:
    """The DATA_TABLES holding at least one row: a restore would overwrite them."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return [name for name in DATA_TABLES
                if name in present and conn.scalar(select(literal(1)).select_from(table(name)).limit(1))]


def _revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before any migration."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.scalar(select(column("version_num")).select_from(table("alembic_version")).limit(1))


def _reserve(output: Path) -> Path:
    """A new private temporary file beside `output`: a backup appears under its name only when complete."""
    if output.exists():
        raise BackupError(f"{output} already exists: choose a new file name (a backup never overwrites one).")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    partial = output.with_name(f".{output.name}.{secrets.token_hex(4)}.partial")
    # 0600: a backup holds every account's password hash and the partnership's casework figures.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return partial


def backup(engine: Engine, output: Path) -> Summary:
    """Write a complete backup of the database behind `engine` to `output`, which must not exist yet."""
    kind = database_kind(engine.url)
    partial = _reserve(output)
    try:
        if kind == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _run(pg_command("pg_dump", engine.url, ["--format=custom", f"--file={partial}"]), engine.url)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return Summary("SQLite" if kind == "sqlite" else "PostgreSQL", output, output.stat().st_size,
                   row_counts(engine), _revision(engine))


def _sqlite_backup(engine: Engine, target: Path) -> None:
    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(dest)
            # The live database runs in WAL mode; the backup must be one file that stands alone.
            dest.execute("PRAGMA journal_mode=DELETE")
            result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
    finally:
        raw.close()
    if result != "ok":
        raise BackupError(f"The copy failed SQLite's integrity check ({result}); the database may be damaged.")


def restore(engine: Engine, source: Path, *, force: bool = False) -> Summary:
    """Replace the database behind `engine` with the backup in `source`.

    Refuses (BackupError) a file of the wrong kind or from another application, and a database with
    rows in DATA_TABLES unless `force`. Stop the app first: its connections would hold stale data.
    """
    kind = database_kind(engine.url)
    found = file_kind(source)
    label = {"sqlite": "a SQLite backup", "postgresql": "a PostgreSQL (pg_dump) backup"}
    if found == "unknown":
        raise BackupError(f"{source} is not a backup made by `flask backup` (neither a SQLite database "
                          "nor a pg_dump custom-format file).")
    if found != kind:
        raise BackupError(f"{source} is {label[found]}, but this app's database is "
                          f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: restore it into a "
                          f"{'SQLite' if found == 'sqlite' else 'PostgreSQL'} database.")
    if kind == "sqlite":
        _check_sqlite_backup(source)
    else:
        _check_pg_backup(source, engine.url)
    occupied = occupied_tables(engine)
    if occupied and not force:
        raise BackupError("The database is not empty (rows in: " + ", ".join(occupied) + "). "
                          "Restoring would replace everything in it: add --force to do that.")
    engine.dispose()  # no pooled connection may keep a lock or a stale view of the old data
    if kind == "sqlite":
        _sqlite_restore(engine, source)
    else:
        _run(pg_command("pg_restore", engine.url, [
            "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
            "--exit-on-error", str(source)]), engine.url)
    engine.dispose()
    changes.signal(engine.url)  # a worker left running would otherwise keep what it remembered
    return Summary("SQLite" if kind == "sqlite" else "PostgreSQL", source, source.stat().st_size,
                   row_counts(engine), _revision(engine))


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} cannot be read as a SQLite database ({exc}).") from None
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise BackupError(f"{source} is a SQLite database but not a backup of this application "
                          f"(no {', '.join(missing)} table).")
    if check != "ok":
        raise BackupError(f"{source} is damaged (SQLite quick check: {check}).")


def _sqlite_restore(engine: Engine, source: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        raw = engine.raw_connection()
        try:
            src.backup(raw.driver_connection)
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore {source}: {exc}. Is the app still running?") from None
    finally:
        src.close()


def _check_pg_backup(source: Path, url: URL) -> None:
    listing = _run(pg_command("pg_restore", url, ["--list", str(source)], connect=False), url)
    missing = [name for name in REQUIRED_TABLES if not re.search(rf"\bTABLE \S+ {name}\b", listing)]
    if missing:
        raise BackupError(f"{source} is a pg_dump file but not a backup of this application "
                          f"(no {', '.join(missing)} table).")


# --- PostgreSQL tools -------------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """The newest PostgreSQL client program `name`: $PG_BIN, then /usr/lib/postgresql/*/bin, then PATH.

    pg_dump must be at least as new as the server, so the newest installed version wins over PATH
    (where Debian's wrapper may pick an older one)."""
    folder = os.environ.get("PG_BIN")
    candidates = [Path(folder) / name] if folder else []
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)] or [0],
                      reverse=True)
    candidates += versions
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} was not found: install the PostgreSQL client programs "
                      "(Debian: postgresql-client) or set PG_BIN to their folder.")


def libpq_uri(url: URL) -> str:
    """The connection as a libpq URI without its password (which goes in PGPASSWORD instead)."""
    host = url.host or ""
    netloc = (quote(url.username, safe="") + "@" if url.username else "") + (f"[{host}]" if ":" in host else host)
    if url.port:
        netloc += f":{url.port}"
    query = urlencode(sorted(url.query.items()), doseq=True)
    return f"postgresql://{netloc}/{quote(url.database or '', safe='')}" + (f"?{query}" if query else "")


def pg_command(tool: str, url: URL, arguments: list[str], *, connect: bool = True) -> tuple[list[str], dict]:
    """The argument list and environment to run a PostgreSQL program against `url`."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    command = [find_pg_tool(tool), *arguments]
    if connect:
        command.insert(1, f"--dbname={libpq_uri(url)}")
    return command, env


def _run(command_env: tuple[list[str], dict], url: URL) -> str:
    command, env = command_env
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or f"exit status {result.returncode}"
        if url.password:
            message = message.replace(str(url.password), "***")
        raise BackupError(f"{Path(command[0]).name} failed: {message}")
    return result.stdout
