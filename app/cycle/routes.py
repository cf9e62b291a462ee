"""Views of the quarterly cycle: thin — load, check, validate, call the service, commit once."""

import sys

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.actions import service as actions_service
from app.actions.models import Update
from app.audit import paging
from app.csv_export import csv_response
from app.cycle import notices, service
from app.cycle.forms import BulkAcceptForm, LockForm, PeriodDatesForm, ReopenForm, ReviewForm
from app.errors import ConflictError
from app.extensions import db
from app.forms import positive_int
from app.kpis import service as kpis_service
from app.kpis.models import IndicatorValue
from app.permissions import (
    CYCLE_RUNNERS,
    REOPENERS,
    STAFF,
    can_accept_return,
    can_see_return,
    roles,
)
from app.strategy import service as calendar
from app.strategy.quarters import Quarter
from app.strategy.service import QuarterLockedError
from app.web import (
    commit_write,
    get_or_404,
    pagination_links,
    quarter_or_404,
    render_page_or_fragment,
    wants_fragment,
)

bp = Blueprint("cycle", __name__, url_prefix="/cycle")

CHANGED_SINCE = "Someone else changed this quarter while you were looking at it."


@bp.route("/")
@roles(*STAFF)
def periods():
    rows = [(p, service.status_of(p)) for p in calendar.periods()]
    return render_template("cycle/periods.html", rows=rows)


