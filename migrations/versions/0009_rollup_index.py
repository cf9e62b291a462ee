"""Cover a quarter's partnership roll-up with one index

Revision ID: 0009_rollup_index
Revises: 0008_api_tokens
Create Date: 2026-12-03 14:30:00

The dashboard rolls each action's submitted statuses up in SQL (GROUP BY action, the worst status) for
the quarter shown and the one before. The (year, quarter) index found the quarter's rows but each was
then read from the table and sorted to group; with the action, state and status in the index too, the
roll-up reads the index alone, already in action order (issue 11). It serves every (year, quarter)
lookup the old index served, so that one goes.
"""

from alembic import op

revision = "0009_rollup_index"
down_revision = "0008_api_tokens"
branch_labels = None
depends_on = None

COLUMNS = ["year", "quarter", "action_id", "state", "status"]


def upgrade():
    op.create_index("ix_action_update_quarter_rollup", "action_update", COLUMNS)
    op.drop_index("ix_action_update_year_quarter", table_name="action_update")


def downgrade():
    op.create_index("ix_action_update_year_quarter", "action_update", ["year", "quarter"])
    op.drop_index("ix_action_update_quarter_rollup", table_name="action_update")
