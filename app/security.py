"""Response security headers, request ids and the JSON-lines application log (ASVS V7, V8.2, V14.4).

One `register_security(app)` call from create_app installs all of it, so the rules live in one place:
- every response: a Content-Security-Policy with a per-request script nonce (object-src, base-uri and
  frame-ancestors 'none' even when a view narrows the policy), nosniff, Referrer-Policy, framing denied,
  cross-origin isolation of windows and resources, and HSTS when the app is configured for HTTPS;
- every response except static files: `Cache-Control: no-store`, since pages and exports carry casework
  figures and must not stay in shared caches, the back/forward cache or a browser's disk cache;
- every request: an id (a sane incoming X-Request-ID, or a new one) echoed in the response, carried
  by every log line written while the request runs, and one access line when it ends.

The log is one JSON object a line on stderr. JSON encoding (ASCII only) escapes CR, LF and every
other control or line-separator character, so nothing a visitor sends can start a forged line, and
every field is capped in length. It never carries passwords, cookies, tokens, form bodies or query
strings (which could carry tokens): only the method and the path.
"""

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain, so a proxy's id can link its log to ours
# without letting a client put arbitrary text into every log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

HSTS = "max-age=31536000; includeSubDomains"  # seconds: one year, the ASVS 5 minimum

# Directives that do not fall back to default-src, so a view's narrower policy must still carry them.
_REQUIRED_CSP = {"object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"}

# Caps on what one log line may carry (characters), so a huge path or header cannot flood the log.
MAX_MESSAGE = 2000
MAX_FIELD = 300

# Refused requests (a failed CSRF check, a missing sign-in, a forbidden object) are logged as warnings,
# so monitoring can alert on access-control failures (ASVS V7.2) without reading every line.
_SECURITY_STATUSES = {400, 401, 403}

_STANDARD_RECORD_KEYS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def content_security_policy(nonce: str, override: str | None = None) -> str:
    """The page policy (script only from this site or with the request's nonce), or a view's own
    narrower policy with the directives that never fall back to default-src added if missing."""
    if override is None:
        policy = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "form-action 'self'"
        )
    else:
        policy = override.strip().rstrip(";")
    present = {part.split()[0] for part in policy.split(";") if part.strip()}
    extra = [f"{name} {value}" for name, value in _REQUIRED_CSP.items() if name not in present]
    return "; ".join([policy, *extra])


def request_id_from(incoming: str | None) -> str:
    """The caller's X-Request-ID if it is 8 to 64 plain characters, otherwise a fresh random id."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


def _cap(value, limit: int = MAX_FIELD):
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record, ASCII only, so CR/LF and U+2028 can never split a line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _cap(record.getMessage(), MAX_MESSAGE),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_KEYS and not key.startswith("_"):
                entry[key] = _cap(value)
        if record.exc_info:
            entry["exception"] = _cap(self.formatException(record.exc_info), MAX_MESSAGE * 4)
        return json.dumps(entry, ensure_ascii=True, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test's capture, gunicorn's redirected stream)."""

    is_vawg_json = True

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLinesFormatter())

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(app: Flask) -> None:
    """Send every log record to stderr as JSON lines, once per process, and log the app at LOG_LEVEL."""
    root = logging.getLogger()
    # Alembic's env.py runs logging.config.fileConfig, which puts a plain-text console handler on the
    # root logger and disables existing loggers. A plain-text handler would write a visitor's CR/LF
    # unescaped, so it goes, and ours is put back (checked on every create_app, idempotent).
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    if not any(getattr(handler, "is_vawg_json", False) for handler in root.handlers):
        root.addHandler(_StderrHandler())
    app.logger.removeHandler(default_handler)
    level = app.config.get("LOG_LEVEL", "INFO")
    for name in (app.logger.name, f"{app.logger.name}.request"):
        logger = logging.getLogger(name)
        logger.disabled = False
        logger.setLevel(level)


def _user_id() -> int | None:
    # Only a user Flask-Login already loaded for this request: a static file must not cost a query.
    user = g.get("_login_user")
    return getattr(user, "id", None) if user is not None and user.is_authenticated else None


def register_security(app: Flask) -> None:
    """Install the request id, security headers and JSON access log on `app`."""
    configure_logging(app)
    access_log = logging.getLogger(f"{app.logger.name}.request")

    def start_request() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()
        # The request's one nonce, set first so that a request stopped by a later hook (a failed CSRF
        # check) still has one and its error page keeps its scripts.
        g.csp_nonce = secrets.token_urlsafe(16)

    # First of all before-request hooks, so a request CSRF or the idle timeout stops still has an id.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce", ""), g.get("csp_override"))
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"  # older browsers that ignore frame-ancestors
        # same-origin, not no-referrer: Flask-WTF checks the Referer of form posts over HTTPS.
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers["Strict-Transport-Security"] = HSTS
        # The public progress page (app.public) is the one exception: the same for everyone, published.
        if request.endpoint != "static" and not g.get("public_cache"):
            headers["Cache-Control"] = "no-store"
        request_id = g.get("request_id")
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        level = logging.WARNING if response.status_code in _SECURITY_STATUSES else logging.INFO
        if not access_log.isEnabledFor(level):
            return response  # the line's fields (the browser's description parsed) cost on every request
        started = g.get("request_started")
        access_log.log(
            level,
            "%s %s %s",
            request.method,
            _cap(request.path),
            response.status_code,
            extra={
                "method": request.method,
                "path": _cap(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "user_id": _user_id(),
                "user_agent": _cap(request.user_agent.string),
            },
        )
        return response
