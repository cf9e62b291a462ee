"""The reminder command, safe to run daily from cron."""

import smtplib
from datetime import date

import click
from flask import Flask
from sqlalchemy.exc import IntegrityError

from app.cycle import service
from app.extensions import db
from app.mail import render_email, send_mail
from app.strategy import service as calendar


def register_cycle_cli(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option(
        "--today",
        "today_text",
        default=None,
        metavar="YYYY-MM-DD",
        help="Act as if today were this date (default: today).",
    )
    def send_reminders(today_text: str | None) -> None:
        """Email lead users about their agency's outstanding returns at the cycle's reminder points.

        Each (user, quarter, reminder) is sent once: a record is committed with each email, so a
        second run the same day, or a run after a failure, sends only what has not gone yet.
        """
        try:
            today = date.fromisoformat(today_text) if today_text else date.today()
        except ValueError:
            raise click.UsageError("Give --today as a date like 2019-10-21") from None
        # No request here: the email's links are built from PUBLIC_URL (app.mail.external_url).
        if calendar.ensure_periods():  # a reminder is recorded against its period's row
            db.session.commit()
        reminders = service.due_reminders(today)
        sent = failed = 0
        for reminder in reminders:
            try:
                service.record_reminder(reminder)
            except IntegrityError:
                db.session.rollback()  # another run sent it a moment ago
                continue
            subject, body = render_email("cycle/email/reminder.txt", reminder=reminder)
            try:
                send_mail(reminder.user.email, subject, body)
            except (smtplib.SMTPException, OSError) as exc:
                db.session.rollback()  # not recorded, so the next run tries again
                failed += 1
                click.echo(f"Could not send to {reminder.user.email}: {exc}", err=True)
                continue
            db.session.commit()
            sent += 1
        click.echo(f"Reminders for {today.isoformat()}: sent {sent}, failed {failed}.")
        if failed:
            raise SystemExit(1)
