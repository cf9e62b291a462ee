"""Settings from the environment. Every number carries its unit."""

import os
import secrets
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _dev_secret_key() -> str:
    """A per-checkout random key for development, kept in instance/ so logins survive restarts."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = os.environ.get("APP_ENV", "production")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'vawg.db'}")
    # No pool_pre_ping: on PostgreSQL a connection is pinged only when it may have died
    # (app.database.ping_when_in_doubt); a ping before every request was a round trip each (issue 11).
    SECRET_KEY = os.environ.get("SECRET_KEY")

    # An idle session ends after this long; each request pushes it forward.
    SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60  # seconds
    # However active, a session ends this long after sign-in (ASVS 3.3: an absolute lifetime beside the idle one).
    SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")) * 60 * 60  # seconds
    # Both limits are enforced on the server (app/auth/sessions.py, which says which one ended a session).
    # The cookie only carries the session's token, so it lives as long as a session can and is not
    # signed again on every response: that was a sizeable share of each page's cost (issue 11).
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_SECONDS
    SESSION_REFRESH_EACH_REQUEST = False
    # last_seen is written at most this often, so reading pages does not write on every request.
    SESSION_TOUCH_SECONDS = 60  # seconds
    # The folder of the file through which one machine's workers hear of each other's writes, so that a
    # page view need not ask the database whether anything changed (app/changes.py). "off" when several
    # machines serve the app from one database: then every request asks the database.
    CHANGE_SIGNAL_DIR = os.environ.get("CHANGE_SIGNAL_DIR", str(INSTANCE))
    # Between a correct password and the second-factor code.
    SIGN_IN_PENDING_SECONDS = 5 * 60  # seconds

    # Throttling by client address, counted in the database so every gunicorn worker sees the same counts.
    SIGN_IN_IP_LIMIT = int(os.environ.get("SIGN_IN_IP_LIMIT", "50"))  # failed sign-ins and codes per window
    RESET_IP_LIMIT = int(os.environ.get("RESET_IP_LIMIT", "10"))  # password reset requests per window
    IP_WINDOW_SECONDS = 15 * 60  # seconds
    # Links sent by email: an invitation waits a week for its owner; a reset link is short-lived.
    INVITATION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60  # seconds
    RESET_MAX_AGE_SECONDS = 60 * 60  # seconds
    TOTP_ISSUER = "Havering VAWG plan"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    SESSION_COOKIE_NAME = "vawg_session"
    REMEMBER_COOKIE_DURATION = 0  # seconds: "remember me" is not offered

    WTF_CSRF_TIME_LIMIT = 8 * 60 * 60  # seconds: a long update form may stay open a working day
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # The largest request body: a 5 MB spreadsheet return (app.returns_io) and its form. A larger upload is
    # refused before it is read, with a page saying so (app/returns_io/routes.py). Form fields may hold the
    # signed preview of a large upload, so they may be as large.
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024 + 64 * 1024  # bytes
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH  # bytes

    # How many proxies (nginx, the load balancer) stand in front of gunicorn and set X-Forwarded-For.
    # Without this, every client seems to come from the proxy's address, and throttling by address
    # would treat the whole partnership as one client.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))

    # Base URL used in emails and CLI output, where there is no request.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # The JSON-lines application log on stderr (app/security.py): DEBUG, INFO, WARNING or ERROR.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

    # Outbound mail (reminders). No MAIL_HOST means print mail to the console.
    MAIL_HOST = os.environ.get("MAIL_HOST", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "vawg-plan@havering.example")

    # The accessibility statement's text: a YAML file the partnership edits (content/accessibility.yaml by default).
    ACCESSIBILITY_STATEMENT_FILE = os.environ.get(
        "ACCESSIBILITY_STATEMENT_FILE", str(Path(__file__).resolve().parent.parent / "content" / "accessibility.yaml"))

    # Small-number publication threshold: counts 1 to 4 are shown as "<5" (JSNA practice).
    DISCLOSURE_THRESHOLD = int(os.environ.get("DISCLOSURE_THRESHOLD", "5"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    # Cheap argon2id for the test suite only; production keeps the library's strong defaults.
    ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    # A test's database is its own: tests/conftest.py names a folder for the run, not the instance's.
    CHANGE_SIGNAL_DIR = os.environ.get("CHANGE_SIGNAL_DIR", "off")


def config_for_environment() -> type[Config]:
    """The settings class named by APP_ENV; production unless told otherwise."""
    name = os.environ.get("APP_ENV", "production")
    return {"development": DevelopmentConfig, "test": TestConfig}.get(name, Config)


def finalise(config: dict) -> None:
    """Fill the secret key in development and refuse to run without one elsewhere."""
    if not config.get("SECRET_KEY"):
        if config.get("ENV_NAME") == "development":
            config["SECRET_KEY"] = _dev_secret_key()
        else:
            raise RuntimeError("SECRET_KEY must be set outside development (APP_ENV=development).")
