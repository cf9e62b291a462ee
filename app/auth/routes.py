"""Signing in (password, then the second factor), signing out, emailed links, and the user's own account pages."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.auth import second_factor as two_factor
from app.auth import service, sessions
from app.auth.forms import (
    ButtonForm,
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    SetPasswordForm,
)
from app.auth.models import User
from app.auth.passwords import verify_password
from app.database import utcnow
from app.extensions import db, login_manager
from app.permissions import SECOND_FACTOR_OPTIONAL, public, roles, signed_in

bp = Blueprint("auth", __name__)

PENDING = "pending_sign_in"  # cookie key: a correct password waiting for its second factor
SETUP = "totp_setup"  # cookie key: the secret being set up, until its first code confirms it
SID = "sid"  # cookie key: the server-side session's token
BAD_SIGN_IN = "Enter a correct email address and password"
ENDED_MESSAGES = {
    "idle": "You were signed out because you were inactive. Sign in again to continue.",
    "absolute": "You were signed out because you had been signed in for a long time. Sign in again to continue.",
    "ended": "You were signed out. Sign in again to continue.",
}


@login_manager.user_loader
def load_user(user_id: str) -> sessions.SignedInUser | None:
    # Flask-Login calls this on the first use of current_user in a request: the cookie alone is not
    # enough, the server-side session must still be live (not signed out, ended, idle or too old).
    user, reason = sessions.check(int(user_id), session.get(SID)) if user_id.isdigit() else (None, "ended")
    if user is None:
        g.session_end_reason = reason
    return user


@bp.before_app_request
def enforce_session():
    """Send a browser whose server-side session has ended back to sign in, saying why."""
    if current_user.is_authenticated:
        return None
    reason = g.pop("session_end_reason", None)
    if reason is None:
        return None
    logout_user()
    session.pop(SID, None)
    if request.endpoint == "static" or request.endpoint == "auth.login":
        return None
    flash(ENDED_MESSAGES[reason])
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def client_ip() -> str:
    # Behind a proxy this is the client's address only when PROXY_HOPS is set (see README, "Production").
    return (request.remote_addr or "")[:64]


def _safe_next(target: str | None) -> str:
    # Only follow same-site paths, so a crafted link cannot bounce a user to another site after sign-in.
    # Control characters (a CRLF would split the Location header) and backslashes (which browsers
    # read as "/", so "/\\evil" is another site) are refused too.
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and target.isprintable() and "\\" not in target):
        return target
    return url_for("main.home")


def _throttled():
    return render_template("auth/throttled.html",
                           minutes=current_app.config["IP_WINDOW_SECONDS"] // 60), 429


def _finish_sign_in(user: User, how: str) -> None:
    """Start a server-side session for this browser (a fresh cookie, against session fixation)."""
    session.clear()
    token = sessions.start(user, client_ip(), request.user_agent.string)
    service.signed_in(user, client_ip(), how)
    login_user(sessions.SignedInUser.of(user))  # current_user is the same kind on every request
    session[SID] = token
    session.permanent = True


def _pending_user() -> User | None:
    """The user whose password was right a moment ago, if that was recent and nothing changed since."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    user = db.session.get(User, pending.get("uid", 0))
    age = utcnow().timestamp() - pending.get("at", 0)
    if (user is None or not user.active or service.is_locked(user) or pending.get("gen") != user.session_generation
            or not 0 <= age <= current_app.config["SIGN_IN_PENDING_SECONDS"]):
        session.pop(PENDING, None)
        return None
    return user


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        if service.address_throttled(client_ip(), "sign-in"):
            return _throttled()
        user = service.authenticate(form.email.data, form.password.data, client_ip())
        if user is None:
            db.session.commit()  # the failure, its audit and any lockout are kept
            form.email.errors.append(BAD_SIGN_IN)
        elif user.has_second_factor or user.needs_second_factor:
            session.clear()
            session[PENDING] = {"uid": user.id, "gen": user.session_generation, "at": utcnow().timestamp(),
                                "next": _safe_next(request.args.get("next"))}
            db.session.commit()
            return redirect(url_for("auth.second_factor" if user.has_second_factor else "auth.enrol_on_sign_in"))
        else:
            _finish_sign_in(user, "password")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def second_factor():
    user = _pending_user()
    if user is None or not user.has_second_factor:
        flash("Sign in again to continue.")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if service.address_throttled(client_ip(), "code"):
            return _throttled()
        how = two_factor.verify(user, form.code.data)
        if how is None:
            service.record_failure(user, client_ip(), "code", "wrong security code")
            db.session.commit()
            form.code.errors.append("Enter a correct security code")
        else:
            target = session[PENDING].get("next")
            _finish_sign_in(user, f"password and {how}")
            db.session.commit()
            if how == "recovery code":
                flash(f"You signed in with a recovery code: you have {two_factor.recovery_codes_left(user)} "
                      "left. If you have lost your phone, set up your authenticator app again from Your account.")
            return redirect(_safe_next(target))
    return render_template("auth/code.html", form=form)


