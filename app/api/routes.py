"""The read API's views (/api/v1): thin; app.api.service gathers everything.

Authentication is a bearer token (`Authorization: Bearer <token>`) checked on each request: no
session is made and no cookie set. A browser already signed in to the app is that user too (its
session cookie), so the report's old `indicators.json` link can send a signed-in reader here. As every
route is a GET there is no CSRF to check, and no CORS header lets another site read a signed-in answer.
Without either a caller is anonymous and gets only published, locked quarters. Each view is `@public`
because it checks the caller itself. Errors are application/problem+json (RFC 9457); responses carry an ETag.
"""

from math import ceil

from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app.api import schemas, service, tokens
from app.extensions import db
from app.permissions import public
from app.reports import service as report_service

blp = Blueprint("api", __name__, url_prefix="/api/v1",
                description="The partnership's plan, quarters and indicator figures, read-only")
docs = FlaskBlueprint("api_docs", __name__, url_prefix="/api/v1")

PROBLEM = "application/problem+json"
ANONYMOUS_MAX_AGE = 300  # published figures change only when a quarter is published or withdrawn
# Every refusal the API documents, as problem+json: each view lists the statuses it may answer with.
ERRORS = {400: "A bad parameter", 401: "Unknown, revoked or expired token",
          403: "Partnership figures asked for by a role that may not export them",
          404: "No such quarter, or not published"}


def refuses(*statuses: int):
    """Document the view's refusals in the OpenAPI document (flask-smorest's alt_response, one each)."""
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, description=ERRORS[status], schema=schemas.Problem)(view)
        return view
    return decorate


class ReadApi(Api):
    """flask-smorest's Api, less its app-wide error handler: that would turn every HTML error page of
    the app into JSON. The API's own blueprint answers its errors as problem+json instead."""

    def _register_error_handlers(self):
        pass


def init_api(app) -> None:
    api = ReadApi(app, spec_kwargs={"title": "Havering VAWG action plan: read API", "version": "1",
                                    "openapi_version": "3.1.0"})
    api.register_blueprint(blp)
    app.register_blueprint(docs)


def problem(status: int, detail: str):
    response = jsonify({"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
                        "status": status, "detail": detail})
    response.status_code = status
    response.mimetype = PROBLEM
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@blp.before_request
def authenticate():
    g.api_user = None
    header = request.headers.get("Authorization")
    if header is None:
        # The app's own session (checked by auth.enforce_session: live, not idle, second factor done).
        if current_user.is_authenticated:
            g.api_user = current_user._get_current_object()
        return None
    scheme, _, token = header.partition(" ")
    user = tokens.user_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        return problem(401, "The API token is unknown, revoked or expired: make a new one on your account page")
    g.api_user = user
    return None


@blp.after_request
def conditional(response):
    response.headers.add("Vary", "Authorization, Cookie")
    if response.status_code == 200 and response.mimetype == "application/json":
        if g.get("api_user") is None and not request.cookies:
            g.public_cache = True  # anonymous: published figures only, the same for everyone
            response.headers["Cache-Control"] = f"public, max-age={ANONYMOUS_MAX_AGE}"
        response.add_etag()
        response.make_conditional(request)
    return response


@blp.errorhandler(service.ApiError)
def api_error(exc: service.ApiError):
    return problem(exc.status, exc.detail)


def http_error(exc: HTTPException):
    # webargs refuses a bad parameter with 422 and the messages in exc.data: a 400 for the caller.
    messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if messages:
        fields = {name: errors for location in messages.values() for name, errors in location.items()}
        detail = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in fields.items())
        return problem(400, detail)
    return problem(exc.code or 500, exc.description or "")


# By code as well as by class: Flask tries the app's handlers for a status code (app.error_pages, HTML)
# before a blueprint's handler for the HTTPException class.
blp.register_error_handler(HTTPException, http_error)
for _code in (400, 401, 403, 404, 405, 413, 414, 422, 500):
    blp.register_error_handler(_code, http_error)


def _paged(items: list, page: int, per_page: int, **extra) -> dict:
    total = len(items)
    last = max(1, ceil(total / per_page))

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        args = {**request.args.to_dict(), "page": number, "per_page": per_page}
        return url_for(request.endpoint, **request.view_args, **args)

    return {**extra, "page": page, "per_page": per_page, "total": total,
            "links": {"self": link(page), "first": link(1), "last": link(last),
                      "next": link(page + 1) if page < last else None, "prev": link(page - 1) if page > 1 else None},
            "items": items[(page - 1) * per_page:page * per_page]}


@blp.route("/quarters")
@public
@blp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.QuarterPage)
@refuses(400, 401)
def quarters(page: int, per_page: int):
    """Quarters: anonymous callers see only published, locked ones; a token sees every strategy quarter."""
    return _paged(service.quarters(g.api_user), page, per_page)


@blp.route("/strategy")
@public
@blp.response(200, schemas.Strategy)
@refuses(401)
def strategy():
    """The strategy and its objectives."""
    return service.strategy()


@blp.route("/actions")
@public
@blp.arguments(schemas.QuarterArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.ActionPage)
@refuses(400, 401, 404)
def actions(page: int, per_page: int, quarter: str | None):
    """Actions in force in a quarter, with their lead agencies and partnership status."""
    found = service.quarter_for(g.api_user, quarter)
    return _paged(service.actions(found), page, per_page, quarter=found.slug)


@blp.route("/indicators")
@public
@blp.arguments(schemas.IndicatorArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.IndicatorPage)
@refuses(400, 401, 403, 404)
def indicators(page: int, per_page: int, quarter: str | None, audience: str | None):
    """Indicators with their values, targets, ratings and directions of travel, for an audience.

    The published audience has small numbers suppressed exactly as the published pack has them.
    """
    found = service.quarter_for(g.api_user, quarter)
    # Every value of `audience`, not webargs' first one: a repeated parameter is refused (audience_for).
    chosen = service.audience_for(g.api_user, request.args.getlist("audience"))
    body = service.indicators(found, chosen)
    if g.api_user is not None:
        report_service.audit_export(g.api_user, found, chosen, "api")
        db.session.commit()  # the partnership export's audit event
    items = body.pop("items")
    return _paged(items, page, per_page, **body)


# --- the OpenAPI document and its docs page --------------------------------------------------------


def _spec() -> dict:
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


@docs.route("/openapi.json")
@public
def openapi():
    return jsonify(_spec())


@docs.route("/docs")
@public
def docs_page():
    # Our own page rather than Swagger UI or Redoc: both load scripts from a CDN, which the app's
    # Content-Security-Policy (script-src 'self' + nonce) rightly refuses.
    spec = _spec()
    return render_template("api/docs.html", spec=spec, paths=spec["paths"])
