"""Fan-out: how a message reaches every connection in a channel.

Everything that sends to many goes through this interface, so that a faster path, or one
across nodes (``server.transport.redisfanout.RedisFanout``, with ``--redis``), replaces the
implementation and nothing else.

A message that looks different to different viewers (an anonymous board, a hidden idea, a
moderator's view) travels as ``Forms``: its public form, its moderators' form and the forms
of the few members who see it as their own. The fan-out picks each recipient's form by the
member and role of the connection, never by a list of socket ids, so the same ``Forms`` can
be carried to another node and chosen there.

Nodes also tell each other what changed in the state they share (``tell``, ``on_told``): a board
committed on one node is outdated in the others' caches, a breakout round moves members whose
connections are on other nodes. One node has nobody to tell. A node's words reach the others in
the order they were said, and in order with what it publishes to channels: a node hears that a
board changed before it writes that board's changes to its own connections.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.transport.endpoint import RealtimeServer, event_frame

log = logging.getLogger("werkstatt.fanout")

# what a node does when another tells it something: runs where it is read (no await); work that must wait
# starts a task of its own
Told = Callable[[Any], None]
# told by a node's own fan-out when it lost Redis (the other nodes' messages do not reach it, nor its theirs) …
LOST = "_lost"
# … and when it hears the others again after losing Redis: what they said meanwhile is lost
RESUMED = "_resumed"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who reads on a connection: a member (None for a public view such as a projector) and
    whether they see as a moderator."""

    member_id: str | None
    moderates: bool


PUBLIC_RECIPIENT = Recipient(None, False)


@dataclass(frozen=True, slots=True)
class Forms:
    """One message in every form its recipients may see."""

    public: Any
    moderated: Any
    members: Mapping[str, Any] = field(default_factory=dict)  # member id → that member's own form

    def for_(self, recipient: Recipient) -> Any:
        if recipient.member_id is not None and recipient.member_id in self.members:
            return self.members[recipient.member_id]
        return self.moderated if recipient.moderates else self.public


class Fanout(Protocol):
    async def subscribe(self, connection_id: str, channel: str) -> None: ...

    async def subscribe_many(self, joins: Sequence[tuple[str, str]]) -> None:
        """Each (connection, channel) joins: whatever waiting there is (for another node's messages of a
        channel) comes before the first join, and the joins follow one another without an await, so
        nothing reaches a connection before what the caller sends next."""
        ...

    async def unsubscribe(self, connection_id: str, channel: str) -> None: ...

    async def publish(self, channel: str, event: str, data: Any) -> None: ...

    async def publish_all(self, channel: str, event: str, items: Sequence[Any]) -> None:
        """Several messages of one event, in order, to everyone in the channel."""
        ...

    async def publish_forms(self, channel: str, event: str, forms: Forms) -> None:
        """One message to everyone in the channel, each in the form their member and role may see."""
        ...

    async def publish_each(self, channels: Sequence[str], event: str, data: Any) -> None:
        """One message to everyone in each of these channels (encoded once)."""
        ...

    def connections(self, channel: str) -> list[str]:
        """The connections of this node in a channel (a member's tabs, for instance)."""
        ...

    def write(self, connection_ids: Iterable[str], frame: bytes) -> None:
        """A frame prepared once (``event_frame``) to these connections of this node, at once and without
        waiting: for what runs outside any task, such as the space's tick (``server.live.space``). Never
        to other nodes, whatever the implementation: a connection id is this node's."""
        ...

    async def tell(self, topic: str, data: Any) -> None:
        """Tell every other node (JSON ``data`` under a ``topic``), in order with what this node publishes."""
        ...

    def on_told(self, topic: str, handler: Told) -> None:
        """What this node does when another tells it something under ``topic`` (as well as what was added before)."""
        ...


class FrameFanout:
    """One node: each form is encoded once and written to every recipient's transport.

    ``recipient(connection_id)`` tells who reads on a connection (the live core knows).
    """

    def __init__(self, server: RealtimeServer, recipient: Callable[[str], Recipient] | None = None) -> None:
        self.server = server
        self.recipient = recipient or (lambda _sid: PUBLIC_RECIPIENT)
        self.listeners: dict[str, list[Told]] = {}

    async def tell(self, topic: str, data: Any) -> None:
        """One node: there is nobody to tell."""

    def on_told(self, topic: str, handler: Told) -> None:
        self.listeners.setdefault(topic, []).append(handler)

    def told(self, topic: str, data: Any) -> None:
        """Another node said ``data`` under ``topic``: its listeners run in the order they were added (a fault is
        logged, not raised: the others still run)."""
        handlers = self.listeners.get(topic)
        if not handlers:
            log.warning("nothing here listens to %r", topic[:60])
            return
        for handler in handlers:
            try:
                handler(data)
            except Exception:
                log.exception("acting on %r from another node failed", topic[:60])

    async def subscribe(self, connection_id: str, channel: str) -> None:
        self.server.join(connection_id, channel)

    async def subscribe_many(self, joins: Sequence[tuple[str, str]]) -> None:
        for connection_id, channel in joins:
            self.server.join(connection_id, channel)

    async def unsubscribe(self, connection_id: str, channel: str) -> None:
        self.server.leave(connection_id, channel)

    async def publish(self, channel: str, event: str, data: Any) -> None:
        data_frame = event_frame(event, data)
        send = self.server.send
        for socket in self.server.members(channel):
            send(socket, data_frame)

    async def publish_all(self, channel: str, event: str, items: Sequence[Any]) -> None:
        """Several messages in one write per connection (one system call instead of several)."""
        frames = b"".join(event_frame(event, item) for item in items)
        send = self.server.send
        for socket in self.server.members(channel):
            send(socket, frames)

    async def publish_each(self, channels: Sequence[str], event: str, data: Any) -> None:
        data_frame = event_frame(event, data)
        send = self.server.send
        for channel in channels:
            for socket in self.server.members(channel):
                send(socket, data_frame)

    def connections(self, channel: str) -> list[str]:
        return [socket.sid for socket in self.server.members(channel)]

    def write(self, connection_ids: Iterable[str], frame: bytes) -> None:
        sockets = self.server.sockets
        send = self.server.send
        for sid in connection_ids:
            socket = sockets.get(sid)
            if socket is not None and socket.connected:
                send(socket, frame)

    async def publish_forms(self, channel: str, event: str, forms: Forms) -> None:
        encoded: dict[int, bytes] = {}  # by the form's identity: each form is encoded once

        def frame_of(form: Any) -> bytes:
            key = id(form)
            if key not in encoded:
                encoded[key] = event_frame(event, form)
            return encoded[key]

        send = self.server.send
        recipient = self.recipient
        for socket in self.server.members(channel):
            send(socket, frame_of(forms.for_(recipient(socket.sid))))


def event_channel(event_id: str) -> str:
    return f"event:{event_id}"


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def member_channel(member_id: str) -> str:
    """Every connection of one member (their tabs and devices)."""
    return f"member:{member_id}"


def moderators_channel(event_id: str) -> str:
    """The facilitators and organizers of an event, wherever they are (help requests, the console)."""
    return f"mods:{event_id}"