def _setup_page(user: User, form: EnrolForm, cancel_url: str | None):
    secret = session.get(SETUP)
    if not secret:
        secret = session[SETUP] = two_factor.new_secret()
    uri = two_factor.provisioning_uri(user, secret)
    return render_template("auth/two_factor_setup.html", form=form, qr=two_factor.qr_svg(uri),
                           secret=two_factor.grouped(secret), user=user, cancel_url=cancel_url)


@bp.route("/sign-in/set-up", methods=["GET", "POST"])
@public
def enrol_on_sign_in():
    user = _pending_user()
    if user is None or user.has_second_factor:
        flash("Sign in again to continue.")
        return redirect(url_for("auth.login"))
    form = EnrolForm()
    if form.validate_on_submit() and session.get(SETUP):
        if service.address_throttled(client_ip(), "code"):
            return _throttled()
        codes = two_factor.enrol(user, user, session[SETUP], form.code.data)
        if codes is None:
            form.code.errors.append("Enter the 6-digit code the app shows now")
        else:
            target = session[PENDING].get("next")
            _finish_sign_in(user, "password, then set up an authenticator app")
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next_url=_safe_next(target))
    return _setup_page(user, form, cancel_url=None)


@bp.route("/sign-out", methods=["GET"])
@signed_in
def logout_page():
    return render_template("auth/logout.html", form=LogoutForm())


@bp.route("/sign-out", methods=["POST"])
@signed_in
def logout():
    if LogoutForm().validate_on_submit():
        sessions.end(session.get(SID))
        db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ip = client_ip()
        if service.address_throttled(ip, "reset"):
            return _throttled()
        service.record_attempt(ip, "reset", False)
        user = service.find_user(form.email.data)
        if user is not None and user.active:
            service.record_reset_request(user, ip)
        db.session.commit()
        if user is not None and user.active:
            service.send_account_email(user, "invitation" if not user.has_password else "reset")
        # The same answer whether or not the address has an account, so the page cannot be used to find one.
        return render_template("auth/link_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/set-password/<any(invitation, reset):purpose>/<token>", methods=["GET", "POST"])
@public
def set_password(purpose: str, token: str):
    user = service.user_for_token(token, purpose)
    if user is None:
        return render_template("auth/link_expired.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(user, user, form.password.data, purpose)
        except ValueError as exc:
            form.password.errors.append(str(exc))
        else:
            sessions.end(session.get(SID))  # whoever was signed in on this browser is signed out
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your password is saved. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, purpose=purpose)


# --- your own account ---------------------------------------------------------------------

@bp.route("/account")
@signed_in
def account():
    return render_template("auth/account.html", codes_left=two_factor.recovery_codes_left(current_user),
                           sessions=sessions.active_for(current_user), form=ButtonForm())


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = current_user.record
        if not verify_password(me.password_hash, form.current.data):
            form.current.errors.append("Enter your current password correctly")
        else:
            try:
                service.set_password(current_user, me, form.password.data, "change-password")
            except ValueError as exc:
                form.password.errors.append(str(exc))
            else:
                # Every other browser is signed out; this one carries on in a new session (of the new
                # session generation, which is the row's, not the one read at the start of the request).
                session[SID] = sessions.start(me, client_ip(), request.user_agent.string)
                db.session.commit()
                flash("Your password is changed. Any other browsers you were signed in on are signed out.",
                      "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/sessions", methods=["GET", "POST"])
@signed_in
def my_sessions():
    form = ButtonForm()
    current_id = sessions.token_hash(session.get(SID, ""))
    if form.validate_on_submit():
        wanted = request.form.get("session_id", "")
        if wanted == "others":
            ended = sessions.end_others(current_user, session.get(SID))
            message = f"Ended {ended} other session{'' if ended == 1 else 's'}."
        elif wanted == current_id:
            return redirect(url_for("auth.logout_page"))
        elif sessions.end_one(current_user, wanted):
            message = "Ended that session."
        else:
            message = "That session had already ended."
        service.record_sessions_ended(current_user, current_user, message)
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("auth.my_sessions"))
    return render_template("auth/sessions.html", sessions=sessions.active_for(current_user), current_id=current_id,
                           form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@signed_in
def set_up_two_factor():
    form = EnrolForm()
    if form.validate_on_submit() and session.get(SETUP):
        codes = two_factor.enrol(current_user, current_user.record, session[SETUP], form.code.data)
        if codes is None:
            form.code.errors.append("Enter the 6-digit code the app shows now")
        else:
            session.pop(SETUP, None)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))
    return _setup_page(current_user, form, cancel_url=url_for("auth.account"))


@bp.route("/account/recovery-codes", methods=["POST"])
@signed_in
def new_recovery_codes():
    if not current_user.has_second_factor or not ButtonForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    codes = two_factor.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))


@bp.route("/account/two-factor/remove", methods=["POST"])
@roles(*SECOND_FACTOR_OPTIONAL)  # admins and coordinators must keep one: they can only replace it
def remove_two_factor():
    if ButtonForm().validate_on_submit() and current_user.has_second_factor:
        two_factor.remove(current_user, current_user.record)
        db.session.commit()
        flash("Two-factor authentication is turned off for your account.", "success")
    return redirect(url_for("auth.account"))
