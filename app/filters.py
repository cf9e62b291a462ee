"""The template filters and globals every page may use, registered on the app in one place.

Feature blueprints register none of their own: a filter is app-wide whichever blueprint declares it,
so declaring it here lets a reader find every name a template can use.
"""

from flask import Flask

from app.kpis import charts


def register_template_helpers(app: Flask) -> None:
    """Add the shared filters and globals to the app's Jinja environment."""
    app.add_template_filter(charts.format_value, "kpi_value")
    app.add_template_global(charts.target_wording, "target_text")
    app.add_template_global(charts.band_text, "band_text")
