"""The two signatures every signed-in page pays for, made once instead of on every request (issue 11).

- **The session cookie's serializer.** Flask builds a new one on every request, though it only changes
  with the secret keys. It is kept per app and rebuilt when the keys change.
- **The CSRF token.** Flask-WTF signs the session's raw token afresh on every request, with a
  timestamp that WTF_CSRF_TIME_LIMIT (8 hours) is checked against. One signature is reused for
  CSRF_REUSE_SECONDS, per raw token. A page's token then expires at most that much earlier, and it is
  still the session's own: a token is only ever handed to the session whose raw token it signs.

In process, each was 5 to 8% of the CPU of a kept dashboard view on SQLite, and 3 to 4% on PostgreSQL.
"""

import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf

CSRF_REUSE_SECONDS = 60.0
CSRF_REMEMBERED = 4096  # per worker: signed tokens of that many recently seen sessions
_lock = threading.Lock()


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per set of keys."""

    def __init__(self) -> None:
        self._kept: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


def csrf_token() -> str:
    """This request's signed CSRF token, as generate_csrf() gives it, but signed at most once a
    CSRF_REUSE_SECONDS per session (see the module's docstring)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return g.get(field)  # this request's, already made
    now = time.monotonic()
    remembered: OrderedDict = current_app.extensions.setdefault("signed_csrf_tokens", OrderedDict())
    raw = session.get(field)
    with _lock:
        found = remembered.get(raw) if raw else None
    if found is not None and now - found[0] < CSRF_REUSE_SECONDS:
        setattr(g, field, found[1])  # where generate_csrf() and the forms look for this request's token
        return found[1]
    token = generate_csrf()
    raw = session[field]  # a new session's first token has just made its raw token
    with _lock:
        remembered[raw] = (now, token)
        remembered.move_to_end(raw)
        while len(remembered) > CSRF_REMEMBERED:
            remembered.popitem(last=False)
    return token


def register_signing(app: Flask) -> None:
    """Install both on `app`. After CSRFProtect.init_app: the templates' `csrf_token()` becomes this
    module's, in the template globals and in the context, where Flask-WTF puts its own in both."""
    app.session_interface = KeptSerializerSessionInterface()
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
