"""The user's own API tokens page (under "Your account"): create a token, shown once, and revoke tokens."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from app.api import tokens
from app.api.forms import TokenForm
from app.auth.forms import ButtonForm
from app.extensions import db
from app.permissions import signed_in

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


@bp.route("", methods=["GET", "POST"])
@signed_in
def index():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        row, created = tokens.create(current_user, form.name.data.strip(), form.days.data)
        db.session.commit()
        # The token is in this one response and nowhere else: only its hash is stored.
        form = TokenForm(formdata=None)
        return render_template("api/tokens.html", form=form, tokens=tokens.tokens_of(current_user),
                               created=created, created_row=row, revoke_form=ButtonForm())
    return render_template("api/tokens.html", form=form, tokens=tokens.tokens_of(current_user), created=None,
                           revoke_form=ButtonForm())


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int):
    form = ButtonForm()
    if form.validate_on_submit():
        row = tokens.revoke(current_user, token_id)
        db.session.commit()
        flash(f"Revoked the token \"{row.name}\": it no longer works." if row
              else "That token had already been revoked.", "success")
    return redirect(url_for("api_tokens.index"))
