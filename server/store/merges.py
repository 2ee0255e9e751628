"""Dots of merged ideas, counted for the idea they were merged into, as the board's reveal does
(``boards.voting.rank`` with ``merge_root``): an idea merged into another, which was merged into a
third, counts for the third. Merges are few among many ideas; the partial index
``ix_ideas_merged_into`` (migration 0015) holds only the merged ones.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from server.store import tables as t


def merge_roots() -> Any:
    """Every idea merged into another (``id``) and the idea it ends in (``root``): one that is not
    merged itself, following merges of merges. A cycle, which the board's rules never make, ends
    nowhere: its ideas keep their own dots."""
    steps = (
        sa.select(t.ideas.c.id, t.ideas.c.merged_into.label("root"))
        .where(t.ideas.c.merged_into.is_not(None))
        .cte(recursive=True)  # anonymous: a statement may hold it twice (a filter and a sort)
    )
    target = t.ideas.alias("merge_target")
    steps = steps.union(  # UNION, not UNION ALL: a cycle adds nothing new and ends
        sa.select(steps.c.id, target.c.merged_into)
        .join(target, target.c.id == steps.c.root)
        .where(target.c.merged_into.is_not(None))
    )
    root = t.ideas.alias("merge_root")
    return (
        sa.select(steps.c.id, steps.c.root)
        .join(root, root.c.id == steps.c.root)
        .where(root.c.merged_into.is_(None))
        .subquery()
    )


def votes_by_root() -> Any:
    """The votes by the idea they count for: every vote under its own idea (read off the index
    ix_votes_idea alone, never joined), and the votes of merged ideas once more under their root —
    the few merged ideas' votes found through ix_ideas_merged_into. A merged idea is never listed
    itself, so its own row beside its root's is read by nobody."""
    roots = merge_roots()
    own = sa.select(t.votes.c.idea_id, t.votes.c.session_id, t.votes.c.dots)
    moved = sa.select(roots.c.root.label("idea_id"), t.votes.c.session_id, t.votes.c.dots).join(
        roots, roots.c.id == t.votes.c.idea_id
    )
    return sa.union_all(own, moved).subquery()


def merged_into(conn: Connection, ids: Collection[str]) -> dict[str, str]:
    """The ideas merged into one of ``ids`` (following merges of merges) → which of them."""
    if not ids:
        return {}
    roots = merge_roots()
    return dict(conn.execute(sa.select(roots.c.id, roots.c.root).where(roots.c.root.in_(list(ids)))).all())


def merged_in_events(conn: Connection, event_ids: Collection[str]) -> dict[str, str]:
    """The merged ideas of the events → the idea each counts for."""
    roots = merge_roots()
    return dict(
        conn.execute(
            sa.select(roots.c.id, roots.c.root)
            .join(t.ideas, t.ideas.c.id == roots.c.id)
            .where(t.ideas.c.event_id.in_(list(event_ids)))
        ).all()
    )
