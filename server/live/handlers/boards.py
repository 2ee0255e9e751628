"""The board events: syncing, creating, viewing and presenting boards; ideas, clusters, comments, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from boards import commands as c
from boards.errors import NotFound
from boards.model import Board, Phase
from boards.rules import visible_to
from boards.text import clean_text
from boards.voting import VoteSession
from rooms.event_settings import clean_fields
from server import protocol as p
from server.ids import new_id
from server.live.dots import my_dots
from server.live.gateway import CONTRIBUTORS, EVERYONE, MODERATORS
from server.live.handlers.common import SYNC_LIMIT, idea_ack, registry, run_command
from server.live.state import Connection, LiveState
from server.live.views import (
    AckOf,
    project,
    session_out,
    settings_out,
    snapshot_comments,
    snapshot_ideas,
)
from server.live.views import cluster_out as cluster_view
from server.transport.fanout import room_channel


async def snapshot(live: LiveState, conn: Connection, board: Board) -> p.BoardSnapshot:
    authors = await live.authors(board)
    session = board.open_session()
    ballots = board.ballots.get(session.id) if session else None
    return p.BoardSnapshot.model_validate(
        {
            "board_id": board.id,
            "title": board.title,
            "seq": board.seq,
            "settings": settings_out(board.settings),
            "columns": [{"id": col.id, "name": col.name} for col in board.columns],
            "ideas": snapshot_ideas(board, authors, conn.viewer),
            "clusters": sorted(
                (cluster_view(k) for k in board.clusters.values()), key=lambda k: (k["position"], k["id"])
            ),
            "comments": snapshot_comments(board, authors, conn.viewer),
            "sessions": [session_out(s) for s in board.sessions.values()],
            "my_dots": _my_dots(conn, session, ballots),
            "progress": await live.votes.progress(board, session) if session else None,
            "window_state": window.state(live.clock.now()).value if (window := board.settings.window) else None,
        }
    )


def _my_dots(conn: Connection, session: VoteSession | None, ballots: Any) -> dict[str, Any] | None:
    """The connection's own dots in the open round; none for a projector view, which shows no one's."""
    if session is None or ballots is None or conn.projector:
        return None
    return my_dots(session, ballots, conn.member.id)


@registry.on("board.sync", payload=p.BoardSync, ack=p.BoardSyncAck, roles=EVERYONE)
async def board_sync(live: LiveState, conn: Connection, payload: p.BoardSync) -> p.BoardSyncAck:
    """What the client missed since `since`, or the whole board."""
    async with live.board(payload.board_id, conn.event_id) as board:
        if payload.since is not None and payload.since <= board.seq:
            stored = await live.store.changes_since(board.id, payload.since, SYNC_LIMIT)
            if stored is not None:
                return p.BoardSyncAck(
                    board_id=board.id,
                    seq=board.seq,
                    changes=[p.Change.model_validate(project(change.payload, conn.viewer)) for change in stored],
                    snapshot=None,
                )
        return p.BoardSyncAck(
            board_id=board.id, seq=board.seq, changes=None, snapshot=await snapshot(live, conn, board)
        )


@registry.on("board.create", payload=p.BoardCreate, ack=p.BoardCreated, roles=MODERATORS, audited=True)
async def board_create(live: LiveState, conn: Connection, payload: p.BoardCreate) -> p.BoardCreated:
    """Add a board to the room: its columns are the event's fields of action, or its own (a free board)."""
    title = clean_text(payload.title, label="The title", min_len=1, max_len=200)
    columns = () if payload.columns is None else clean_fields(payload.columns, label="column")
    board_id = await live.store.create_board(
        conn.event_id, conn.room_id, title, anonymous=payload.anonymous, columns=columns
    )
    live.board_added(conn.room_id)

    summary = p.BoardSummary(id=board_id, title=title, seq=0)
    await live.fanout.publish(room_channel(conn.room_id), "room.board", summary.model_dump())
    return p.BoardCreated(board=summary)


