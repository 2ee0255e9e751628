"""The room events' payloads, acknowledgements and server→client shapes: the event, the room, presence."""

from __future__ import annotations

from pydantic import Field

from server.protocol.common import MemberOut, OkAck, Out, Payload


class FieldOut(Out):
    id: str
    name: str


class EventOut(Out):
    id: str
    title: str
    description: str
    language: str
    fields: list[FieldOut]


class RoomOut(Out):
    id: str
    name: str
    kind: str


class BoardSummary(Out):
    id: str
    title: str
    seq: int


class RoomEnter(Payload):
    """No fields: the connection's member enters their event's plenary room."""


class RoomEnterAck(OkAck):
    me: MemberOut
    event: EventOut
    room: RoomOut
    presence: list[MemberOut]
    boards: list[BoardSummary]
    presented: str | None = Field(
        None,
        description="The board the room's facilitators present (the one a facilitator or organizer viewed or "
        "presented last; not stored); null until one did. A projector view shows it.",
    )


class PresenceChanged(Out):
    joined: list[MemberOut] = Field(description="Members present now whose presence changed (they arrived).")
    left: list[str] = Field(description="Ids of members not present now whose presence changed (they left).")
