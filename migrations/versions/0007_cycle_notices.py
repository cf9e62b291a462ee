"""The cycle's notices: emails sent when a return is sent back and when a quarter's returns are all in

Revision ID: 0007_cycle_notices
Revises: 0006_quarter_indexes
Create Date: 2026-12-03 10:20:00

"""

import sqlalchemy as sa
from alembic import op

import app.database

revision = "0007_cycle_notices"
down_revision = "0006_quarter_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sent_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("about", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('returned', 'all_in')", name=op.f("ck_notice_sent_kind_known")),
        sa.ForeignKeyConstraint(["period_id"], ["reporting_period.id"],
                                name=op.f("fk_notice_sent_period_id_reporting_period")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notice_sent_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_sent")),
    )
    with op.batch_alter_table("notice_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_sent_period_id"), ["period_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_sent_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notice_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_sent_user_id"))
        batch_op.drop_index(batch_op.f("ix_notice_sent_period_id"))
    op.drop_table("notice_sent")