@registry.on("board.view", payload=p.BoardView, ack=p.ViewAck, roles=EVERYONE)
async def board_view(live: LiveState, conn: Connection, payload: p.BoardView) -> p.ViewAck:
    """Say which board this connection views and which idea it edits (shown to others; not stored)."""
    async with live.board(payload.board_id, conn.event_id) as board:
        if payload.editing is not None:
            visible_to(board, conn.actor, payload.editing)
        in_room = board.room_id == conn.room_id
    if conn.viewing is not None and conn.viewing != payload.board_id:
        live.viewers_changed(conn.room_id, conn.viewing)  # the board it looked at before
    conn.viewing, conn.editing = payload.board_id, payload.editing
    live.viewers_changed(conn.room_id, payload.board_id)
    if conn.role.moderates and in_room:  # the room's projector follows its facilitators (on its own boards)
        await live.present_board(conn.room_id, payload.board_id)
    return p.ViewAck(viewers=[p.BoardViewer.model_validate(v) for v in await live.board_viewers(payload.board_id)])


@registry.on("board.present", payload=p.BoardPresent, ack=p.PresentAck, roles=MODERATORS, audited=True)
async def board_present(live: LiveState, conn: Connection, payload: p.BoardPresent) -> p.PresentAck:
    """Show a board on the room's projector views (not stored). Viewing a board (`board.view`) as a
    facilitator or organizer presents it as well; this presents one without viewing it."""
    async with live.board(payload.board_id, conn.event_id) as board:
        if board.room_id != conn.room_id:
            raise NotFound("No such board in this room.")
    await live.present_board(conn.room_id, payload.board_id)
    return p.PresentAck(board_id=payload.board_id)


# -- ideas ----------------------------------------------------------------------------------


@registry.on("board.idea.create", payload=p.IdeaCreate, ack=p.IdeaAck, roles=CONTRIBUTORS)
async def idea_create(live: LiveState, conn: Connection, payload: p.IdeaCreate) -> p.IdeaAck:
    """Post an idea in a column (a field of action). Committed before the acknowledgement."""
    command = c.PostIdea(
        idea_id=new_id("idea"),
        column_id=payload.field_id,
        text=payload.text,
        now=live.clock.now(),
        client_id=payload.client_id,
        title=payload.title,
        tags=tuple(payload.tags),
        colour=payload.colour,
    )
    # the new idea, or the one stored with this client_id already
    ack = AckOf("idea", command.idea_id, conn.viewer, client_id=payload.client_id)
    outcome = await run_command(live, conn, payload.board_id, command, ack=ack)
    return p.IdeaAck.model_validate({"seq": outcome.seq, "idea": outcome.view})


@registry.on("board.idea.edit", payload=p.IdeaEdit, ack=p.IdeaAck, roles=CONTRIBUTORS)
async def idea_edit(live: LiveState, conn: Connection, payload: p.IdeaEdit) -> p.IdeaAck:
    """Change the text, title, tags, colour or column of one's own idea."""
    command = c.EditIdea(
        idea_id=payload.idea_id,
        now=live.clock.now(),
        text=payload.text,
        column_id=payload.field_id,
        title=payload.title,
        tags=None if payload.tags is None else tuple(payload.tags),
        colour=payload.colour,
    )
    return await idea_ack(live, conn, payload.board_id, command, payload.idea_id, fresh=True)  # dots: the stored ones


@registry.on("board.idea.delete", payload=p.IdeaDelete, ack=p.IdeaDeletedAck, roles=CONTRIBUTORS)
async def idea_delete(live: LiveState, conn: Connection, payload: p.IdeaDelete) -> p.IdeaDeletedAck:
    """Delete one's own idea; facilitators and organizers may delete any. The store keeps it, marked deleted."""
    # fresh: whether the idea has dots is decided on the stored ones (other nodes add to them)
    outcome = await run_command(
        live, conn, payload.board_id, c.DeleteIdea(idea_id=payload.idea_id, now=live.clock.now()), fresh=True
    )
    return p.IdeaDeletedAck(seq=outcome.seq, idea_id=payload.idea_id)


