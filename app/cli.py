"""Command-line tasks. They call the same service functions as the views, one transaction each."""

import os

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.actions.seed import load_plan
from app.auth import second_factor
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.backup.cli import register_backup_cli
from app.cycle.cli import register_cycle_cli
from app.demo import DEMO_CURRENT, load_demo, run_demo_cycle
from app.errors import DuplicateError
from app.extensions import db
from app.kpis.demo import load_demo_values
from app.kpis.seed import load_indicators
from app.reports.cli import register_reports_cli


def _account(email: str):
    """The account with this email address; a usage error (the command's message) when there is none."""
    user = auth_service.find_user(email)
    if user is None:
        raise click.UsageError(f"No account with the email {email}")
    return user


def register_cli(app: Flask) -> None:
    register_cycle_cli(app)
    register_reports_cli(app)
    register_backup_cli(app)

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also add demonstration users and two years of demo updates and values.")
    def seed(demo: bool) -> None:
        """Load the action plan from seed/ (safe to run again: it adds only what is missing)."""
        result = load_plan()
        click.echo(f"Plan: {result}.")
        click.echo(f"Indicators: added {load_indicators()} indicators.")
        if demo:
            demo_result = load_demo()
            if demo_result.password:
                click.echo(f"Demo data: added {demo_result.users} demo users and {demo_result.updates} demo updates.")
                click.echo(f"All demo users share the password: {demo_result.password}  (shown once)")
                click.echo("Demo users are named like coordinator@demo.havering.example, "
                           "viewer@demo.havering.example, lead.police@demo.havering.example.")
            else:
                click.echo("Demo data already present: nothing added.")
            kpi_demo = load_demo_values()
            click.echo(f"Demo indicator values: added {kpi_demo.values} values and {kpi_demo.targets} targets.")
            if demo_result.password:
                cycle = run_demo_cycle()
                click.echo(f"Demo cycle: accepted {cycle.accepted} returns, locked {len(cycle.locked)} quarters"
                           f"{', refreshed the plan for 2019/20' if cycle.refreshed else ''}; "
                           f"the current quarter is {DEMO_CURRENT.label}, its update window open.")
        db.session.commit()

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--agency", "agency_name", required=True, help="Agency name, short name or alias.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", default=None, help="Full name (defaults to the email address).")
    def create_user(email: str, agency_name: str, role: str, name: str | None) -> None:
        """Add an account and print its generated password once."""
        agency = auth_service.find_agency(agency_name)
        if agency is None:
            raise click.UsageError(f"No agency called {agency_name!r}. Run `flask --app wsgi seed` first, "
                                   "or check the name on the Agencies page.")
        try:
            user = auth_service.create_user(None, email=email, name=name or email, role=role, agency=agency)
        except DuplicateError as exc:
            raise click.UsageError(str(exc)) from None
        db.session.commit()
        # The person chooses their own password from the emailed link (printed instead when MAIL_HOST is unset).
        sent = auth_service.send_account_email(user, "invitation")
        click.echo(f"Created {user.email} ({role}, {agency.name}). "
                   + ("Invitation emailed." if sent else "The invitation email could not be sent: "
                      f"run `flask --app wsgi reset-password {user.email}` for a one-time link."))

    @app.cli.command("init-admin")
    def init_admin() -> None:
        """Create the first admin with a generated password, shown once; do nothing if an admin exists."""
        existing = db.session.scalar(select(User).where(User.role == Role.ADMIN.value).limit(1))
        url = current_app.config["PUBLIC_URL"]
        if existing:
            click.echo(f"Sign in at {url} as {existing.email} (admin). "
                       f"Forgotten the password? Run: flask --app wsgi reset-password {existing.email}")
            return
        email = os.environ.get("ADMIN_EMAIL", "admin@havering.example")
        agency = auth_service.find_agency("Community Safety Partnership") or auth_service.agencies()[0]
        user = auth_service.create_user(None, email=email, name="System admin", role=Role.ADMIN, agency=agency)
        db.session.commit()
        click.echo("=" * 72)
        click.echo(f"First sign-in for {email}: open this one-time link to choose your password")
        click.echo(f"  {auth_service.link_url(user, 'invitation')}")
        click.echo("It works once, for 7 days. Then sign in and set up an authenticator app (required for admins).")
        click.echo("Add other users from Admin > Users: they are invited by email.")
        click.echo("=" * 72)

    @app.cli.command("reset-password")
    @click.argument("email")
    def reset_password(email: str) -> None:
        """Print a one-time link for the account to choose a new password (nobody sees the password)."""
        user = _account(email)
        purpose = "reset" if user.has_password else "invitation"
        auth_service.record_link_sent(None, user, purpose, how="printed")
        db.session.commit()
        setting = "RESET_MAX_AGE_SECONDS" if purpose == "reset" else "INVITATION_MAX_AGE_SECONDS"
        minutes = current_app.config[setting] // 60
        click.echo(f"One-time link for {user.email} (works once, for {minutes} minutes):")
        click.echo(f"  {auth_service.link_url(user, purpose)}")

    @app.cli.command("remove-second-factor")
    @click.argument("email")
    def remove_second_factor(email: str) -> None:
        """Take away an account's authenticator app (device and recovery codes lost); it sets up a new one."""
        user = _account(email)
        second_factor.remove(None, user)
        auth_service.end_all_sessions(user)
        db.session.commit()
        click.echo(f"Removed the second factor of {user.email}; they set up a new authenticator app at next sign-in.")
