"""Views of the indicators feature: thin — load, check, validate, call the service, commit once."""

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.actions import service as actions_service
from app.auth import service as auth_service
from app.comparators import service as comparators_service
from app.cycle import notices as cycle_notices
from app.kpis import charts, service
from app.kpis.forms import CatalogueFilterForm, TargetForm, ValueForm
from app.permissions import (
    OWN_AGENCY,
    RETURN_WRITERS,
    STAFF,
    can_set_targets,
    can_write_indicator_value,
    require,
    roles,
    signed_in,
)
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, QuarterError, financial_year_label
from app.strategy.service import QuarterLockedError
from app.web import (
    commit_write,
    last_page_or_404,
    page_or_404,
    pagination_links,
    quarter_or_404,
    render_page_or_fragment,
    wants_fragment,
)

bp = Blueprint("kpis", __name__)

# The chart is an <img>: it can run no script, and matplotlib's SVG carries an inline <style>.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _indicator_or_404(code: str):
    indicator = service.indicator_by_code(code)
    if indicator is None:
        abort(404)
    return indicator


def _quarter_arg() -> Quarter:
    slug = request.args.get("quarter")
    return quarter_or_404(slug) if slug else calendar.current_quarter()


def _year_or_404(fy: str) -> int:
    """The financial year named like "2019-20", inside the strategy."""
    try:
        quarter = calendar.parse_strategy_quarter(f"{fy}-Q1")
    except QuarterError:
        abort(404)
    return quarter.year


# --- reading ---------------------------------------------------------------------------------


@bp.route("/indicators")
@signed_in
def catalogue():
    quarter = _quarter_arg()
    form = CatalogueFilterForm(request.args)
    form.offer(actions_service.objectives(), [a for a in auth_service.agencies() if a.active])
    filters = form.chosen()
    page = page_or_404()
    rows, total = service.catalogue_page(quarter, page, **filters, per_page=service.CATALOGUE_PAGE_SIZE)
    last = last_page_or_404(page, total, service.CATALOGUE_PAGE_SIZE)
    return render_template(
        "kpis/catalogue.html",
        rows=rows,
        total=total,
        page_number=page,
        last=last,
        pagination=pagination_links(page, last, "Pages of the indicators"),
        form=form,
        quarter=quarter,
        quarters=calendar.quarters(),
        filtered=any(filters.values()),
    )


@bp.route("/indicators/<code>")
@signed_in
def indicator_page(code: str):
    indicator = _indicator_or_404(code)
    current = calendar.current_quarter()
    found = service.history(indicator, current)
    assessed = found.series
    return render_template(
        "kpis/indicator.html",
        indicator=indicator,
        assessed=assessed,
        years=found.years,
        values=service.values_for(indicator),
        history=service.value_history(indicator),
        description=charts.describe(indicator.name, indicator.unit, indicator.polarity, assessed),
        quarter_rows=[(Quarter(a.year, a.quarter), a) for a in assessed],
        current=current,
        target_row=service.target_row_for(indicator, current.year),
        current_target=service.target_for(indicator, current),
        can_enter=can_write_indicator_value(current_user, indicator),
        can_set_targets=can_set_targets(current_user),
        comparisons=comparators_service.comparisons(indicator),
    )


@bp.route("/indicators/<code>/chart.svg")
@signed_in
def chart(code: str):
    indicator = _indicator_or_404(code)
    response = make_response(charts.chart_svg(indicator.name, indicator.unit, service.series(indicator)))
    response.mimetype = "image/svg+xml"
    g.csp_override = CHART_CSP
    return response


# --- entering values -------------------------------------------------------------------------


@bp.route("/my-indicators")
@roles(*RETURN_WRITERS)
def my_indicators():
    quarter = _quarter_arg()
    rows = service.entry_rows(current_user.agency_id, quarter)
    forms = {row.indicator.id: _filled_form(row) for row in rows}
    return render_template(
        "kpis/my_indicators.html",
        quarter=quarter,
        rows=rows,
        forms=forms,
        quarters=calendar.quarters(),
        locked=calendar.is_locked(quarter),
    )


