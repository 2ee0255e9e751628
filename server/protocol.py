"""The wire protocol: every Socket.IO event's payload and acknowledgement, defined once.

``docs/protocol.md`` and ``docs/protocol.json`` are generated from this module
(``python -m server.protocol_docs``), and a test fails when they differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}_[A-Za-z0-9_-]{1,32}$")]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Texts are bounded here only against abuse; the domain gives the precise limits and codes.
Text = Annotated[str, StringConstraints(max_length=8000)]


class Payload(BaseModel):
    """A client→server payload: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Out(BaseModel):
    """A server→client object."""

    model_config = ConfigDict(frozen=True)


# -- shared shapes ----------------------------------------------------------------------


class ErrorBody(Out):
    code: str = Field(description="Stable machine-readable code, e.g. `forbidden`, `text_too_long`.")
    message: str = Field(description="What went wrong, for people (English).")


class ErrorAck(Out):
    ok: Literal[False] = False
    error: ErrorBody


class MemberOut(Out):
    id: str
    pseudonym: str
    colour: str = Field(description="Avatar colour name, one of the palette in `rooms/members.py`.")
    role: Literal["organizer", "facilitator", "participant", "observer"]


class AuthorOut(Out):
    id: str
    pseudonym: str
    colour: str


class IdeaOut(Out):
    id: str
    board_id: str
    field_id: str = Field(description="The column: a field of action of the event.")
    text: str
    author: AuthorOut
    created_at: datetime
    updated_at: datetime


class ColumnOut(Out):
    id: str
    name: str


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


class Change(Out):
    """One committed change of a board; `seq` counts up by one per board."""

    board_id: str
    seq: int
    type: Literal["idea.created", "idea.edited", "idea.deleted"]
    idea: IdeaOut | None = Field(None, description="The idea after the change (created, edited).")
    idea_id: str


class BoardSnapshot(Out):
    board_id: str
    title: str
    seq: int
    columns: list[ColumnOut]
    ideas: list[IdeaOut]


# -- client→server payloads -----------------------------------------------------------


class RoomEnter(Payload):
    """No fields: the connection's member enters their event's plenary room."""


class BoardSync(Payload):
    board_id: Id
    since: int | None = Field(
        None, ge=0, description="The last `seq` the client applied; omitted or null asks for a full snapshot."
    )


class IdeaCreate(Payload):
    board_id: Id
    field_id: Id
    text: Text = Field(description="1–2,000 characters after trimming; no control characters, no markup.")
    client_id: ClientId | None = Field(
        None,
        description="Chosen by the client, unique per idea: sending the same one again (after a reconnect) "
        "returns the stored idea instead of a duplicate.",
    )


class IdeaEdit(Payload):
    board_id: Id
    idea_id: Id
    text: Text | None = None
    field_id: Id | None = None


class IdeaDelete(Payload):
    board_id: Id
    idea_id: Id


# -- acknowledgements -----------------------------------------------------------------


class OkAck(Out):
    ok: Literal[True] = True


class RoomEnterAck(OkAck):
    me: MemberOut
    event: EventOut
    room: RoomOut
    presence: list[MemberOut]
    boards: list[BoardSummary]


class BoardSyncAck(OkAck):
    board_id: str
    seq: int = Field(description="The board's sequence number after the returned changes or snapshot.")
    changes: list[Change] | None = Field(None, description="What happened after `since`, in order.")
    snapshot: BoardSnapshot | None = Field(
        None, description="The whole board, when `since` was omitted or too far behind."
    )


class IdeaAck(OkAck):
    seq: int
    idea: IdeaOut


class IdeaDeletedAck(OkAck):
    seq: int
    idea_id: str


# -- server→client events ----------------------------------------------------------------


class PresenceLeft(Out):
    member_id: str


SERVER_EVENTS: dict[str, tuple[type[Out], str]] = {
    "board.changed": (
        Change,
        "A committed change of a board in the client's room, sent to everyone in the room "
        "(the author too). Apply it when `seq` is one more than yours; ignore it when you have it; "
        "on a gap, call `board.sync`.",
    ),
    "presence.joined": (MemberOut, "A member arrived in the event (their first connection)."),
    "presence.left": (PresenceLeft, "A member left (their last connection closed)."),
}

ERROR_CODES: dict[str, str] = {
    "invalid_payload": "The payload does not match the event's schema (wrong type, unknown or missing key).",
    "unknown_event": "No such event.",
    "forbidden": "The role or ownership does not allow it (observers read only; only authors edit).",
    "rate_limited": "Too many events from this connection; wait and retry.",
    "not_found": "The board, idea or column does not exist in the client's event.",
    "conflict": "The state does not allow it now.",
    "stale_board": "The board changed meanwhile on another node; retry.",
    "idea_deleted": "A post was retried with the `client_id` of an idea that has been deleted since.",
    "text_too_short": "A text is empty after trimming.",
    "text_too_long": "A text is longer than allowed.",
    "control_characters": "A text contains control characters.",
    "markup_not_allowed": "A text contains HTML or other markup.",
    "invalid_input": "A value breaks a rule.",
    "internal": "The server failed; it logged the cause. Nothing was changed.",
}
