"""Index action updates and indicator values by quarter

Revision ID: 0006_quarter_indexes
Revises: 0005_indicator_aggregation
Create Date: 2026-12-03 07:20:00

The dashboard, "My actions", the tracker and the report read one quarter's updates (and the quarter
before). The only index that covered them led with the action, so each read scanned every update ever
filed; at 100 times the seeded plan that is over 100,000 rows per page view (issue 11).
"""

from alembic import op

revision = "0006_quarter_indexes"
down_revision = "0006_frozen_reports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_action_update_year_quarter", "action_update", ["year", "quarter"])
    op.create_index("ix_indicator_value_year_quarter", "indicator_value", ["year", "quarter"])


def downgrade():
    op.drop_index("ix_indicator_value_year_quarter", table_name="indicator_value")
    op.drop_index("ix_action_update_year_quarter", table_name="action_update")
