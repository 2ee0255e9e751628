"""Maps of the space that organizers upload, and which map an event's rooms use.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

``maps`` holds an uploaded map as the browser gets it (``rooms.space.tiled.LoadedMap.client``,
JSON text), ``map_files`` its tileset images. ``events.plenary_map`` / ``events.breakout_map`` and
``rooms.map_id`` name a map; null: the built-in one (for a room: its event's map for its kind).

The three columns are added with ``ALTER TABLE … ADD COLUMN`` and carry no foreign key: on SQLite a
foreign key would need the table rebuilt, and rebuilding ``events`` with foreign keys on would
cascade into every table that refers to it. ``server.store.maps`` clears them when a map goes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maps",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("organizer_id", sa.String(32), sa.ForeignKey("organizers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("client", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_maps_organizer", "maps", ["organizer_id"])
    op.create_table(
        "map_files",
        sa.Column("map_id", sa.String(32), sa.ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
    )
    op.add_column("events", sa.Column("plenary_map", sa.String(32), nullable=True))
    op.add_column("events", sa.Column("breakout_map", sa.String(32), nullable=True))
    op.add_column("rooms", sa.Column("map_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("map_id")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("breakout_map")
        batch.drop_column("plenary_map")
    op.drop_table("map_files")
    op.drop_index("ix_maps_organizer", "maps")
    op.drop_table("maps")
