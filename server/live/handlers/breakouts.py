"""The breakout events: creating a round of rooms, assigning people, opening, moving, asking for
help, visiting, closing, and reading the results back in the plenary."""

from __future__ import annotations

from typing import Any

from boards.errors import NotFound
from rooms import breakouts as b
from server import protocol as p
from server.ids import utcnow
from server.live.audit import audit
from server.live.breakouts import round_out
from server.live.gateway import CONTRIBUTORS, EVERYONE, MODERATORS
from server.live.handlers.common import registry
from server.live.state import Connection, LiveState
from server.live.views import is_public


async def _out(live: LiveState, conn: Connection, rnd: b.BreakoutRound) -> p.RoundOut:
    names = await live.breakouts.members(conn.event_id, rnd) if conn.role.moderates else None
    return p.RoundOut.model_validate(round_out(rnd, conn.member.id, conn.role.moderates, names))


async def _run(live: LiveState, conn: Connection, round_id: str, command: b.BreakoutCommand) -> p.RoundAck:
    rnd = await live.breakouts.run(conn.event_id, conn.actor, round_id, command)
    return p.RoundAck(round=await _out(live, conn, rnd))


async def _current(live: LiveState, conn: Connection, round_id: str) -> b.BreakoutRound:
    rnd = await live.breakouts.current(conn.event_id, round_id)
    if rnd is None or rnd.id != round_id:
        raise NotFound("That breakout round is not the current one.", code="no_such_round")
    return rnd


@registry.on("breakout.create", payload=p.BreakoutCreate, ack=p.RoundAck, roles=MODERATORS)
async def breakout_create(live: LiveState, conn: Connection, payload: p.BreakoutCreate) -> p.RoundAck:
    """Create a round of 1–100 breakout rooms as a draft, each with a board of its own (names, optional
    topic or field of action, capacity, host). Refused while another round is open."""
    fields = {f.id for f in (await live.event(conn.event_id)).fields}
    rooms = []
    for room in payload.rooms:
        if room.field_id is not None and room.field_id not in fields:
            raise NotFound("No such field of action in this event.")
        if room.host_id is not None:
            await live.member(conn.event_id, room.host_id)  # NotFound for someone not in the event
        rooms.append(b.BreakoutRoom("", room.name, room.topic, room.field_id, room.capacity, room.host_id))
    rnd = await live.breakouts.create(
        conn.event_id,
        conn.actor,
        rooms,
        mode=b.Mode(payload.mode),
        duration_s=payload.duration_s,
        countdown_s=payload.countdown_s,
    )
    await audit(live, conn, "breakout.create", rnd.id, {"rooms": len(rnd.rooms), "mode": rnd.mode.value})
    return p.RoundAck(round=await _out(live, conn, rnd))


@registry.on("breakout.assign", payload=p.BreakoutAssign, ack=p.RoundAck, roles=MODERATORS)
async def breakout_assign(live: LiveState, conn: Connection, payload: p.BreakoutAssign) -> p.RoundAck:
    """Preview who goes where, among the participants present: `automatic` (balanced, sizes differ by at
    most one), `preference` (by the participants' topic choices), `manual` (`placement`), `self_select`
    (everyone chooses), `reuse` (the last round's groups), `rotation` (World Café: hosts stay, the others
    meet new people). Adjust with `breakout.move`; nobody moves before `breakout.open`."""
    rnd = await _current(live, conn, payload.round_id)
    for member_id in payload.placement or {}:
        await live.member(conn.event_id, member_id)  # NotFound for someone not in the event
    history = await _history_in(live, conn.event_id, rnd)
    members = await live.breakouts.everyone_present(conn.event_id)
    command = b.Assign(
        mode=b.Mode(payload.mode),
        seed=live.breakouts.seed(payload.seed),
        members=members,
        previous=history[-1] if history else None,
        history=tuple(history),
        placement=payload.placement,
        max_per_room=payload.max_per_room,
    )
    ack = await _run(live, conn, rnd.id, command)
    await audit(live, conn, "breakout.assign", rnd.id, {"mode": payload.mode})
    return ack


