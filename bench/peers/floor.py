"""The floor of the fan-out and idle benchmarks: a bare aiohttp websocket broadcast, no Socket.IO library.

    python -m bench.peers.floor --port 8124 [--host 127.0.0.1]

It speaks just enough Engine.IO 4 / Socket.IO 5 over websockets for the load generator
(``bench/client.py``): the open packet, the connect acknowledgement (any ``token`` is
accepted), pings every ``--ping-interval`` seconds from one timer for all sockets, and the
events the workloads use with the shapes werkstatt sends (``room.enter``,
``board.idea.create``, ``board.sync``; see ``bench/peers/node-relay/relay.js``).

A change is encoded once, JSON and websocket frame, and the same bytes are written to every
socket's transport in one loop: no task, no queue and no timer per recipient. That is as
cheap as a broadcast gets in Python, so it marks what the event loop can do at all. A socket
whose unsent bytes pass ``--max-buffer`` is dropped (a client that stopped reading cannot
make the server hold everything for it). Nothing is stored beyond memory.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import json
import os
import signal
import struct
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

try:
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)

    loads = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    loads = json.loads

COLOURS = ("yellow", "green", "blue", "pink", "orange", "purple")
FIELDS = ("Mobilität", "Bildung", "Digitale Verwaltung", "Umwelt und Klima")


def new_id(prefix: str) -> str:
    return f"{prefix}_{base64.urlsafe_b64encode(os.urandom(9)).decode()}"


def timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def frame(text: bytes) -> bytes:
    """One unmasked, uncompressed websocket text frame (server to client, RFC 6455)."""
    n = len(text)
    if n < 126:
        return bytes((0x81, n)) + text
    if n < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, n) + text
    return struct.pack("!BBQ", 0x81, 127, n) + text


PING = frame(b"2")


@dataclass(eq=False)
class Peer:
    ws: web.WebSocketResponse
    transport: asyncio.Transport
    member: dict[str, Any]


class Floor:
    def __init__(self, *, ping_interval: float, max_buffer: int) -> None:
        self.ping_interval = ping_interval
        self.max_buffer = max_buffer
        self.peers: dict[asyncio.Transport, Peer] = {}  # connected (Socket.IO connect done)
        self.event = {
            "id": new_id("ev"),
            "title": "Bench-Werkstatt",
            "description": "Lasttest",
            "language": "de",
            "fields": [{"id": new_id("fld"), "name": name} for name in FIELDS],
        }
        self.field_ids = {f["id"] for f in self.event["fields"]}  # type: ignore[union-attr]
        self.room = {"id": new_id("rm"), "name": "Plenum", "kind": "plenary"}
        self.board = {"id": new_id("bd"), "title": "Bench-Werkstatt", "seq": 0}
        self.changes: list[dict[str, Any]] = []
        self.joined = 0
        self.dropped = 0

    # -- writing ----------------------------------------------------------------------------

    def write(self, peer: Peer, data: bytes) -> None:
        transport = peer.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size() > self.max_buffer:
            self.dropped += 1
            self.peers.pop(transport, None)
            transport.abort()
            return
        transport.write(data)

    def broadcast(self, data: bytes) -> None:
        for peer in list(self.peers.values()):
            self.write(peer, data)

    async def pinger(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            self.broadcast(PING)

    # -- events -----------------------------------------------------------------------------

    def handle(self, peer: Peer, name: str, payload: Any) -> tuple[Any, bytes | None]:
        """The acknowledgement of one event, and the frame to broadcast (if any)."""
        if name == "room.enter":
            return {
                "ok": True,
                "me": peer.member,
                "event": self.event,
                "room": self.room,
                "presence": [p.member for p in self.peers.values()],
                "boards": [dict(self.board)],
            }, None
        if not isinstance(payload, dict) or payload.get("board_id") != self.board["id"]:
            return {"ok": False, "error": {"code": "not_found", "message": "No such board."}}, None
        if name == "board.sync":
            since = payload.get("since") if isinstance(payload.get("since"), int) else 0
            return {
                "ok": True,
                "board_id": self.board["id"],
                "seq": self.board["seq"],
                "changes": self.changes[since:],
                "snapshot": None,
            }, None
        if name == "board.idea.create":
            text = payload.get("text")
            if not isinstance(text, str) or not text.strip() or payload.get("field_id") not in self.field_ids:
                return {"ok": False, "error": {"code": "invalid", "message": "Text and field are needed."}}, None
            at = timestamp()
            member = peer.member
            idea = {
                "id": new_id("idea"),
                "board_id": self.board["id"],
                "field_id": payload["field_id"],
                "title": payload.get("title") if isinstance(payload.get("title"), str) else "",
                "text": text.strip(),
                "tags": payload.get("tags") if isinstance(payload.get("tags"), list) else [],
                "colour": payload.get("colour") if payload.get("colour") in COLOURS else None,
                "position": "V",
                "cluster_id": None,
                "status": "visible",
                "phase": "collect",
                "merged_from": [],
                "author": {"id": member["id"], "pseudonym": member["pseudonym"], "colour": member["colour"]},
                "reports": 0,
                "reported_by_me": False,
                "review": None,
                "created_at": at,
                "updated_at": at,
            }
            self.board["seq"] += 1  # type: ignore[operator]
            change = {
                "board_id": self.board["id"],
                "seq": self.board["seq"],
                "type": "idea.created",
                "idea_id": idea["id"],
                "idea": idea,
                "ideas": None,
                "cluster_id": None,
                "cluster": None,
                "comment_id": None,
                "comment": None,
                "comments": None,
                "settings": None,
                "session": None,
            }
            self.changes.append(change)
            return {"ok": True, "seq": self.board["seq"], "idea": idea}, frame(
                b'42["board.changed",' + dumps(change) + b"]"
            )
        return {"ok": False, "error": {"code": "unknown_event", "message": f"Unknown event {name}."}}, None

    # -- the websocket ----------------------------------------------------------------------

    async def socketio(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("transport") != "websocket":
            return web.json_response({"code": 3, "message": "websocket only"}, status=400)
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        sid = new_id("sid")
        open_packet = {
            "sid": sid,
            "upgrades": [],
            "pingInterval": int(self.ping_interval * 1000),
            "pingTimeout": 20000,
            "maxPayload": 1000000,
        }
        await ws.send_str("0" + dumps(open_packet).decode())
        peer: Peer | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                data: str = msg.data
                if data.startswith("42"):
                    if peer is None:
                        continue
                    start = data.index("[")
                    ack_id = data[2:start]
                    packet = loads(data[start:])
                    ack, change = self.handle(peer, packet[0], packet[1] if len(packet) > 1 else None)
                    if ack_id:
                        self.write(peer, frame(f"43{ack_id}".encode() + dumps([ack])))
                    if change is not None:
                        self.broadcast(change)
                elif data == "3":
                    continue  # pong
                elif data.startswith("40"):
                    auth = loads(data[2:]) if len(data) > 2 else {}
                    token = auth.get("token") if isinstance(auth, dict) else None
                    if not isinstance(token, str) or not token:
                        await ws.send_str('44{"message":"unauthorized"}')
                        continue
                    self.joined += 1
                    member = {
                        "id": new_id("mb"),
                        "pseudonym": f"Teilnehmer {self.joined:05d}",
                        "colour": COLOURS[self.joined % len(COLOURS)],
                        "role": "participant",
                    }
                    peer = Peer(ws, transport, member)
                    self.peers[transport] = peer
                    await ws.send_str("40" + dumps({"sid": new_id("sio")}).decode())
                elif data.startswith(("41", "1")):
                    break
        finally:
            self.peers.pop(transport, None)
        return ws


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def serve(host: str, port: int, ping_interval: float, max_buffer: int) -> None:
    floor = Floor(ping_interval=ping_interval, max_buffer=max_buffer)
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/socket.io/", floor.socketio)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    pinger = asyncio.create_task(floor.pinger())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {port}", flush=True)
    await stop.wait()
    pinger.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pinger
    for peer in list(floor.peers.values()):
        peer.transport.abort()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ping-interval", type=float, default=25.0, help="seconds between pings (default 25)")
    parser.add_argument(
        "--max-buffer", type=int, default=4 << 20, help="unsent bytes after which a socket is dropped (default 4 MiB)"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.ping_interval, args.max_buffer))


if __name__ == "__main__":
    main()
