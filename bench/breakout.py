"""Workload ``breakout``: everyone into breakout rooms at once, a broadcast to the rooms, everyone back.

``--clients`` participants are connected to the event's plenary. A facilitator creates a round
of ``--rooms`` rooms (``breakout.create``, no capacities) and previews it (``breakout.assign``,
mode ``automatic``: sizes differ by at most one). Then, measured:

1. **open**: the facilitator sends ``breakout.open``; each participant's latency runs from that
   send to the arrival of their ``room.moved`` with reason ``breakout_open``;
2. **broadcast**: once everyone is in their room and the server has settled, the facilitator
   sends ``broadcast.send`` ``{scope: "breakouts"}``; each latency runs to the participant's
   ``broadcast`` with that text. A server without the event answers ``unknown_event``: then
   nothing is measured and ``broadcast_note`` says so;
3. **close**: once settled again, ``breakout.close`` ``{now: true}``; each latency runs to the
   participant's ``room.moved`` with reason ``breakout_close``.

Each phase waits up to ``--drain`` seconds for everyone. ``lost`` counts the participants who
missed anything measured (their open or close move, or the broadcast; each also on its own:
``lost_open``, ``lost_broadcast``, ``lost_close``). ``violations`` counts what arrived wrong:
a participant sent to another room than the open acknowledgement's ``placement`` names (or not
placed at all), a placement the preview had that opening changed, a close move to somewhere
other than the plenary, a last ``room.moved`` after the close that does not name the plenary,
a move or broadcast twice, and moves for any other reason (a preview moves nobody).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.client import ClientError, SioClient, http_session, loads
from bench.crowd import assemble, disband, expect_ok, quiesce
from bench.stats import Meter, latency_figures, ms
from bench.workshop import Workshop, workshop

OPEN, CLOSE = "breakout_open", "breakout_close"
BROADCAST = "broadcast"  # the tracker's name for the broadcast's arrivals
MARK = "Bitte in 5 Minuten zurück ins Plenum"  # the broadcast's text (with the run's seed appended)
ROOMS_MAX = 100  # what breakout.create accepts
SETTLE_S = 60  # the longest wait for the server to settle between the phases


def _rooms(value: str) -> int:
    n = int(value)
    if not 1 <= n <= ROOMS_MAX:
        raise argparse.ArgumentTypeError(f"a round has 1–{ROOMS_MAX} rooms")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(clients=1000)
    parser.add_argument("--rooms", type=_rooms, default=100, help=f"breakout rooms, 1–{ROOMS_MAX} (default 100)")
    parser.add_argument(
        "--drain", type=float, default=30.0, help="seconds each phase waits for everyone to arrive (default 30)"
    )


# -- what each participant was told ------------------------------------------------------------


class Tracker:
    """How many participants have had their first arrival of each kind; ``wait`` until all have."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.counts: dict[str, int] = {}
        self._done: dict[str, asyncio.Event] = {}

    def _event(self, kind: str) -> asyncio.Event:
        return self._done.setdefault(kind, asyncio.Event())

    def arrived(self, kind: str) -> None:
        n = self.counts[kind] = self.counts.get(kind, 0) + 1
        if n >= self.expected:
            self._event(kind).set()

    async def wait(self, kind: str, within: float) -> bool:
        """Until everyone arrived, at most ``within`` seconds; True if all did (the missing are counted later)."""
        try:
            await asyncio.wait_for(self._event(kind).wait(), within)
        except TimeoutError:
            return False
        return True


_ROOM_ID = b'"room":{"id":"'
_REASON = b'"reason":"'


def parse_moved(packet: bytes) -> tuple[str, str]:
    """A ``room.moved`` packet's reason and the id of the room it names, by parsing all of it."""
    moved = loads(packet[2:])[1]
    return str(moved.get("reason")), str((moved.get("room") or {}).get("id"))