@registry.on("board.idea.move", payload=p.IdeaMove, ack=p.IdeaAck, roles=CONTRIBUTORS)
async def idea_move(live: LiveState, conn: Connection, payload: p.IdeaMove) -> p.IdeaAck:
    """Move an idea into a column, right after another idea (or to the top). Only its author or a
    facilitator moves it into another field of action; others reorder it within its field."""
    command = c.MoveIdea(payload.idea_id, payload.field_id, payload.after_id, live.clock.now())
    return await idea_ack(live, conn, payload.board_id, command, payload.idea_id)


@registry.on("board.idea.report", payload=p.IdeaReport, ack=p.SeqAck, roles=CONTRIBUTORS)
async def idea_report(live: LiveState, conn: Connection, payload: p.IdeaReport) -> p.SeqAck:
    """Report an idea to the facilitators (once per person)."""
    outcome = await run_command(live, conn, payload.board_id, c.ReportIdea(payload.idea_id, live.clock.now()))
    return p.SeqAck(seq=outcome.seq)


@registry.on("board.idea.moderate", payload=p.IdeaModerate, ack=p.SeqAck, roles=MODERATORS, audited=True)
async def idea_moderate(live: LiveState, conn: Connection, payload: p.IdeaModerate) -> p.SeqAck:
    """Hide, restore or approve (under pre-moderation) an idea."""
    command = c.ModerateIdea(payload.idea_id, payload.action, live.clock.now())
    outcome = await run_command(live, conn, payload.board_id, command, fresh=True)
    return p.SeqAck(seq=outcome.seq)


@registry.on("board.idea.merge", payload=p.IdeaMerge, ack=p.IdeaAck, roles=MODERATORS, audited=True)
async def idea_merge(live: LiveState, conn: Connection, payload: p.IdeaMerge) -> p.IdeaAck:
    """Merge duplicates into one idea, which keeps their provenance and their dots."""
    command = c.MergeIdeas(payload.target_id, tuple(payload.idea_ids), live.clock.now())
    return await idea_ack(live, conn, payload.board_id, command, payload.target_id, fresh=True)


# -- clusters -----------------------------------------------------------------------------


async def _cluster_ack(
    live: LiveState, conn: Connection, board_id: str, command: c.Command, cluster_id: str
) -> p.ClusterAck:
    outcome = await run_command(live, conn, board_id, command, ack=AckOf("cluster", cluster_id, conn.viewer))
    return p.ClusterAck.model_validate({"seq": outcome.seq, "cluster": outcome.view})


@registry.on("board.cluster.create", payload=p.ClusterCreate, ack=p.ClusterAck, roles=CONTRIBUTORS)
async def cluster_create(live: LiveState, conn: Connection, payload: p.ClusterCreate) -> p.ClusterAck:
    """Group ideas under a heading (one dropped onto another, or a selection). The cluster is in the
    first idea's field; ideas from another field join it there, which only their author or a facilitator may do."""
    command = c.GroupIdeas(new_id("cl"), payload.heading, tuple(payload.idea_ids), live.clock.now())
    return await _cluster_ack(live, conn, payload.board_id, command, command.cluster_id)


@registry.on("board.cluster.assign", payload=p.ClusterAssign, ack=p.SeqAck, roles=CONTRIBUTORS)
async def cluster_assign(live: LiveState, conn: Connection, payload: p.ClusterAssign) -> p.SeqAck:
    """Put an idea into a cluster, or take it out (null). A cluster in another field moves the idea
    there, which only its author or a facilitator may do."""
    outcome = await run_command(
        live, conn, payload.board_id, c.SetIdeaCluster(payload.idea_id, payload.cluster_id, live.clock.now())
    )
    return p.SeqAck(seq=outcome.seq)


@registry.on("board.cluster.rename", payload=p.ClusterRename, ack=p.ClusterAck, roles=CONTRIBUTORS)
async def cluster_rename(live: LiveState, conn: Connection, payload: p.ClusterRename) -> p.ClusterAck:
    """Change a cluster's heading."""
    command = c.RenameCluster(payload.cluster_id, payload.heading, live.clock.now())
    return await _cluster_ack(live, conn, payload.board_id, command, payload.cluster_id)


