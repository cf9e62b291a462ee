"""Views of spreadsheet returns: thin — load, check, validate, call the service, commit once."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth import service as auth_service
from app.auth.models import Agency
from app.cycle import notices as cycle_notices
from app.extensions import db
from app.forms import positive_int
from app.permissions import CYCLE_RUNNERS, OWN_AGENCY, RETURN_WRITERS, can_handle_returns_for, require, roles
from app.returns_io import service
from app.returns_io.forms import ConfirmForm, PickForm, ValuesUploadForm, WorkbookUploadForm
from app.returns_io.upload_file import SIZE_LIMIT
from app.strategy import service as calendar
from app.web import get_or_404, quarter_or_404

bp = Blueprint("returns_io", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.errorhandler(413)
def too_big(_error):
    # The whole request is over MAX_CONTENT_LENGTH: refused before the form is read, so say why plainly.
    return render_template("returns_io/too_big.html", limit=SIZE_LIMIT // (1024 * 1024), back=request.path), 413


def _agency_and_quarter(agency_id: int, quarter_slug: str):
    agency = get_or_404(Agency, agency_id)
    quarter = quarter_or_404(quarter_slug)
    require(can_handle_returns_for(current_user, agency.id))
    return agency, quarter


def _upload_bytes(storage) -> bytes:
    return storage.stream.read(SIZE_LIMIT + 1)  # one byte more than the limit is enough to refuse it


@bp.route("/returns")
@roles(*RETURN_WRITERS)
def index():
    if not current_user.has_role(*CYCLE_RUNNERS):
        return redirect(url_for(".agency_returns", agency_id=current_user.agency_id,
                                quarter_slug=calendar.current_quarter().slug))
    form = PickForm(request.args)
    form.agency.choices = [SelectChoice(str(a.id), a.name) for a in auth_service.agencies() if a.active]
    form.quarter.choices = [SelectChoice(q.slug, q.label) for q in calendar.quarters()]
    agency_id = positive_int(form.agency.data)
    if agency_id and form.quarter.data in {q.slug for q in calendar.quarters()}:
        return redirect(url_for(".agency_returns", agency_id=agency_id, quarter_slug=form.quarter.data))
    if not form.quarter.data:
        form.quarter.data = calendar.current_quarter().slug
    return render_template("returns_io/index.html", form=form)


@bp.route("/returns/<int:agency_id>/<quarter_slug>", methods=["GET", "POST"])
@roles(*RETURN_WRITERS, scope=OWN_AGENCY)
def agency_returns(agency_id: int, quarter_slug: str):
    agency, quarter = _agency_and_quarter(agency_id, quarter_slug)
    form = WorkbookUploadForm()
    if form.validate_on_submit():
        outcome = service.preview_workbook(current_user, agency, quarter, _upload_bytes(form.file.data),
                                           form.file.data.filename, form.submitting)
        return render_template("returns_io/preview.html", outcome=outcome, agency=agency, quarter=quarter,
                               confirm=ConfirmForm(formdata=None, token=outcome.token),
                               confirm_url=url_for(".confirm_workbook", agency_id=agency.id, quarter_slug=quarter.slug),
                               back_url=url_for(".agency_returns", agency_id=agency.id, quarter_slug=quarter.slug))
    return render_template("returns_io/agency.html", form=form, agency=agency, quarter=quarter,
                           locked=calendar.is_locked(quarter))


@bp.route("/returns/<int:agency_id>/<quarter_slug>/workbook.xlsx")
@roles(*RETURN_WRITERS, scope=OWN_AGENCY)
def download_workbook(agency_id: int, quarter_slug: str):
    agency, quarter = _agency_and_quarter(agency_id, quarter_slug)
    body = service.workbook_for(agency, quarter)
    return body, 200, {"Content-Type": XLSX, "Content-Disposition":
                       f'attachment; filename="{service.workbook_filename(agency, quarter)}"'}


@bp.route("/returns/<int:agency_id>/<quarter_slug>/confirm", methods=["POST"])
@roles(*RETURN_WRITERS, scope=OWN_AGENCY)
def confirm_workbook(agency_id: int, quarter_slug: str):
    agency, quarter = _agency_and_quarter(agency_id, quarter_slug)
    back_url = url_for(".agency_returns", agency_id=agency.id, quarter_slug=quarter.slug)
    form = ConfirmForm()
    try:
        outcome = service.confirm_workbook(current_user, agency, quarter,
                                           form.token.data if form.validate_on_submit() else "")
        db.session.commit()
    except service.UploadRefused as refused:
        db.session.rollback()
        return render_template("returns_io/preview.html", outcome=refused.outcome, agency=agency, quarter=quarter,
                               confirm=None, confirm_url=None, back_url=back_url, refused=True)
    if outcome.submit:
        cycle_notices.after_submission(quarter)  # after the commit: tells the coordinators if all are in
    flash(f"{len(outcome.to_save)} rows from {outcome.filename} saved for {agency.name}, {quarter.label}", "success")
    return redirect(back_url)


@bp.route("/my-indicators/upload", methods=["GET", "POST"])
@roles(*RETURN_WRITERS)
def upload_values():
    form = ValuesUploadForm()
    if form.validate_on_submit():
        outcome = service.preview_values(current_user, current_user.agency, _upload_bytes(form.file.data),
                                         form.file.data.filename)
        return render_template("returns_io/preview.html", outcome=outcome, agency=current_user.agency, quarter=None,
                               confirm=ConfirmForm(formdata=None, token=outcome.token),
                               confirm_url=url_for(".confirm_values"), back_url=url_for(".upload_values"))
    return render_template("returns_io/values.html", form=form)


@bp.route("/my-indicators/upload/confirm", methods=["POST"])
@roles(*RETURN_WRITERS)
def confirm_values():
    form = ConfirmForm()
    try:
        outcome = service.confirm_values(current_user, current_user.agency,
                                         form.token.data if form.validate_on_submit() else "")
        db.session.commit()
    except service.UploadRefused as refused:
        db.session.rollback()
        return render_template("returns_io/preview.html", outcome=refused.outcome, agency=current_user.agency,
                               quarter=None, confirm=None, confirm_url=None, back_url=url_for(".upload_values"),
                               refused=True)
    flash(f"{len(outcome.to_save)} values from {outcome.filename} saved", "success")
    return redirect(url_for("kpis.my_indicators"))


