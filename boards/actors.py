"""Who acts: a member of an event with a role."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    OBSERVER = "observer"

    @property
    def moderates(self) -> bool:
        """Facilitators and organizers moderate: they may change anyone's content."""
        return self in (Role.ORGANIZER, Role.FACILITATOR)

    @property
    def contributes(self) -> bool:
        """Everyone but observers may post."""
        return self is not Role.OBSERVER


@dataclass(frozen=True, slots=True)
class Actor:
    member_id: str
    role: Role
