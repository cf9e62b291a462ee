"""Views of the audit trail: read, filter, page through and download it."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.audit import paging, service, wording
from app.audit.forms import FILTER_FIELDS, AuditFilterForm
from app.audit.service import PAGE_SIZE, AuditFilters
from app.auth import service as auth_service
from app.csv_export import csv_response
from app.permissions import STAFF, roles

bp = Blueprint("audit", __name__, url_prefix="/audit")

CSV_COLUMNS = ("When (UTC)", "Email", "Name", "Agency", "Action", "Object", "Object number", "Summary", "Changes")


def _filters() -> tuple[AuditFilterForm, AuditFilters]:
    """The filter form from the query string, and the filters it validly asks for (invalid ones are left out)."""
    form = AuditFilterForm(request.args)
    form.person.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(str(u.id), f"{u.name} ({u.email})") for u in service.people()]
    form.agency.choices = [SelectChoice("", "Any agency")] + [
        SelectChoice(str(a.id), a.name) for a in auth_service.agencies()]
    form.object.choices = [SelectChoice("", "Anything")] + [
        SelectChoice(e, wording.object_name(e)) for e in service.entities()]
    if any(request.args.get(name) for name in FILTER_FIELDS):
        form.validate()
    entity = form.object.data if form.object.data and not form.object.errors else None
    filters = AuditFilters(
        user_id=int(form.person.data) if form.person.data and not form.person.errors else None,
        agency_id=int(form.agency.data) if form.agency.data and not form.agency.errors else None,
        entity=entity,
        entity_id=form.object_id.data if entity and not form.object_id.errors else None,
        start=form.start.data if not form.start.errors else None,
        end=form.end.data if not form.end.errors else None,
    )
    return form, filters


def _query(**changes) -> str:
    """This page's query string with `changes` applied (None removes a parameter)."""
    args = request.args.copy()
    for key, value in changes.items():
        args.pop(key, None)
        if value is not None:
            args[key] = value
    pairs = [(k, v) for k, v in args.items(multi=True) if k != "page" or v]
    return "?" + urlencode(pairs) if pairs else ""


@bp.route("/")
@roles(*STAFF)
def index():
    form, filters = _filters()
    total = service.count_events(filters)
    last = paging.last_page(total, PAGE_SIZE)
    page = paging.parse_page(request.args.get("page"), last)
    if page is None:
        # A page that does not exist (abc, -1, 0, after the last) is not found, rather than quietly page 1.
        abort(404)
    return render_template(
        "audit/index.html", rows=service.events(current_user, filters, page=page), page=page, last=last, total=total,
        form=form, filters=filters, pagination=_pagination(page, last), changes=wording.changes,
        object_name=wording.object_name, csv_query=_query(page=None),
        filtered=filters != AuditFilters(), object_query=lambda e: _query(page=None, object=e.entity,
                                                                            object_id=str(e.entity_id)),
    )


def _pagination(page: int, last: int) -> dict:
    """GOV.UK pagination for the trail, newest first: "Newer" goes back a page, "Older" forward."""
    base = request.path
    pagination = {
        "items": [{"ellipsis": True} if n is None else
                  {"number": n, "href": base + _query(page=str(n)), "current": n == page}
                  for n in paging.page_items(page, last)],
        "landmarkLabel": "Pages of the audit trail",
    }
    if page > 1:
        pagination["previous"] = {"href": base + _query(page=str(page - 1)), "labelText": "Newer"}
    if page < last:
        pagination["next"] = {"href": base + _query(page=str(page + 1)), "labelText": "Older"}
    return pagination


@bp.route("/download.csv")
@roles(*STAFF)
def download():
    form, filters = _filters()
    if form.errors:
        # The page says what to fix; a file of the wrong events would be worse than none.
        return render_template("audit/index.html", rows=[], page=1, last=1, total=0, form=form, filters=filters,
                               pagination=None, changes=wording.changes, object_name=wording.object_name,
                               csv_query=_query(page=None), filtered=True, object_query=lambda e: "")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return csv_response(f"audit-trail-{stamp}.csv", CSV_COLUMNS, _csv_rows(current_user, filters))


def _csv_rows(viewer, filters: AuditFilters):
    """The matching events as CSV rows, one at a time, so a long trail streams rather than piles up."""
    for row in service.all_events(viewer, filters):
        e = row.event
        yield (e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), e.actor, row.name or "", row.agency or "",
               e.verb, wording.object_name(e.entity), e.entity_id, e.summary, wording.changes_text(row.old, row.new))
