"""Small helpers shared by the views: fragment-or-page rendering and 404 loading."""

from flask import abort, make_response, render_template
from flask_htmx import HTMX

from app.extensions import db, htmx


def wants_fragment(hx: HTMX = htmx) -> bool:
    """True for an htmx request that swaps part of a page.

    Boosted links and history restores also carry HX-Request but need the
    whole page, so they get it.
    """
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` for an htmx swap and `page` otherwise; the response varies on HX-Request."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def get_or_404(model, ident):
    """The row with this primary key, or a 404 from one place."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj
