"""Who is present: members can be connected more than once (tabs, devices).

A member *arrives* with their first connection and *leaves* with their last; the
registry reports exactly those transitions so that others see one entry per person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.members import Member


@dataclass(slots=True)
class Presence:
    members: dict[str, Member] = field(default_factory=dict)
    # each member's connections as a tuple: a member has one or two (tabs), and a node thousands of
    # members; a tuple of one takes 48 bytes where a set takes 216
    connections: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def connect(self, member: Member, connection_id: str) -> bool:
        """Record a connection; True when the member just arrived."""
        conns = self.connections.get(member.id, ())
        self.members[member.id] = member
        if connection_id not in conns:
            self.connections[member.id] = (*conns, connection_id)
        return not conns

    def disconnect(self, member_id: str, connection_id: str) -> bool:
        """Forget a connection; True when it was the member's last, so they left."""
        conns = self.connections.get(member_id, ())
        if connection_id not in conns:
            return False
        rest = tuple(c for c in conns if c != connection_id)
        if rest:
            self.connections[member_id] = rest
            return False
        del self.connections[member_id]
        self.members.pop(member_id, None)
        return True

    def present(self) -> list[Member]:
        return sorted(self.members.values(), key=lambda m: (m.pseudonym.casefold(), m.id))
