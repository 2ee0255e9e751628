"""Fan-out: how a message reaches every connection in a channel.

Everything that sends to many goes through this interface, so that a faster path (or one
across nodes through Redis) replaces the implementation and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import socketio
from aiohttp import web

from server.websocket import ENVIRON_KEY, text_frame, write

log = logging.getLogger("werkstatt.fanout")


class Fanout(Protocol):
    def connected(self, connection_id: str, environ: dict[str, Any]) -> None: ...

    def disconnected(self, connection_id: str) -> None: ...

    async def subscribe(self, connection_id: str, channel: str) -> None: ...

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None: ...


class SocketIOFanout:
    """One node: python-socketio's rooms (a task and a queue per delivery)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    def connected(self, connection_id: str, environ: dict[str, Any]) -> None:
        pass

    def disconnected(self, connection_id: str) -> None:
        pass

    async def subscribe(self, connection_id: str, channel: str) -> None:
        await self.sio.enter_room(connection_id, channel)

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None:
        await self.sio.emit(event, data, to=channel, skip_sid=list(skip) or None)


class FrameFanout(SocketIOFanout):
    """One node, fast: the frame is encoded once and written to every recipient's transport.

    Channel membership stays python-socketio's; ``sockets`` maps a connection to its
    websocket (the gateway fills it when a connection is accepted).
    """

    def __init__(self, sio: socketio.AsyncServer, *, send_buffer_limit: int) -> None:
        super().__init__(sio)
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.limit = send_buffer_limit

    def connected(self, connection_id: str, environ: dict[str, Any]) -> None:
        ws = environ.get(ENVIRON_KEY)
        if ws is not None:
            self.sockets[connection_id] = ws

    def disconnected(self, connection_id: str) -> None:
        self.sockets.pop(connection_id, None)

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None:
        frame = text_frame(event, data)
        skipped = set(skip)
        for sid, _eio_sid in self.sio.manager.get_participants("/", channel):
            if sid in skipped:
                continue
            ws = self.sockets.get(sid)
            try:
                delivered = ws is not None and write(ws, frame, self.limit)
            except Exception:  # one broken socket must not keep the change from the others
                log.exception("writing to %s failed", sid)
                delivered = False
            if not delivered:
                self.sockets.pop(sid, None)


def event_channel(event_id: str) -> str:
    return f"event:{event_id}"


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def member_channel(member_id: str) -> str:
    """Every connection of one member (their tabs and devices)."""
    return f"member:{member_id}"


def moderators_channel(room_id: str) -> str:
    return f"mods:{room_id}"
