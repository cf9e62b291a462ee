"""Versioned writes: save a row only if nobody saved it since the form was built.

Every editable row carries a `version`. A form carries the version it was built from, and the write is
one `UPDATE ... WHERE id = ? AND version = ?` that also bumps the version. SQLAlchemy's
`version_id_col` alone would not do: each request reloads the row, so it would compare the row with
itself and overwrite the other person's change (see ENVIRONMENT.md).
"""

from sqlalchemy import update

from app.errors import ConflictError
from app.extensions import db


def bump(obj, version: int, *conditions, **values) -> None:
    """Write `values` to `obj`'s row and add one to its version, only if it is still at `version`.

    Extra `conditions` narrow the write further (a review only writes a return still "submitted").
    `obj` is refreshed either way; when no row matched, ConflictError carries what is saved now.
    """
    model = type(obj)
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == version, *conditions)
        .values(version=model.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(obj)
    if result.rowcount != 1:
        raise ConflictError(obj)
