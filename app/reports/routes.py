"""Views of the HCSP quarterly report and the board's Excel pack: thin, the service gathers everything."""

import hashlib
import io

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from app import cache
from app.api.schemas import MAX_PER_PAGE
from app.csv_export import csv_response
from app.extensions import db
from app.kpis.routes import CHART_CSP
from app.permissions import can_export_partnership, signed_in
from app.reports import frozen, service
from app.reports.forms import ReportOptionsForm
from app.strategy import service as calendar
from app.web import quarter_or_404

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _audience(default: str, output: str = service.PAGE) -> str:
    """The audience this request asks for, by the one rule of every output: 400 or 403 when refused."""
    try:
        return service.audience_for(current_user, request.args.getlist("audience"), default=default, output=output)
    except service.AudienceError:
        abort(400)
    except service.AudienceForbiddenError:
        abort(403)


@bp.route("")
@signed_in
def index():
    quarter = request.args.get("quarter")
    if quarter:
        # The quarter picker is a GET form; it lands on the quarter's own address.
        target = quarter_or_404(quarter)
        return redirect(url_for("reports.report", quarter_slug=target.slug,
                                audience=_audience(service.PARTNERSHIP)))
    return redirect(url_for("reports.report", quarter_slug=calendar.current_quarter().slug))


@bp.route("/<quarter_slug>")
@signed_in
def report(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    audience = _audience(service.PARTNERSHIP)
    # Built once per data version for each quarter and audience, and kept for every worker (app/cache.py):
    # the parts hold nothing of the user (the options form and export links are added below).
    head, body = cache.get_or_build(("report-page", quarter.slug, audience),
                                    lambda: list(frozen.page(quarter, audience)))
    form = ReportOptionsForm(request.args, audience=audience)
    form.quarter.choices = [SelectChoice(q.slug, q.label) for q in calendar.quarters()]
    form.quarter.data = quarter.slug
    # The parts are HTML rendered by our own templates (escaped there): see frozen.page_parts.
    return render_template("reports/report.html", head=Markup(head), body=Markup(body),  # noqa: S704
                           quarter=quarter,
                           published=audience == service.PUBLISHED, form=form,
                           can_export_partnership=can_export_partnership(current_user))


@bp.route("/<quarter_slug>/pack.xlsx")
@signed_in
def pack(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    audience = _audience(service.PUBLISHED, "pack")
    content, _ = frozen.pack(quarter, audience, current_user)
    db.session.commit()  # the partnership export's audit event
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"hcsp-pack-{quarter.slug}-{audience}.xlsx")


@bp.route("/<quarter_slug>/indicators.json")
@signed_in
def indicators_json(quarter_slug: str):
    """The report's old figures endpoint, now part of the read API: a permanent redirect (308 keeps
    the method) to /api/v1/indicators for the same quarter and audience, all on one page. The API
    reads the signed-in session, so the reader gets what the page shows them, and it checks the
    audience and audits a partnership export there."""
    quarter = quarter_or_404(quarter_slug)
    return redirect(url_for("api.indicators", quarter=quarter.slug, audience=request.args.getlist("audience"),
                            per_page=MAX_PER_PAGE), 308)


@bp.route("/<quarter_slug>/indicators.csv")
@signed_in
def indicators_csv(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    audience = _audience(service.PUBLISHED, "csv")
    header, rows = service.figures_table(frozen.figures(quarter, audience))
    service.audit_export(current_user, quarter, audience, "csv")
    db.session.commit()  # the partnership export's audit event
    return csv_response(f"hcsp-indicators-{quarter.slug}-{audience}.csv", header, rows)


@bp.route("/<quarter_slug>/charts/<code>.svg")
@signed_in
def chart(quarter_slug: str, code: str):
    quarter = quarter_or_404(quarter_slug)
    audience = _audience(service.PARTNERSHIP)
    # Built once per data version (app/cache.py); b"" stands for "no such chart", kept like an image.
    image, _ = cache.get_or_build_bytes(("chart", quarter.slug, audience, code.upper()),
                                        lambda: frozen.chart_svg(quarter, audience, code) or b"")
    if not image:
        abort(404)
    response = make_response(image)
    response.mimetype = "image/svg+xml"
    # The tag is the image's own hash: a write that changes the chart changes it, and a write elsewhere
    # leaves a client's copy good (304 Not Modified, no body). Cache-Control stays no-store, as on every
    # page (app/security.py): the partnership's chart draws true values.
    response.set_etag(hashlib.sha256(image).hexdigest()[:32])
    g.csp_override = CHART_CSP
    return response.make_conditional(request)

