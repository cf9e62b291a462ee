"""The coordinator's comparator import: upload, preview, confirm."""

from base64 import b64decode, b64encode

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from app.comparators import service
from app.comparators.forms import ConfirmForm, UploadForm
from app.database import utcnow
from app.extensions import db
from app.permissions import COMPARISON_IMPORTERS, roles

bp = Blueprint("comparators", __name__, url_prefix="/indicators/comparators")


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _unbase64(content: str) -> bytes:
    try:
        return b64decode(content, validate=True)
    except (ValueError, TypeError):
        return b"\xff"  # not UTF-8: refused as a damaged file


@bp.route("/import", methods=["GET", "POST"])
@roles(*COMPARISON_IMPORTERS)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("comparators/upload.html", form=form)
    text = _decoded(form.file.data.read())
    if text is None or "\x00" in text:
        form.file.errors.append("The file must be a CSV saved as UTF-8 text")
        return render_template("comparators/upload.html", form=form)
    filename = (form.file.data.filename or "comparators.csv")[:200]
    checked = service.preview(filename, text, utcnow().date())
    confirm = ConfirmForm(data={"content": b64encode(text.encode()).decode(), "filename": filename})
    return render_template("comparators/preview.html", preview=checked, form=confirm)


@bp.route("/import/confirm", methods=["POST"])
@roles(*COMPARISON_IMPORTERS)
def confirm():
    form = ConfirmForm()
    text = _decoded(_unbase64(form.content.data)) if form.validate_on_submit() else None
    if text is None:
        flash("The checked file did not come back whole: upload it again", "error")
        return redirect(url_for("comparators.upload"))
    checked = service.preview(form.filename.data or "comparators.csv", text, utcnow().date())
    if not checked.ok:  # the data changed since the preview, or the form was altered: show it again
        return render_template("comparators/preview.html", preview=checked, form=form), 409
    changed = service.apply(current_user, checked)
    db.session.commit()
    flash(f"Imported {changed} comparator figure{'s' if changed != 1 else ''} from {checked.filename}", "success")
    return redirect(url_for("comparators.upload"))
