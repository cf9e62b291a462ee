"""Backups and the restore drill, on whichever database the suite runs on (SQLite or PostgreSQL).

The drill: seed, write (demo year, audited updates, values and targets, a locked quarter and its
packs), back up, destroy the database, restore, and check that every row came back and that the
locked quarter's packs are the same as before the backup, part by part, once the generated time
(the cover cell and the document properties) is taken out.
"""

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import make_url

from app.actions import service as actions_service
from app.actions.rollup import Status
from app.auth.models import User
from app.backup import service as backup_service
from app.backup.service import COUNTED, DATA_TABLES, BackupError
from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import service as kpi_service
from app.reports import service as report_service
from app.reports.workbook import format_generated_at
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from tests.conftest import ON_POSTGRES
from tests.integration.report_helpers import Q4_2018, load_demo_data

KIND = "postgresql" if ON_POSTGRES else "sqlite"


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for name, t in metadata.tables.items()}


def counts(rows: dict[str, list[tuple]]) -> dict[str, int]:
    return {name: len(rows.get(name, [])) for name in COUNTED}


def pack(quarter: Quarter, audience: str, actor) -> dict[str, bytes]:
    """The pack's parts, each with its generated time (cover cell, document properties) blanked."""
    data = report_service.report(quarter, audience)
    content = report_service.build(quarter, audience, actor=actor, data=data)
    db.session.commit()
    stamps = [format_generated_at(data.generated_at).encode(),
              data.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()]
    parts = {}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            body = archive.read(name)
            for stamp in stamps:
                body = body.replace(stamp, b"<generated>")
            parts[name] = body
    # The generated time was there to take out: in the document properties and on the cover sheet.
    assert b"<generated>" in parts["docProps/core.xml"]
    assert b"<generated>" in parts["xl/sharedStrings.xml"]
    return parts


def run(app, *args: str):
    db.session.remove()  # the test's own session must not keep the database open
    return app.test_cli_runner().invoke(args=list(args))


def destroy() -> None:
    """Lose the database: delete the SQLite file, or drop every table of the PostgreSQL database."""
    db.session.remove()
    if ON_POSTGRES:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
    else:
        path = Path(db.engine.url.database)
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert inspect(db.engine).get_table_names() == []


def _version(indicator, quarter: Quarter) -> int:
    existing = kpi_service.find_value(indicator, quarter)
    return existing.version if existing else 0


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.fixture
def written(app, make_user, agency_named):
    """The seeded plan, a demo year, audited writes, and 2018/19 Q4 locked: what a real year looks like."""
    load_demo_data()
    coordinator = make_user("coordinator")
    quarter = Quarter(2019, 4)  # a quarter the demo leaves empty
    action = actions_service.actions_for(quarter)[0]
    agency = action.lead_agencies[0]
    lead = make_user("lead", agency=agency)
    actions_service.save_update(lead, action, agency, quarter, version=0, status=Status.AMBER,
                                commentary="Refuge places short this quarter\r\nsecond line",
                                mitigation="Spot purchase agreed", sub_statuses={}, submit=True)
    indicator = kpi_service.indicator_by_code("DV03")
    kpi_service.save_value(coordinator, indicator, quarter, version=_version(indicator, quarter), value=3.0,
                           numerator=None, denominator=None, note="Provisional police figure", provisional=True)
    kpi_service.set_target(coordinator, kpi_service.indicator_by_code("DV04"), 2019, value=80.0, profile=None,
                           lower=None, upper=None, tolerance=None, note="Agreed by the HCSP")
    period = calendar.period_for(Q4_2018)
    cycle_service.lock(coordinator, Q4_2018, version=period.version, reason="Closing for the board")
    db.session.commit()
    return coordinator


def test_the_restore_drill(app, written, tmp_path, capsys):
    coordinator_id = written.id
    packs_before = {audience: pack(Q4_2018, audience, written) for audience in report_service.AUDIENCES}
    before = snapshot()
    assert all(counts(before)[name] > 0 for name in ("action_update", "indicator_value", "audit_event"))

    backup_file = tmp_path / "vawg.backup"
    result = run(app, "backup", "--output", str(backup_file))
    assert result.exit_code == 0, result.output
    assert backup_service.file_kind(backup_file) == KIND
    assert f"{counts(before)['action_update']} updates" in result.output
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds every password hash

    destroy()
    result = run(app, "restore", str(backup_file))  # an empty database needs no --force
    assert result.exit_code == 0, result.output
    after = snapshot()
    print(f"\nrestore drill on {KIND}: before {counts(before)}, after {counts(after)}")  # noqa: T201
    assert after == before  # every update, value, audit event and every other row came back as it was

    coordinator = db.session.get(User, coordinator_id)
    assert calendar.is_locked(Q4_2018)
    assert {audience: pack(Q4_2018, audience, coordinator) for audience in report_service.AUDIENCES} == packs_before
    # The partnership export just wrote an audit event: the restored id sequences carry on.
    assert counts(snapshot())["audit_event"] == counts(before)["audit_event"] + 1


