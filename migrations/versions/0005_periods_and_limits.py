"""Every strategy quarter's reporting period exists; indicator numerators and denominators hold 64-bit counts.

Reporting periods used to be created by the first page that read them, so reading a page wrote to
the database. The seed now creates them; this creates the ones an existing database is missing.
A numerator or denominator of 2^31 or more was refused by PostgreSQL's INTEGER with a server error.

Revision ID: 0005_periods_and_limits
Revises: 0004_refresh
Create Date: 2026-12-03 03:40:00

"""
import sqlalchemy as sa
from alembic import op

from app.strategy.quarters import default_dates, strategy_quarters

# revision identifiers, used by Alembic.
revision = "0005_periods_and_limits"
down_revision = "0004_refresh"
branch_labels = None
depends_on = None

_periods = sa.table(
    "reporting_period",
    sa.column("year", sa.Integer),
    sa.column("quarter", sa.Integer),
    sa.column("opens_on", sa.Date),
    sa.column("deadline", sa.Date),
    sa.column("version", sa.Integer),
)


def upgrade():
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.alter_column("numerator", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)
        batch_op.alter_column("denominator", existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=True)

    conn = op.get_bind()
    strategy = conn.execute(sa.text("SELECT first_year, last_year FROM strategy ORDER BY id LIMIT 1")).first()
    if strategy is None:
        return  # a new database: the seed creates the periods with the strategy
    existing = set(conn.execute(sa.text("SELECT year, quarter FROM reporting_period")).all())
    rows = []
    for quarter in strategy_quarters(strategy[0], strategy[1]):
        if (quarter.year, quarter.number) not in existing:
            opens_on, deadline = default_dates(quarter)
            rows.append({"year": quarter.year, "quarter": quarter.number, "opens_on": opens_on,
                         "deadline": deadline, "version": 1})
    if rows:
        op.bulk_insert(_periods, rows)


def downgrade():
    # The periods stay: they may carry dates, locks and reminders by now.
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.alter_column("denominator", existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=True)
        batch_op.alter_column("numerator", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
