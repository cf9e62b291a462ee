"""A locked quarter's outputs, kept as they were published (frozen_report)

Revision ID: 0006_frozen_reports
Revises: 0005_indicator_aggregation
Create Date: 2026-12-03 07:00:00

Quarters locked before this revision have no frozen copy and are still built from the live data
until `flask --app wsgi freeze-reports` keeps them (see README, "Locked quarters stay as published").
"""

import sqlalchemy as sa
from alembic import op

from app.database import UTCDateTime

revision = "0006_frozen_reports"
down_revision = "0005_indicator_aggregation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "frozen_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("frozen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("page_head", sa.Text(), nullable=False),
        sa.Column("page_body", sa.Text(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("charts", sa.Text(), nullable=False),
        sa.Column("pack", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["reporting_period.id"],
                                name=op.f("fk_frozen_report_period_id_reporting_period"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frozen_report")),
        sa.UniqueConstraint("period_id", "audience", name=op.f("uq_frozen_report_period_id_audience")),
    )


def downgrade():
    op.drop_table("frozen_report")
