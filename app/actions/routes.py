"""Views of the actions feature: thin — load, check, validate, call the service, commit once."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app import cache
from app.actions import service
from app.actions.forms import DashboardFilterForm, update_form_for
from app.actions.models import Action
from app.audit import paging
from app.auth import service as auth_service
from app.auth.models import Agency
from app.csv_export import csv_response
from app.cycle import notices as cycle_notices
from app.kpis import service as kpi_service
from app.permissions import (
    OWN_AGENCY,
    RETURN_WRITERS,
    STAFF,
    can_see_return,
    can_write_action_update,
    require,
    roles,
    signed_in,
)
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from app.strategy.service import QuarterLockedError
from app.web import (
    commit_write,
    get_or_404,
    last_page_or_404,
    page_or_404,
    pagination_links,
    quarter_or_404,
    render_kept_page,
    render_page_or_fragment,
    wants_fragment,
)

bp = Blueprint("actions", __name__)


@bp.route("/my-actions")
@roles(*RETURN_WRITERS)
def my_actions():
    quarter = calendar.current_quarter()
    page = page_or_404()
    rows, total = service.my_actions_page(current_user.agency_id, quarter, page,
                                          per_page=service.MY_ACTIONS_PAGE_SIZE)
    last = last_page_or_404(page, total, service.MY_ACTIONS_PAGE_SIZE)
    return render_template("actions/my_actions.html", quarter=quarter, rows=rows, total=total,
                           page_number=page, last=last,
                           pagination=pagination_links(page, last, "Pages of your actions"))


@bp.route("/actions/<int:action_id>/updates/<int:agency_id>/<quarter_slug>", methods=["GET", "POST"])
@roles(*RETURN_WRITERS, scope=OWN_AGENCY)
def edit_update(action_id: int, agency_id: int, quarter_slug: str):
    action = get_or_404(Action, action_id)
    agency = get_or_404(Agency, agency_id)
    quarter = quarter_or_404(quarter_slug)
    if action.plan_year != calendar.plan_year_for(quarter):
        return _follow_to_row_in_force(action, agency, quarter)
    if not action.is_led_by(agency.id):
        abort(404)
    require(can_write_action_update(current_user, action, agency.id))
    existing = service.find_update(action, agency.id, quarter)
    form = update_form_for(action)
    if request.method == "GET":
        return _first_update_page(action, agency, quarter, form, existing)
    if not form.validate_on_submit():
        return _update_page(action, agency, quarter, form, existing)
    outcome = commit_write(lambda: service.save_update(current_user, action, agency, quarter, **form.for_service()),
                           QuarterLockedError)
    if outcome.saved:
        if form.submitting:
            cycle_notices.after_submission(quarter)  # after the commit: tells the coordinators if all are in
        return _update_saved(action, agency, quarter, form, outcome.result)
    # Keep what the lead typed on screen (the form still holds it) beside the conflict or the lock.
    return _update_page(action, agency, quarter, form, outcome.conflict or existing, conflict=outcome.conflict,
                        locked_error=str(outcome.refusal) if outcome.refusal else None)


def _first_update_page(action, agency, quarter, form, existing):
    """The form as saved so far, or (asked with ?copy=last-quarter) last quarter's update copied in."""
    _fill(form, existing)
    notice = (_copy_last_quarter(form, service.previous_update(action, agency.id, quarter))
              if request.args.get("copy") == "last-quarter" else None)
    return _update_page(action, agency, quarter, form, existing, notice=notice)


def _follow_to_row_in_force(action, agency, quarter):
    """An action row belongs to one plan year: a later year's quarters are updated on its carried-forward
    row. A link (or an open form) from before the refresh follows the action to that row; 307 keeps
    a POST a POST, so a form sent after the refresh still lands on the row that now owns the update."""
    target = service.row_in_force(action, quarter)
    if target is None or not target.is_led_by(agency.id):
        abort(404)
    return redirect(url_for("actions.edit_update", action_id=target.id, agency_id=agency.id,
                            quarter_slug=quarter.slug), 307 if request.method == "POST" else 302)


def _update_saved(action, agency, quarter, form, saved):
    message = (f"Update on {action.code} submitted for {quarter.label}" if form.submitting
               else f"Draft of the update on {action.code} saved")
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("actions.my_actions"))
    # formdata=None: a form bound to the request would render the version the user posted,
    # and the next save from the swapped-in form would meet a false conflict.
    form = update_form_for(action, formdata=None)
    _fill(form, saved)
    return _update_page(action, agency, quarter, form, saved, saved_message=message)


def _update_page(action, agency, quarter, form, upd, **context):
    return render_page_or_fragment("actions/update.html", "actions/_update_form.html",
                                   **_form_context(action, agency, quarter, form, upd, **context))


def _copy_last_quarter(form, previous) -> str | None:
    """Prefill commentary and mitigation from last quarter's update (WCAG 3.3.7 redundant entry); saves nothing.

    None when there is nothing to copy.
    """
    if previous is None or not (previous.commentary or previous.mitigation):
        return None
    form.commentary.data = previous.commentary
    form.mitigation.data = previous.mitigation
    return (f"{previous.period.label}'s commentary and mitigation are copied into the form. "
            "Change what has moved on, then save: nothing is saved until you do.")


