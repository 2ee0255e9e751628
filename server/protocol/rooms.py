"""The room events' payloads, acknowledgements and server→client shapes: the event, the room, presence."""

from __future__ import annotations

from typing import Literal

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


class RoomMoved(Out):
    room: RoomOut
    presence: list[MemberOut] = Field(description="Who is in the new room, in order of arrival.")
    boards: list[BoardSummary]
    presented: str | None = Field(None, description="The new room's presented board, as in `room.enter`.")
    reason: Literal["moved", "visit", "breakout_open", "breakout_close", "breakout_choice", "breakout_arrival"] = Field(
        description="Why: a facilitator moved you (`moved`), you visit a room as a facilitator (`visit`), a "
        "breakout round opened or closed, you chose a room, or you were placed on arrival."
    )


class PresenceChanged(Out):
    joined: list[MemberOut] = Field(description="Members present now whose presence changed (they arrived).")
    left: list[str] = Field(description="Ids of members not present now whose presence changed (they left).")


class NodeLink(Out):
    linked: bool = Field(
        description="False: the server lost its link to the other servers of this installation; what happens on them "
        "does not reach you meanwhile, and what you do reaches only those on yours (it is stored all the same). "
        "True: the link is back: sync what you show (enter the room again, `board.sync` from your `seq`)."
    )
