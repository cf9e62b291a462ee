"""Views of the quarterly cycle: thin — load, check, validate, call the service, commit once."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.actions.models import Action, Update
from app.cycle import service
from app.cycle.forms import LockForm, PeriodDatesForm, ReopenForm, ReviewForm
from app.errors import ConflictError
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.models import Indicator, IndicatorValue
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
from app.web import commit_write, get_or_404, quarter_or_404, render_page_or_fragment, wants_fragment

bp = Blueprint("cycle", __name__, url_prefix="/cycle")

CHANGED_SINCE = "Someone else changed this quarter while you were looking at it."


@bp.route("/")
@roles(*STAFF)
def periods():
    rows = [(p, service.status_of(p)) for p in calendar.periods()]
    return render_template("cycle/periods.html", rows=rows)


def _period_page(
    quarter: Quarter,
    *,
    dates_form=None,
    lock_form=None,
    reopen_form=None,
    status: int = 200,
    conflict: str | None = None,
):
    board = service.tracker(quarter)
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
    if not form.validate_on_submit():
        return _period_page(quarter, lock_form=form)
    outcome = commit_write(lambda: service.lock(current_user, quarter, version=form.version.data,
                                                reason=form.reason.data or ""),
                           service.ReviewError, QuarterLockedError)
    if isinstance(outcome.refusal, service.ReviewError):
        form.reason.errors.append(str(outcome.refusal))
        return _period_page(quarter, lock_form=form)
    if outcome.refusal is not None:  # locked already
        return _period_page(quarter, conflict=str(outcome.refusal))
    if not outcome.saved:
        return _period_page(quarter, conflict=f"{CHANGED_SINCE} Check the page as it stands now, then lock it again.")
    flash(f"{quarter.label} is locked", "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug))


@bp.route("/<quarter_slug>/reopen", methods=["POST"])
@roles(*REOPENERS)
def reopen(quarter_slug: str):
    quarter = quarter_or_404(quarter_slug)
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        return _period_page(quarter, reopen_form=form)
    outcome = commit_write(lambda: service.reopen(current_user, quarter, version=form.version.data,
                                                  reason=form.reopen_reason.data), service.ReviewError)
    if outcome.refusal is not None:
        form.reopen_reason.errors.append(str(outcome.refusal))
        return _period_page(quarter, reopen_form=form)
    if not outcome.saved:
        return _period_page(quarter, conflict=f"{CHANGED_SINCE} Check the page as it stands now.")
    flash(f"{quarter.label} is re-opened", "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug))


# --- review ------------------------------------------------------------------------------------------


def _load_item(kind: str, item_id: int, quarter: Quarter):
    if kind == "update":
        item = get_or_404(Update, item_id)
        action = db.session.get(Action, item.action_id)
        subject = {
            "kind": "Action update",
            "code": action.code,
            "title": action.title,
            "agency": item.agency,
            "action": action,
        }
    elif kind == "value":
        item = get_or_404(IndicatorValue, item_id)
        indicator = db.session.get(Indicator, item.indicator_id)
        subject = {
            "kind": "Indicator value",
            "code": indicator.code,
            "title": indicator.name,
            "agency": indicator.owner,
            "indicator": indicator,
        }
    else:
        abort(404)
    if (item.year, item.quarter) != (quarter.year, quarter.number):
        abort(404)
    return item, subject


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
    if not form.validate_on_submit():
        return _review_page(quarter, item, subject, form)
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
        return _review_page(quarter, item, subject, ReviewForm(formdata=None, version=item.version), conflict)
    return _decided(quarter, item, subject, accept)


def _decided(quarter: Quarter, item, subject: dict, accept: bool):
    message = (f"{subject['kind']} {subject['code']} ({subject['agency'].short_name}) "
               f"{'accepted' if accept else 'returned to the agency'}")
    if wants_fragment():
        return render_page_or_fragment("cycle/review.html", "cycle/_review_form.html", quarter=quarter, item=item,
                                       subject=subject, form=ReviewForm(formdata=None, version=item.version),
                                       saved_message=message, conflict=None, **_value_context(item, subject, quarter))
    flash(message, "success")
    return redirect(url_for("cycle.period", quarter_slug=quarter.slug) + "#review")


def _review_page(quarter: Quarter, item, subject: dict, form: ReviewForm, conflict: str | None = None):
    return render_page_or_fragment(
        "cycle/review.html",
        "cycle/_review_form.html",
        quarter=quarter,
        item=item,
        subject=subject,
        form=form,
        conflict=conflict,
        saved_message=None,
        can_accept=can_accept_return(current_user, item),
        locked=calendar.is_locked(quarter),
        # A draft's content stays with its agency, here as on the action page (issue 9 B).
        can_see=can_see_return(current_user, item.state, subject["agency"].id),
        **_value_context(item, subject, quarter),
    )


def _value_context(item, subject: dict, quarter: Quarter) -> dict:
    """For an indicator value: the target in force and the previous period's value, to judge it against."""
    indicator = subject.get("indicator")
    if indicator is None:
        return {}
    previous = kpis_service.previous_value(indicator, quarter)
    return {
        "target": kpis_service.target_for(indicator, quarter, as_of=calendar.locked_at(quarter)),
        # A draft is work in progress: only a reported (submitted or accepted) value is a fair comparison.
        "previous": previous if previous is not None and previous.is_reported else None,
    }
