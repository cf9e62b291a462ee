"""The start page and a health check."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

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
