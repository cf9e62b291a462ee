from flask import Blueprint, render_template, request

from app.audit import service
from app.audit.service import PAGE_SIZE
from app.permissions import STAFF, roles
from app.web import positive_int

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@roles(*STAFF)
def index():
    # Bounded: a page past 64 bits reached the database's OFFSET and failed with a server error.
    page = positive_int(request.args.get("page"), maximum=10**6) or 1
    entity = request.args.get("entity") or None
    events = service.events(entity=entity, page=page)
    return render_template("audit/index.html", events=events[:PAGE_SIZE], page=page,
                           has_next=len(events) > PAGE_SIZE, entity=entity)
