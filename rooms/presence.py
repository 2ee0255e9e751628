"""Who is present: members can be connected more than once (tabs, devices).

A member *arrives* with their first connection and *leaves* with their last; the
registry reports exactly those transitions so that others see one entry per person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rooms.members import Member


@dataclass(slots=True)
class Presence:
    members: dict[str, Member] = field(default_factory=dict)
    connections: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def connect(self, member: Member, connection_id: str) -> bool:
        """Record a connection; True when the member just arrived."""
        arrived = not self.connections.get(member.id)
        self.members[member.id] = member
        self.connections[member.id].add(connection_id)
        return arrived

    def disconnect(self, member_id: str, connection_id: str) -> bool:
        """Forget a connection; True when it was the member's last, so they left."""
        conns = self.connections.get(member_id)
        if not conns or connection_id not in conns:
            return False
        conns.discard(connection_id)
        if conns:
            return False
        del self.connections[member_id]
        self.members.pop(member_id, None)
        return True

    def present(self) -> list[Member]:
        return sorted(self.members.values(), key=lambda m: (m.pseudonym.casefold(), m.id))
