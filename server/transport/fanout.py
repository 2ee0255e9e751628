"""Fan-out: how a message reaches every connection in a channel.

Everything that sends to many goes through this interface, so that a faster path (or one
across nodes through Redis) replaces the implementation and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from server.transport.endpoint import RealtimeServer, event_frame


class Fanout(Protocol):
    async def subscribe(self, connection_id: str, channel: str) -> None: ...

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None: ...

    async def publish_all(self, channel: str, event: str, items: Sequence[Any]) -> None:
        """Several messages of one event, in order, to everyone in the channel."""
        ...


class FrameFanout:
    """One node: the frame is encoded once and written to every recipient's transport."""

    def __init__(self, server: RealtimeServer) -> None:
        self.server = server

    async def subscribe(self, connection_id: str, channel: str) -> None:
        self.server.join(connection_id, channel)

    async def publish(self, channel: str, event: str, data: Any, *, skip: Sequence[str] = ()) -> None:
        data_frame = event_frame(event, data)
        send = self.server.send
        if skip:
            skipped = set(skip)
            for socket in self.server.members(channel):
                if socket.sid not in skipped:
                    send(socket, data_frame)
        else:
            for socket in self.server.members(channel):
                send(socket, data_frame)

    async def publish_all(self, channel: str, event: str, items: Sequence[Any]) -> None:
        """Several messages in one write per connection (one system call instead of several)."""
        frames = b"".join(event_frame(event, item) for item in items)
        send = self.server.send
        for socket in self.server.members(channel):
            send(socket, frames)


def event_channel(event_id: str) -> str:
    return f"event:{event_id}"


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def member_channel(member_id: str) -> str:
    """Every connection of one member (their tabs and devices)."""
    return f"member:{member_id}"


def moderators_channel(room_id: str) -> str:
    return f"mods:{room_id}"
