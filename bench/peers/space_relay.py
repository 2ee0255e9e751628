"""The baseline of the movement benchmark: a naive relay of moves to everyone, on werkstatt's transport.

    python -m bench.peers.space_relay --port 8125 [--host 127.0.0.1]

It is what a space would be without interest management and without ticks: every
``space.move`` is sent at once, as its own ``space.moves`` event (``[[member_id, x, y, dir,
moving]]``, werkstatt's wire format), to every other connection in the one room. No cells,
no coalescing, no batching. Everything else is werkstatt's: the Socket.IO endpoint and
websocket (``server.transport``: the same parsing, the same task per event, the same frames
written straight to each transport, the same send budget that drops a connection falling
behind) with werkstatt's default settings, on uvloop as ``python -m server serve`` runs.
So the difference between the two in ``python -m bench movement`` is the algorithm.

A client connects with any ``token``; ``space.enter`` answers ``{ok, me: {id}}`` (no map, no
positions: the relay keeps none and checks nothing, not even the rules of moving — which
makes it cheaper per move than werkstatt, not dearer).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from server.settings import Settings
from server.transport.endpoint import RealtimeServer, event_frame

ROOM = "room"


class SpaceRelay:
    def __init__(self, realtime: RealtimeServer) -> None:
        self.realtime = realtime
        self.members: dict[str, str] = {}  # sid → member id
        self.joined = 0
        realtime.bind(self.connect, self.disconnect, self.event)

    async def connect(self, sid: str, _cookies: Mapping[str, str], _auth: Any) -> None:
        self.joined += 1
        self.members[sid] = f"mb_relay{self.joined:05d}"
        self.realtime.join(sid, ROOM)

    async def disconnect(self, sid: str) -> None:
        self.members.pop(sid, None)

    async def event(self, sid: str, name: str, args: list[Any]) -> Any:
        member = self.members.get(sid)
        if member is None:
            return {"ok": False, "error": {"code": "not_connected", "message": "Not connected."}}
        if name == "space.move":
            move = args[0] if args else None
            if isinstance(move, dict):
                item = [member, move.get("x"), move.get("y"), move.get("dir"), move.get("moving")]
                data = event_frame("space.moves", [item])  # encoded once, written to everyone
                send = self.realtime.send
                for socket in self.realtime.members(ROOM):
                    if socket.sid != sid:
                        send(socket, data)
            return None  # volatile: no acknowledgement
        if name == "space.enter":
            return {"ok": True, "me": {"id": member}}
        return {"ok": False, "error": {"code": "unknown_event", "message": f"Unknown event {name}."}}


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def serve(host: str, port: int) -> None:
    settings = Settings.load({})  # the defaults (no WERKSTATT_* variables are read)
    realtime = RealtimeServer(
        origin_allowed=lambda _request, _origin: True,
        max_message_bytes=settings.max_message_bytes,
        send_buffer_limit=settings.send_buffer_limit,
        send_buffer_total=settings.send_buffer_total,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
    )
    SpaceRelay(realtime)
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    realtime.attach(app)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {port}", flush=True)
    await stop.wait()
    for socket in list(realtime.sockets.values()):
        socket.abort()
    with contextlib.suppress(Exception):
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.space_relay", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the environment
        asyncio.run(serve(args.host, args.port))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
