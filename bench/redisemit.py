"""``python -m bench redis-emit``: the extra CPU an emit costs when it crosses nodes through Redis.

No server process and no clients: two "nodes" of each implementation live in this process, each
with ``--clients`` connections of its own in the same room, and the connections are fakes that
count what is written to them (werkstatt: the frames its transports would get; python-socketio:
the Engine.IO packets, encoded, that its server would send). Measured with ``time.process_time``
(this process; Redis's own CPU is read from ``INFO cpu`` and reported apart):

- in-process: one node with every connection (2 × ``--clients``), N emits to the room;
- cross-node: two nodes through the Redis at ``--redis``, N emits from the first, each awaited
  until every connection of both nodes has it;

for werkstatt (``FrameFanout`` / ``RedisFanout``) and for python-socketio (``AsyncManager`` /
``AsyncRedisManager``). ``werkstatt_us`` and ``asyncredismanager_us`` are the extra µs of CPU per
emit (cross-node − in-process); ``ratio`` is how many times cheaper werkstatt's is.

Then the spread: ``--rooms`` rooms (events), the first node has connections in all of them, the
second in only one; emits go round the rooms. An AsyncRedisManager node decodes every message on
its one channel; a werkstatt node reads only the channels its connections are in
(``spread_*_second_node_messages``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis
import socketio
from socketio import async_manager

from server.transport.endpoint import RealtimeServer, Socket
from server.transport.fanout import FrameFanout
from server.transport.redisfanout import RedisFanout

TEXT = "Mehr Sitzbänke und Schatten am Marktplatz, dazu ein Trinkbrunnen für heiße Sommertage."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--emits", type=int, default=2000, help="emits measured per phase (default 2,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the emits are measured in (default 5)")
    parser.add_argument(
        "--burst", type=int, default=100, help="emits sent one after the other before awaiting them (default 100)"
    )
    parser.add_argument("--rooms", type=int, default=10, help="rooms of the spread (default 10)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Redis (default 127.0.0.1:6379)")


def payload(n: int) -> dict[str, Any]:
    """About what a board change carries (``board.changed`` with one idea)."""
    return {
        "board_id": "b-7f3a9c",
        "seq": n,
        "kind": "idea.created",
        "idea": {"id": f"i-{n}", "field_id": "f-mobilitaet", "text": TEXT, "author": "Rita", "dots": 0},
    }


class Tally:
    """What a node's connections were given; ``reached`` resolves once ``target`` deliveries arrived."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.target = 0
        self.reached: asyncio.Future[None] | None = None

    def count(self, size: int) -> None:
        self.messages += 1
        self.bytes += size
        if self.reached is not None and self.messages >= self.target and not self.reached.done():
            self.reached.set_result(None)

    def expect(self, more: int) -> asyncio.Future[None]:
        self.target = self.messages + more
        self.reached = asyncio.get_running_loop().create_future()
        if more <= 0:
            self.reached.set_result(None)
        return self.reached


class Counted:
    """A werkstatt connection: counts the frames written to its transport."""

    def __init__(self, sid: str, tally: Tally) -> None:
        self.sid, self.tally = sid, tally
        self.channels: list[str] = []
        self.connected = True
        self.connecting = None

    def send(self, data: bytes) -> bool:
        self.tally.count(len(data))
        return True


def werkstatt_node(url: str | None) -> tuple[FrameFanout, Tally]:
    server = RealtimeServer(origin_allowed=lambda _r, _o: True, max_message_bytes=1 << 20, send_buffer_limit=1 << 20)
    fanout = FrameFanout(server) if url is None else RedisFanout(server, url)
    return fanout, Tally()


async def werkstatt_connect(fanout: FrameFanout, tally: Tally, rooms: list[str], count: int) -> None:
    for room in rooms:
        for _ in range(count):
            sid = secrets.token_hex(8)
            fanout.server.sockets[sid] = cast(Socket, Counted(sid, tally))
            await fanout.subscribe(sid, room)


class CountingServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with its Engine.IO sends counted instead of written (each packet encoded,
    as ``send_packet`` would encode it)."""

    tally: Tally

    async def _send_eio_packet(self, eio_sid: str, eio_pkt: Any) -> None:
        self.tally.count(len(eio_pkt.encode()))


class CountingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """AsyncRedisManager that counts the messages it takes from Redis (each is decoded)."""

    listened = 0

    async def _listen(self) -> Any:
        async for message in super()._listen():
            self.listened += 1
            yield message


async def socketio_node(manager: Any) -> tuple[Any, Tally]:
    server = CountingServer(client_manager=manager, async_mode="aiohttp")
    server.tally = Tally()
    manager.initialize()  # as the first connection would (the pub/sub manager's listening task)
    return server, server.tally


async def socketio_connect(server: Any, rooms: list[str], count: int) -> None:
    for room in rooms:
        for _ in range(count):
            sid = await server.manager.connect(secrets.token_hex(8), "/")
            await server.manager.enter_room(sid, "/", room)


async def timed(emits: int, emit: Callable[[int], Awaitable[None]], first: int = 0) -> float:
    """CPU µs per emit of this process (``emit`` awaits every delivery)."""
    gc.collect()
    started = time.process_time()
    for n in range(first, first + emits):
        await emit(n)
    return (time.process_time() - started) / emits * 1e6


async def measure(emits: int, emit: Callable[[int], Awaitable[None]]) -> float:
    """``timed`` after a warm-up of up to 200 emits."""
    for n in range(min(200, emits)):
        await emit(-n - 1)
    return await timed(emits, emit)


async def redis_cpu(admin: aioredis.Redis) -> float:
    info = await admin.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def until_subscribed(admin: aioredis.Redis, channel: bytes, count: int) -> None:
    for _ in range(500):
        ((_name, subscribed),) = await admin.pubsub_numsub(channel)
        if int(subscribed) >= count:
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the nodes did not subscribe to {channel!r}")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The four paths are set up side by side and measured in ``--rounds`` rounds, one after the other in
    each round, so that what else the machine does meanwhile falls on all four alike; each figure is the
    median of its rounds (``*_rounds`` has them all)."""
    clients = args.clients or 50
    rounds = max(1, args.rounds)
    per_round = max(1, args.emits // rounds)
    room = f"room:{secrets.token_hex(6)}"
    admin = aioredis.Redis.from_url(args.redis)
    result: dict[str, Any] = {"clients_per_node": clients, "emits": per_round * rounds, "rounds": rounds}
    sent = 0  # emits of each path, warm-up included: every one must reach 2 × clients connections
    werkstatt_nodes: list[RedisFanout] = []
    channel = f"socketio-bench-{secrets.token_hex(4)}"  # AsyncRedisManager's one channel, of both nodes
    managers = [CountingRedisManager(args.redis, channel=channel) for _ in range(2)]
    try:
        one, one_tally = werkstatt_node(None)
        await werkstatt_connect(one, one_tally, [room], 2 * clients)
        (a, a_tally), (b, b_tally) = werkstatt_node(args.redis), werkstatt_node(args.redis)
        werkstatt_nodes += [cast(RedisFanout, a), cast(RedisFanout, b)]
        for node in werkstatt_nodes:
            await node.start()
        await werkstatt_connect(a, a_tally, [room], clients)
        await werkstatt_connect(b, b_tally, [room], clients)
        sio_one, sio_one_tally = await socketio_node(async_manager.AsyncManager())
        await socketio_connect(sio_one, [room], 2 * clients)
        (sio_a, sio_a_tally), (sio_b, sio_b_tally) = [await socketio_node(m) for m in managers]
        await until_subscribed(admin, channel.encode(), 2)
        await socketio_connect(sio_a, [room], clients)
        await socketio_connect(sio_b, [room], clients)

        async def werkstatt_inprocess(n: int) -> None:
            done = one_tally.expect(2 * clients)
            await one.publish(room, "board.changed", payload(n))
            await done

        async def werkstatt_crossnode(n: int) -> None:
            here, there = a_tally.expect(clients), b_tally.expect(clients)
            await a.publish(room, "board.changed", payload(n))
            await here
            await there

        async def asyncredismanager_inprocess(n: int) -> None:
            done = sio_one_tally.expect(2 * clients)
            await sio_one.emit("board.changed", payload(n), room=room)
            await done

        async def asyncredismanager_crossnode(n: int) -> None:
            here, there = sio_a_tally.expect(clients), sio_b_tally.expect(clients)
            await sio_a.emit("board.changed", payload(n), room=room)
            await here
            await there

        burst = max(1, min(args.burst, per_round))

        def bursts(
            tallies: tuple[Tally, ...], emit: Callable[[int], Awaitable[None]]
        ) -> Callable[[int], Awaitable[None]]:
            """``burst`` emits one after the other, then every delivery awaited: a busy node's pace."""

            async def emit_burst(n: int) -> None:
                done = [tally.expect(clients * burst * (2 if len(tallies) == 1 else 1)) for tally in tallies]
                for k in range(burst):
                    await emit(n * burst + k)
                for arrived in done:
                    await arrived

            return emit_burst

        async def werkstatt_inprocess_send(n: int) -> None:
            await one.publish(room, "board.changed", payload(n))

        async def werkstatt_crossnode_send(n: int) -> None:
            await a.publish(room, "board.changed", payload(n))

        async def asyncredismanager_inprocess_send(n: int) -> None:
            await sio_one.emit("board.changed", payload(n), room=room)

        async def asyncredismanager_crossnode_send(n: int) -> None:
            await sio_a.emit("board.changed", payload(n), room=room)

        paths: dict[str, Callable[[int], Awaitable[None]]] = {
            "werkstatt_inprocess": werkstatt_inprocess,
            "werkstatt_crossnode": werkstatt_crossnode,
            "asyncredismanager_inprocess": asyncredismanager_inprocess,
            "asyncredismanager_crossnode": asyncredismanager_crossnode,
            "burst_werkstatt_inprocess": bursts((one_tally,), werkstatt_inprocess_send),
            "burst_werkstatt_crossnode": bursts((a_tally, b_tally), werkstatt_crossnode_send),
            "burst_asyncredismanager_inprocess": bursts((sio_one_tally,), asyncredismanager_inprocess_send),
            "burst_asyncredismanager_crossnode": bursts((sio_a_tally, sio_b_tally), asyncredismanager_crossnode_send),
        }
        warmup = min(200, per_round)
        for name, emit in paths.items():
            if name.startswith("burst_"):
                await emit(-1)
            else:
                for n in range(warmup):
                    await emit(-n - 1)
        sent += warmup + burst
        figures: dict[str, list[float]] = {name: [] for name in paths}
        redis_figures: dict[str, list[float]] = {name: [] for name in paths if name.endswith("crossnode")}
        for round_ in range(rounds):
            for name, emit in paths.items():
                cpu = await redis_cpu(admin)
                if name.startswith("burst_"):
                    calls = per_round // burst
                    figures[name].append(await timed(calls, emit, round_ * calls) / burst)
                    sent_now = calls * burst
                else:
                    figures[name].append(await timed(per_round, emit, round_ * per_round))
                    sent_now = per_round
                if name in redis_figures:
                    redis_figures[name].append((await redis_cpu(admin) - cpu) / sent_now * 1e6)
            sent += per_round + (per_round // burst) * burst
        for name, values in figures.items():
            result[f"{name}_us"] = round(median(values), 2)
        result["burst"] = burst
        for name in ("werkstatt", "asyncredismanager", "burst_werkstatt", "burst_asyncredismanager"):
            extra = [c - i for c, i in zip(figures[f"{name}_crossnode"], figures[f"{name}_inprocess"], strict=True)]
            result[f"{name}_us"] = round(median(extra), 2)
            result[f"{name}_us_rounds"] = [round(value, 2) for value in extra]
            result[f"{name}_redis_cpu_us"] = round(median(redis_figures[f"{name}_crossnode"]), 2)
        tallies = (one_tally, a_tally, b_tally, sio_one_tally, sio_a_tally, sio_b_tally)
        lost = 4 * 2 * clients * sent - sum(tally.messages for tally in tallies)  # each tally counts 2 paths

        # -- the spread: the second node has connections in one room of ``--rooms`` --------------
        result.update(await spread_socketio(args, sio_a, sio_a_tally, sio_b, sio_b_tally, managers[1], clients))
        result.update(await spread_werkstatt(args, clients))
    finally:
        for manager in managers:
            thread = getattr(manager, "thread", None)  # its listening task, once initialised
            if thread is not None:
                thread.cancel()
                await asyncio.gather(thread, return_exceptions=True)
            if manager.redis is not None:
                await manager.redis.aclose()
        for node in werkstatt_nodes:
            await node.close()
        await admin.aclose()

    result["ratio"] = round(result["asyncredismanager_us"] / max(result["werkstatt_us"], 0.01), 1)
    result["burst_ratio"] = round(result["burst_asyncredismanager_us"] / max(result["burst_werkstatt_us"], 0.01), 1)
    result["lost"] = lost
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]  # others' work on the same cores shows here
    print(
        f"extra CPU per emit across two nodes: werkstatt {result['werkstatt_us']} µs, "
        f"AsyncRedisManager {result['asyncredismanager_us']} µs ({result['ratio']}×); in bursts of {burst}: "
        f"{result['burst_werkstatt_us']} µs and {result['burst_asyncredismanager_us']} µs ({result['burst_ratio']}×)",
        flush=True,
    )
    return result


def spread_rooms(args: argparse.Namespace) -> list[str]:
    return [f"event:{secrets.token_hex(6)}" for _ in range(args.rooms)]


async def spread_werkstatt(args: argparse.Namespace, clients: int) -> dict[str, Any]:
    rooms = spread_rooms(args)
    (a, a_tally), (b, b_tally) = werkstatt_node(args.redis), werkstatt_node(args.redis)
    ra, rb = cast(RedisFanout, a), cast(RedisFanout, b)
    await ra.start()
    await rb.start()
    try:
        await werkstatt_connect(a, a_tally, rooms, clients)
        await werkstatt_connect(b, b_tally, rooms[:1], clients)
        before = rb.received

        async def emit(n: int) -> None:
            target = rooms[n % len(rooms)]
            here = a_tally.expect(clients)
            there = b_tally.expect(clients if target == rooms[0] else 0)
            await a.publish(target, "board.changed", payload(n))
            await here
            await there

        us = await measure(args.emits, emit)
        return {
            "rooms": args.rooms,
            "spread_emits": args.emits + min(200, args.emits),
            "spread_werkstatt_us": round(us, 2),
            "spread_werkstatt_second_node_messages": rb.received - before,
        }
    finally:
        await ra.close()
        await rb.close()


async def spread_socketio(
    args: argparse.Namespace, a: Any, a_tally: Tally, b: Any, b_tally: Tally, b_manager: Any, clients: int
) -> dict[str, Any]:
    rooms = spread_rooms(args)
    await socketio_connect(a, rooms, clients)
    await socketio_connect(b, rooms[:1], clients)
    before = b_manager.listened

    async def emit(n: int) -> None:
        target = rooms[n % len(rooms)]
        here = a_tally.expect(clients)
        there = b_tally.expect(clients if target == rooms[0] else 0)
        await a.emit("board.changed", payload(n), room=target)
        await here
        await there

    us = await measure(args.emits, emit)
    # what the second node read of the last emits (to rooms it has nobody in) is read before this marker
    marker = b_tally.expect(clients)
    await a.emit("board.changed", payload(-1), room=rooms[0])
    await marker
    return {
        "spread_asyncredismanager_us": round(us, 2),
        "spread_asyncredismanager_second_node_messages": b_manager.listened - before - 1,
    }
