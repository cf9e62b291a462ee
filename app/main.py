"""The start page and a health check."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from app import statement as statement_file
from app.auth.models import Role
from app.extensions import db
from app.permissions import public

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role(Role.LEAD):
        return redirect(url_for("actions.my_actions"))
    return redirect(url_for("actions.dashboard"))


@bp.route("/health")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/accessibility")
@public
def accessibility():
    # The regulations require the statement to be reachable by anyone, signed in or not.
    path = current_app.config["ACCESSIBILITY_STATEMENT_FILE"]
    try:
        statement = statement_file.load(path)
    except statement_file.StatementError as exc:
        # A broken edit must not take the page down: show how to reach the team instead, and tell the admins.
        current_app.logger.error("Accessibility statement %s not shown: %s", path, exc)
        statement = None
    return render_template("main/accessibility.html", statement=statement)
