"""Fan-out: how a message reaches every connection in a channel.

Everything that sends to many goes through this interface, so that a faster path (or one
across nodes through Redis) replaces the implementation and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import socketio


class Fanout(Protocol):
    async def subscribe(self, connection_id: str, channel: str) -> None: ...

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None: ...


class SocketIOFanout:
    """One node: python-socketio's rooms."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def subscribe(self, connection_id: str, channel: str) -> None:
        await self.sio.enter_room(connection_id, channel)

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None:
        await self.sio.emit(event, data, to=channel, skip_sid=list(skip) or None)


def event_channel(event_id: str) -> str:
    return f"event:{event_id}"


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def member_channel(member_id: str) -> str:
    """Every connection of one member (their tabs and devices)."""
    return f"member:{member_id}"


def moderators_channel(room_id: str) -> str:
    return f"mods:{room_id}"
