"""What every area's payloads and acknowledgements share: identifiers, the base models, errors and acks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}_[A-Za-z0-9_-]{1,32}$")]


ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


# Texts are bounded here only against abuse; the domain gives the precise limits and codes.
Text = Annotated[str, StringConstraints(max_length=8000)]


# Payloads and acknowledgements build their validator and serializer on first use (``defer_build``), not
# when their module is imported: built at import, the protocol's 168 models held about 1 MB more of a node's
# memory (docs/benchmarks.md, the idle node), and a node builds only those of the events it handles, each
# once, in well under a millisecond (a few for the largest). Subclasses inherit the setting with the rest
# of the config.


class Payload(BaseModel):
    """A client→server payload: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Out(BaseModel):
    """A server→client object."""

    model_config = ConfigDict(frozen=True, defer_build=True)


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
