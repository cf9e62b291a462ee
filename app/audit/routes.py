from flask import Blueprint, render_template, request

from app.audit import service
from app.audit.service import PAGE_SIZE
from app.permissions import STAFF, roles

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@roles(*STAFF)
def index():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    entity = request.args.get("entity") or None
    events = service.events(entity=entity, page=page)
    return render_template("audit/index.html", events=events[:PAGE_SIZE], page=page,
                           has_next=len(events) > PAGE_SIZE, entity=entity)
