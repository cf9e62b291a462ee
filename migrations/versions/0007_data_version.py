"""A data version every write bumps, and the cache of content built at a version

Revision ID: 0007_data_version
Revises: 0007_cycle_notices
Create Date: 2026-12-03 10:20:00

The dashboard's results, the report's charts and page are built once per data version and kept in
`cache_entry`, so every gunicorn worker shares them and a save is seen on the next request (issue 11,
app/cache.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_data_version"
down_revision = "0007_cycle_notices"
branch_labels = None
depends_on = None


def upgrade():
    version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(version, [{"id": 1, "n": 0}])
    op.create_table(
        "cache_entry",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cache_entry")),
    )


def downgrade():
    op.drop_table("cache_entry")
    op.drop_table("data_version")