def scan_moved(packet: bytes) -> tuple[str, str] | None:
    """What ``parse_moved`` finds, found with ``bytes.find``: a ``room.moved`` back to the plenary
    lists everyone there (up to the whole crowd, 1,000 × 1,000 members over a close), which the
    generator need not parse. It relies on werkstatt's shape: the room first, its id its first key,
    the reason the last key (no nested object has one; quotes inside strings are escaped, so no
    text fakes a key). ``Participant`` checks it against a full parse on its first move; None when
    the packet is not shaped like that."""
    at = packet.find(_ROOM_ID)
    end = packet.rfind(_REASON)
    if at < 0 or end < 0:
        return None
    start = at + len(_ROOM_ID)
    stop = packet.find(b'"', start)
    close = packet.find(b'"', end + len(_REASON))
    if stop < 0 or close < 0:
        return None
    return packet[end + len(_REASON) : close].decode(), packet[start:stop].decode()


@dataclass(slots=True)
class Participant:
    """One participant's ``room.moved`` (reason, room, arrival) and ``broadcast`` (text, arrival)."""

    member_id: str
    tracker: Tracker | None = None
    moves: list[tuple[str, str, float]] = field(default_factory=list)
    broadcasts: list[tuple[str, float]] = field(default_factory=list)
    scan: bool | None = None  # None: not yet checked against a full parse

    def moved(self, packet: bytes, now: float) -> None:
        if self.scan:
            found = scan_moved(packet) or parse_moved(packet)
        else:
            found = parse_moved(packet)
            if self.scan is None:
                self.scan = scan_moved(packet) == found
        reason, room_id = found
        if self.tracker is not None and reason in (OPEN, CLOSE) and all(r != reason for r, _i, _t in self.moves):
            self.tracker.arrived(reason)
        self.moves.append((reason, room_id, now))

    def broadcast(self, data: Any, now: float) -> None:
        text = data.get("text") if isinstance(data, dict) else None
        if text is None and isinstance(data, dict) and isinstance(data.get("broadcast"), dict):
            text = data["broadcast"].get("text")  # should the event wrap it
        text = str(text)
        if self.tracker is not None and text.startswith(MARK) and not any(t == text for t, _at in self.broadcasts):
            self.tracker.arrived(BROADCAST)
        self.broadcasts.append((text, now))

    def first(self, reason: str) -> tuple[str, float] | None:
        """The room and arrival of the first move for ``reason``."""
        return next(((room, t) for r, room, t in self.moves if r == reason), None)


@dataclass(frozen=True)
class Sent:
    """When the facilitator sent each measured event (``time.perf_counter()``); None: not measured."""

    open: float
    close: float | None
    broadcast: float | None = None
    broadcast_text: str | None = None


def check(
    people: Sequence[Participant],
    *,
    plenary: str,
    preview: dict[str, str],
    placement: dict[str, str],
    sent: Sent,
) -> dict[str, Any]:
    """The latencies, what is lost and what arrived wrong, from what each participant was told."""
    opened: list[float] = []
    closed: list[float] = []
    heard: list[float] = []
    lost = {"open": 0, "broadcast": 0, "close": 0}
    wrong = {
        "wrong_room_open": 0,  # not the room of the open acknowledgement's placement
        "unplaced": 0,  # not in that placement at all
        "preview_changed": 0,  # placed by the preview, and somewhere else at the open
        "wrong_room_close": 0,  # a close move to somewhere other than the plenary
        "not_back_in_plenary": 0,  # the last room.moved after the close names another room
        "duplicates": 0,  # an open or close move, or the broadcast, twice
        "unexpected_moves": 0,  # moves for any other reason
    }
    lost_people = 0
    for person in people:
        missing = False
        m = person.member_id
        if m not in placement:
            wrong["unplaced"] += 1
        elif m in preview and preview[m] != placement[m]:
            wrong["preview_changed"] += 1
        reasons = [r for r, _room, _t in person.moves]
        wrong["duplicates"] += max(0, reasons.count(OPEN) - 1) + max(0, reasons.count(CLOSE) - 1)
        wrong["unexpected_moves"] += sum(1 for r in reasons if r not in (OPEN, CLOSE))
        arrival = person.first(OPEN)
        if arrival is None:
            lost["open"] += 1
            missing = True
        else:
            opened.append(arrival[1] - sent.open)
            if m in placement and arrival[0] != placement[m]:
                wrong["wrong_room_open"] += 1
        if sent.broadcast is not None:
            times = [t for text, t in person.broadcasts if text == sent.broadcast_text]
            if times:
                heard.append(times[0] - sent.broadcast)
                wrong["duplicates"] += len(times) - 1
            else:
                lost["broadcast"] += 1
                missing = True
        if sent.close is not None:
            back = person.first(CLOSE)
            if back is None:
                lost["close"] += 1
                missing = True
            else:
                closed.append(back[1] - sent.close)
                if back[0] != plenary:
                    wrong["wrong_room_close"] += 1
                elif person.moves[-1][1] != plenary:
                    wrong["not_back_in_plenary"] += 1
        lost_people += missing
    return {
        "lost": lost_people,
        **{f"lost_{k}": v for k, v in lost.items()},
        "violations": sum(wrong.values()),
        **wrong,
        "opened": opened,
        "closed": closed,
        "heard": heard,
    }


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Phase:
    """A measured event's acknowledgement and the server's CPU seconds from its send until settled."""

    ack_s: float | None = None
    cpu_s: float | None = None


