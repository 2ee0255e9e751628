"""A node's copies of what the store holds per event (its chat, questions, agenda), which other nodes outdate.

A desk keeps a copy to read often (``chat.history``'s silence, the pinned question, the agenda after a
reconnect); with several nodes another node may have committed a change since. That node tells the others
(``drop_when_told``: a topic with ``{"event_id"}``), which drop their copy and load it again when next read; after
a lost Redis subscription (``RESUMED``) what was told meanwhile is lost, so a node drops every copy.

A copy loaded or changed while a drop came in may be older than what the drop was about: ``keep`` keeps it only
when no drop came since ``count`` was read (before the load or the batch began).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypeVar

from server.live.state import LiveState
from server.transport.fanout import RESUMED

T = TypeVar("T")


class Copies(dict[str, T]):
    """Copies by event, with how often each event's copy was dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.drops: Counter[str] = Counter()

    def count(self, event_id: str) -> int:
        return self.drops[event_id]

    def keep(self, event_id: str, copy: T, count: int) -> None:
        """Keep ``copy`` unless the event's copy was dropped since ``count`` was read."""
        if self.drops[event_id] == count:
            self[event_id] = copy

    def drop(self, event_id: str) -> None:
        """Forget the event's copy: it is loaded again from the store when next read."""
        self.pop(event_id, None)
        self.drops[event_id] += 1

    def drop_all(self) -> None:
        for event_id in list(self):
            self.drop(event_id)


def drop_when_told(live: LiveState, topic: str, copies: Copies[Any]) -> None:
    """With several nodes: drop the event's copy when another node tells ``topic``, and every copy on ``RESUMED``."""
    if live.redis is not None:
        live.fanout.on_told(topic, lambda data: copies.drop(told_event(data)))
        live.fanout.on_told(RESUMED, lambda _data: copies.drop_all())


def told_event(data: Any) -> str:
    """The event another node names when it tells that copies of its state are outdated."""
    event_id = data.get("event_id") if isinstance(data, dict) else None
    if not isinstance(event_id, str):
        raise ValueError("what a node tells of an event's state names the event")
    return event_id