def test_restore_refuses_a_database_with_data_unless_forced(app, written, tmp_path):
    coordinator_id = written.id
    backup_file = tmp_path / "vawg.backup"
    assert run(app, "backup", "--output", str(backup_file)).exit_code == 0
    before = snapshot()

    # A change after the backup, which a refused restore must leave alone and a forced one undoes.
    indicator = kpi_service.indicator_by_code("DV03")
    later = Quarter(2019, 2)
    kpi_service.save_value(db.session.get(User, coordinator_id), indicator, later, version=_version(indicator, later),
                           value=7.0, numerator=None, denominator=None, note="After the backup", provisional=False)
    db.session.commit()
    changed = snapshot()
    assert changed != before

    result = run(app, "restore", str(backup_file))
    assert result.exit_code == 1
    assert "The database is not empty (rows in: strategy, objective, action" in result.output
    assert "add --force" in result.output and "Traceback" not in result.output
    assert snapshot() == changed

    result = run(app, "restore", str(backup_file), "--force")
    assert result.exit_code == 0, result.output
    assert snapshot() == before


def _sqlite_file(path: Path, tables: tuple[str, ...]) -> Path:
    import sqlite3

    conn = sqlite3.connect(path)
    for name in tables:
        conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    return path


def _other_pg_dump(path: Path) -> Path:
    """A genuine pg_dump file, of a database that is not this application's (the server's `postgres`)."""
    url = db.engine.url.set(database="postgres")
    backup_service._run(backup_service.pg_command("pg_dump", url, ["--format=custom", f"--file={path}"]), url)
    return path


NOT_A_BACKUP = "is not a backup made by `flask backup`"
WRONG_KIND = [
    (lambda p: _write(p, b"code,value\nDV01,3\n"), NOT_A_BACKUP),
    (lambda p: _write(p, b""), NOT_A_BACKUP),
] + ([
    (lambda p: _sqlite_file(p, ("alembic_version", "action", "user_account", "audit_event")),
     "is a SQLite backup, but this app's database is PostgreSQL: restore it into a SQLite database"),
    (lambda p: _write(p, b"PGDMP" + b"\x00" * 64), "pg_restore failed"),
    (_other_pg_dump, "is a pg_dump file but not a backup of this application (no alembic_version, action"),
] if ON_POSTGRES else [
    (lambda p: _write(p, b"PGDMP" + b"\x00" * 64),
     "is a PostgreSQL (pg_dump) backup, but this app's database is SQLite: restore it into a PostgreSQL database"),
    (lambda p: _sqlite_file(p, ("notes",)),
     "is a SQLite database but not a backup of this application (no alembic_version, action"),
])


@pytest.mark.parametrize(("make", "message"), WRONG_KIND)
def test_a_file_of_the_wrong_kind_is_refused_with_a_message(app, tmp_path, make, message):
    suspect = make(tmp_path / "suspect.bak")
    before = snapshot()
    result = run(app, "restore", str(suspect), "--force")
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert snapshot() == before


def test_backup_never_overwrites_a_file(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    existing = folder / "yesterday.backup"
    existing.write_bytes(b"yesterday's backup")
    result = run(app, "backup", "--output", str(existing))
    assert result.exit_code == 1 and "already exists" in result.output
    assert existing.read_bytes() == b"yesterday's backup"
    assert [p.name for p in folder.iterdir()] == ["yesterday.backup"]  # no partial file left behind


# --- PostgreSQL connection: the password never reaches a process's arguments ---------------------


@pytest.mark.parametrize(("url", "uri", "password"), [
    ("postgresql+psycopg://vawg:s3cret@db.internal:5433/vawg", "postgresql://vawg@db.internal:5433/vawg", "s3cret"),
    ("postgresql://vawg:p%40ss%3Aw%2Fd@db/vawg?sslmode=require", "postgresql://vawg@db/vawg?sslmode=require",
     "p@ss:w/d"),
    ("postgresql+psycopg://postgres@127.0.0.1:5999/vawg_test", "postgresql://postgres@127.0.0.1:5999/vawg_test",
     None),
    ("postgresql+psycopg://app:pw@/vawg?host=/run/postgresql", "postgresql://app@/vawg?host=%2Frun%2Fpostgresql",
     "pw"),
])
def test_pg_commands_carry_the_password_only_in_the_environment(monkeypatch, url, uri, password):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setattr(backup_service, "find_pg_tool", lambda name: f"/usr/bin/{name}")
    command, env = backup_service.pg_command("pg_dump", make_url(url), ["--format=custom", "--file=x"])
    assert command == ["/usr/bin/pg_dump", f"--dbname={uri}", "--format=custom", "--file=x"]
    assert env.get("PGPASSWORD") == password
    if password:
        assert not any(password in part for part in command)


def test_a_failing_pg_tool_never_echoes_the_password(monkeypatch, tmp_path):
    tool = tmp_path / "pg_dump"
    tool.write_text('#!/bin/sh\necho "connection failed for password $PGPASSWORD" >&2\nexit 1\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    url = make_url("postgresql+psycopg://vawg:hunter2-secret@127.0.0.1:1/vawg")
    with pytest.raises(BackupError) as raised:
        backup_service._run(backup_service.pg_command("pg_dump", url, []), url)
    assert "hunter2-secret" not in str(raised.value) and "***" in str(raised.value)


def test_data_tables_exist(app):
    # A renamed table would silently drop out of the "is the database empty?" check.
    assert set(DATA_TABLES) <= set(inspect(db.engine).get_table_names())


def test_backup_files_are_private_even_under_a_permissive_umask(app, tmp_path):
    old = os.umask(0)
    try:
        assert run(app, "backup", "--output", str(tmp_path / "b.backup")).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.backup").stat().st_mode) == 0o600


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path):
    from app import create_app
    from tests.conftest import _config

    unreachable = create_app(_config(f"sqlite:///{tmp_path}/no/such/folder/vawg.db"))
    result = unreachable.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "b.backup")])
    assert result.exit_code == 1
    assert "Cannot reach the database: unable to open database file" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "b.backup").exists()
