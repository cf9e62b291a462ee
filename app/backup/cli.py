"""The backup and restore commands: thin wrappers over app.backup.service, on the app's own engine."""

import logging
import sqlite3
from pathlib import Path

import click
from flask import Flask
from sqlalchemy.exc import OperationalError

from app.backup import service
from app.backup.service import BackupError
from app.extensions import db

log = logging.getLogger("app.backup")


def register_backup_cli(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The new backup file (never overwritten).")
    def backup_command(output: Path) -> None:
        """Back up the whole database: SQLite's online backup, or pg_dump's custom format for PostgreSQL."""
        try:
            summary = service.backup(db.engine, output)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        except (OperationalError, sqlite3.Error) as exc:
            raise click.ClickException(f"Cannot reach the database: {getattr(exc, 'orig', exc)}") from None
        log.info("backup written", extra={"file": str(output), "database": summary.kind, "size": summary.size,
                                          "revision": summary.revision, "counts": summary.counts})
        click.echo(f"Backed up the {summary.kind} database (revision {summary.revision}) to {output} "
                   f"({summary.size:,} bytes): {summary.describe()}.")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a database that already holds data.")
    def restore_command(file: Path, force: bool) -> None:
        """Replace the database with a backup made by `flask backup`. Stop the app first."""
        db.session.remove()  # this command's own session must not hold the database open
        try:
            summary = service.restore(db.engine, file, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        except (OperationalError, sqlite3.Error) as exc:
            raise click.ClickException(f"Cannot reach the database: {getattr(exc, 'orig', exc)}") from None
        log.info("backup restored", extra={"file": str(file), "database": summary.kind, "forced": force,
                                           "revision": summary.revision, "counts": summary.counts})
        click.echo(f"Restored the {summary.kind} database from {file} (revision {summary.revision}): "
                   f"{summary.describe()}.")
        click.echo("If this version of the app is newer than the backup, run: flask --app wsgi db upgrade heads")