@registry.on("board.cluster.nest", payload=p.ClusterNest, ack=p.SeqAck, roles=CONTRIBUTORS)
async def cluster_nest(live: LiveState, conn: Connection, payload: p.ClusterNest) -> p.SeqAck:
    """Put a cluster under another one of the same column (or back to the top level)."""
    outcome = await run_command(
        live, conn, payload.board_id, c.NestCluster(payload.cluster_id, payload.parent_id, live.clock.now())
    )
    return p.SeqAck(seq=outcome.seq)


@registry.on("board.cluster.dissolve", payload=p.ClusterDissolve, ack=p.SeqAck, roles=CONTRIBUTORS)
async def cluster_dissolve(live: LiveState, conn: Connection, payload: p.ClusterDissolve) -> p.SeqAck:
    """Remove a cluster; its ideas and clusters move up to its parent."""
    outcome = await run_command(live, conn, payload.board_id, c.DissolveCluster(payload.cluster_id, live.clock.now()))
    return p.SeqAck(seq=outcome.seq)


# -- comments -------------------------------------------------------------------------------


@registry.on("board.comment.create", payload=p.CommentCreate, ack=p.CommentAck, roles=CONTRIBUTORS)
async def comment_create(live: LiveState, conn: Connection, payload: p.CommentCreate) -> p.CommentAck:
    """Comment on an idea."""
    command = c.AddComment(new_id("cm"), payload.idea_id, payload.text, live.clock.now())

    ack = AckOf("comment", command.comment_id, conn.viewer)
    outcome = await run_command(live, conn, payload.board_id, command, ack=ack)
    return p.CommentAck.model_validate({"seq": outcome.seq, "comment": outcome.view})


@registry.on("board.comment.delete", payload=p.CommentDelete, ack=p.SeqAck, roles=CONTRIBUTORS)
async def comment_delete(live: LiveState, conn: Connection, payload: p.CommentDelete) -> p.SeqAck:
    """Delete one's own comment; facilitators may delete any."""
    outcome = await run_command(live, conn, payload.board_id, c.DeleteComment(payload.comment_id, live.clock.now()))
    return p.SeqAck(seq=outcome.seq)


@registry.on("board.comment.moderate", payload=p.CommentModerate, ack=p.SeqAck, roles=MODERATORS, audited=True)
async def comment_moderate(live: LiveState, conn: Connection, payload: p.CommentModerate) -> p.SeqAck:
    """Hide or restore a comment."""
    outcome = await run_command(
        live, conn, payload.board_id, c.ModerateComment(payload.comment_id, payload.hidden, live.clock.now())
    )
    return p.SeqAck(seq=outcome.seq)


# -- board settings -------------------------------------------------------------------------


def _settings_handler(make: Callable[[Any, datetime], c.Command]) -> Any:
    async def handler(live: LiveState, conn: Connection, payload: Any) -> p.SeqAck:
        outcome = await run_command(live, conn, payload.board_id, make(payload, live.clock.now()))
        return p.SeqAck(seq=outcome.seq)

    return handler


registry.on("board.phase", payload=p.BoardPhase, ack=p.SeqAck, roles=MODERATORS, audited=True)(
    _settings_handler(lambda x, now: c.SetPhase(Phase(x.phase), now, silent=x.silent)),
    summary="Set the board's phase: collect (optionally silent), cluster, vote, discuss, closed.",
)
registry.on("board.reveal", payload=p.BoardReveal, ack=p.SeqAck, roles=MODERATORS, audited=True)(
    _settings_handler(lambda x, now: c.RevealIdeas(now)),
    summary="End a silent collection: everyone sees every idea.",
)
registry.on("board.lock", payload=p.BoardLock, ack=p.SeqAck, roles=MODERATORS, audited=True)(
    _settings_handler(lambda x, now: c.SetLock(x.locked, now)),
    summary="Lock (read-only) or unlock the board.",
)
registry.on("board.premoderation", payload=p.BoardPremoderation, ack=p.SeqAck, roles=MODERATORS, audited=True)(
    _settings_handler(lambda x, now: c.SetPremoderation(x.on, now)),
    summary="Switch pre-moderation: new ideas of participants wait for approval. Off approves what waits.",
)
