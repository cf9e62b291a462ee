"""How an indicator's quarters combine (indicator.aggregation) and what a target is for (indicator_target.basis)

Revision ID: 0005_indicator_aggregation
Revises: 0005_accounts
Create Date: 2026-12-03 03:20:00

`indicator.aggregation` replaces the `cumulative` flag. Existing rows are backfilled: a cumulative
indicator stays cumulative; a percentage or rate per 1,000 becomes a rate (recomputed from its parts);
every other indicator a flow; then the four seeded point-in-time measures become snapshots (see
seed/INDICATORS.md). Existing targets were applied to each quarter's value, so they keep that meaning
as basis "quarter".
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_indicator_aggregation"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None

# Seeded measures read at a point in time: agencies attending, people supported (a person supported in
# two quarters is one person), plans open at quarter end. Summing their quarters would double count.
SNAPSHOTS = ("MA03", "ID01", "WA01", "CP01")


# Columns are added and dropped in place (ALTER TABLE ... ADD/DROP COLUMN, SQLite 3.35 or later), with each
# CHECK constraint written on its column, so SQLite need not rebuild the indicator table: a rebuild DROPs the
# old table, which fails with foreign keys on while targets and values refer to it.
AGGREGATION_CHECK = "aggregation IN ('flow', 'snapshot', 'rate', 'cumulative')"
BASIS_CHECK = "basis IN ('quarter', 'year')"


def upgrade():
    op.add_column(
        "indicator",
        sa.Column(
            "aggregation",
            sa.String(length=12),
            sa.CheckConstraint(AGGREGATION_CHECK, name=op.f("ck_indicator_aggregation_known")),
            server_default="flow",
            nullable=False,
        ),
    )
    indicator = sa.table(
        "indicator",
        sa.column("aggregation", sa.String),
        sa.column("cumulative", sa.Boolean),
        sa.column("unit", sa.String),
        sa.column("code", sa.String),
    )
    op.execute(
        indicator.update().where(indicator.c.unit.in_(("percentage", "rate_per_1000"))).values(aggregation="rate")
    )
    op.execute(indicator.update().where(indicator.c.code.in_(SNAPSHOTS)).values(aggregation="snapshot"))
    op.execute(indicator.update().where(indicator.c.cumulative.is_(True)).values(aggregation="cumulative"))
    op.drop_column("indicator", "cumulative")

    op.add_column(
        "indicator_target",
        sa.Column(
            "basis",
            sa.String(length=10),
            sa.CheckConstraint(BASIS_CHECK, name=op.f("ck_indicator_target_basis_known")),
            server_default="quarter",
            nullable=False,
        ),
    )


def downgrade():
    op.drop_column("indicator_target", "basis")
    op.add_column("indicator", sa.Column("cumulative", sa.Boolean(), server_default=sa.false(), nullable=False))
    indicator = sa.table("indicator", sa.column("aggregation", sa.String), sa.column("cumulative", sa.Boolean))
    op.execute(indicator.update().where(indicator.c.aggregation == "cumulative").values(cumulative=True))
    op.drop_column("indicator", "aggregation")
