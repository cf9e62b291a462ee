"""Views of the indicators feature: thin — load, check, validate, call the service, commit once."""

import sys

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.actions import service as actions_service
from app.audit import paging
from app.auth import service as auth_service
from app.comparators import service as comparators_service
from app.cycle import service as cycle_service
from app.errors import ConflictError, QuarterLockedError
from app.extensions import db
from app.kpis import charts, service
from app.kpis.forms import CatalogueFilterForm, TargetForm, ValueForm
from app.kpis.scoring import Rag
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
from app.quarters import Quarter, QuarterError, financial_year_label
from app.web import pagination_links, positive_int, quarter_or_404, render_page_or_fragment, wants_fragment

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
    return quarter_or_404(slug) if slug else actions_service.current_quarter()


def _year_or_404(fy: str) -> int:
    """The financial year named like "2019-20", inside the strategy."""
    try:
        quarter = actions_service.parse_strategy_quarter(f"{fy}-Q1")
    except QuarterError:
        abort(404)
    return quarter.year


# --- reading ---------------------------------------------------------------------------------


@bp.route("/indicators")
@signed_in
def catalogue():
    quarter = _quarter_arg()
    form = CatalogueFilterForm(request.args)
    objectives = actions_service.objectives()
    agencies = [a for a in auth_service.agencies() if a.active]
    form.objective.choices = [SelectChoice("", "All objectives")] + [
        SelectChoice(o.code, f"{o.code}. {o.title}") for o in objectives
    ]
    form.agency.choices = [SelectChoice("", "All owner agencies")] + [
        SelectChoice(str(a.id), a.name) for a in agencies
    ]
    form.rag.choices = [SelectChoice("", "All ratings")] + [SelectChoice(r.value, r.label) for r in Rag]
    objective = form.objective.data if form.objective.data in {o.code for o in objectives} else None
    agency_id = positive_int(form.agency.data)  # bounded: an id past 64 bits is no agency
    rag = form.rag.data if form.rag.data in {r.value for r in Rag} else None
    page = paging.parse_page(request.args.get("page"), sys.maxsize)  # its range is checked once counted
    if page is None:
        abort(404)
    rows, total = service.catalogue_page(quarter, page, objective=objective, agency_id=agency_id, rag=rag,
                                         per_page=service.CATALOGUE_PAGE_SIZE)
    last = paging.last_page(total, service.CATALOGUE_PAGE_SIZE)
    if page > last:
        abort(404)
    return render_template(
        "kpis/catalogue.html",
        rows=rows,
        total=total,
        page_number=page,
        last=last,
        pagination=pagination_links(page, last, "Pages of the indicators"),
        form=form,
        quarter=quarter,
        quarters=actions_service.quarters(),
        filtered=bool(objective or agency_id or rag),
    )


@bp.route("/indicators/<code>")
@signed_in
def indicator_page(code: str):
    indicator = _indicator_or_404(code)
    current = actions_service.current_quarter()
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
        quarters=actions_service.quarters(),
        locked=cycle_service.is_locked(quarter),
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

    form = ValueForm(prefix=indicator.code, unit=indicator.unit)
    conflict = None
    saved_message = None
    locked_error = None
    if request.method == "GET":
        form = _filled_form(service.entry_row(indicator, quarter))
    elif form.validate_on_submit():
        try:
            service.save_value(
                current_user,
                indicator,
                quarter,
                version=form.version.data,
                value=form.parsed_value,
                numerator=form.parsed_numerator,
                denominator=form.parsed_denominator,
                note=form.note.data or "",
                provisional=bool(form.provisional.data),
            )
            db.session.commit()
        except ConflictError as exc:
            db.session.rollback()
            conflict = exc.current
        except QuarterLockedError as exc:
            # Keep the typed figure on screen (the form still holds it) beside the reason it was refused.
            db.session.rollback()
            locked_error = str(exc)
        else:
            saved_message = f"{indicator.code} value for {quarter.label} saved"
            if not wants_fragment():
                flash(saved_message, "success")
                return redirect(url_for("kpis.my_indicators", quarter=quarter.slug))
            form = _filled_form(service.entry_row(indicator, quarter))
    row = service.entry_row(indicator, quarter)
    return render_page_or_fragment(
        "kpis/value.html",
        "kpis/_value_row.html",
        row=row,
        form=form,
        quarter=quarter,
        conflict=conflict,
        saved_message=saved_message,
        locked=locked_error is not None or cycle_service.is_locked(quarter),
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
    own_rows = [r for r in rows if r.year == year]
    in_force = service.target_row_for(indicator, year)
    form = TargetForm(unit=indicator.unit, polarity=indicator.polarity)
    conflict = None
    if request.method == "GET":
        form.expected_latest_id.data = own_rows[-1].id if own_rows else 0
        if in_force is not None:
            form.basis.data = in_force.basis
            for name in ("value", "q1", "q2", "q3", "q4", "lower", "upper"):
                number = getattr(in_force, name)
                getattr(form, name).data = f"{number:g}" if number is not None else ""
            if in_force.tolerance is not None:
                form.tolerance.data = f"{in_force.tolerance * 100:g}"
    elif form.validate_on_submit():
        try:
            service.set_target(
                current_user,
                indicator,
                year,
                value=form.parsed["value"],
                profile=form.profile,
                basis=form.basis.data,
                lower=form.parsed["lower"],
                upper=form.parsed["upper"],
                tolerance=form.tolerance_fraction,
                note=form.note.data or "",
                expected_latest_id=form.expected_latest_id.data,
            )
            db.session.commit()
        except ConflictError as exc:
            db.session.rollback()
            conflict = exc.current
            form.expected_latest_id.raw_data = None
            form.expected_latest_id.data = conflict.id if conflict else 0
        else:
            flash(f"{financial_year_label(year)} target for {indicator.code} saved", "success")
            return redirect(url_for("kpis.targets", code=indicator.code, fy=fy))
    return render_template(
        "kpis/targets.html",
        indicator=indicator,
        year=year,
        fy=fy,
        form=form,
        rows=list(reversed(rows)),
        in_force=in_force,
        conflict=conflict,
        fy_label=financial_year_label(year),
        years=sorted({q.year for q in actions_service.quarters()}),
    )
