"""The header's service navigation: which links a user sees, and which one is the current page.

Rendering it through GOV.UK Frontend's macro cost a sizeable part of every page (issue 11: the
dashboard's throughput). Its HTML depends only on the user's role and the current section, never on
the user, so each (role, section) is rendered once per worker and reused. Nothing of one user (name,
CSRF token, CSP nonce) is in it: the "Signed in as" line stays in base.html.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app, render_template_string, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app.auth.models import Role
from app.permissions import ADMINS, RETURN_WRITERS, STAFF

_ACCOUNT_ENDPOINTS = ("auth.account", "auth.change_password", "auth.my_sessions", "auth.set_up_two_factor")

# (endpoint, text, who sees it (a role set of app.permissions; None: everyone signed in),
#  is it the current section? (blueprint, endpoint))
_ITEMS: list[tuple[str, str, tuple[Role, ...] | None, Callable[[str | None, str | None], bool] | None]] = [
    ("actions.dashboard", "RAG dashboard", None,
     lambda bp, ep: bp == "actions" and ep in ("actions.dashboard", "actions.action_page")),
    ("kpis.catalogue", "Indicators", None, lambda bp, ep: bp == "kpis"),
    ("reports.index", "Reports", None, lambda bp, ep: bp == "reports"),
    ("search.index", "Search", None, lambda bp, ep: bp == "search"),
    ("actions.my_actions", "My actions", RETURN_WRITERS,
     lambda bp, ep: ep in ("actions.my_actions", "actions.edit_update")),
    ("cycle.periods", "Quarterly cycle", STAFF, lambda bp, ep: bp == "cycle"),
    ("refresh.index", "Plan", STAFF, lambda bp, ep: bp == "refresh"),
    ("audit.index", "Audit", STAFF, lambda bp, ep: bp == "audit"),
    ("admin.users", "Admin", ADMINS, lambda bp, ep: bp == "admin"),
    ("auth.account", "Your account", None, lambda bp, ep: ep in _ACCOUNT_ENDPOINTS),
    ("auth.logout_page", "Sign out", None, None),
]

_TEMPLATE = """\
{% from "govuk_frontend_jinja/components/generic-header/macro.html" import govukGenericHeader %}
{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}
  {{ govukGenericHeader({"logoText": "Havering Community Safety Partnership", "url": url_for("main.home")}) }}
  {{ govukServiceNavigation({"serviceName": "VAWG action plan", "serviceUrl": url_for("main.home"), \
"navigation": nav, "navigationLabel": "Menu"}) }}
"""

_lock = threading.Lock()


def site_header() -> Markup:
    """The generic header and service navigation for the current user and page (see the module docstring)."""
    role = current_user.role if current_user.is_authenticated else None
    bp, ep = request.blueprint, request.endpoint
    shown = [] if role is None else [
        (endpoint, text, None if active is None else active(bp, ep))
        for endpoint, text, roles, active in _ITEMS
        if roles is None or role in {r.value for r in roles}
    ]
    # The links are paths under the app's root, so the same role and section give the same HTML.
    key = (request.script_root, tuple(shown))
    rendered: dict = current_app.extensions.setdefault("site_header", {})
    found = rendered.get(key)
    if found is None:
        nav = [{"href": url_for(endpoint), "text": text, **({"active": active} if active is not None else {})}
               for (endpoint, text, active) in shown]
        found = Markup(render_template_string(_TEMPLATE, nav=nav))  # noqa: S704 - our template, escaped
        with _lock:
            rendered[key] = found
    return found
