"""Workload ``workshop``: a whole workshop, on one node or on two, every kind of interaction at once.

``--clients`` participants (default 1,000) and a facilitator join the event; with ``--nodes 2``
two ``werkstatt serve`` processes share one PostgreSQL and one Redis, participant i joins and
connects through node i mod 2 (the facilitator through the first). As the browser does, everyone
enters the plenary and its space (``room.enter``, ``space.enter``) and, not measured, walks to a
random tile of the map (a space in use is spread out). Then, measured, as one workshop:

1. **collect** (``--duration`` s): half of the participants (every other one on each node) walk
   in the space, a move every 200 ms (5 Hz, ``bench/movement.py``'s walkers); ``--idea-rate``
   ideas a second (20) are posted to the plenary's board by one participant per idea a second,
   each at its own evenly spaced times whether or not the earlier ones were answered; chat
   messages at ``--chat-rate`` a second (5) in the plenary's chat, by one participant per 0.2
   messages a second. Then, walking and chatting on, the harness waits until every
   participant has every acknowledged idea (at most ``--drain`` s);
2. **vote** (``--duration`` s): the facilitator switches the board to the vote phase and opens
   a blind vote (budget and cap 10 and 3); every participant places ``--dots`` dots (10) one
   after another, spread evenly over the window, on random ideas of the collect phase (a voting
   burst, as ``bench/voting.py``'s); walking and chat go on. The facilitator closes the vote
   with the reveal; everyone waits for ``vote.revealed``. Then the walkers take a last step
   and stand still, the chat stops;
3. **breakout**: the facilitator creates a round of ``--rooms`` rooms (50), previews it
   (automatic) and opens it; each participant, on its ``room.moved``, enters the new room's
   space and syncs its first board, as the browser does. Once everyone is there, chat in the
   breakout rooms at ``--chat-rate`` for half of ``--duration``; then the facilitator closes
   the round at once and everyone comes back (and enters the plenary's space again).

The figures (each as ``…_p50_ms``, ``…_p95_ms``, ``…_p99_ms``, ``…_max_ms``):

- ``idea``: from a post's send to its acknowledgement (``idea_delivery``: to its arrival at each
  participant as ``board.changed``);
- ``dot_ack``: from a ``vote.cast``'s send to its acknowledgement;
- ``move``: from a ``space.move``'s send to its arrival at each receiver that gets it, taken at
  ``--sample`` receivers (50, as ``bench/movement.py`` does: timing every receiver costs the
  generator more than it costs the server);
- ``breakout_open``: from the facilitator's ``breakout.open`` to each participant's ``room.moved``
  (``breakout_close``: the same for ``breakout.close``);
- ``chat``: from a ``chat.send``'s send to its acknowledgement (``chat_delivery``: to each
  arrival of ``chat.message`` in the room); ``reveal``: from ``vote.close`` to ``vote.revealed``.

``lost`` counts what was acknowledged and never reached someone who should have it, and what
was sent and never answered (its parts: ``lost_ideas``, ``lost_dots``, ``lost_chat``,
``lost_moves``, ``lost_reveal``, ``lost_breakout``; ``lost_across_nodes`` the part where sender
and receiver were on different nodes); ``docs/benchmarks.md`` defines each. ``violations``:
dots in the database that break a rule or were never acknowledged, and breakout moves to the
wrong room (``bench/voting.py``'s and ``bench/breakout.py``'s checks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import os
import random
import sys
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.breakout import CLOSE, OPEN, Participant, Sent, Tracker, check
from bench.client import ClientError, SioClient, http_session, loads
from bench.crowd import Crowd, Prepare, assemble, assemble_across, disband, expect_ok, quiesce
from bench.fanout import MARK, Progress, Receiver, idea, send_on_schedule
from bench.movement import (
    FINAL,
    MEASURE,
    OFF,
    STEP_S,
    Book,
    Mover,
    cells_near,
    drive,
    enter_space,
    finish,
    load_space,
    missing,
    missing_pairs,
    no_collector_pauses,
    own_position,
)
from bench.movement import Receiver as MoveReceiver
from bench.process import postgres_cpu, redis_cpu
from bench.stats import Meter, latency_figures, ms, percentile
from bench.voting import Tally, cast_dots, verify
from bench.walker import Grounds, Walker
from bench.workshop import Workshop, workshop

MAP = "plenary"  # a new event's plenary map
CHAT_MARK = "Chat #"  # a chat message's text: CHAT_MARK, its number (7 digits), and words
CHAT_WORDS = " Kann jemand den Link zur Präsentation noch einmal schicken?"
IDEAS_PER_POSTER_S = 1.0  # one poster per idea a second
CHAT_PER_CHATTER_S = 0.2  # one chatter per 0.2 messages a second (the chat's limit is 1 a second)
BUDGET, CAP = 10, 3
WALK_S = 24 * 3600.0  # walkers walk until they are told to stop
SENT_ON_PACE = 0.98  # below this share of the walkers' steps sent, the generator was the bottleneck
KINDS = ("ideas", "dots", "chat", "moves", "reveal", "breakout")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000, duration=10.0)
    parser.add_argument("--nodes", type=int, choices=(1, 2), default=1, help="werkstatt nodes (default 1)")
    parser.add_argument(
        "--database",
        default="postgresql",
        help="postgresql (default: a fresh database at 127.0.0.1:5432, dropped afterwards), sqlite (one node "
        "only: a temporary file) or the URL of an empty database",
    )
    parser.add_argument("--redis", metavar="URL", help="the nodes' Redis (--redis of werkstatt serve; needed by 2)")
    parser.add_argument("--idea-rate", type=float, default=20.0, help="ideas a second in the collect phase (20)")
    parser.add_argument("--chat-rate", type=float, default=5.0, help="chat messages a second (default 5)")
    parser.add_argument("--dots", type=int, default=10, help="dots each participant places in the vote (10)")
    parser.add_argument("--rooms", type=int, default=50, help="breakout rooms (default 50)")
    parser.add_argument("--walkers", type=int, help="participants who walk (default: half of them)")
    parser.add_argument("--sample", type=int, default=50, help="receivers whose moves are timed (default 50)")
    parser.add_argument("--warmup", type=float, default=60.0, help="at most this long the walk to random tiles (60)")
    parser.add_argument("--drain", type=float, default=30.0, help="the longest wait for what is due (default 30)")
    parser.add_argument(
        "--json", action="store_true", help="only the result on standard output (the progress on standard error)"
    )


# -- what each participant is told ----------------------------------------------------------------

COLLECT, VOTE, LATER = 0, 1, 2  # what a board.changed is looked at for


class Board:
    """One participant's ``board.changed``: the ideas (timed, in order) while collecting, the
    reveal afterwards."""

    __slots__ = ("ideas", "phase", "revealed", "reveals")

    def __init__(self, ideas: Receiver, phase: list[int], reveals: Progress) -> None:
        self.ideas = ideas
        self.phase = phase  # shared by everyone: [COLLECT | VOTE | LATER]
        self.reveals = reveals
        self.revealed = 0.0

    def __call__(self, packet: bytes, now: float) -> None:
        if self.phase[0] == COLLECT:
            self.ideas(packet, now)
        elif not self.revealed and b'"vote.revealed"' in packet:
            self.revealed = now
            self.reveals.add()


_CHAT_TEXT = b'"text":"' + CHAT_MARK.encode()


class Chat:
    """One participant's ``chat.message``: when each of the workload's messages arrived."""

    __slots__ = ("arrived", "progress", "repeats")

    def __init__(self, messages: int, progress: Progress) -> None:
        self.arrived = array("d", bytes(8 * messages))
        self.repeats = 0
        self.progress = progress

    def __call__(self, packet: bytes, now: float) -> None:
        at = packet.find(_CHAT_TEXT)
        if at < 0:
            return
        start = at + len(_CHAT_TEXT)
        try:
            k = int(packet[start : start + 7])
        except ValueError:
            return
        if k >= len(self.arrived):
            return
        if self.arrived[k]:
            self.repeats += 1
        else:
            self.arrived[k] = now
            self.progress.add()


@dataclass
class Person:
    index: int
    node: int
    client: SioClient
    member_id: str
    board: Board
    chat: Chat
    moves: MoveReceiver
    breakout: Participant
    mover: Mover | None = None
    walks: bool = False


@dataclass
class Followups:
    """What a participant does on ``room.moved``, as the browser does: enter the room's space and
    sync its first board. Only while ``on``; every answer awaited in ``tasks``."""

    on: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    scan: bool | None = None  # whether scan_first_board agrees with a full parse (checked on the first)

    def moved(self, person: Person, packet: bytes, now: float) -> None:
        person.breakout.moved(packet, now)
        if self.on:
            if self.scan is None:
                self.scan = scan_first_board(packet) == parse_first_board(packet)
            board = scan_first_board(packet) if self.scan else parse_first_board(packet)
            self.tasks.append(asyncio.ensure_future(self._enter(person.client, board)))

    async def _enter(self, client: SioClient, board_id: str | None) -> None:
        calls: list[tuple[str, dict[str, Any]]] = [("space.enter", {})]
        if board_id:
            calls.append(("board.sync", {"board_id": board_id}))
        for event, payload in calls:
            try:
                ack = await client.call(event, payload, wait_s=60)
            except ClientError:
                self.errors[f"after_move_{event}_no_ack"] += 1
                continue
            if not ack.get("ok"):
                self.errors[f"after_move_{event}_{ack.get('error', {}).get('code', '?')}"] += 1

    async def settle(self) -> None:
        tasks, self.tasks = self.tasks, []
        await asyncio.gather(*tasks)


_BOARD_ID = b'"boards":[{"id":"'


def parse_first_board(packet: bytes) -> str | None:
    """The id of the first board a ``room.moved`` lists, by parsing all of it."""
    boards = loads(packet[2:])[1].get("boards") or []
    return str(boards[0]["id"]) if boards else None


def scan_first_board(packet: bytes) -> str | None:
    """What ``parse_first_board`` finds, with ``bytes.find``: a ``room.moved`` back to the plenary
    lists everyone there, which the generator need not parse. It relies on werkstatt's shape
    (``boards`` a list of objects whose first key is ``id``, no other key of that name);
    ``Followups`` checks it against a full parse on the first move."""
    at = packet.find(_BOARD_ID)
    if at < 0:
        return None
    start = at + len(_BOARD_ID)
    return packet[start : packet.find(b'"', start)].decode()


# -- the crowd and what the nodes share ---------------------------------------------------------------


async def join_everyone(
    ws: Workshop, http: aiohttp.ClientSession, args: argparse.Namespace, prepare: Prepare
) -> tuple[SioClient, Crowd]:
    """The facilitator through the first node, participant i through node i mod nodes; returns the
    facilitator and the crowd in the order of i."""
    lead = await assemble(
        http, ws.base, ws.links["facilitator"], 1, prefix="Moderation", compress=args.compress, progress=False
    )
    crowd = await assemble_across(
        http,
        [node.base for node in ws.nodes],
        ws.links["participant"],
        args.clients,
        prepare=prepare,
        compress=args.compress,
    )
    return lead[0][0], crowd


async def settle(ws: Workshop) -> float:
    """Until every node has worked off what the crowd's arrival queued."""
    return sum([await quiesce(node) for node in ws.nodes])


