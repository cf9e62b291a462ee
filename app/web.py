"""Small helpers shared by the views: fragment-or-page rendering, 404 loading and page links."""

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import abort, g, get_template_attribute, make_response, render_template, request, session
from flask_htmx import HTMX
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app import cache
from app.audit import paging
from app.errors import ConflictError
from app.extensions import db, htmx
from app.forms import INT_MAX
from app.signing import csrf_token
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, QuarterError


def wants_fragment(hx: HTMX = htmx) -> bool:
    """True for an htmx request that swaps part of a page.

    Boosted links and history restores also carry HX-Request but need the
    whole page, so they get it.
    """
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render `fragment` for an htmx swap and `page` otherwise; the response varies on HX-Request."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


# Where a kept page had this request's own values (render_kept_page). No page holds a NUL of its own:
# the forms and the query strings refuse control characters.
_HOLE_NAMES = ("csrf", "nonce", "signed-in")
_CSRF_HOLE, _NONCE_HOLE, _SIGNED_IN_HOLE = (f"\x00{name}\x00" for name in _HOLE_NAMES)
_HOLE = re.compile(f"\x00({'|'.join(_HOLE_NAMES)})\x00".encode())


def render_kept_page(key: tuple, page: str, fragment: str, context: Callable[[], dict]):
    """render_page_or_fragment for a page that is the same for every user of one role, but for the
    page frame's own values: kept per data version (app/cache.py), not rendered on every view.

    A page of the dashboard changes only with the data, the user's role (the menu, the staff's chase
    list) and its address. It is kept with holes where this request's own values were (the CSRF token,
    the CSP nonce, the "Signed in as" line), and each later view of any user with that role fills
    them with its own. A request with a message to flash renders afresh: the message is its own.
    `key` names everything else the page depends on; `context()` gives the templates' values.
    """
    if session.get("_flashes"):
        return render_page_or_fragment(page, fragment, **context())
    role = current_user.role if current_user.is_authenticated else None
    full_key = ("kept_page", page, wants_fragment(), request.script_root, role, *key)

    def build() -> bytes:
        html = render_page_or_fragment(page, fragment, **context()).get_data(as_text=True)
        return (html.replace(csrf_token(), _CSRF_HOLE).replace(g.csp_nonce, _NONCE_HOLE)
                .replace(_signed_in_line(), _SIGNED_IN_HOLE).encode())

    kept, _ = cache.get_or_build_bytes(full_key, build)
    parts = list(_split_at_holes(kept))
    fills = {b"csrf": csrf_token, b"nonce": lambda: g.csp_nonce, b"signed-in": _signed_in_line}
    parts[1::2] = [fills[hole]().encode() for hole in parts[1::2]]
    response = make_response(b"".join(parts))
    response.headers.add("Vary", "HX-Request")
    return response


@functools.lru_cache(maxsize=64)
def _split_at_holes(kept: bytes) -> tuple[bytes, ...]:
    """The kept page cut at its holes: text, hole name, text, ... A view then joins the pieces with its
    own values, where replacing in the whole page (decoded, three times over, encoded) cost a tenth of a
    view. Kept per page: the worker's memory cache hands back the same bytes object, whose hash Python
    keeps, so the lookup does not read the page again."""
    return tuple(_HOLE.split(kept))


def _signed_in_line() -> str:
    if not current_user.is_authenticated:
        return _SIGNED_IN_HOLE  # nothing to fill: the page has no such line
    # A change of name, role or agency is a write, so the line is remembered per data version.
    return cache.remembered(("signed_in_as", current_user.id), lambda: str(
        get_template_attribute("macros/signed_in.html", "signed_in_as")(current_user)))


def get_or_404(model, ident):
    """The row with this primary key, or a 404 from one place."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def quarter_or_404(slug: str) -> Quarter:
    """The strategy quarter a URL names ("2019-20-Q2"), or a 404 for a malformed one or one outside the strategy."""
    try:
        # The strategy's years change only with the data: not a query on every view (issue 11). Kept
        # under the quarter's own spelling, not the address's ("2019-20-q1 " is the same quarter), and
        # only once it is found inside the strategy (else it raises): at most one entry a quarter.
        quarter = Quarter.parse(slug)
        return cache.remembered(("strategy_quarter", quarter.slug),
                                lambda: calendar.parse_strategy_quarter(quarter.slug))
    except QuarterError:
        abort(404)


INT_COLUMN_MAX = INT_MAX  # the largest id an INTEGER primary key holds (PostgreSQL and SQLite alike)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route, bounded to what an id column holds: a larger number is a 404.

    Unbounded, 2^64 in a URL reached the database and failed there with a server error.
    """

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", INT_COLUMN_MAX)
        super().__init__(map, *args, **kwargs)


def refuse_control_characters_in_query() -> None:
    """Before every request: a query parameter with a NUL or other control character is a 400.

    Forms refuse them with a message by the field (app.forms); a query string is typed by no one,
    and PostgreSQL fails with a server error on a NUL in a text comparison.
    """
    for values in request.args.listvalues():
        if any(not value.isprintable() for value in values):
            abort(400)


def pagination_links(page: int, last: int, label: str, path: str | None = None) -> dict:
    """GOV.UK pagination (govukPagination's params) for pages 1..`last`; each link keeps the request's
    other parameters, so the filters hold on every page. Page 1 is the address without `page`.
    `path` is the listing's address when the request's is not (a form's POST re-showing the page)."""

    def href(number: int) -> str:
        args = request.args.copy()
        args.pop("page", None)
        if number > 1:
            args["page"] = str(number)
        pairs = [(k, v) for k, v in args.items(multi=True)]
        return (path or request.path) + ("?" + urlencode(pairs) if pairs else "")

    pagination = {
        "items": [{"ellipsis": True} if n is None else {"number": n, "href": href(n), "current": n == page}
                  for n in paging.page_items(page, last)],
        "landmarkLabel": label,
    }
    if page > 1:
        pagination["previous"] = {"href": href(page - 1)}
    if page < last:
        pagination["next"] = {"href": href(page + 1)}
    return pagination


def page_or_404() -> int:
    """The `page` query parameter as a page number (absent: 1); a malformed one is a 404.

    Its range is checked by last_page_or_404 once the matching rows are counted.
    """
    page = paging.parse_page(request.args.get("page"), sys.maxsize)
    if page is None:
        abort(404)
    return page


def last_page_or_404(page: int, total: int, per_page: int) -> int:
    """The last page of `total` rows; a 404 when `page` lies beyond it."""
    last = paging.last_page(total, per_page)
    if page > last:
        abort(404)
    return last


@dataclass
class Outcome:
    """What became of a write a view asked for: saved, met a conflict, or refused with a reason to show."""

    saved: bool
    result: Any = None
    conflict: Any = None  # ConflictError.current: what someone else saved since the form was built
    refusal: Exception | None = None


def commit_write(write: Callable[[], Any], *refusals: type[Exception], conflicts: bool = True) -> Outcome:
    """Call a service write and commit once; a ConflictError or one of `refusals` rolls it all back.

    `conflicts=False` is for a write that is not versioned: a ConflictError from it is an error like any
    other. Any other error rolls back too and propagates: a request writes all of its change or none of it.
    """
    try:
        result = write()
        db.session.commit()
    except ConflictError as exc:
        db.session.rollback()
        if not conflicts:
            raise
        return Outcome(saved=False, conflict=exc.current)
    except refusals as exc:
        db.session.rollback()
        return Outcome(saved=False, refusal=exc)
    except Exception:
        db.session.rollback()
        raise
    return Outcome(saved=True, result=result)
