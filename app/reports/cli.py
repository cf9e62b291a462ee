"""The export-pack command: the same service the download button calls, one transaction."""

import time
from pathlib import Path

import click
from flask import Flask

from app.extensions import db
from app.reports import frozen, service
from app.strategy.quarters import QuarterError


def register_reports_cli(app: Flask) -> None:
    @app.cli.command("export-pack")
    @click.option("--quarter", "quarter_text", required=True, help="The quarter, like 2019-20-Q2.")
    @click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="Where to write the .xlsx file.")
    @click.option("--audience", type=click.Choice(service.AUDIENCES), default=service.PUBLISHED,
                  show_default=True, help="published (small numbers suppressed) or partnership (true values).")
    def export_pack(quarter_text: str, output: Path, audience: str) -> None:
        """Write the HCSP board's Excel pack for a quarter (a partnership export is audited)."""
        started = time.perf_counter()
        try:
            quarter = service.parse_quarter(quarter_text)
        except QuarterError as exc:
            raise click.BadParameter(str(exc), param_hint="--quarter") from None
        content, (primary, secondary) = frozen.pack(quarter, audience, actor=None)
        output.write_bytes(content)
        db.session.commit()  # the partnership export's audit event
        elapsed = time.perf_counter() - started
        click.echo(f"Wrote the {audience} pack for {quarter.label} to {output} ({len(content):,} bytes) "
                   f"in {elapsed:.2f} s.")
        if audience == service.PUBLISHED:
            click.echo(f"{primary + secondary} values suppressed ({primary} primary, {secondary} secondary).")
        else:
            click.echo("OFFICIAL-SENSITIVE: not for publication. The export was recorded in the audit trail.")

    @app.cli.command("freeze-reports")
    def freeze_reports() -> None:
        """Keep the outputs of quarters locked before locked quarters' outputs were kept (run once, after upgrading)."""
        quarters = frozen.freeze_locked()
        db.session.commit()
        names = ", ".join(q.label for q in quarters) or "none: every locked quarter already has its copy"
        click.echo(f"Kept the report, pack and figures of {len(quarters)} locked quarter(s): {names}.")