@dataclass
class Services:
    """The CPU of what the nodes share: the PostgreSQL backends of the workshop's database and the
    Redis server (all of it: another user of that Redis counts too)."""

    database: str
    redis: str | None
    _pg: dict[int, float] = field(default_factory=dict)
    _redis: float = 0.0

    @property
    def postgres(self) -> bool:
        return self.database.startswith("postgres")

    async def start(self) -> None:
        if self.postgres:
            self._pg = postgres_cpu(self.database)
        if self.redis:
            self._redis = await redis_cpu(self.redis)

    async def stop(self) -> dict[str, float | None]:
        figures: dict[str, float | None] = {"postgres_cpu_s": None, "redis_cpu_s": None}
        if self.postgres:  # a backend that ended meanwhile is missed; one that began counts whole
            now = postgres_cpu(self.database)
            figures["postgres_cpu_s"] = round(sum(cpu - self._pg.get(pid, 0.0) for pid, cpu in now.items()), 2)
        if self.redis:
            figures["redis_cpu_s"] = round(await redis_cpu(self.redis) - self._redis, 2)
        return figures


@dataclass
class Stream:
    """Numbered sends of one event (the ideas, the chat messages): when each went out, whether it
    was acknowledged, who sent it to which room, and the latencies to the acknowledgements."""

    size: int
    prefix: str
    sent: array = field(init=False)
    ok: list[bool] = field(init=False)
    by: list[int] = field(init=False)  # the sender's index
    room: list[str] = field(init=False)  # the room it went to
    answered: array = field(init=False)  # the latency to its acknowledgement (0: none came)
    acks: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)  # sent again after stale_board
    lag: float = 0.0  # how late a send went out at worst

    def __post_init__(self) -> None:
        self.sent = array("d", bytes(8 * self.size))
        self.ok = [False] * self.size
        self.by = [-1] * self.size
        self.room = [""] * self.size
        self.answered = array("d", bytes(8 * self.size))

    async def send(
        self,
        senders: list[Person],
        event: str,
        numbers: range,
        payload: Callable[[int], dict[str, Any]],
        *,
        start: float,
        rate: float,
        rooms: Callable[[Person], str],
    ) -> None:
        """Numbers ``numbers`` at ``rate`` from ``start`` on, spread over ``senders`` in turn."""

        async def one(j: int, person: Person) -> float:
            mine = range(numbers.start + j, numbers.stop, len(senders))
            for k in mine:
                self.by[k], self.room[k] = person.index, rooms(person)
            return await send_on_schedule(
                person.client,
                event,
                mine,
                payload,
                start=start - numbers.start / rate,  # number k is due at start + (k - numbers.start) / rate
                rate=rate,
                sent=self.sent,
                ok=self.ok,
                errors=self.errors,
                acks=self.acks,
                prefix=self.prefix,
                retried=self.retried,
                answered=self.answered,
            )

        lags = await asyncio.gather(*(one(j, person) for j, person in enumerate(senders)))
        self.lag = max(self.lag, *lags)

    def acknowledged(self, numbers: range) -> list[int]:
        return [k for k in numbers if self.ok[k]]

    def latencies(self, numbers: range) -> list[float]:
        """To the acknowledgements of ``numbers`` (those that came)."""
        return [self.answered[k] for k in numbers if self.answered[k]]

    @property
    def unanswered(self) -> int:
        return self.errors.get(f"{self.prefix}_timeout", 0)


