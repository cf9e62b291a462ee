"""Full-text search over actions, update commentary and mitigation, and indicators

Revision ID: 0007_search
Revises: 0007_data_version
Create Date: 2026-12-03 10:30:00

Search uses each database's own full-text engine, never a scan in Python (issue 12):
- SQLite: an FTS5 table per searched table, holding no copy of the text (external content) and kept in
  step by triggers, so every insert, edit and delete through any path (the pages, the seed, an import,
  bulk SQL) is searchable at once.
- PostgreSQL: a GIN index on each table's `to_tsvector('english', ...)` expression; the search service
  writes the same expression, so the planner uses the index.

Both stem English words (Porter in SQLite, the 'english' configuration in PostgreSQL), so "refuge"
finds "refuges".

A later migration that rebuilds one of these tables with `op.batch_alter_table` on SQLite drops its
triggers with the old table: it must run `_sqlite_statements()` for that table again.
tests/integration/test_search.py fails if a trigger is missing at head.
"""

from alembic import op

revision = "0007_search"
down_revision = "0007_data_version"
branch_labels = None
depends_on = None

# table -> the text columns searched, in the order they are indexed
SOURCES = {
    "action": ("title", "detail"),
    "action_update": ("commentary", "mitigation"),
    "indicator": ("name", "definition"),
}


def _sqlite_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_search"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # index the rows already there
    ]


def _pg_document(table: str, columns: tuple[str, ...]) -> str:
    # Must read exactly as app/search/service.py writes it, or the planner will not use the index.
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"to_tsvector('english', {joined})"


def upgrade():
    dialect = op.get_bind().dialect.name
    for table, columns in SOURCES.items():
        if dialect == "sqlite":
            for statement in _sqlite_statements(table, columns):
                op.execute(statement)
        elif dialect == "postgresql":
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin ({_pg_document(table, columns)})")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SOURCES:
        if dialect == "sqlite":
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_search")
        elif dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
