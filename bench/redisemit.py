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


async def measure(emits: int, emit: Callable[[int], Awaitable[None]]) -> float:
    """CPU µs per emit of this process (``emit`` awaits every delivery)."""
    for n in range(min(200, emits)):  # warm up
        await emit(-n - 1)
    gc.collect()
    started = time.process_time()
    for n in range(emits):
        await emit(n)
    return (time.process_time() - started) / emits * 1e6


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


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clients = args.clients or 50
    emits = args.emits
    room = f"room:{secrets.token_hex(6)}"
    admin = aioredis.Redis.from_url(args.redis)
    result: dict[str, Any] = {"clients_per_node": clients, "emits": emits, "rooms": args.rooms}
    lost = 0
    try:
        # -- werkstatt, in-process -----------------------------------------------------------
        one, one_tally = werkstatt_node(None)
        await werkstatt_connect(one, one_tally, [room], 2 * clients)

        async def emit_one(n: int) -> None:
            done = one_tally.expect(2 * clients)
            await one.publish(room, "board.changed", payload(n))
            await done

        result["werkstatt_inprocess_us"] = round(await measure(emits, emit_one), 2)

        # -- werkstatt, two nodes through Redis ----------------------------------------------
        (a, a_tally), (b, b_tally) = werkstatt_node(args.redis), werkstatt_node(args.redis)
        ra, rb = cast(RedisFanout, a), cast(RedisFanout, b)
        await ra.start()
        await rb.start()
        try:
            await werkstatt_connect(a, a_tally, [room], clients)
            await werkstatt_connect(b, b_tally, [room], clients)

            async def emit_two(n: int) -> None:
                here, there = a_tally.expect(clients), b_tally.expect(clients)
                await a.publish(room, "board.changed", payload(n))
                await here
                await there

            cpu = await redis_cpu(admin)
            result["werkstatt_crossnode_us"] = round(await measure(emits, emit_two), 2)
            result["werkstatt_redis_cpu_us"] = round((await redis_cpu(admin) - cpu) / (emits + 200) * 1e6, 2)
            lost += 2 * clients * (emits + min(200, emits)) - a_tally.messages - b_tally.messages
        finally:
            await ra.close()
            await rb.close()

        # -- python-socketio, in-process -----------------------------------------------------
        sio_one, sio_one_tally = await socketio_node(async_manager.AsyncManager())
        await socketio_connect(sio_one, [room], 2 * clients)

        async def sio_emit_one(n: int) -> None:
            done = sio_one_tally.expect(2 * clients)
            await sio_one.emit("board.changed", payload(n), room=room)
            await done

        result["asyncredismanager_inprocess_us"] = round(await measure(emits, sio_emit_one), 2)

        # -- python-socketio, two nodes through Redis ----------------------------------------
        channel = f"socketio-bench-{secrets.token_hex(4)}"
        managers = [CountingRedisManager(args.redis, channel=channel) for _ in range(2)]
        (sio_a, sio_a_tally), (sio_b, sio_b_tally) = [await socketio_node(m) for m in managers]
        try:
            await until_subscribed(admin, channel.encode(), 2)
            await socketio_connect(sio_a, [room], clients)
            await socketio_connect(sio_b, [room], clients)

            async def sio_emit_two(n: int) -> None:
                here, there = sio_a_tally.expect(clients), sio_b_tally.expect(clients)
                await sio_a.emit("board.changed", payload(n), room=room)
                await here
                await there

            cpu = await redis_cpu(admin)
            result["asyncredismanager_crossnode_us"] = round(await measure(emits, sio_emit_two), 2)
            result["asyncredismanager_redis_cpu_us"] = round((await redis_cpu(admin) - cpu) / (emits + 200) * 1e6, 2)
            lost += 2 * clients * (emits + min(200, emits)) - sio_a_tally.messages - sio_b_tally.messages

            # -- the spread: the second node has connections in one room of ``--rooms`` ------
            spread = await spread_socketio(args, sio_a, sio_a_tally, sio_b, sio_b_tally, managers[1], clients)
        finally:
            for manager in managers:
                manager.thread.cancel()
                await asyncio.gather(manager.thread, return_exceptions=True)
                if manager.redis is not None:
                    await manager.redis.aclose()
        result.update(await spread_werkstatt(args, clients))
        result.update(spread)
    finally:
        await admin.aclose()

    result["werkstatt_us"] = round(result["werkstatt_crossnode_us"] - result["werkstatt_inprocess_us"], 2)
    result["asyncredismanager_us"] = round(
        result["asyncredismanager_crossnode_us"] - result["asyncredismanager_inprocess_us"], 2
    )
    result["ratio"] = round(result["asyncredismanager_us"] / max(result["werkstatt_us"], 0.01), 1)
    result["lost"] = lost
    print(
        f"extra CPU per emit across two nodes: werkstatt {result['werkstatt_us']} µs, "
        f"AsyncRedisManager {result['asyncredismanager_us']} µs ({result['ratio']}×)",
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
