"""The breakout events' payloads, acknowledgements and server→client shapes: rounds of breakout
rooms, who is in which, calls for help."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from server.protocol.common import Id, OkAck, Out, Payload, Text

Mode = Literal["automatic", "preference", "manual", "self_select", "reuse", "rotation"]
RoomName = Annotated[str, StringConstraints(max_length=200)]


class BreakoutRoomIn(Payload):
    name: RoomName = Field(description="1–60 characters, unique in the round.")
    topic: Text = Field("", description="What the room works on (up to 200 characters), e.g. a field of action.")
    field_id: Id | None = Field(None, description="The event's field of action the room works on.")
    capacity: int | None = Field(None, description="1–500 people, or none for no limit.")
    host_id: Id | None = Field(None, description="A member who stays in the room (World Café table host).")


class BreakoutCreate(Payload):
    rooms: list[BreakoutRoomIn] = Field(max_length=100, description="1–100 rooms.")
    mode: Mode = "automatic"
    duration_s: int | None = Field(None, description="How long the rooms stay open (60 s–4 h); none: until closed.")
    countdown_s: int = Field(60, description="The countdown everyone sees before the rooms close: 10–120 s.")


class RoundRef(Payload):
    round_id: Id


class BreakoutAssign(RoundRef):
    mode: Mode
    seed: int | None = Field(None, description="For a reproducible draw; random when none.")
    placement: dict[Id, Id] | None = Field(None, description="Manual mode: member id → room id.")
    max_per_room: int | None = Field(
        None, ge=1, le=500, description="Preference mode: the most a room takes by choice."
    )


class BreakoutMove(RoundRef):
    member_id: Id
    room_id: Id | None = Field(description="The room; null: back to the plenary.")


class BreakoutChoose(RoundRef):
    room_id: Id | None = Field(description="The room you choose (self-select); null: back to the plenary.")


class BreakoutPrefer(RoundRef):
    room_ids: list[Id] = Field(max_length=5, description="Your ranked topic choices (preference mode), best first.")


class BreakoutOpen(RoundRef):
    pass


class BreakoutClose(RoundRef):
    now: bool = Field(False, description="Close at once instead of after the round's countdown.")


class BreakoutExtend(RoundRef):
    seconds: int = Field(description="60–3600 s more.")


class BreakoutHelp(RoundRef):
    pass


class BreakoutHelpAnswer(RoundRef):
    member_id: Id
    visit: bool = Field(True, description="Go to the member's room as well.")


class BreakoutVisit(Payload):
    room_id: Id | None = Field(description="The room to visit; null: back to the plenary.")


class BreakoutState(Payload):
    pass


class BreakoutResults(RoundRef):
    pass


class BreakoutRoomOut(Out):
    id: str
    name: str
    topic: str
    field_id: str | None
    capacity: int | None
    host_id: str | None
    size: int = Field(description="How many are in it (or placed in it, before the round opens).")


class RoundOut(Out):
    id: str
    number: int
    status: Literal["draft", "open", "closing", "closed"]
    mode: Mode
    rooms: list[BreakoutRoomOut]
    duration_s: int | None
    countdown_s: int
    opened_at: datetime | None
    ends_at: datetime | None = Field(description="When the countdown starts by itself (open rounds with a duration).")
    closes_at: datetime | None = Field(description="When the rooms close: set while the countdown runs.")
    closed_at: datetime | None
    seq: int
    my_room: str | None = Field(None, description="Your room in this round (placed or previewed); null: the plenary.")
    asked_help: bool = Field(False, description="You are in the queue for a facilitator.")
    my_preferences: list[str] = Field(
        default_factory=list, description="Your ranked topic choices in this round (preference mode), best first."
    )
    placement: dict[str, str] | None = Field(
        None, description="Facilitators and organizers only: member id → room id for everyone placed."
    )
    help_queue: list[str] | None = Field(
        None, description="Facilitators and organizers only: who asks for help, first first."
    )
    names: dict[str, str] | None = Field(
        None, description="Facilitators and organizers only: the pseudonym of everyone in `placement` and `help_queue`."
    )


class RoundAck(OkAck):
    round: RoundOut


class BreakoutStateAck(OkAck):
    round: RoundOut | None = Field(description="The event's current round (draft, open or closing), else the last one.")


class RoomResult(Out):
    room_id: str
    name: str
    boards: list[dict[str, object]] = Field(description="The room's boards: `id`, `title`, `ideas` (visible ideas).")


class BreakoutResultsAck(OkAck):
    round_id: str
    rooms: list[RoomResult]


class VisitAck(OkAck):
    room_id: str
