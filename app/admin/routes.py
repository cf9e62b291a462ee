"""The admin's pages: users, agencies and the current quarter."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.admin.forms import AgencyForm, ConfirmForm, CurrentQuarterForm, UserForm
from app.auth import second_factor as two_factor
from app.auth import service, sessions
from app.auth.models import Agency, User
from app.database import utcnow
from app.errors import ConflictError, DuplicateError
from app.extensions import db
from app.permissions import ADMINS, STAFF, roles
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from app.web import get_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _agency_choices(form: UserForm) -> None:
    form.agency.choices = [SelectChoice("", "Select an agency")] + [
        SelectChoice(str(a.id), a.name) for a in service.agencies() if a.active]


@bp.route("/users")
@roles(*ADMINS)
def users():
    return render_template("admin/users.html", users=service.users(), now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@roles(*ADMINS)
def new_user():
    form = UserForm()
    _agency_choices(form)
    if form.validate_on_submit():
        try:
            user = service.create_user(current_user, email=form.email.data, name=form.name.data,
                                       role=form.role.data, agency=get_or_404(Agency, int(form.agency.data)))
        except DuplicateError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            # The person chooses their own password from the emailed link: the admin never sees one.
            _sent(user, "invitation")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(*ADMINS)
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user)  # on POST the submitted values win over the stored ones
    _agency_choices(form)
    if not form.is_submitted():
        form.agency.data = str(user.agency_id)
    form.email.data = user.email  # the email identifies the account and is not edited here
    if form.validate_on_submit():
        try:
            service.update_user(current_user, user, version=form.version.data, name=form.name.data,
                                role=form.role.data, agency=get_or_404(Agency, int(form.agency.data)),
                                active=form.active.data)
        except ConflictError:
            db.session.rollback()
            flash("Someone else changed this account while you were editing. Check the details below and "
                  "make your change again.")
            return redirect(url_for("admin.edit_user", user_id=user_id))
        db.session.commit()
        flash(f"Saved {user.email}", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset_form=ConfirmForm(),
                           locked=service.is_locked(user), sessions=sessions.active_for(user), current_id=None)


def _sent(user: User, kind: str) -> None:
    what = "an invitation" if kind == "invitation" else "a password reset link"
    if service.send_account_email(user, kind):
        flash(f"Sent {what} to {user.email}.", "success")
    else:
        flash(f"Could not send {what} to {user.email}: the mail server refused it. Try again later.")


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles(*ADMINS)
def reset_password(user_id: int):
    user = get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        kind = "reset" if user.has_password else "invitation"
        service.record_link_sent(current_user, user, kind)
        db.session.commit()
        _sent(user, kind)
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles(*ADMINS)
def unlock(user_id: int):
    user = get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        service.unlock(current_user, user)
        db.session.commit()
        flash(f"Unlocked {user.email}: they can sign in again now.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/remove-second-factor", methods=["POST"])
@roles(*ADMINS)
def remove_second_factor(user_id: int):
    user = get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        two_factor.remove(current_user, user)
        service.end_all_sessions(user)
        db.session.commit()
        flash(f"Removed the second factor of {user.email}. "
              + ("They will set up a new authenticator app when they next sign in." if user.needs_second_factor
                 else "They sign in with their password alone until they set it up again."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/users/<int:user_id>/sessions", methods=["POST"])
@roles(*ADMINS)
def end_sessions(user_id: int):
    user = get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        wanted = request.form.get("session_id", "")
        if wanted == "all":
            ended = service.end_all_sessions(user)
            message = f"Ended {ended} session{'' if ended == 1 else 's'}"
        else:
            message = "Ended 1 session" if sessions.end_one(user, wanted) else "That session had already ended"
        service.record_sessions_ended(current_user, user, message)
        db.session.commit()
        flash(f"{message} of {user.email}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/agencies")
@roles(*ADMINS)
def agencies():
    return render_template("admin/agencies.html", agencies=service.agencies())


@bp.route("/agencies/new", methods=["GET", "POST"])
@roles(*ADMINS)
def new_agency():
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            service.create_agency(current_user, name=form.name.data, short_name=form.short_name.data)
        except DuplicateError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Added {form.name.data}", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@roles(*ADMINS)
def edit_agency(agency_id: int):
    agency = get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    if form.validate_on_submit():
        try:
            service.update_agency(current_user, agency, version=form.version.data, name=form.name.data,
                                  short_name=form.short_name.data, active=form.active.data)
        except DuplicateError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        except ConflictError:
            db.session.rollback()
            flash("Someone else changed this agency while you were editing. Check the details below and "
                  "make your change again.")
            return redirect(url_for("admin.edit_agency", agency_id=agency_id))
        else:
            db.session.commit()
            flash(f"Saved {agency.name}", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)


@bp.route("/settings", methods=["GET", "POST"])
@roles(*STAFF)
def settings():
    form = CurrentQuarterForm()
    form.quarter.choices = [SelectChoice(q.slug, q.label) for q in calendar.quarters()]
    if not form.is_submitted():
        form.quarter.data = calendar.current_quarter().slug
    if form.validate_on_submit():
        quarter = Quarter.parse(form.quarter.data)
        calendar.set_current_quarter(current_user, quarter)
        db.session.commit()
        flash(f"Leads are now asked to update {quarter.label}", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
