"""The public progress page (no sign-in) and the coordinator's publication switch."""

from base64 import b64encode
from hashlib import sha256

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.csv_export import csv_response
from app.errors import ConflictError
from app.extensions import db
from app.permissions import CYCLE_RUNNERS, public, roles
from app.public import service
from app.public.forms import PublicationForm
from app.reports import frozen
from app.reports import service as report_service
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from app.web import quarter_or_404

bp = Blueprint("public", __name__, url_prefix="/public")

# The page must be byte-for-byte the same for every visitor, so its ETag holds and caches can share it:
# no per-request script nonce. The one inline script (GOV.UK Frontend's template marks the body as
# JavaScript-enabled) is allowed by its hash instead; tests/integration/test_public.py checks the hash.
GOVUK_INLINE_SCRIPT = ("document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype "
                       "? ' govuk-frontend-supported' : '');")
PUBLIC_CSP = ("default-src 'self'; "
              f"script-src 'self' 'sha256-{b64encode(sha256(GOVUK_INLINE_SCRIPT.encode()).digest()).decode()}'; "
              "style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'")

# Published figures change only when the coordinator publishes or withdraws a quarter, so browsers and
# proxies may keep a page a few minutes and then revalidate it cheaply with its ETag.
MAX_AGE = 300


def _cacheable(response):
    g.csp_override = PUBLIC_CSP
    # Only an anonymous visitor's copy may sit in a shared cache: a signed-in visitor's response may
    # carry their refreshed session cookie, so it keeps app.security's no-store.
    if not request.cookies:
        g.public_cache = True  # app.security leaves this response's Cache-Control as set here
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


def _state(found) -> str:
    return "published" if found and found.published else "not published"


def _public_page(quarter_slug: str) -> service.PublicPage:
    """The quarter's public page (one look at which quarters are public), or the same 404 as below."""
    data = service.page(quarter_or_404(quarter_slug))
    if data is None:
        abort(404)
    return data


def _public_quarter(quarter_slug: str) -> Quarter:
    """The quarter, if the public may see it; the same 404 otherwise, so nothing about it leaks."""
    quarter = quarter_or_404(quarter_slug)
    if not service.is_public(quarter):
        abort(404)
    return quarter


@bp.route("/")
@public
def index():
    quarters = service.public_quarters()
    if not quarters:
        return _cacheable(make_response(render_template("public/nothing.html")))
    return quarter_page(quarters[0].slug)


@bp.route("/<quarter_slug>")
@public
def quarter_page(quarter_slug: str):
    data = _public_page(quarter_slug)
    return _cacheable(make_response(render_template("public/quarter.html", data=data, report=data.report)))


@bp.route("/<quarter_slug>/actions.csv")
@public
def actions_csv(quarter_slug: str):
    header, rows = service.action_rows(_public_page(quarter_slug))
    return csv_response(f"havering-vawg-actions-{quarter_slug}.csv", header, rows)


@bp.route("/<quarter_slug>/indicators.csv")
@public
def indicators_csv(quarter_slug: str):
    quarter = _public_quarter(quarter_slug)
    header, rows = report_service.figures_table(frozen.figures(quarter, report_service.PUBLISHED))
    return csv_response(f"havering-vawg-indicators-{quarter.slug}.csv", header, rows)


@bp.route("/<quarter_slug>/publication", methods=["GET", "POST"])
@roles(*CYCLE_RUNNERS)
def publication(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    found = service.publication_for(quarter)
    form = PublicationForm(data={"published": "yes" if found and found.published else "no",
                                 "summary": found.summary if found else "", "version": found.version if found else 0})
    locked = calendar.is_locked(quarter)
    if not form.validate_on_submit():
        return render_template("public/publication.html", form=form, quarter=quarter, locked=locked)
    try:
        service.set_publication(current_user, quarter, version=form.version.data, locked=locked,
                                published=form.published.data == "yes", summary=form.summary.data or "")
        db.session.commit()
    except (ConflictError, service.PublicationError) as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, service.PublicationError) else (
            "Someone else changed this quarter's publication while you were editing: it is now "
            f"{_state(service.publication_for(quarter))}. Check your choice and save again.")
        fresh = service.publication_for(quarter)
        form.version.data = fresh.version if fresh else 0
        return render_template("public/publication.html", form=form, quarter=quarter, locked=locked,
                               conflict=message), 409 if isinstance(exc, ConflictError) else 200
    flash(f"{quarter.label} is {_state(service.publication_for(quarter))} on the public progress page", "success")
    return redirect(url_for("public.publication", quarter_slug=quarter.slug))
