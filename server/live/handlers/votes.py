"""The vote events: opening, changing and closing dot-voting rounds; casting and removing dots."""

from __future__ import annotations

from boards import commands as c
from boards.voting import Scope, ScopeKind
from server import protocol as p
from server.ids import new_id
from server.live.dots import my_dots
from server.live.gateway import CONTRIBUTORS, EVERYONE, MODERATORS
from server.live.handlers.common import registry, run_command
from server.live.state import Connection, LiveState
from server.live.views import (
    AckOf,
    session_out,
)

# -- voting ---------------------------------------------------------------------------------


async def _session_ack(
    live: LiveState, conn: Connection, board_id: str, command: c.Command, session_id: str, *, fresh: bool = False
) -> p.SessionAck:
    outcome = await run_command(
        live, conn, board_id, command, fresh=fresh, ack=AckOf("session", session_id, conn.viewer)
    )
    board = await live.load(board_id)  # the round as it is now, for its timer (arming is idempotent)
    live.votes.arm(board_id, conn.event_id, board.sessions.get(session_id))
    return p.SessionAck.model_validate({"seq": outcome.seq, "session": outcome.view})


@registry.on("vote.open", payload=p.VoteOpen, ack=p.SessionAck, roles=MODERATORS, audited=True)
async def vote_open(live: LiveState, conn: Connection, payload: p.VoteOpen) -> p.SessionAck:
    """Open a dot-voting round on the board, on columns, clusters or chosen ideas. Only in the vote
    phase (else `wrong_phase`: switch with `board.phase` first) and while no other round is open.
    Participants vote; facilitators and organizers run the round without dots unless `moderators_vote`."""
    command = c.OpenVote(
        session_id=new_id("vs"),
        now=live.clock.now(),
        budget=payload.budget,
        cap=payload.cap,
        blind=payload.blind,
        duration_s=payload.duration_s,
        scope=Scope(ScopeKind(payload.scope.kind), tuple(payload.scope.ids)),
        moderators_vote=payload.moderators_vote,
    )
    return await _session_ack(live, conn, payload.board_id, command, command.session_id)


@registry.on("vote.change", payload=p.VoteChange, ack=p.SessionAck, roles=MODERATORS, audited=True)
async def vote_change(live: LiveState, conn: Connection, payload: p.VoteChange) -> p.SessionAck:
    """Change the budget or cap of the open vote (never below what is cast)."""
    command = c.ChangeVote(payload.session_id, live.clock.now(), budget=payload.budget, cap=payload.cap)
    # checked against every stored dot
    return await _session_ack(live, conn, payload.board_id, command, payload.session_id, fresh=True)


@registry.on("vote.extend", payload=p.VoteExtend, ack=p.SessionAck, roles=MODERATORS, audited=True)
async def vote_extend(live: LiveState, conn: Connection, payload: p.VoteExtend) -> p.SessionAck:
    """Give the open vote more time (or a timer)."""
    command = c.ExtendVote(payload.session_id, payload.seconds, live.clock.now())
    return await _session_ack(live, conn, payload.board_id, command, payload.session_id)


@registry.on("vote.close", payload=p.VoteClose, ack=p.SessionAck, roles=MODERATORS, audited=True)
async def vote_close(live: LiveState, conn: Connection, payload: p.VoteClose) -> p.SessionAck:
    """Close the open vote; with `reveal`, show the results at once."""
    command = c.CloseVote(payload.session_id, live.clock.now(), reveal=payload.reveal)
    return await _session_ack(live, conn, payload.board_id, command, payload.session_id, fresh=True)


@registry.on("vote.reveal", payload=p.VoteReveal, ack=p.SessionAck, roles=MODERATORS, audited=True)
async def vote_reveal(live: LiveState, conn: Connection, payload: p.VoteReveal) -> p.SessionAck:
    """Reveal a vote's ranking (closing it first if open): overall and per field, ties marked."""
    command = c.RevealVote(payload.session_id, live.clock.now())
    return await _session_ack(live, conn, payload.board_id, command, payload.session_id, fresh=True)


@registry.on("vote.cast", payload=p.VoteDot, ack=p.DotAck, roles=CONTRIBUTORS)
async def vote_cast(live: LiveState, conn: Connection, payload: p.VoteDot) -> p.DotAck:
    """Place a dot on an idea. Acknowledged once committed; refused past budget or cap, and for a
    facilitator or organizer unless the vote was opened with `moderators_vote` (`forbidden`)."""
    dots = await live.votes.dot(
        payload.board_id, conn, c.CastDot(payload.session_id, payload.idea_id, live.clock.now())
    )
    return p.DotAck(dots=p.MyDots.model_validate(dots))


@registry.on("vote.remove", payload=p.VoteDot, ack=p.DotAck, roles=CONTRIBUTORS)
async def vote_remove(live: LiveState, conn: Connection, payload: p.VoteDot) -> p.DotAck:
    """Take back one of one's dots on an idea."""
    dots = await live.votes.dot(
        payload.board_id, conn, c.RemoveDot(payload.session_id, payload.idea_id, live.clock.now())
    )
    return p.DotAck(dots=p.MyDots.model_validate(dots))


@registry.on("vote.state", payload=p.VoteState, ack=p.VoteStateAck, roles=EVERYONE)
async def vote_state(live: LiveState, conn: Connection, payload: p.VoteState) -> p.VoteStateAck:
    """Every round of the board, your dots and the open vote's progress (e.g. after a reconnect)."""
    async with live.board(payload.board_id, conn.event_id) as board:
        session = board.open_session()
        ballots = board.ballots.get(session.id) if session else None
        return p.VoteStateAck.model_validate(
            {
                "sessions": [session_out(s) for s in board.sessions.values()],
                "my_dots": my_dots(session, ballots, conn.member.id) if session and ballots is not None else None,
                "progress": await live.votes.progress(board, session) if session else None,
            }
        )
