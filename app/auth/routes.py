from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import service
from app.auth.forms import LoginForm, LogoutForm
from app.auth.models import User
from app.extensions import db, login_manager
from app.permissions import public, signed_in

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


def _safe_next(target: str | None) -> str:
    # Only follow same-site paths, so a crafted link cannot bounce a user to another site after sign-in.
    # Control characters (a CRLF would split the Location header) and backslashes (which browsers
    # read as "/", so "/\\evil" is another site) are refused too.
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and target.isprintable() and "\\" not in target):
        return target
    return url_for("main.home")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            form.email.errors.append("Enter a correct email address and password")
        else:
            session.clear()  # a fresh session on sign-in defeats session fixation
            login_user(user)
            session["last_seen"] = datetime.now(UTC).timestamp()
            session.permanent = True
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/sign-out", methods=["GET"])
@signed_in
def logout_page():
    return render_template("auth/logout.html", form=LogoutForm())


@bp.route("/sign-out", methods=["POST"])
@signed_in
def logout():
    if LogoutForm().validate_on_submit():
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
