"""Every error page of the app, registered in one place: one template (error.html), one 403 page.

A view refuses with `abort(403)` (or `require(...)` from app.permissions); when the refusal has a reason
the user can act on, it passes it as `abort(403, description="...")` and the page says it.
"""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from app.extensions import db
from app.strategy.service import QuarterLockedError
from app.web import wants_fragment

FORBIDDEN = "Your account does not have permission for this page or change."


def _page(code: int, title: str, message: str):
    return render_template("error.html", code=code, title=title, message=message), code


def _forbidden(error: Forbidden):
    # Werkzeug's own description is for developers; a reason given to abort() is for the user.
    given = error.description if error.description != Forbidden.description else None
    return _page(403, "You cannot do that", given or FORBIDDEN)


def _quarter_locked(exc: QuarterLockedError):
    """Any view whose service refused a write to a locked quarter shows why, instead of a 500."""
    db.session.rollback()
    body = render_template("cycle/locked.html" if not wants_fragment() else "cycle/_locked.html", exc=exc)
    if wants_fragment():
        # htmx does not swap error statuses: replace the page's main content with the explanation.
        return body, 200, {"HX-Retarget": "#main-content", "HX-Reswap": "innerHTML", "Vary": "HX-Request"}
    return body, 409, {"Vary": "HX-Request"}


def _server_error(error):
    # The failed request's transaction is undone before the page is drawn: the page reads the
    # signed-in user, and a session left mid-failure would raise again instead of answering.
    db.session.rollback()
    return _page(500, "Sorry, there is a problem with the service",
                 "Try again later. Nothing you entered was half-saved.")


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, lambda e: _page(
        400, "Your form has expired",
        "The page was open too long or the form was tampered with. Go back, reload and try again."))
    app.register_error_handler(400, lambda e: _page(400, "Something was wrong with that request",
                                                    "Check what you entered and try again."))
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, lambda e: _page(404, "Page not found",
                                                    "Check the address, or go back to the dashboard."))
    app.register_error_handler(405, lambda e: _page(405, "That is not allowed here",
                                                    "Go back and use the buttons on the page."))
    app.register_error_handler(QuarterLockedError, _quarter_locked)
    app.register_error_handler(500, _server_error)
