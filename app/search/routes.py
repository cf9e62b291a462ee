"""The search page."""

import sys

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.audit import paging
from app.permissions import signed_in
from app.search import service
from app.search.forms import SearchForm
from app.web import pagination_links

bp = Blueprint("search", __name__)


@bp.context_processor
def _labels() -> dict:
    return {"kind_labels": service.KIND_LABELS}


@bp.route("/search")
@signed_in
def index():
    form = SearchForm(request.args)
    if "q" not in request.args or not form.validate():
        return render_template("search/index.html", form=form, results=None, searched="q" in request.args)
    page = paging.parse_page(request.args.get("page"), sys.maxsize)
    kind = form.chosen_kind
    if page is None or (page > 1 and kind is None):
        abort(404)
    results = service.search(current_user, form.q.data, kind=kind, page=page)
    last = paging.last_page(results.listings[kind].total, service.PAGE_SIZE) if kind else 1
    if page > last:
        abort(404)
    pagination = pagination_links(page, last, "Pages of search results") if last > 1 else None
    return render_template("search/index.html", form=form, results=results, searched=True, kind=kind,
                           page=page, last=last, pagination=pagination, page_size=service.PAGE_SIZE)
