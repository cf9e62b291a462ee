"""The template filters, globals and context every page may use, registered on the app in one place.

Feature blueprints register none of their own: a filter is app-wide whichever blueprint declares it,
so declaring them all here lets a reader find every name a template can use.
"""

from datetime import date, datetime

from flask import Flask, g
from flask.templating import Environment

from app.actions.rollup import STATUS_ORDER, Status
from app.auth.models import Role
from app.kpis import charts
from app.kpis.scoring import Rag
from app.kpis.seed import source_name
from app.navigation import site_header
from app.strategy.quarters import financial_year_slug


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, with templates sharing its globals rather than a ChainMap over them.

    Jinja puts every template's globals in a ChainMap in front of the environment's, even when the
    template has none of its own (ours never do). Each `{% from ... import %}` then tests the name of
    every global against both maps in Python, and a page makes a dozen such imports: about a tenth of
    a signed-in page's cost (issue 11). A template with no globals of its own sees exactly the
    environment's, so it is given that dict itself.
    """

    def make_globals(self, d):
        return self.globals if not d else super().make_globals(d)


def format_datetime(value: datetime | None) -> str:
    """A moment as the pages show it, e.g. "3 Dec 2026 07:15 UTC"; empty for None."""
    return value.strftime("%-d %b %Y %H:%M UTC") if value else ""


def format_date(value: date | None) -> str:
    """A day as the pages show it, e.g. "3 Dec 2026"; empty for None."""
    return value.strftime("%-d %b %Y") if value else ""


def register_template_helpers(app: Flask) -> None:
    """Add the shared filters, globals and per-request context to the app's Jinja environment."""

    @app.context_processor
    def inject():
        return {
            "cspNonce": g.get("csp_nonce"),
            "Status": Status,
            "STATUS_ORDER": STATUS_ORDER,
            "Role": Role,
            "Rag": Rag,
            "source_name": source_name,
        }

    app.add_template_global(site_header, "site_header")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(financial_year_slug, "fy_slug")
    app.add_template_filter(charts.format_value, "kpi_value")
    app.add_template_global(charts.target_wording, "target_text")
    app.add_template_global(charts.band_text, "band_text")
