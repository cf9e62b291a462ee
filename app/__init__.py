"""The application factory."""

from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from app.config import config_for_environment, finalise
from app.database import ping_when_in_doubt
from app.error_pages import register_error_pages
from app.extensions import csrf, db, htmx, login_manager, migrate
from app.filters import TemplateEnvironment, register_template_helpers
from app.security import register_security
from app.signing import register_signing


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI, error pages and security headers."""
    app = Flask(__name__, instance_relative_config=False)
    app.jinja_environment = TemplateEnvironment  # before app.jinja_env is first built, below
    app.config.from_object(config_for_environment())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    finalise(app.config)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("app"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    db.init_app(app)
    with app.app_context():
        ping_when_in_doubt(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    register_signing(app)  # after CSRFProtect: it replaces CSRFProtect's csrf_token() in the templates
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.session_protection = "strong"

    _register_models()
    from app.web import IdConverter, refuse_control_characters_in_query

    app.url_map.converters["int"] = IdConverter  # before the blueprints: every <int:id> is bounded
    app.before_request(refuse_control_characters_in_query)
    _register_blueprints(app)
    register_security(app)
    register_error_pages(app)
    register_template_helpers(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _register_models() -> None:
    # Import every model module so metadata (and Alembic autogenerate) sees all tables.
    import app.actions.models  # noqa: F401
    import app.api.models  # noqa: F401
    import app.audit.models  # noqa: F401
    import app.auth.models  # noqa: F401
    import app.cache  # noqa: F401 - the data version, its session events and the cache table (issue 11)
    import app.comparators.models  # noqa: F401
    import app.cycle.models  # noqa: F401
    import app.kpis.models  # noqa: F401
    import app.public.models  # noqa: F401
    import app.refresh.models  # noqa: F401
    import app.reports.models  # noqa: F401
    import app.strategy.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    # Imported here, as the factory pattern does: a view module may import `app.*` freely.
    from app.actions.routes import bp as actions_bp
    from app.admin.routes import bp as admin_bp
    from app.api.account import bp as api_tokens_bp
    from app.api.routes import init_api
    from app.audit.routes import bp as audit_bp
    from app.auth.routes import bp as auth_bp
    from app.comparators.routes import bp as comparators_bp
    from app.cycle.routes import bp as cycle_bp
    from app.kpis.routes import bp as kpis_bp
    from app.main import bp as main_bp
    from app.public.routes import bp as public_bp
    from app.refresh.routes import bp as refresh_bp
    from app.reports.routes import bp as reports_bp
    from app.returns_io.routes import bp as returns_io_bp
    from app.search.routes import bp as search_bp

    for bp in (main_bp, auth_bp, actions_bp, admin_bp, audit_bp, kpis_bp, cycle_bp, reports_bp, refresh_bp,
               returns_io_bp, search_bp, public_bp, comparators_bp, api_tokens_bp):
        app.register_blueprint(bp)
    init_api(app)  # the read API (/api/v1) and its OpenAPI document