# -- the run ----------------------------------------------------------------------------------------


class Run:
    """One workshop: the set-up, the phases in order, and what each participant was told."""

    def __init__(self, ws: Workshop, args: argparse.Namespace) -> None:
        self.ws, self.args, self.n = ws, args, args.clients
        self.walking = self.n // 2 if args.walkers is None else max(0, min(self.n, args.walkers))
        self.rng = random.Random(args.seed)
        self.grounds = Grounds(load_space(MAP))
        self.ideas = Stream(max(1, round(args.idea_rate * args.duration)), "post")
        self.chat_phase = max(1, round(args.chat_rate * args.duration))  # messages of the collect, of the vote
        self.chat = Stream(2 * self.chat_phase + max(1, round(args.chat_rate * args.duration / 2)), "chat")
        self.idea_progress, self.chat_progress, self.reveal_progress = Progress(), Progress(), Progress()
        self.phase = [COLLECT]
        self.book = Book()
        self.tracker = Tracker(self.n)
        self.followups = Followups()
        self.tally = Tally()
        self.errors: Counter[str] = Counter()
        self.prepared: list[Person | None] = [None] * self.n
        self.everyone: list[Person] = []
        self.began = 0.0
        self.walk_lag = 0.0
        self.sent_share = 0.0
        self.lost_moves: list[tuple[MoveReceiver, str, bool]] = []
        self.reveal_sent = 0.0
        self.revealing = False
        self.open_sent = 0.0
        self.close_sent: float | None = None
        self.preview: dict[str, str] = {}
        self.placement: dict[str, str] = {}
        self.in_room: dict[int, str] = {}
        # the start of each phase: its name, the time, the nodes' CPU seconds and their event loops' (on a
        # CPU, waiting for one), each one's timed moves so far
        self.marks: list[tuple[str, float, tuple[float, float, float], list[int]]] = []

    def mark(self, phase: str) -> None:
        loops = [node.loop_seconds() for node in self.ws.nodes]
        cpu = (
            sum(node.cpu_seconds() for node in self.ws.nodes),
            sum(on for on, _waiting in loops),
            sum(waiting for _on, waiting in loops),
        )
        self.marks.append((phase, time.perf_counter(), cpu, [len(p.moves.latencies) for p in self.everyone]))

    def say(self, text: str) -> None:
        print(f"  {time.perf_counter() - self.began:5.1f} s  {text}", flush=True)

    def prepare(self, i: int, client: SioClient, member: dict[str, Any]) -> None:
        """Participant i's handlers, before it connects."""
        member_id = member["member_id"]
        moves = MoveReceiver(self.book, sampled=i < self.args.sample)
        moves.set_member(member_id)
        nodes = len(self.ws.nodes)
        person = Person(
            index=i,
            node=i % nodes,
            client=client,
            member_id=member_id,
            board=Board(Receiver(self.ideas.size, self.idea_progress), self.phase, self.reveal_progress),
            chat=Chat(self.chat.size, self.chat_progress),
            moves=moves,
            breakout=Participant(member_id, self.tracker),
            walks=walks(i, self.n, nodes, self.walking),
        )
        self.prepared[i] = person
        client.on_packet("board.changed", person.board)
        client.on_packet("chat.message", person.chat)
        client.on_packet("space.moves", moves)
        client.on_packet("room.moved", functools.partial(self.followups.moved, person))

    async def set_up(self, http: aiohttp.ClientSession) -> None:
        """Everyone joins, enters the plenary and its space, and walks to a random tile."""
        args = self.args
        print(f"setting up: {self.n} participants on {len(self.ws.nodes)} node(s)", flush=True)
        self.facilitator, self.crowd = await join_everyone(self.ws, http, args, self.prepare)
        for i, (client, _member) in enumerate(self.crowd):
            person = self.prepared[i]
            if person is None or person.client is not client:
                raise RuntimeError(f"participant {i} has no handlers")
            self.everyone.append(person)
        enter = await expect_ok(self.facilitator, "room.enter")
        self.plenary: str = enter["room"]["id"]
        self.board_id: str = enter["boards"][0]["id"]
        self.field_ids = [f["id"] for f in enter["event"]["fields"]]
        for person, answer in zip(self.everyone, await enter_space(self.crowd), strict=True):
            start = own_position(answer, person.member_id)
            if start is None:
                raise RuntimeError(f"space.enter does not say where the member stands: {str(answer)[:300]}")
            person.moves.stepped(*start, 0.0)
            person.mover = Mover(person.client, person.member_id, Walker(self.grounds, *start), person.moves)
            person.client.on("space.corrected", person.mover.corrected)
        self.movers = [p.mover for p in self.everyone if p.mover is not None]
        self.walkers = [p.mover for p in self.everyone if p.walks and p.mover is not None]
        print(f"  settled after {await settle(self.ws):.1f} s", flush=True)
        for mover in self.movers:
            mover.walker.head_for(self.rng.choice(self.grounds.tiles))
        longest = max(len(m.walker.route) for m in self.movers) * STEP_S + 2 * STEP_S
        print(f"warm-up: everyone walks to a random tile (up to {longest:.1f} s)", flush=True)
        await drive(self.movers, None, self.rng, min(longest, args.warmup), until_arrived=True)
        print(f"  settled after {await settle(self.ws):.1f} s", flush=True)
        self.refused_warmup = sum(m.refused for m in self.movers)
        picks = random.Random(args.seed + 1)
        self.posters = picks.sample(self.everyone, min(self.n, math.ceil(args.idea_rate / IDEAS_PER_POSTER_S)))
        self.chatters = picks.sample(self.everyone, min(self.n, math.ceil(args.chat_rate / CHAT_PER_CHATTER_S)))

    async def drained(self, progress: Progress, expected: int) -> None:
        """Until ``expected`` deliveries arrived, at most ``--drain`` seconds."""
        progress.expect(expected)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(progress.complete.wait(), self.args.drain)

    def chatting(self, numbers: range, rooms: Callable[[Person], str] | None = None) -> Awaitable[None]:
        """The chatters send messages ``numbers`` from now on, each to the room it is in (``rooms``;
        None: the plenary)."""
        return self.chat.send(
            self.chatters,
            "chat.send",
            numbers,
            chat_text,
            start=asyncio.get_running_loop().time(),
            rate=self.args.chat_rate,
            rooms=rooms or (lambda _person: self.plenary),
        )

    async def collect(self) -> None:
        """Walking begins (until ``stand_still``); ideas and chat for ``--duration`` seconds."""
        args = self.args
        self.mark("collect")
        self.book.first_send = time.perf_counter()
        self.book.mode = MEASURE
        self.walk_started = time.perf_counter()
        self.walk = asyncio.ensure_future(drive(self.walkers, self.book, self.rng, WALK_S))
        self.say(
            f"collect: {len(self.walkers)} walk, {self.ideas.size} ideas by {len(self.posters)}, "
            f"{self.chat_phase} chat messages by {len(self.chatters)}, {args.duration:g} s"
        )
        await asyncio.gather(
            self.ideas.send(
                self.posters,
                "board.idea.create",
                range(self.ideas.size),
                idea(self.board_id, self.field_ids),
                start=asyncio.get_running_loop().time(),
                rate=args.idea_rate,
                rooms=lambda _person: self.plenary,
            ),
            self.chatting(range(self.chat_phase)),
        )
        self.say("every idea posted; waiting for their deliveries")
        await self.drained(self.idea_progress, len(self.ideas.acknowledged(range(self.ideas.size))) * self.n)

    async def vote(self) -> None:
        """The voting burst, walking and chat going on; then the reveal."""
        args = self.args
        self.mark("vote")
        self.phase[0] = VOTE
        voted_on = await idea_ids(self.facilitator, self.board_id)
        self.say(f"vote: {self.n} × {args.dots} dots over {args.duration:g} s, walking and chat go on")
        await expect_ok(self.facilitator, "board.phase", {"board_id": self.board_id, "phase": "vote"})
        opened = await expect_ok(
            self.facilitator, "vote.open", {"board_id": self.board_id, "budget": BUDGET, "cap": CAP, "blind": True}
        )
        self.session_id: str = opened["session"]["id"]
        cast = {"board_id": self.board_id, "session_id": self.session_id}
        start = asyncio.get_running_loop().time()
        await asyncio.gather(
            *(
                cast_dots(
                    p.client,
                    p.member_id,
                    cast,
                    voted_on,
                    start=start,
                    spacing=args.duration / max(args.dots, 1),
                    dots=args.dots,
                    rng=random.Random(self.rng.random()),
                    tally=self.tally,
                )
                for p in self.everyone
            ),
            self.chatting(range(self.chat_phase, 2 * self.chat_phase)),
        )
        self.say("closing the vote with the reveal")
        self.reveal_sent = time.perf_counter()
        if await self.facilitator_call("vote.close", {**cast, "reveal": True}) is not None:
            self.revealing = True
            await self.drained(self.reveal_progress, self.n)
        self.phase[0] = LATER
        await self.drained(self.chat_progress, len(self.chat.acknowledged(range(2 * self.chat_phase))) * self.n)

    async def stand_still(self) -> None:
        """The walkers stop: a last step each, then (at most ``--drain`` s) until everyone holds the
        last position of every walker near them."""
        self.mark("stand_still")
        self.say("the walkers stop")
        self.walk.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.walk
        walked_s = time.perf_counter() - self.walk_started
        self.sent_share = self.book.moves / max(1.0, len(self.walkers) * walked_s / STEP_S)
        self.book.mode = FINAL
        walker_ids = {m.member for m in self.walkers}
        receivers = [p.moves for p in self.everyone]

        def near() -> dict[str, set[str]]:
            """Whom each participant must see: the walkers in the 3 × 3 cells around it, from where
            everyone stands now (a walker's last step, or a correction, moves it)."""
            positions = {m.member: (m.walker.x, m.walker.y) for m in self.movers}
            return {m: found & walker_ids for m, found in cells_near(positions).items()}

        self.walk_lag, _waited = await finish(
            self.walkers, self.book, self.rng, lambda: not missing(receivers, self.walkers, near()), self.args.drain
        )
        self.book.mode = OFF
        self.lost_moves = list(missing_pairs(receivers, self.walkers, near()))

    async def breakout(self) -> None:
        """A round of ``--rooms`` rooms opened, chat in the rooms, the round closed at once."""
        args = self.args
        self.mark("breakout")
        self.say(f"breakout: {args.rooms} rooms")
        rooms = [{"name": f"Raum {k + 1:03d}"} for k in range(args.rooms)]
        created = await expect_ok(self.facilitator, "breakout.create", {"rooms": rooms, "mode": "automatic"})
        round_id = created["round"]["id"]
        assigned = await expect_ok(
            self.facilitator, "breakout.assign", {"round_id": round_id, "mode": "automatic", "seed": args.seed}
        )
        self.preview = assigned["round"]["placement"] or {}
        self.followups.on = True
        self.open_sent = time.perf_counter()
        ack = await self.facilitator_call("breakout.open", {"round_id": round_id})
        if ack is not None:
            self.placement = ack["round"]["placement"] or {}
            await self.tracker.wait(OPEN, args.drain)
        await self.followups.settle()

        self.say("chat in the breakout rooms")
        self.in_room = {p.index: p.breakout.moves[-1][1] if p.breakout.moves else self.plenary for p in self.everyone}
        numbers = range(2 * self.chat_phase, self.chat.size)
        await self.chatting(numbers, lambda person: self.in_room[person.index])
        present = Counter(self.in_room.values())
        await self.drained(
            self.chat_progress,
            len(self.chat.acknowledged(range(2 * self.chat_phase))) * self.n
            + sum(present[self.chat.room[k]] for k in self.chat.acknowledged(numbers)),
        )

        self.say("closing the round")
        self.close_sent = time.perf_counter()
        if await self.facilitator_call("breakout.close", {"round_id": round_id, "now": True}) is None:
            self.close_sent = None
        else:
            await self.tracker.wait(CLOSE, args.drain)
        await self.followups.settle()
        self.mark("end")
        self.say("done")

    async def facilitator_call(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A measured step of the facilitator's: its acknowledgement, None (and an error) when refused
        or not answered."""
        try:
            ack = await self.facilitator.call(event, payload, wait_s=120)
        except ClientError:
            self.errors[f"{event}_no_ack"] += 1
            return None
        if not ack.get("ok"):
            self.errors[f"{event}_{ack.get('error', {}).get('code', '?')}"] += 1
            return None
        return ack

    # -- the figures --------------------------------------------------------------------------------

    def lost(self, checked_votes: dict[str, Any], checked_rooms: dict[str, Any]) -> tuple[Counter[str], int]:
        """What was lost, by kind, and how much of it between two nodes (docs/benchmarks.md)."""
        lost: Counter[str] = Counter()
        across = 0
        for k in self.ideas.acknowledged(range(self.ideas.size)):
            poster = self.everyone[self.ideas.by[k]]
            for person in self.everyone:
                if not person.board.ideas.arrived[k]:
                    lost["ideas"] += 1
                    across += person.node != poster.node
        lost["ideas"] += self.ideas.unanswered
        for k in self.chat.acknowledged(range(self.chat.size)):
            sender = self.everyone[self.chat.by[k]]
            for person in self.recipients(k):
                if not person.chat.arrived[k]:
                    lost["chat"] += 1
                    across += person.node != sender.node
        lost["chat"] += self.chat.unanswered
        node_of = {p.member_id: p.node for p in self.everyone}
        for receiver, member, _stale in self.lost_moves:
            lost["moves"] += 1
            across += node_of[receiver.me] != node_of[member]
        lost["dots"] = (
            checked_votes["lost"] + self.tally.error_codes["timeout"] + self.tally.error_codes["disconnected"]
        )
        if self.revealing:
            missed = [p for p in self.everyone if not p.board.revealed]
            lost["reveal"] = len(missed)
            across += sum(1 for p in missed if p.node != 0)  # the facilitator is on the first node
        lost["breakout"] = (
            checked_rooms["lost"] + self.errors["breakout.open_no_ack"] + self.errors["breakout.close_no_ack"]
        )
        across += sum(
            1
            for p in self.everyone
            if p.node != 0
            and (p.breakout.first(OPEN) is None or (self.close_sent is not None and p.breakout.first(CLOSE) is None))
        )
        return lost, across

    def recipients(self, k: int) -> list[Person]:
        """Who must get chat message k: everyone in the room it went to (the plenary: everyone)."""
        if self.chat.room[k] == self.plenary and k < 2 * self.chat_phase:
            return self.everyone
        return [p for p in self.everyone if self.in_room.get(p.index, self.plenary) == self.chat.room[k]]

    def deliveries(self) -> tuple[list[float], list[float]]:
        """From each acknowledged idea's and chat message's send to its arrival at each who got it."""
        ideas = [
            p.board.ideas.arrived[k] - self.ideas.sent[k]
            for k in self.ideas.acknowledged(range(self.ideas.size))
            for p in self.everyone
            if p.board.ideas.arrived[k]
        ]
        chat = [
            p.chat.arrived[k] - self.chat.sent[k]
            for k in self.chat.acknowledged(range(self.chat.size))
            for p in self.recipients(k)
            if p.chat.arrived[k]
        ]
        return ideas, chat

    def phases(self, opened: list[float]) -> dict[str, dict[str, float | None]]:
        """Each phase's length, the nodes' CPU seconds in it, and the p99 of what happened in it."""
        found: dict[str, dict[str, float | None]] = {}
        for (name, began, cpu, timed), (_next, ended, cpu_after, timed_after) in zip(
            self.marks, self.marks[1:], strict=False
        ):
            moves = [
                t for p, a, b in zip(self.everyone, timed, timed_after, strict=True) for t in p.moves.latencies[a:b]
            ]
            found[name] = {
                "wall_s": round(ended - began, 2),
                "server_cpu_s": round(cpu_after[0] - cpu[0], 2),
                "loop_cpu_s": round(cpu_after[1] - cpu[1], 2),
                "loop_wait_s": round(cpu_after[2] - cpu[2], 2),
                "move_p99_ms": ms(percentile(moves, 99)),
            }
        chat = {
            "collect": range(self.chat_phase),
            "vote": range(self.chat_phase, 2 * self.chat_phase),
            "breakout": range(2 * self.chat_phase, self.chat.size),
        }
        for name, numbers in chat.items():
            if name in found:
                found[name]["chat_p99_ms"] = ms(percentile(self.chat.latencies(numbers), 99))
        if "collect" in found:
            found["collect"]["idea_p99_ms"] = ms(percentile(self.ideas.acks, 99))
        if "vote" in found:
            found["vote"]["dot_ack_p99_ms"] = ms(percentile(self.tally.latencies, 99))
        if "breakout" in found:
            found["breakout"]["breakout_open_p99_ms"] = ms(percentile(opened, 99))
        return found

    def result(self, meter: Meter, shared: dict[str, float | None], disconnected: int) -> dict[str, Any]:
        ws, args, figures = self.ws, self.args, meter.figures
        checked_votes = verify(ws.server.database, self.session_id, self.tally, None)
        checked_rooms = check(
            [p.breakout for p in self.everyone],
            plenary=self.plenary,
            preview=self.preview,
            placement=self.placement,
            sent=Sent(self.open_sent, self.close_sent),
        )
        lost, across = self.lost(checked_votes, checked_rooms)
        server_errors = [line for node in ws.nodes for line in node.log_errors()]
        errors = self.errors + Counter(self.ideas.errors) + Counter(self.chat.errors) + self.followups.errors
        errors.update({f"vote_{code}": count for code, count in self.tally.error_codes.items()})
        errors.update(
            {
                "idea_out_of_order_or_duplicate": sum(p.board.ideas.disorder for p in self.everyone),
                "chat_duplicate": sum(p.chat.repeats for p in self.everyone),
                "move_refused": sum(m.refused for m in self.movers) - self.refused_warmup,
                "move_refused_warmup": self.refused_warmup,
                "disconnected": disconnected,
                "server_log": len(server_errors),
            }
        )
        errors = +errors  # only what happened
        idea_delivery, chat_delivery = self.deliveries()
        moves = [t for p in self.everyone if p.moves.sampled for t in p.moves.latencies]
        reveal = [p.board.revealed - self.reveal_sent for p in self.everyone if p.board.revealed]
        per_node = [
            {"node": k + 1, "clients": sum(1 for p in self.everyone if p.node == k), **meter.per_node[k]}
            for k in range(len(ws.nodes))
        ]
        retried = self.ideas.retried | self.chat.retried | ({"dots": self.tally.retries} if self.tally.retries else {})
        return {
            "workload": "workshop",
            "clients": self.n,
            "nodes": len(ws.nodes),
            "database": "postgresql" if ws.server.database.startswith("postgres") else "sqlite",
            "redis": bool(args.redis),
            "duration_s": args.duration,
            "setup_s": round(self.crowd.seconds, 1),
            "setup_retries": self.crowd.retries,
            "walkers": len(self.walkers),
            "posters": len(self.posters),
            "chatters": len(self.chatters),
            "rooms": args.rooms,
            "ideas": sum(self.ideas.ok),
            "dots_acknowledged": sum(self.tally.acked.values()),
            "dots_refused": sum(self.tally.refused.values()),
            "chat_messages": sum(self.chat.ok),
            "moves": self.book.moves,
            **latency_figures(self.ideas.acks, "idea_"),
            **latency_figures(self.tally.latencies, "dot_ack_"),
            **latency_figures(moves, "move_"),
            **latency_figures(checked_rooms["opened"], "breakout_open_"),
            **latency_figures(self.chat.acks, "chat_"),
            **latency_figures(idea_delivery, "idea_delivery_"),
            **latency_figures(chat_delivery, "chat_delivery_"),
            **latency_figures(checked_rooms["closed"], "breakout_close_"),
            **latency_figures(reveal, "reveal_"),
            "phases": self.phases(checked_rooms["opened"]),
            "lost": sum(lost.values()),
            **{f"lost_{kind}": lost[kind] for kind in KINDS},
            "lost_across_nodes": across,
            "violations": checked_votes["violations"] + checked_rooms["violations"],
            "vote_violations": {k: checked_votes[k] for k in VOTE_CHECKS},
            "breakout_violations": {k: checked_rooms[k] for k in BREAKOUT_CHECKS if checked_rooms[k]},
            "errors": sum(errors.values()),
            "error_codes": dict(errors),
            "retried_stale": retried,
            "timed_moves": len(moves),
            "move_clients": sum(1 for p in self.everyone if p.moves.sampled),
            "sent_share": round(self.sent_share, 3),
            "send_lag_max_ms": ms(max(self.ideas.lag, self.chat.lag, self.walk_lag)),
            "per_node": per_node,
            "node_cpu_s": [node["cpu_s"] for node in per_node],
            "node_rss_mb": [node["rss_mb"] for node in per_node],
            **shared,
            **figures,
            "generator_busy": figures["generator_busy"] or self.sent_share < SENT_ON_PACE,
            "load_avg": [round(x, 2) for x in os.getloadavg()],
        }


VOTE_CHECKS = ("stored_not_acknowledged", "over_budget", "over_cap", "ballot_mismatch", "tally_mismatch")
BREAKOUT_CHECKS = (
    "wrong_room_open",
    "unplaced",
    "preview_changed",
    "wrong_room_close",
    "not_back_in_plenary",
    "duplicates",
    "unexpected_moves",
)


def walks(i: int, clients: int, nodes: int, walkers: int) -> bool:
    """Whether participant i walks: ``walkers`` of ``clients`` in all, spread evenly over the nodes
    (participant i is on node i mod nodes) and over each node's participants (half: every other
    one of each node)."""
    node, j = i % nodes, i // nodes  # its node, and its place among that node's participants
    before = sum(len(range(k, clients, nodes)) for k in range(node))
    here = len(range(node, clients, nodes))
    mine = (before + here) * walkers // clients - before * walkers // clients  # this node's walkers
    return (j + 1) * mine // here > j * mine // here


def chat_text(k: int) -> dict[str, Any]:
    return {"text": f"{CHAT_MARK}{k:07d}{CHAT_WORDS}"}


async def idea_ids(facilitator: SioClient, board_id: str) -> list[str]:
    """The workload's ideas on the board (what the voters vote on), from a sync."""
    synced = await expect_ok(facilitator, "board.sync", {"board_id": board_id})
    ideas = (synced.get("snapshot") or {}).get("ideas", [])
    found = [i["id"] for i in ideas if str(i.get("text", "")).startswith(MARK)]
    if not found:
        raise RuntimeError("no ideas to vote on: the collect phase posted none")
    return found


async def measure(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    run = Run(ws, args)
    async with http_session() as http:
        await run.set_up(http)
        meter = Meter(ws.server, profile=args.profile, more=ws.nodes[1:])
        services = Services(ws.server.database, args.redis)
        with no_collector_pauses():
            await services.start()
            meter.start()
            run.began = time.perf_counter()
            await run.collect()
            await run.vote()
            await run.stand_still()
            await run.breakout()
            meter.stop()
            shared = await services.stop()
        disconnected = sum(1 for p in run.everyone if p.client.closed) + run.facilitator.closed
        await disband([run.facilitator, *run.crowd.clients])
    for node in ws.nodes:  # before the database is read: everything they acknowledged is committed
        await node.stop()
    return run.result(meter, shared, disconnected)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.nodes > 1 and (args.database.startswith("sqlite") or not args.redis):
        raise SystemExit("--nodes 2 needs --database postgresql (or a postgresql:// URL) and --redis URL")
    database = None if args.database == "sqlite" else args.database
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        async with workshop(keep=args.keep, nodes=args.nodes, database=database, redis=args.redis) as ws:
            return await measure(ws, args)
