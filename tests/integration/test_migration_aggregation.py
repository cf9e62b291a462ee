"""Migration 0005_indicator_aggregation: existing indicators and targets are backfilled sensibly, and back."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db

BEFORE = "0005_indicator_aggregation-1"  # whatever revision this migration follows


def _rows(sql: str) -> dict:
    return dict(db.session.execute(text(sql)).all())


def test_backfill_from_the_cumulative_flag_the_unit_and_the_seeded_snapshots(app):
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    cumulative = _rows("SELECT code, cumulative FROM indicator")
    assert bool(cumulative["CH01"]) and not any(v for c, v in cumulative.items() if c != "CH01")
    db.session.execute(text("UPDATE indicator SET cumulative = :yes WHERE code = 'DV01'"), {"yes": True})
    db.session.commit()
    db.session.remove()

    upgrade(revision="heads")
    kinds = _rows("SELECT code, aggregation FROM indicator")
    assert (kinds["CH01"], kinds["DV01"], kinds["DV04"], kinds["CP01"], kinds["MA03"], kinds["ID02"]) == (
        "cumulative",
        "cumulative",
        "rate",
        "snapshot",
        "snapshot",
        "flow",
    )
    # Targets were applied to every quarter's value before, so they keep that meaning.
    assert set(_rows("SELECT id, basis FROM indicator_target").values()) == {"quarter"}
    db.session.remove()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE indicator SET aggregation = 'average' WHERE code = 'DV01'",
        "UPDATE indicator_target SET basis = 'month'",
    ],
)
def test_the_database_refuses_an_unknown_kind_or_basis(app, sql):
    with pytest.raises(IntegrityError):
        db.session.execute(text(sql))
        db.session.flush()
    db.session.rollback()