def _filled_form(row, form=None) -> ValueForm:
    form = form or ValueForm(formdata=None, prefix=row.indicator.code, unit=row.indicator.unit)
    value = row.value_row
    form.version.data = value.version if value else 0
    if value:
        if value.numerator is not None:
            form.numerator.data = str(value.numerator)
            form.denominator.data = str(value.denominator)
        else:
            form.value.data = f"{value.value:g}" if value.value is not None else ""
        form.note.data = value.note
        form.provisional.data = value.provisional
    return form


@bp.route("/indicators/<code>/values/<quarter_slug>", methods=["GET", "POST"])
@roles(*RETURN_WRITERS, scope=OWN_AGENCY)
def enter_value(code: str, quarter_slug: str):
    indicator = _indicator_or_404(code)
    quarter = quarter_or_404(quarter_slug)
    if not indicator.takes_value_in(quarter):
        abort(404)
    require(can_write_indicator_value(current_user, indicator))
    if request.method == "GET":
        return _value_page(indicator, quarter, _filled_form(service.entry_row(indicator, quarter)))
    form = ValueForm(prefix=indicator.code, unit=indicator.unit)
    if not form.validate_on_submit():
        return _value_page(indicator, quarter, form)
    outcome = commit_write(lambda: service.save_value(current_user, indicator, quarter, **form.for_service()),
                           QuarterLockedError)
    if not outcome.saved:
        # Keep the typed figure on screen (the form still holds it) beside the conflict or the lock.
        return _value_page(indicator, quarter, form, conflict=outcome.conflict,
                           locked_error=str(outcome.refusal) if outcome.refusal else None)
    cycle_notices.after_submission(quarter)  # after the commit: tells the coordinators if all are in
    saved_message = f"{indicator.code} value for {quarter.label} saved"
    if not wants_fragment():
        flash(saved_message, "success")
        return redirect(url_for("kpis.my_indicators", quarter=quarter.slug))
    return _value_page(indicator, quarter, _filled_form(service.entry_row(indicator, quarter)),
                       saved_message=saved_message)


def _value_page(indicator, quarter: Quarter, form: ValueForm, conflict=None, saved_message: str | None = None,
                locked_error: str | None = None):
    return render_page_or_fragment(
        "kpis/value.html",
        "kpis/_value_row.html",
        row=service.entry_row(indicator, quarter),
        form=form,
        quarter=quarter,
        conflict=conflict,
        saved_message=saved_message,
        locked=locked_error is not None or calendar.is_locked(quarter),
        locked_error=locked_error,
    )


# --- targets ---------------------------------------------------------------------------------


@bp.route("/indicators/<code>/targets/<fy>", methods=["GET", "POST"])
@roles(*STAFF)
def targets(code: str, fy: str):
    indicator = _indicator_or_404(code)
    year = _year_or_404(fy)
    require(can_set_targets(current_user))
    rows = service.target_rows(indicator)
    in_force = service.target_row_for(indicator, year)
    form = TargetForm(unit=indicator.unit, polarity=indicator.polarity)
    conflict = None
    if request.method == "GET":
        own_rows = [r for r in rows if r.year == year]
        form.fill(in_force, expected_latest_id=own_rows[-1].id if own_rows else 0)
    elif form.validate_on_submit():
        outcome = commit_write(lambda: service.set_target(current_user, indicator, year, **form.for_service()))
        if outcome.saved:
            flash(f"{financial_year_label(year)} target for {indicator.code} saved", "success")
            return redirect(url_for("kpis.targets", code=indicator.code, fy=fy))
        conflict = outcome.conflict
        form.expect_latest(conflict)
    return render_template("kpis/targets.html", indicator=indicator, year=year, fy=fy, form=form,
                           rows=list(reversed(rows)), in_force=in_force, conflict=conflict,
                           fy_label=financial_year_label(year),
                           years=sorted({q.year for q in calendar.quarters()}))
