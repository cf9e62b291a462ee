"""A locked quarter's outputs stay as they were published, whatever happens to the data afterwards.

When a quarter is locked, both audiences' report page (as HTML), Excel pack, indicator figures (JSON)
and headline chart data are built once and kept (`FrozenReport`), in the lock's own transaction. From
then on every output of that quarter is served from the copy, so:

* editing the plan (an action's title, leads, timescale or due date) does not change it;
* an indicator added after the lock is not in it;
* re-opening and correcting an EARLIER quarter does not change it: the board already has this pack,
  and the corrected figures appear in the re-locked earlier quarter and in later quarters' packs.

Re-opening the quarter itself drops the copy (its figures may change again), and locking it again keeps
a new one. A quarter locked before this existed is built from the live data, as it always was, until
`flask --app wsgi freeze-reports` keeps it.

The page is rendered here, with the same templates as the live page, because the page is an output
the board reads as much as the pack is. Rendering needs a request for `url_for`; a lock made outside one
(the demo's command) renders under the public address. Functions flush and never commit.
"""

from __future__ import annotations

import json

from flask import current_app, has_request_context, render_template
from sqlalchemy import delete, select

from app.cycle import service as cycle_service
from app.extensions import db
from app.kpis import charts
from app.kpis.scoring import NOT_COMPARABLE, Assessment, Rag, Target
from app.reports import service
from app.reports.models import FrozenReport
from app.strategy import service as calendar
from app.strategy.models import ReportingPeriod
from app.strategy.quarters import Quarter


def find(quarter: Quarter, audience: str) -> FrozenReport | None:
    """The copy kept when `quarter` was locked, for `audience`; None when not locked (or locked before)."""
    return db.session.scalar(
        select(FrozenReport).join(ReportingPeriod, FrozenReport.period_id == ReportingPeriod.id)
        .where(ReportingPeriod.year == quarter.year, ReportingPeriod.quarter == quarter.number,
               FrozenReport.audience == audience)
    )


def page_parts(data: service.Report) -> tuple[str, str]:
    """The report page's heading (with the lock status) and its body, as HTML, for the live or frozen page.

    Rendered by the app's own templates, which escape every value, so the page may include them as they are.
    """
    context = {"report": data, "quarter": data.quarter, "descriptions": service.chart_descriptions(data)}
    return (render_template("reports/_report_head.html", **context),
            render_template("reports/_report_body.html", **context))


def freeze(quarter: Quarter) -> None:
    """Keep both audiences' outputs of `quarter` as they stand now (it has just been locked)."""
    if not has_request_context():
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
            return freeze(quarter)
    drop(quarter)
    period = calendar.period_for(quarter)  # written by the lock, so it has its row
    for audience in service.AUDIENCES:
        data = service.report(quarter, audience)
        head, body = page_parts(data)
        db.session.add(FrozenReport(
            period_id=period.id, audience=audience, frozen_at=data.generated_at,
            page_head=head, page_body=body,
            figures=json.dumps(service.as_json(data)),
            charts=json.dumps({line.indicator.code: _chart_data(line) for line in data.headline_indicators}),
            pack=service.build(quarter, audience, data=data),
        ))
    db.session.flush()


def drop(quarter: Quarter) -> None:
    """Forget the kept outputs of `quarter` (it is re-opened: its figures may change)."""
    period = calendar.period_for(quarter)
    if period.id is not None:
        db.session.execute(delete(FrozenReport).where(FrozenReport.period_id == period.id))


def freeze_locked() -> list[Quarter]:
    """Keep the outputs of every locked quarter that has no copy yet (locked before copies were kept)."""
    kept = select(FrozenReport.period_id)
    periods = db.session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.locked_at.is_not(None), ReportingPeriod.id.not_in(kept))
        .order_by(ReportingPeriod.year, ReportingPeriod.quarter)
    ).all()
    quarters = [Quarter(p.year, p.quarter) for p in periods]
    for quarter in quarters:
        freeze(quarter)
    return quarters


# --- serving: every output of a quarter, from its kept copy when it has one --------------------------


def page(quarter: Quarter, audience: str) -> tuple[str, str]:
    """The report page's heading and body as HTML (see page_parts)."""
    kept = find(quarter, audience)
    return (kept.page_head, kept.page_body) if kept else page_parts(service.report(quarter, audience))


def pack(quarter: Quarter, audience: str, actor) -> tuple[bytes, tuple[int, int]]:
    """The Excel pack, with the (primary, secondary) numbers of values it suppresses; a partnership pack is audited."""
    kept = find(quarter, audience)
    if kept is None:
        data = service.report(quarter, audience)
        return service.build(quarter, audience, actor=actor, data=data), data.suppressed
    service.audit_export(actor, quarter, audience, "pack")
    suppressed = json.loads(kept.figures)["suppressed"]
    return kept.pack, (suppressed["primary"], suppressed["secondary"])


def figures(quarter: Quarter, audience: str) -> dict:
    """The indicator figures as the JSON output gives them (service.as_json)."""
    kept = find(quarter, audience)
    return json.loads(kept.figures) if kept else service.as_json(service.report(quarter, audience))


def chart_svg(quarter: Quarter, audience: str, code: str) -> bytes | None:
    """One indicator's chart image as the report shows it; None for a code the report has no chart for."""
    kept = find(quarter, audience)
    if kept is None:
        line = service.indicator_line(quarter, audience, code)
        return line and charts.cached_chart_svg(line.indicator.name, line.indicator.unit, line.chart)
    chart = json.loads(kept.charts).get(code.upper())
    if chart is None:
        return None
    return charts.cached_chart_svg(chart["name"], chart["unit"], [_point(p) for p in chart["points"]])


# What a chart draws of each quarter: its value and its target (a value or a band). The rating and
# directions are not drawn, so they are not kept.
def _chart_data(line: service.IndicatorLine) -> dict:
    return {
        "name": line.indicator.name,
        "unit": line.indicator.unit,
        "points": [
            [a.year, a.quarter, a.value, *((a.target.value, a.target.lower, a.target.upper) if a.target else ())]
            for a in line.chart
        ],
    }


def _point(point: list) -> Assessment:
    year, quarter, value, *target = point
    return Assessment(year=year, quarter=quarter, value=value,
                      target=Target(value=target[0], lower=target[1], upper=target[2]) if target else None,
                      rag=Rag.NO_RATING, short_term=NOT_COMPARABLE, long_term=NOT_COMPARABLE)


# The cycle announces locks and re-openings (it cannot import the reports, which read the cycle); each
# signal is sent with the quarter, which is what freeze and drop take.
cycle_service.quarter_locked.connect(freeze)
cycle_service.quarter_reopened.connect(drop)