async def _history_in(live: LiveState, event_id: str, rnd: b.BreakoutRound) -> list[dict[str, str]]:
    """Who was where in each closed round of the event (oldest first), in the rooms of ``rnd``: a room
    of an earlier round is the room of ``rnd`` with its name, else the one at its position."""
    translated = []
    for old in await live.store.rounds_of(event_id):
        if old.status is not b.RoundStatus.CLOSED or old.id == rnd.id:
            continue
        by_name = {r.name.casefold(): r.id for r in rnd.rooms}
        to_new = {}
        for index, room in enumerate(old.rooms):
            same = by_name.get(room.name.casefold())
            if same is None and index < len(rnd.rooms):
                same = rnd.rooms[index].id
            if same is not None:
                to_new[room.id] = same
        translated.append({m: to_new[r] for m, r in old.final_placement.items() if r in to_new})
    return translated


@registry.on("breakout.move", payload=p.BreakoutMove, ack=p.RoundAck, roles=MODERATORS)
async def breakout_move(live: LiveState, conn: Connection, payload: p.BreakoutMove) -> p.RoundAck:
    """Put a participant into a room (null: the plenary): in the preview, or live while the round is open
    (they are moved at once). Capacities hold."""
    await live.member(conn.event_id, payload.member_id)  # NotFound for someone not in the event
    ack = await _run(live, conn, payload.round_id, b.Move(payload.member_id, payload.room_id))
    await audit(live, conn, "breakout.move", payload.member_id, {"room_id": payload.room_id})
    return ack


@registry.on("breakout.choose", payload=p.BreakoutChoose, ack=p.RoundAck, roles=CONTRIBUTORS)
async def breakout_choose(live: LiveState, conn: Connection, payload: p.BreakoutChoose) -> p.RoundAck:
    """Choose your own room in a self-select round (`room_full` at its capacity); while the round is open
    you go there at once."""
    return await _run(live, conn, payload.round_id, b.Choose(payload.room_id))


@registry.on("breakout.prefer", payload=p.BreakoutPrefer, ack=p.RoundAck, roles=CONTRIBUTORS)
async def breakout_prefer(live: LiveState, conn: Connection, payload: p.BreakoutPrefer) -> p.RoundAck:
    """Your ranked topic choices for a preference round (up to 5 rooms, best first)."""
    return await _run(live, conn, payload.round_id, b.Prefer(tuple(payload.room_ids)))


@registry.on("breakout.open", payload=p.BreakoutOpen, ack=p.RoundAck, roles=MODERATORS)
async def breakout_open(live: LiveState, conn: Connection, payload: p.BreakoutOpen) -> p.RoundAck:
    """Open the rooms: every participant present goes to their room at once (`room.moved`); those not in
    the preview are placed balanced, and so are participants who arrive later (not in self-select, where
    they choose). Facilitators stay in the plenary and may visit any room."""
    rnd = await _current(live, conn, payload.round_id)
    present = await live.breakouts.everyone_present(conn.event_id)
    ack = await _run(live, conn, rnd.id, b.Open(utcnow(), present))
    await audit(live, conn, "breakout.open", rnd.id, {"placed": len(ack.round.placement or {})})
    return ack


@registry.on("breakout.close", payload=p.BreakoutClose, ack=p.RoundAck, roles=MODERATORS)
async def breakout_close(live: LiveState, conn: Connection, payload: p.BreakoutClose) -> p.RoundAck:
    """Start the countdown everyone sees (the round's `countdown_s`), after which everyone returns to the
    plenary; with `now`, close at once."""
    command: b.BreakoutCommand = b.Close(utcnow()) if payload.now else b.StartClose(utcnow())
    ack = await _run(live, conn, payload.round_id, command)
    await audit(live, conn, "breakout.close", payload.round_id, {"now": payload.now})
    return ack


@registry.on("breakout.extend", payload=p.BreakoutExtend, ack=p.RoundAck, roles=MODERATORS)
async def breakout_extend(live: LiveState, conn: Connection, payload: p.BreakoutExtend) -> p.RoundAck:
    """Give the open round more time (60–3600 s)."""
    ack = await _run(live, conn, payload.round_id, b.Extend(payload.seconds, utcnow()))
    await audit(live, conn, "breakout.extend", payload.round_id, {"seconds": payload.seconds})
    return ack


@registry.on("breakout.help", payload=p.BreakoutHelp, ack=p.RoundAck, roles=CONTRIBUTORS)
async def breakout_help(live: LiveState, conn: Connection, payload: p.BreakoutHelp) -> p.RoundAck:
    """Ask for a facilitator to come to your room (the facilitators see the queue)."""
    return await _run(live, conn, payload.round_id, b.AskHelp())


@registry.on("breakout.help.withdraw", payload=p.BreakoutHelp, ack=p.RoundAck, roles=CONTRIBUTORS)
async def breakout_help_withdraw(live: LiveState, conn: Connection, payload: p.BreakoutHelp) -> p.RoundAck:
    """You no longer need a facilitator."""
    return await _run(live, conn, payload.round_id, b.WithdrawHelp())


