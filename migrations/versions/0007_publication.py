"""Publication of locked quarters on the public progress page (publication)

Revision ID: 0007_publication
Revises: 0007_search
Create Date: 2026-12-03 10:40:00
"""

import sqlalchemy as sa
from alembic import op

from app.database import UTCDateTime

revision = "0007_publication"
down_revision = "0007_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name=op.f("ck_publication_quarter_number")),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user_account.id"],
                                name=op.f("fk_publication_changed_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("year", "quarter", name=op.f("uq_publication_year_quarter")),
    )


def downgrade():
    op.drop_table("publication")
