"""Views of the annual refresh: thin — load, check, validate, call the service, commit once."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.actions import service as actions_service
from app.actions.models import Action
from app.auth import service as auth_service
from app.errors import DuplicateError
from app.extensions import db
from app.permissions import STAFF, can_manage_plan, require, roles, signed_in
from app.refresh import carry_forward, editing, service
from app.refresh.forms import ActionForm, NewActionForm, RetireForm, refresh_form_for
from app.reports import year_end as year_end_service
from app.strategy.quarters import financial_year_label, financial_year_slug, parse_financial_year
from app.web import commit_write, get_or_404, render_page_or_fragment, wants_fragment

bp = Blueprint("refresh", __name__)



def _year_or_404(fy: str) -> int:
    try:
        year = parse_financial_year(fy)
    except ValueError:
        abort(404)
    if year not in service.strategy_years():
        abort(404)
    return year


@bp.route("/plan")
@roles(*STAFF)
def index():
    years = service.strategy_years()
    done = service.refreshes()
    return render_template("refresh/index.html", years=years, refreshes=done,
                           refusals={y: service.refusal(y) for y in years[1:]},
                           writable=editing.writable_year(), first_year=years[0])


@bp.route("/plan/<fy>")
@roles(*STAFF)
def year_plan(fy: str):
    year = _year_or_404(fy)
    return render_template("refresh/year.html", year=year, label=financial_year_label(year),
                           actions=editing.plan_actions(year), writable=editing.writable_year() == year,
                           refresh=service.refresh_for(year))


@bp.route("/plan/refresh/<fy>", methods=["GET", "POST"])
@roles(*STAFF)
def run(fy: str):
    year = _year_or_404(fy)
    require(can_manage_plan(current_user))
    preview = service.preview(year)
    form = refresh_form_for(preview.targets, preview.past_due, preview.year_start)
    if request.method == "POST" and preview.refusal is None and form.validate_on_submit():
        # All or nothing: a refusal or any error rolls back, so no half-refreshed plan survives.
        outcome = commit_write(lambda: service.run_refresh(current_user, year, targets=_target_choices(form),
                                                           timescales=form.timescales),
                               service.RefreshRefusedError, conflicts=False)
        if not outcome.saved:
            preview.refusal = str(outcome.refusal)
        else:
            flash(f"The plan for {preview.label} has been refreshed: "
                  f"{len(preview.of(carry_forward.Outcome.CARRIED_FORWARD))} actions carried forward, "
                  f"{len(preview.of(carry_forward.Outcome.CLOSED))} closed", "success")
            return redirect(url_for("refresh.year_plan", fy=fy))
    return render_template("refresh/refresh.html", preview=preview, form=form, fy=fy, Outcome=carry_forward.Outcome,
                           done=service.refresh_for(year))


def _writable_action_or_403(action_id: int) -> Action:
    """An action of the plan in force, for a user who may manage the plan; another year's is read-only."""
    action = get_or_404(Action, action_id)
    require(can_manage_plan(current_user))
    if not editing.is_writable(action):
        abort(403)
    return action


def _target_choices(form) -> dict:
    """The coordinator's choice of target for each indicator carried into the new year, by indicator id."""
    choices = {}
    for row, names in form.target_fields:
        if row.is_band:
            choices[row.indicator.id] = service.TargetChoice(lower=form.parsed[names[0]], upper=form.parsed[names[1]])
        else:
            choices[row.indicator.id] = service.TargetChoice(value=form.parsed[names[0]])
    return choices


def _lead_choices():
    return [SelectChoice(a.id, a.name) for a in auth_service.agencies() if a.active]


def _action_form(**kwargs) -> ActionForm:
    form = ActionForm(**kwargs)
    form.leads.choices = _lead_choices()
    return form


@bp.route("/plan/actions/<int:action_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit(action_id: int):
    action = _writable_action_or_403(action_id)
    form = _action_form()
    if request.method == "GET":
        form.fill(action)
        return _edit_page(action, form)
    if not form.validate_on_submit():
        return _edit_page(action, form)
    outcome = commit_write(lambda: editing.edit_action(current_user, action, version=form.version.data,
                                                       **form.for_service()), ValueError)
    if outcome.saved:
        return _edit_saved(action)
    if outcome.refusal is not None:
        form.show_refusal(outcome.refusal)
    else:
        db.session.refresh(outcome.conflict)
    return _edit_page(action, form, conflict=outcome.conflict)


def _edit_page(action: Action, form: ActionForm, conflict=None, saved_message: str | None = None):
    return render_page_or_fragment("refresh/edit.html", "refresh/_action_form.html", action=action, form=form,
                                   conflict=conflict, saved_message=saved_message,
                                   fy=financial_year_slug(action.plan_year))


def _edit_saved(action: Action):
    """After a save: back to the year's plan, or (an htmx swap) the form afresh saying it was saved."""
    message = f"{action.code} saved"
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("refresh.year_plan", fy=financial_year_slug(action.plan_year)))
    form = _action_form(formdata=None)
    form.fill(action)
    return _edit_page(action, form, saved_message=message)


@bp.route("/plan/<fy>/actions/new", methods=["GET", "POST"])
@roles(*STAFF)
def new_action(fy: str):
    year = _year_or_404(fy)
    require(can_manage_plan(current_user))
    if editing.writable_year() != year:
        abort(403)
    objectives = actions_service.objectives()
    form = NewActionForm()
    form.leads.choices = _lead_choices()
    form.objective.choices = [SelectChoice("", "Choose an objective")] + [
        SelectChoice(o.code, f"{o.code}. {o.title}") for o in objectives]
    refused = None
    if form.validate_on_submit():
        objective = next(o for o in objectives if o.code == form.objective.data)
        outcome = commit_write(lambda: editing.add_action(current_user, year, objective=objective,
                                                          code=form.code.data, **form.for_service()),
                               DuplicateError, service.RefreshRefusedError, conflicts=False)
        if outcome.saved:
            flash(f"{outcome.result.code} added to the {financial_year_label(year)} plan", "success")
            return redirect(url_for("refresh.year_plan", fy=fy))
        if isinstance(outcome.refusal, DuplicateError):
            form.code.errors.append(str(outcome.refusal))
        else:
            refused = str(outcome.refusal)
    return render_template("refresh/new.html", form=form, fy=fy, label=financial_year_label(year),
                           refused=refused)


@bp.route("/plan/actions/<int:action_id>/retire", methods=["GET", "POST"])
@roles(*STAFF)
def retire(action_id: int):
    action = _writable_action_or_403(action_id)
    form = RetireForm()
    conflict = None
    refused = None
    if request.method == "GET":
        form.version.data = action.version
    elif form.validate_on_submit():
        outcome = commit_write(lambda: editing.retire_action(current_user, action, version=form.version.data,
                                                             reason=form.reason.data), service.RefreshRefusedError)
        if outcome.refusal is not None:
            refused = str(outcome.refusal)
        elif not outcome.saved:
            conflict = outcome.conflict
            db.session.refresh(conflict)
        else:
            flash(f"{action.code} retired from the {financial_year_label(action.plan_year)} plan", "success")
            return redirect(url_for("refresh.year_plan", fy=financial_year_slug(action.plan_year)))
    return render_template("refresh/retire.html", action=action, form=form, conflict=conflict, refused=refused,
                           fy=financial_year_slug(action.plan_year))


@bp.route("/plan/year-end/<fy>")
@signed_in
def year_end(fy: str):
    year = _year_or_404(fy)
    summary = year_end_service.year_end(year)
    return render_template("refresh/year_end.html", summary=summary, years=service.strategy_years())