def _fill(form, upd) -> None:
    form.version.data = upd.version if upd else 0
    if upd:
        form.status.data = upd.status
        form.commentary.data = upd.commentary
        form.mitigation.data = upd.mitigation
        chosen = {s.sub_action_id: s.status for s in upd.sub_statuses}
        for sub_id, name in form.sub_action_fields:
            getattr(form, name).data = chosen.get(sub_id, "")


def _form_context(action, agency, quarter, form, upd, conflict=None, saved_message=None,
                  locked_error=None, notice=None) -> dict:
    return {
        "action": action, "agency": agency, "quarter": quarter, "form": form, "update": upd,
        "previous": service.previous_update(action, agency.id, quarter),
        "conflict": conflict, "saved_message": saved_message, "notice": notice,
        # A locked quarter's form is read-only; a save that met the lock says so and keeps the typed text.
        "locked": locked_error is not None or calendar.is_locked(quarter),
        "locked_error": locked_error,
    }


@bp.route("/dashboard")
@signed_in
def dashboard():
    quarter_slug = request.args.get("quarter")
    # The current quarter only changes with the data (or the date): not a query on every view.
    quarter = quarter_or_404(quarter_slug) if quarter_slug else cache.remembered(
        ("current_quarter", date.today().isoformat()), calendar.current_quarter)
    page = page_or_404()  # its range is checked once the rows matching the filters are counted
    # Keyed by every parameter as given: the form and the page links carry the request's own parameters.
    key = (quarter.slug, sorted(request.args.items(multi=True)))
    return render_kept_page(key, "actions/dashboard.html", "actions/_dashboard_cached.html",
                            lambda: _dashboard_context(quarter, page, key))


def _dashboard_context(quarter: Quarter, page: int, key: tuple) -> dict:
    as_fragment = wants_fragment()
    built = cache.get_or_build(("dashboard", as_fragment, *key), lambda: _dashboard_main(quarter, page, as_fragment))
    if "html" not in built:
        abort(404)
    # Built by our own templates, which escape every value (see _dashboard_main).
    main_html = Markup(built["html"])  # noqa: S704
    missing_html = _missing_values_html(quarter) if current_user.has_role(*STAFF) else ""
    return {"main_html": main_html, "quarter": quarter, "missing_html": missing_html}


def _missing_values_html(quarter: Quarter) -> Markup:
    """The coordinator's chase list below the board. It lists every indicator still without a value
    (hundreds in a large partnership) and holds nothing of the user's, so like the board it is built
    once per data version: a value entered anywhere moves the version on and the list is built afresh."""
    html = cache.get_or_build(("missing_values", quarter.slug), lambda: render_template(
        "kpis/_missing_values.html", quarter=quarter, missing_values=kpi_service.missing_values(quarter)))
    return Markup(html)  # noqa: S704 (our own template, which escapes every value)


@bp.route("/dashboard.csv")
@signed_in
def dashboard_csv():
    quarter_slug = request.args.get("quarter")
    quarter = quarter_or_404(quarter_slug) if quarter_slug else calendar.current_quarter()
    form = DashboardFilterForm(request.args)
    form.offer(service.objectives(), [a for a in auth_service.agencies() if a.active])
    board = service.dashboard(quarter, **form.chosen())  # every matching row, not one page
    header, rows = service.dashboard_table(board)
    return csv_response(f"rag-dashboard-{quarter.slug}.csv", header, rows)


def _dashboard_main(quarter: Quarter, page: int, as_fragment: bool) -> dict:
    """Everything above the coordinator's chase list. It is the same for everyone who may see the
    dashboard (submitted statuses only, nothing of the user's: the filter form is a GET form with no
    token), so it is built once per data version and kept for every worker (app/cache.py)."""
    form = DashboardFilterForm(request.args)
    form.offer(service.objectives(), [a for a in auth_service.agencies() if a.active])
    filters = form.chosen()
    board = service.dashboard(quarter, **filters, page=page, per_page=service.DASHBOARD_PAGE_SIZE)
    last = paging.last_page(board.total, service.DASHBOARD_PAGE_SIZE)
    if page > last:
        return {"last": last}
    html = render_template(
        "actions/_dashboard_results.html" if as_fragment else "actions/_dashboard_main.html",
        board=board, form=form, quarters=calendar.quarters(), quarter=quarter, filtered=any(filters.values()),
        as_fragment=as_fragment, page_number=page, last=last,
        pagination=pagination_links(page, last, "Pages of the actions list"))
    return {"last": last, "html": html}


@bp.route("/actions/<int:action_id>")
@signed_in
def action_page(action_id: int):
    action = get_or_404(Action, action_id)
    # The page shows the row in force for the quarter asked (default: the current one), so a link to a
    # row the refresh carried forward opens the carried-forward row, while the old year's plan, which
    # asks for its own Q4, still shows its row as it was.
    quarter_slug = request.args.get("quarter")
    quarter = quarter_or_404(quarter_slug) if quarter_slug else calendar.current_quarter()
    target = service.row_in_force(action, quarter)
    if target is not None and target.id != action.id:
        return redirect(url_for("actions.action_page", action_id=target.id, **request.args))
    history = [u for u in service.history(action) if can_see_return(current_user, u.state, u.agency_id)]
    by_quarter: dict[Quarter, list] = {}
    for upd in history:
        by_quarter.setdefault(upd.period, []).append(upd)
    current = calendar.current_quarter()
    writable_agency = (current_user.agency if can_write_action_update(current_user, action, current_user.agency_id)
                       else None)
    return render_template("actions/action.html", action=action, by_quarter=by_quarter,
                           current=current, writable_agency=writable_agency)
