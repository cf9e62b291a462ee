"""Settings finalised at start-up: the connection ping is kept only where a database server can restart."""

import pytest

from app.config import finalise


@pytest.mark.parametrize("url, pinged", [
    ("sqlite://", False),
    ("sqlite:////srv/vawg/vawg.db", False),
    ("postgresql+psycopg://vawg@db/vawg", True),
])
def test_the_connection_ping_is_kept_for_a_database_server_only(url, pinged):
    config = {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url,
              "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 5}}
    finalise(config)
    assert config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping", False) is pinged
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 5