@bp.route("/<quarter_slug>/returns.csv")
@roles(*STAFF)
def returns_csv(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    show = request.args.get("show", "all")
    show = show if show in service.SHOW else "all"
    lines = service.all_returns(quarter, show=show, agency_id=positive_int(request.args.get("agency")))
    rows = ([line.agency.name, line.kind_label, line.code, line.title, line.state_label] for line in lines)
    return csv_response(f"returns-{quarter.slug}-{show}.csv", ["Agency", "Return", "Code", "Title", "State"], rows)


def _returns_listing(quarter: Quarter) -> dict:
    """The tracker's list of returns as the query string asks: what to show, whose, which page (404 past the last)."""
    show = request.args.get("show", "waiting")
    show = show if show in service.SHOW else "waiting"
    agency_id = positive_int(request.args.get("agency"))
    page = paging.parse_page(request.args.get("page"), sys.maxsize)  # its range is checked once counted
    if page is None:
        abort(404)
    lines, total = service.returns_page(quarter, show=show, agency_id=agency_id, page=page,
                                        per_page=service.RETURNS_PAGE_SIZE)
    last = paging.last_page(total, service.RETURNS_PAGE_SIZE)
    if page > last:
        abort(404)
    path = url_for("cycle.period", quarter_slug=quarter.slug)
    return {"lines": lines, "total": total, "show": show, "agency_id": agency_id, "page_number": page,
            "last": last, "pagination": pagination_links(page, last, "Pages of returns", path=path)}


def _period_page(
    quarter: Quarter,
    *,
    dates_form=None,
    lock_form=None,
    reopen_form=None,
    status: int = 200,
    conflict: str | None = None,
):
    board = service.tracker_summary(quarter)
    period = board.period
    if dates_form is None:
        dates_form = PeriodDatesForm(
            prefix="dates",
            formdata=None,
            opens_on=period.opens_on,
            deadline=period.deadline,
            version=period.version,
        )
    lock_form = lock_form or LockForm(prefix="lock", formdata=None, version=period.version)
    reopen_form = reopen_form or ReopenForm(prefix="reopen", formdata=None, version=period.version)
    errors = [f for f in (dates_form, lock_form, reopen_form) if f.errors]
    return render_template(
        "cycle/period.html",
        quarter=quarter,
        board=board,
        period=period,
        events=service.period_events(quarter),
        dates_form=dates_form,
        lock_form=lock_form,
        reopen_form=reopen_form,
        form=errors[0] if errors else None,
        conflict=conflict,
        shows=service.SHOW,
        listing=_returns_listing(quarter),
        sent=service.sent_for(period),
    ), status


@bp.route("/<quarter_slug>")
@roles(*STAFF)
def period(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    return _period_page(quarter)


@bp.route("/<quarter_slug>/dates", methods=["POST"])
@roles(*CYCLE_RUNNERS)
def set_dates(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    form = PeriodDatesForm(prefix="dates")
    if not form.validate_on_submit():
        return _period_page(quarter, dates_form=form)
    outcome = commit_write(lambda: service.set_dates(current_user, quarter, version=form.version.data,
                                                     opens_on=form.opens_on.data, deadline=form.deadline.data))
    if not outcome.saved:
        return _period_page(quarter, conflict="Someone else changed this quarter while you were editing. "
                            "The page now shows what they saved: check it and try again.")
    flash(f"Dates for {quarter.label} saved", "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug))


@bp.route("/<quarter_slug>/lock", methods=["POST"])
@roles(*CYCLE_RUNNERS)
def lock(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    form = LockForm(prefix="lock")
    return _lock_or_reopen(
        quarter, form, "lock_form", form.reason,
        lambda: service.lock(current_user, quarter, version=form.version.data, reason=form.reason.data or ""),
        QuarterLockedError, changed=f"{CHANGED_SINCE} Check the page as it stands now, then lock it again.",
        done=f"{quarter.label} is locked")


@bp.route("/<quarter_slug>/reopen", methods=["POST"])
@roles(*REOPENERS)
def reopen(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    form = ReopenForm(prefix="reopen")
    return _lock_or_reopen(
        quarter, form, "reopen_form", form.reopen_reason,
        lambda: service.reopen(current_user, quarter, version=form.version.data, reason=form.reopen_reason.data),
        changed=f"{CHANGED_SINCE} Check the page as it stands now.", done=f"{quarter.label} is re-opened")


def _lock_or_reopen(quarter: Quarter, form, form_name: str, reason_field, write, *refusals: type[Exception],
                    changed: str, done: str):
    """Lock or re-open `quarter` from `form` (the tracker page's `form_name`): the service's ReviewError
    goes next to `reason_field`, any other of `refusals` (already locked) and a version conflict above the
    page; saved, back to the tracker saying `done`."""
    if not form.validate_on_submit():
        return _period_page(quarter, **{form_name: form})
    outcome = commit_write(write, service.ReviewError, *refusals)
    if isinstance(outcome.refusal, service.ReviewError):
        reason_field.errors.append(str(outcome.refusal))
        return _period_page(quarter, **{form_name: form})
    if outcome.refusal is not None:
        return _period_page(quarter, conflict=str(outcome.refusal))
    if not outcome.saved:
        return _period_page(quarter, conflict=changed)
    flash(done, "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug))


# --- review ------------------------------------------------------------------------------------------


def _update_subject(update: Update) -> dict:
    action = update.action
    return {"kind": "Action update", "code": action.code, "title": action.title, "agency": update.agency,
            "action": action}


def _value_subject(value: IndicatorValue) -> dict:
    indicator = value.indicator
    return {"kind": "Indicator value", "code": indicator.code, "title": indicator.name, "agency": indicator.owner,
            "indicator": indicator}


# Each kind of return a review page takes (the URL's <kind>), and what the page says it is about.
_REVIEWED = {"update": (Update, _update_subject), "value": (IndicatorValue, _value_subject)}


def _load_item(kind: str, item_id: int, quarter: Quarter):
    if kind not in _REVIEWED:
        abort(404)
    model, subject = _REVIEWED[kind]
    item = get_or_404(model, item_id)
    if (item.year, item.quarter) != (quarter.year, quarter.number):
        abort(404)
    return item, subject(item)


REVIEW = "/<quarter_slug>/review/<kind>/<int:item_id>"


@bp.route(REVIEW)
@roles(*STAFF)
def review(quarter_slug: str, kind: str, item_id: int):
    quarter = quarter_or_404(quarter_slug)
    item, subject = _load_item(kind, item_id, quarter)
    return _review_page(quarter, item, subject, ReviewForm(formdata=None, version=item.version))


@bp.route(REVIEW, methods=["POST"])
@roles(*CYCLE_RUNNERS)
def decide(quarter_slug: str, kind: str, item_id: int):
    quarter = quarter_or_404(quarter_slug)
    item, subject = _load_item(kind, item_id, quarter)
    form = ReviewForm()
    refused = _take_decision(quarter, item, subject, form)
    if refused is not None:
        return refused
    message = _decision_message(subject, form)
    if wants_fragment():
        return _review_page(quarter, item, subject, ReviewForm(formdata=None, version=item.version),
                            saved_message=message)
    flash(message, "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug) + "#returns")


def _take_decision(quarter: Quarter, item, subject: dict, form: ReviewForm, queue: dict | None = None):
    """Save the review decision and commit, then tell the lead if it was returned: None when saved,
    else the review page saying why not (a 403 for the coordinator's own submission)."""
    if not form.validate_on_submit():
        return _review_page(quarter, item, subject, form, queue=queue)
    accept = form.decision.data == "accept"
    try:
        service.review(current_user, item, version=form.version.data, accept=accept, comment=form.comment.data or "")
        db.session.commit()
    except service.ReviewForbiddenError as exc:
        db.session.rollback()
        abort(403, description=str(exc))
    except (ConflictError, QuarterLockedError, service.ReviewError) as exc:
        db.session.rollback()
        db.session.refresh(item)
        conflict = str(exc) if not isinstance(exc, ConflictError) else (
            f"This return changed while you were reviewing it: it is now {item.state}. "
            "Nothing was saved; check it as it stands now.")
        return _review_page(quarter, item, subject, ReviewForm(formdata=None, version=item.version), conflict, queue)
    if not accept:
        notices.returned(item)  # after the commit: a failed email never undoes the decision
    return None


def _decision_message(subject: dict, form: ReviewForm) -> str:
    done = "accepted" if form.decision.data == "accept" else "returned to the agency"
    return f"{subject['kind']} {subject['code']} ({subject['agency'].short_name}) {done}"


def _review_page(quarter: Quarter, item, subject: dict, form: ReviewForm, conflict: str | None = None,
                 queue: dict | None = None, saved_message: str | None = None):
    """The review page, or its form alone for an htmx swap (with `saved_message` once a decision is saved)."""
    return render_page_or_fragment(
        "cycle/review.html", "cycle/_review_form.html", quarter=quarter, item=item, subject=subject, form=form,
        conflict=conflict, saved_message=saved_message, queue=queue,
        can_accept=can_accept_return(current_user, item),
        locked=calendar.is_locked(quarter),
        # A draft's content stays with its agency, here as on the action page (issue 9 B).
        can_see=can_see_return(current_user, item.state, subject["agency"].id),
        **_value_context(item, subject, quarter),
    )


def _value_context(item, subject: dict, quarter: Quarter) -> dict:
    """What to judge the return against: last quarter's update beside an action update; for an indicator
    value, the target in force, its rating and the previous period's value."""
    indicator = subject.get("indicator")
    if indicator is None:
        before = actions_service.previous_update(subject["action"], item.agency_id, quarter)
        # A draft is work in progress: only a reported (submitted or accepted) return is a fair comparison.
        return {"previous": before if before is not None and before.is_reported else None}
    previous = kpis_service.previous_value(indicator, quarter)
    locked_at = calendar.locked_at(quarter)
    standing = kpis_service.as_locked([indicator], quarter, locked_at=locked_at)[0]
    return {
        "target": kpis_service.target_for(indicator, quarter, as_of=locked_at),
        "rating": standing.current,
        "previous": previous if previous is not None and previous.is_reported else None,
    }


# --- the review queue: the returns waiting, one page each -------------------------------------------


QUEUE = "/<quarter_slug>/queue/<kind>/<int:item_id>"


@bp.route("/<quarter_slug>/queue")
@roles(*CYCLE_RUNNERS)
def queue(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    waiting = service.review_queue(current_user, quarter)
    if not waiting:
        flash("No return is waiting for you to review", "success")
        return redirect(url_for("cycle.period", quarter_slug=quarter.slug) + "#returns")
    first = waiting[0]
    return redirect(url_for("cycle.queue_item", quarter_slug=quarter.slug, kind=first.review_kind,
                            item_id=first.row_id))


def _queue_context(quarter: Quarter, kind: str, item_id: int) -> dict:
    """Where this return stands in the actor's queue, and the address of the one to open next."""
    waiting = service.review_queue(current_user, quarter)
    position, following = service.queue_neighbours(waiting, f"{kind}-{item_id}")
    next_url = following and url_for("cycle.queue_item", quarter_slug=quarter.slug, kind=following.review_kind,
                                     item_id=following.row_id)
    return {"position": position, "total": len(waiting), "next_url": next_url}


@bp.route(QUEUE)
@roles(*CYCLE_RUNNERS)
def queue_item(quarter_slug: str, kind: str, item_id: int):
    quarter = quarter_or_404(quarter_slug)
    item, subject = _load_item(kind, item_id, quarter)
    form = ReviewForm(formdata=None, version=item.version)
    return _review_page(quarter, item, subject, form, queue=_queue_context(quarter, kind, item_id))


@bp.route(QUEUE, methods=["POST"])
@roles(*CYCLE_RUNNERS)
def queue_decide(quarter_slug: str, kind: str, item_id: int):
    quarter = quarter_or_404(quarter_slug)
    item, subject = _load_item(kind, item_id, quarter)
    place = _queue_context(quarter, kind, item_id)  # before the decision takes it out of the queue
    form = ReviewForm()
    refused = _take_decision(quarter, item, subject, form, queue=place)
    if refused is not None:
        return refused
    flash(_decision_message(subject, form), "success")
    return redirect(place["next_url"] or url_for("cycle.period", quarter_slug=quarter.slug) + "#returns")


# --- bulk accept: tick several on the tracker, confirm, accept all or none ------------------------------


@bp.route("/<quarter_slug>/accept")
@roles(*CYCLE_RUNNERS)
def confirm_accept(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    items = service.load_returns(quarter, service.parse_keys(request.args.getlist("item")))
    return _confirm_page(quarter, items)


def _confirm_page(quarter: Quarter, items: list, problem: str | None = None, rows: list[str] = ()):
    lines = [(service.line_of(item), item) for item in items]
    ready = [(line, item) for line, item in lines
             if item.state == "submitted" and can_accept_return(current_user, item)]
    return render_template("cycle/confirm_accept.html", quarter=quarter, lines=lines, ready=ready, problem=problem,
                           problem_rows=rows, locked=calendar.is_locked(quarter),
                           can_accept=can_accept_return, form=BulkAcceptForm(formdata=None))


@bp.route("/<quarter_slug>/accept", methods=["POST"])
@roles(*CYCLE_RUNNERS)
def accept_selected(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    form = BulkAcceptForm()
    keys = service.parse_keys(request.form.getlist("item"))
    items = service.load_returns(quarter, keys)
    if not form.validate_on_submit():
        return _confirm_page(quarter, items, problem="Your form has expired: reload the page and try again")
    seen = {f"{k}-{i}": request.form.get(f"version-{k}-{i}", type=int) for k, i in keys}
    try:
        done = service.bulk_accept(current_user, quarter, [(item, seen[service.line_of(item).key] or 0)
                                                          for item in items])
        db.session.commit()
    except (service.ReviewError, service.ReviewForbiddenError, QuarterLockedError,
            service.BulkAcceptError) as exc:
        db.session.rollback()
        return _confirm_page(quarter, service.load_returns(quarter, keys), str(exc), getattr(exc, "rows", []))
    flash(f"{done} return{'s' if done != 1 else ''} accepted", "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug) + "#returns")