@registry.on("breakout.help.answer", payload=p.BreakoutHelpAnswer, ack=p.RoundAck, roles=MODERATORS)
async def breakout_help_answer(live: LiveState, conn: Connection, payload: p.BreakoutHelpAnswer) -> p.RoundAck:
    """Take a call for help off the queue; with `visit` (the default) go to that participant's room."""
    ack = await _run(live, conn, payload.round_id, b.AnswerHelp(payload.member_id))
    await audit(live, conn, "breakout.help.answer", payload.member_id, {"visit": payload.visit})
    room_id = ack.round.placement.get(payload.member_id) if ack.round.placement else None
    if payload.visit and room_id is not None:
        rnd = await _current(live, conn, payload.round_id)
        await live.breakouts.visit(conn.event_id, conn.member.id, live.breakouts.room_of(rnd, room_id))
    return ack


@registry.on("breakout.visit", payload=p.BreakoutVisit, ack=p.VisitAck, roles=MODERATORS)
async def breakout_visit(live: LiveState, conn: Connection, payload: p.BreakoutVisit) -> p.VisitAck:
    """Go to a breakout room of the open round (null: back to the plenary), as a facilitator."""
    if payload.room_id is None:
        room = await live.plenary(conn.event_id)
    else:
        rnd = await live.breakouts.current(conn.event_id)
        if rnd is None or rnd.status not in (b.RoundStatus.OPEN, b.RoundStatus.CLOSING):
            raise NotFound("No breakout round is open.", code="not_open")
        room = live.breakouts.room_of(rnd, payload.room_id)
    await live.breakouts.visit(conn.event_id, conn.member.id, room)
    await audit(live, conn, "breakout.visit", room.id)
    return p.VisitAck(room_id=room.id)


@registry.on("breakout.state", payload=p.BreakoutState, ack=p.BreakoutStateAck, roles=EVERYONE)
async def breakout_state(live: LiveState, conn: Connection, _payload: p.BreakoutState) -> p.BreakoutStateAck:
    """The event's current round (or the last one) as you may see it: facilitators see who is where."""
    rnd = await live.breakouts.current(conn.event_id)
    return p.BreakoutStateAck(round=None if rnd is None else await _out(live, conn, rnd))


@registry.on("breakout.rotate", payload=p.BreakoutOpen, ack=p.RoundAck, roles=MODERATORS)
async def breakout_rotate(live: LiveState, conn: Connection, payload: p.BreakoutOpen) -> p.RoundAck:
    """World Café: after a closed round, the next one as a draft in the same rooms (their boards stay, the
    hosts stay), with a preview in which everyone else moves on and meets people they have not met."""
    rnd = await _current(live, conn, payload.round_id)
    history = await _history_in(live, conn.event_id, rnd)
    members = await live.breakouts.everyone_present(conn.event_id)
    new = await live.breakouts.rotate(rnd, history, members)
    await audit(live, conn, "breakout.rotate", new.id, {"after": rnd.id})
    return p.RoundAck(round=await _out(live, conn, new))


@registry.on("breakout.results", payload=p.BreakoutResults, ack=p.BreakoutResultsAck, roles=EVERYONE)
async def breakout_results(live: LiveState, conn: Connection, payload: p.BreakoutResults) -> p.BreakoutResultsAck:
    """What each room of a round produced: its boards and how many of the ideas posted there during the
    round everyone sees now (a World Café table keeps its board over several rounds). Read the boards with
    `board.sync` (from the plenary too: everyone may read every board of the event)."""
    rounds = await live.store.rounds_of(conn.event_id)
    rnd = next((r for r in rounds if r.id == payload.round_id), None)
    if rnd is None:
        raise NotFound("No such breakout round in this event.", code="no_such_round")
    of_round = {row["id"] for row in await live.store.ideas_of_round(rnd.id)}
    rooms: list[dict[str, Any]] = []
    for room in rnd.rooms:
        boards = []
        for board_id in await live.board_ids(room.id):
            board = await live.load(board_id)
            visible = sum(1 for i in board.ideas.values() if i.id in of_round and is_public(i, board.settings))
            boards.append({"id": board.id, "title": board.title, "ideas": visible})
        rooms.append({"room_id": room.id, "name": room.name, "boards": boards})
    return p.BreakoutResultsAck.model_validate({"round_id": rnd.id, "rooms": rooms})
