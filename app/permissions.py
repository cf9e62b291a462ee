"""Who may reach each route, and who may write each object.

Every view carries an access rule, declared with `@public` or `@roles(...)`;
a test walks `app.url_map` and fails on any view without one. Object-level
checks (which agency may write which update) live in the `can_*` functions
so the views, the services and the tests share one definition.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from app.auth.models import Role, User
from app.extensions import login_manager
from app.returns import ReviewableReturn

# --- the role sets: who holds which power, each written once ------------------------------------------
ALL_ROLES = tuple(Role)
# The partnership's own staff: read the cycle and the audit trail, manage the plan and its targets, and
# take the partnership's true figures out of the app.
STAFF = (Role.ADMIN, Role.COORDINATOR)
# Write their own agency's returns (action updates and indicator values); the coordinator's team leads actions.
RETURN_WRITERS = (Role.LEAD, Role.COORDINATOR)
# Run the quarterly cycle: set its dates, review returns, lock the quarter.
CYCLE_RUNNERS = (Role.COORDINATOR,)
# Re-open a locked quarter: rare, and so kept from the person who locked it.
REOPENERS = (Role.ADMIN,)
# Import other boroughs' published figures to compare Havering with (app.comparators).
COMPARISON_IMPORTERS = (Role.COORDINATOR,)
# Manage accounts and agencies.
ADMINS = (Role.ADMIN,)
# May turn their second factor off: everyone but the staff, who must keep one (User.needs_second_factor).
SECOND_FACTOR_OPTIONAL = tuple(role for role in Role if role not in STAFF)


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (login page, health check)."""
    view.access_rule = "public"
    return view


OWN_AGENCY = "own agency"  # a scope: the role alone is not enough, the object must be the user's agency's


def roles(*allowed: Role, scope: str | None = None) -> Callable[[Callable], Callable]:
    """Require a signed-in user holding one of `allowed` roles; 403 otherwise.

    `scope=OWN_AGENCY` declares that the view also checks the object is the user's agency's (with a
    `can_write_*` rule below), so a holder of the role in another agency is refused too. The permission
    matrix test reads both from the view (`access_rule`, `access_scope`).
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access_rule = tuple(allowed)
        wrapped.access_scope = scope
        return wrapped

    return decorate


signed_in = roles(*ALL_ROLES)


def can_write_action_update(user: User, action, agency_id: int) -> bool:
    """A lead (or a coordinator, whose team leads actions too) writes only their own agency's update,
    and only on an action that agency leads. Admins and viewers never write updates."""
    if not user.has_role(*RETURN_WRITERS):
        return False
    return user.agency_id == agency_id and action.is_led_by(agency_id)


def can_handle_returns_for(user: User, agency_id: int) -> bool:
    """A return workbook (app.returns_io): a lead downloads and uploads their own agency's; the coordinator,
    who collects the quarter, any agency's. The rows inside are checked against what that agency leads."""
    if user.has_role(*CYCLE_RUNNERS):
        return True
    return user.has_role(*RETURN_WRITERS) and user.agency_id == agency_id


def require(allowed: bool) -> None:
    """Abort with 403 unless `allowed`: the one place a forbidden write stops."""
    if not allowed:
        abort(403)


def can_write_indicator_value(user: User, indicator) -> bool:
    """A lead or coordinator enters values only for the indicators their own agency owns."""
    if not user.has_role(*RETURN_WRITERS):
        return False
    return user.agency_id == indicator.owner_agency_id


def can_set_targets(user: User) -> bool:
    """Targets are agreed by the HCSP and entered by the coordinator (or an admin on their behalf)."""
    return user.has_role(*STAFF)


def can_manage_plan(user: User) -> bool:
    """The annual refresh and edits to the refreshed plan are the coordinator's (or an admin's)."""
    return user.has_role(*STAFF)


def can_accept_return(actor: User, item: ReviewableReturn) -> bool:
    """Separation of duties: nobody accepts a return they submitted themselves, whichever agency's it is
    (a coordinator may submit another agency's return from its spreadsheet, app.returns_io)."""
    return item.submitter_id is None or item.submitter_id != actor.id


def can_export_partnership(user: User) -> bool:
    """Only the coordinator (or an admin) takes the partnership's true figures out of the app."""
    return user.has_role(*STAFF)


def can_see_return(user: User, state: str, agency_id: int) -> bool:
    """A draft (an update or value not yet submitted, or returned for changes) is work in progress:
    only the agency writing it sees it, wherever it appears. Once submitted, everyone signed in does."""
    return state != "draft" or user.agency_id == agency_id
