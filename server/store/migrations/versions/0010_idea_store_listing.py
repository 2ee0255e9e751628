"""The idea store's console list at 100,000 ideas: narrow indexes to count, sort and sum on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

- ``ix_ideas_listed``: the ideas a list shows (not deleted, not merged on their board), with the
  columns its filters use, so counting a list reads the index only, not rows holding whole texts.
- ``ix_ideas_created``: newest or oldest first, a page is read off the index and the scan stops.
- ``ix_votes_idea`` now holds the session and the dots, so an idea's dots are summed from it alone.
- Ideas by tag: on PostgreSQL a GIN index on ``tags::jsonb``; on SQLite a table ``idea_tags`` of
  (idea rowid, tag) kept by triggers from the ideas' JSON, with an index by tag.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LISTED = "deleted_at IS NULL AND merged_into IS NULL"

SQLITE_TAGS = (
    "CREATE TABLE idea_tags (idea_rowid INTEGER NOT NULL, tag TEXT NOT NULL)",
    "CREATE INDEX ix_idea_tags_tag ON idea_tags (tag, idea_rowid)",
    "CREATE INDEX ix_idea_tags_idea ON idea_tags (idea_rowid)",
    "INSERT INTO idea_tags SELECT ideas.rowid, json_each.value FROM ideas, json_each(ideas.tags)",
    """CREATE TRIGGER ideas_tags_insert AFTER INSERT ON ideas BEGIN
        INSERT INTO idea_tags SELECT new.rowid, value FROM json_each(new.tags);
    END""",
    """CREATE TRIGGER ideas_tags_update AFTER UPDATE OF tags ON ideas BEGIN
        DELETE FROM idea_tags WHERE idea_rowid = old.rowid;
        INSERT INTO idea_tags SELECT new.rowid, value FROM json_each(new.tags);
    END""",
    """CREATE TRIGGER ideas_tags_delete AFTER DELETE ON ideas BEGIN
        DELETE FROM idea_tags WHERE idea_rowid = old.rowid;
    END""",
)


def upgrade() -> None:
    op.create_index(
        "ix_ideas_listed",
        "ideas",
        ["event_id", "field_id", "review_status", "duplicate_of", "status", "created_at"],
        sqlite_where=sa.text(LISTED),
        postgresql_where=sa.text(LISTED),
    )
    op.create_index("ix_ideas_created", "ideas", ["created_at"])
    op.drop_index("ix_votes_idea", "votes")
    op.create_index("ix_votes_idea", "votes", ["idea_id", "session_id", "dots"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TAGS:
            op.execute(statement)
    else:
        op.execute("CREATE INDEX ix_ideas_tags ON ideas USING gin ((tags::jsonb) jsonb_path_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ideas_tags_insert", "ideas_tags_update", "ideas_tags_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS idea_tags")
    else:
        op.execute("DROP INDEX IF EXISTS ix_ideas_tags")
    op.drop_index("ix_votes_idea", "votes")
    op.create_index("ix_votes_idea", "votes", ["idea_id"])
    op.drop_index("ix_ideas_created", "ideas")
    op.drop_index("ix_ideas_listed", "ideas")
