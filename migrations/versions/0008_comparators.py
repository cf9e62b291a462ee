"""Comparison with other boroughs: stated ranks and imported comparator values

Revision ID: 0008_comparators
Revises: 0007_publication
Create Date: 2026-12-03 11:00:00
"""

import sqlalchemy as sa
from alembic import op

from app.database import UTCDateTime

revision = "0008_comparators"
down_revision = "0007_publication"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comparator_rank",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("of_areas", sa.Integer(), nullable=False),
        sa.Column("counted_from", sa.String(10), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"],
                                name=op.f("fk_comparator_rank_indicator_id_indicator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparator_rank")),
        sa.UniqueConstraint("indicator_id", "group_name", "measure", "period",
                            name=op.f("uq_comparator_rank_indicator_id_group_name_measure_period")),
    )
    op.create_index(op.f("ix_comparator_rank_indicator_id"), "comparator_rank", ["indicator_id"])
    op.create_table(
        "comparator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("area", sa.String(100), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"],
                                name=op.f("fk_comparator_value_indicator_id_indicator")),
        sa.ForeignKeyConstraint(["imported_by_id"], ["user_account.id"],
                                name=op.f("fk_comparator_value_imported_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparator_value")),
        sa.UniqueConstraint("indicator_id", "group_name", "area", "period",
                            name=op.f("uq_comparator_value_indicator_id_group_name_area_period")),
    )
    op.create_index(op.f("ix_comparator_value_indicator_id"), "comparator_value", ["indicator_id"])


def downgrade():
    op.drop_table("comparator_value")
    op.drop_table("comparator_rank")
