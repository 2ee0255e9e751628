"""The handlers of the client→server events. Each is thin: domain call, store, answer."""

from __future__ import annotations

from boards.board import DeleteIdea, EditIdea, PostIdea
from server import protocol as p
from server.gateway import CONTRIBUTORS, EVERYONE, Registry
from server.ids import new_id, utcnow
from server.live import Connection, LiveState
from server.wire import idea_out, member_out, snapshot

registry = Registry()

SYNC_LIMIT = 500  # a client further behind than this gets a snapshot instead


@registry.on("room.enter", payload=p.RoomEnter, ack=p.RoomEnterAck, roles=EVERYONE)
async def room_enter(live: LiveState, conn: Connection, _payload: p.RoomEnter) -> p.RoomEnterAck:
    """Who am I, which event and room is this, who is here, which boards are there."""
    event = await live.store.event(conn.event_id)
    room = await live.store.plenary(conn.event_id)
    summaries = []
    for board_id in await live.store.board_ids(room.id):
        async with live.board(board_id, conn.event_id) as board:
            summaries.append(p.BoardSummary(id=board.id, title=board.title, seq=board.seq))
    return p.RoomEnterAck(
        me=member_out(conn.member),
        event=p.EventOut(
            id=event.id,
            title=event.title,
            description=event.description,
            language=event.language,
            fields=[p.FieldOut(id=f.id, name=f.name) for f in event.fields],
        ),
        room=p.RoomOut(id=room.id, name=room.name, kind=room.kind),
        presence=[member_out(m) for m in live.presence[conn.event_id].present()],
        boards=summaries,
    )


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
                    changes=[p.Change.model_validate(change.payload) for change in stored],
                    snapshot=None,
                )
        authors = {idea.author_id: await live.member(board.event_id, idea.author_id) for idea in board.ideas.values()}
        return p.BoardSyncAck(board_id=board.id, seq=board.seq, changes=None, snapshot=snapshot(board, authors))


@registry.on("board.idea.create", payload=p.IdeaCreate, ack=p.IdeaAck, roles=CONTRIBUTORS)
async def idea_create(live: LiveState, conn: Connection, payload: p.IdeaCreate) -> p.IdeaAck:
    """Post an idea in a column (a field of action). Committed before the acknowledgement."""
    command = PostIdea(
        idea_id=new_id("idea"), column_id=payload.field_id, text=payload.text, now=utcnow(), client_id=payload.client_id
    )
    outcome = await live.run(payload.board_id, conn, command)
    if outcome.events:
        idea = outcome.events[0].idea
    else:  # the same client_id again: the idea is stored already
        existing = outcome.board.idea_by_client_id(conn.member.id, payload.client_id or "")
        assert existing is not None
        idea = existing
    return p.IdeaAck(seq=outcome.board.seq, idea=idea_out(outcome.board.id, idea, conn.member))


@registry.on("board.idea.edit", payload=p.IdeaEdit, ack=p.IdeaAck, roles=CONTRIBUTORS)
async def idea_edit(live: LiveState, conn: Connection, payload: p.IdeaEdit) -> p.IdeaAck:
    """Change the text or the column of one's own idea."""
    command = EditIdea(idea_id=payload.idea_id, now=utcnow(), text=payload.text, column_id=payload.field_id)
    outcome = await live.run(payload.board_id, conn, command)
    idea = outcome.board.idea(payload.idea_id)
    author = await live.member(conn.event_id, idea.author_id)
    return p.IdeaAck(seq=outcome.board.seq, idea=idea_out(outcome.board.id, idea, author))


@registry.on("board.idea.delete", payload=p.IdeaDelete, ack=p.IdeaDeletedAck, roles=CONTRIBUTORS)
async def idea_delete(live: LiveState, conn: Connection, payload: p.IdeaDelete) -> p.IdeaDeletedAck:
    """Delete one's own idea; facilitators and organizers may delete any. The store keeps it, marked deleted."""
    command = DeleteIdea(idea_id=payload.idea_id, now=utcnow())
    outcome = await live.run(payload.board_id, conn, command)
    return p.IdeaDeletedAck(seq=outcome.board.seq, idea_id=payload.idea_id)