async def _measured(
    facilitator: SioClient, event: str, payload: dict[str, Any], errors: dict[str, int]
) -> tuple[float, dict[str, Any] | None, float]:
    """Send a measured event; its send time, its acknowledgement (None: none came) and the ack's latency."""
    sent = time.perf_counter()
    try:
        ack = await facilitator.call(event, payload, wait_s=120)
    except ClientError:
        errors[f"{event}_no_ack"] = errors.get(f"{event}_no_ack", 0) + 1
        return sent, None, time.perf_counter() - sent
    took = time.perf_counter() - sent
    if not ack.get("ok"):
        code = f"{event}_{ack.get('error', {}).get('code', '?')}"
        errors[code] = errors.get(code, 0) + 1
    return sent, ack, took


async def _settle(ws: Workshop, cpu_before: float, phase: Phase) -> None:
    await quiesce(ws.server, wait_s=SETTLE_S)
    phase.cpu_s = ws.server.cpu_seconds() - cpu_before


async def _run(ws: Workshop, args: argparse.Namespace) -> dict[str, Any]:
    tracker = Tracker(args.clients)
    people: list[Participant] = []
    errors: dict[str, int] = {}

    def prepare(i: int, client: SioClient, member: dict[str, Any]) -> None:
        person = Participant(member["member_id"], tracker)
        people.append(person)
        client.on_packet("room.moved", person.moved)
        client.on("broadcast", person.broadcast)

    async with http_session() as http:
        print(f"setting up: {args.clients} participants, {args.rooms} rooms", flush=True)
        lead = await assemble(
            http, ws.base, ws.links["facilitator"], 1, prefix="Moderation", compress=args.compress, progress=False
        )
        facilitator = lead[0][0]
        plenary = (await expect_ok(facilitator, "room.enter"))["room"]["id"]
        crowd = await assemble(
            http, ws.base, ws.links["participant"], args.clients, prepare=prepare, compress=args.compress
        )
        joined = {member["member_id"] for _client, member in crowd}
        people = [p for p in people if p.member_id in joined]  # not those whose join or connect was retried
        print(f"  settled after {await quiesce(ws.server):.1f} s", flush=True)
        rooms = [{"name": f"Raum {k + 1:03d}"} for k in range(args.rooms)]
        created = await expect_ok(facilitator, "breakout.create", {"rooms": rooms, "mode": "automatic"})
        round_id = created["round"]["id"]
        assigned = await expect_ok(
            facilitator, "breakout.assign", {"round_id": round_id, "mode": "automatic", "seed": args.seed}
        )
        preview: dict[str, str] = assigned["round"]["placement"] or {}
        sizes = [r["size"] for r in assigned["round"]["rooms"]]
        print(f"  preview: {sum(sizes)} placed, {min(sizes)}–{max(sizes)} per room", flush=True)
        print(f"  settled after {await quiesce(ws.server):.1f} s", flush=True)

        meter = Meter(ws.server, profile=args.profile)
        meter.start()
        phases = {name: Phase() for name in ("open", "broadcast", "close")}

        print(f"open: {args.clients} participants into {args.rooms} rooms", flush=True)
        cpu = ws.server.cpu_seconds()
        open_sent, ack, phases["open"].ack_s = await _measured(
            facilitator, "breakout.open", {"round_id": round_id}, errors
        )
        placement: dict[str, str] = {}
        if ack is not None and ack.get("ok"):
            placement = ack["round"]["placement"] or {}
            await tracker.wait(OPEN, args.drain)
        await _settle(ws, cpu, phases["open"])

        print("broadcast to the breakout rooms", flush=True)
        text = f"{MARK} ({args.seed})"
        cpu = ws.server.cpu_seconds()
        broadcast_sent: float | None
        broadcast_sent, ack, phases["broadcast"].ack_s = await _measured(
            facilitator, "broadcast.send", {"text": text, "scope": "breakouts"}, errors
        )
        note = None
        broadcast_rooms = None
        if ack is not None and ack.get("error", {}).get("code") == "unknown_event":
            errors.pop("broadcast.send_unknown_event", None)  # not a failure: not there yet
            note = "the server answers broadcast.send with unknown_event: the broadcast is not measured"
            broadcast_sent = phases["broadcast"].ack_s = None
            print(f"  {note}", flush=True)
        elif ack is not None and ack.get("ok"):
            broadcast_rooms = ack.get("rooms")
            await tracker.wait(BROADCAST, args.drain)
        await _settle(ws, cpu, phases["broadcast"])

        print("close: everyone back to the plenary", flush=True)
        cpu = ws.server.cpu_seconds()
        close_sent: float | None
        close_sent, ack, phases["close"].ack_s = await _measured(
            facilitator, "breakout.close", {"round_id": round_id, "now": True}, errors
        )
        if ack is not None and ack.get("ok"):
            await tracker.wait(CLOSE, args.drain)
        await _settle(ws, cpu, phases["close"])  # late or stray moves show in the last room.moved
        figures = meter.stop()

        disconnected = sum(1 for c, _m in crowd if c.closed) + facilitator.closed
        await disband([facilitator, *crowd.clients])

    await ws.server.stop()
    checked = check(
        people,
        plenary=plenary,
        preview=preview,
        placement=placement,
        sent=Sent(open_sent, close_sent, broadcast_sent, text),
    )
    if disconnected:
        errors["disconnected"] = disconnected
    server_errors = ws.server.log_errors()
    if server_errors:
        errors["server_log"] = len(server_errors)
    opened, heard, closed = checked.pop("opened"), checked.pop("heard"), checked.pop("closed")
    return {
        "workload": "breakout",
        "clients": args.clients,
        "rooms": args.rooms,
        "setup_s": round(crowd.seconds, 1),  # joining and connecting everyone, not measured
        "setup_retries": crowd.retries,
        "room_size_min": min(sizes),
        "room_size_max": max(sizes),
        **latency_figures(opened, prefix="open_"),
        "open_ack_ms": ms(phases["open"].ack_s),
        **latency_figures(heard, prefix="broadcast_"),
        "broadcast_ack_ms": ms(phases["broadcast"].ack_s),
        "broadcast_rooms": broadcast_rooms,
        **({"broadcast_note": note} if note else {}),
        **latency_figures(closed, prefix="close_"),
        "close_ack_ms": ms(phases["close"].ack_s),
        **checked,
        "errors": sum(errors.values()),
        "error_codes": errors,
        # the server's CPU seconds from each send until it settled again (after the arrivals)
        **{f"{name}_server_cpu_s": round(p.cpu_s, 2) if p.cpu_s is not None else None for name, p in phases.items()},
        **figures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with workshop(keep=args.keep) as ws:
        return await _run(ws, args)
