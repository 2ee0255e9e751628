"""The idea store's curation: a review status, official feedback, ratings on an organizer's criteria
with an aggregated score, duplicates across events, the history of the organizers' changes, and the
full-text search index (German stems).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Search: on PostgreSQL a stored generated column ``search_vector``, ``to_tsvector('german', title || ' '
|| text)``, with a GIN index. On SQLite an FTS5 table ``idea_search`` whose rowid is the
idea's rowid, holding the Snowball German stems of its title and text; triggers keep it current and
call ``werkstatt_stems``, a function every connection of ``server.store.db.create_engine`` registers
(so the ``ideas`` table is written only through werkstatt's engine).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER ideas_search_insert AFTER INSERT ON ideas BEGIN
        INSERT INTO idea_search (rowid, body) VALUES (new.rowid, werkstatt_stems(new.title || ' ' || new.text));
    END""",
    """CREATE TRIGGER ideas_search_update AFTER UPDATE OF title, text ON ideas BEGIN
        UPDATE idea_search SET body = werkstatt_stems(new.title || ' ' || new.text) WHERE rowid = new.rowid;
    END""",
    """CREATE TRIGGER ideas_search_delete AFTER DELETE ON ideas BEGIN
        DELETE FROM idea_search WHERE rowid = old.rowid;
    END""",
)


def upgrade() -> None:
    op.add_column("ideas", sa.Column("review_status", sa.String(24), nullable=False, server_default="new"))
    op.add_column("ideas", sa.Column("feedback", sa.Text, nullable=False, server_default=""))
    op.add_column("ideas", sa.Column("feedback_at", sa.DateTime, nullable=True))
    op.add_column("ideas", sa.Column("score", sa.Float, nullable=True))
    op.add_column("ideas", sa.Column("duplicate_of", sa.String(32), nullable=True))
    op.add_column("ideas", sa.Column("source", sa.String(16), nullable=False, server_default="board"))
    op.create_index("ix_ideas_event_created", "ideas", ["event_id", "created_at"])
    op.create_index("ix_ideas_review_status", "ideas", ["review_status"])
    op.create_index("ix_votes_idea", "votes", ["idea_id"])
    op.create_index("ix_comments_idea", "comments", ["idea_id"])

    op.create_table(
        "rating_criteria",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("weight", sa.Integer, nullable=False, server_default="1"),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_rating_criteria_organizer", "rating_criteria", ["organizer_id"])
    op.create_table(
        "idea_ratings",
        sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "criterion_id", sa.String(32), sa.ForeignKey("rating_criteria.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("rater_id", sa.String(32), primary_key=True),  # the organizer who rated
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("rated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "idea_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("idea_id", sa.String(32), sa.ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_idea_history_idea", "idea_history", ["idea_id", "id"])

    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE idea_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
        op.execute(
            "INSERT INTO idea_search (rowid, body) SELECT rowid, werkstatt_stems(title || ' ' || text) FROM ideas"
        )
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        # stored, not an expression index: the planner then never computes it row by row
        op.execute(
            "ALTER TABLE ideas ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('german'::regconfig, title || ' ' || text)) STORED"
        )
        op.execute("CREATE INDEX ix_ideas_search ON ideas USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ideas_search_insert", "ideas_search_update", "ideas_search_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS idea_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_ideas_search")
        op.execute("ALTER TABLE ideas DROP COLUMN IF EXISTS search_vector")
    op.drop_table("idea_history")
    op.drop_table("idea_ratings")
    op.drop_table("rating_criteria")
    for name in ("ix_comments_idea", "ix_votes_idea", "ix_ideas_review_status", "ix_ideas_event_created"):
        op.drop_index(name)
    for column in ("source", "duplicate_of", "score", "feedback_at", "feedback", "review_status"):
        op.drop_column("ideas", column)
