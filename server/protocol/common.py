"""What every area's payloads and acknowledgements share: identifiers, the base models, errors and acks."""

from __future__ import annotations

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


class OkAck(Out):
    ok: Literal[True] = True


class SeqAck(OkAck):
    seq: int = Field(description="The board's sequence number after the change.")


class BoardPayload(Payload):
    """A payload about one board (the board and votes areas)."""

    board_id: Id
