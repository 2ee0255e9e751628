"""The vote events' payloads, acknowledgements and server→client shapes: rounds, dots, progress."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.protocol.common import BoardPayload, Id, OkAck, Out, Payload, SeqAck


class ScopeOut(Out):
    kind: Literal["board", "columns", "clusters", "ideas"]
    ids: list[str]


class ResultOut(Out):
    idea_id: str
    field_id: str
    dots: int
    voters: int
    rank: int = Field(description="1 for the most dots; ideas with equal dots share a rank.")
    tie: bool
    field_rank: int = Field(description="The rank within its field of action.")
    field_tie: bool
    merged_from: list[str]


class SessionOut(Out):
    id: str
    round: int
    budget: int = Field(description="Dots per participant.")
    cap: int = Field(description="Most dots one participant may put on one idea.")
    blind: bool = Field(description="Blind: nobody gets tallies before the reveal.")
    scope: ScopeOut
    opened_at: datetime
    ends_at: datetime | None
    status: Literal["open", "closed", "revealed"]
    results: list[ResultOut] | None = Field(description="The ranking, after the reveal.")
    moderators_vote: bool = Field(
        False, description="Facilitators and organizers are voters too (else only participants place dots)."
    )


class MyDots(Out):
    session_id: str
    dots: dict[str, int] = Field(description="idea id → your dots on it")
    used: int
    remaining: int


class VoteProgress(Out):
    board_id: str
    session_id: str
    voters: int = Field(description="How many have placed at least one dot.")
    cast: int = Field(description="Dots placed.")
    left: int = Field(
        description="Dots still to place by the voters present (participants; facilitators and organizers only "
        "when the vote has `moderators_vote`)."
    )
    tallies: dict[str, int] | None = Field(description="idea id → dots; null while the vote is blind.")


class ScopeIn(Payload):
    kind: Literal["board", "columns", "clusters", "ideas"] = "board"
    ids: list[Id] = Field([], max_length=200, description="Field, cluster or idea ids (not for `board`).")


class VoteOpen(BoardPayload):
    budget: int = Field(5, description="Dots per participant, 1–99.")
    cap: int = Field(3, description="Most dots per idea and participant, 1–budget.")
    blind: bool = True
    duration_s: int | None = Field(None, description="A timer (10 s – 24 h) that closes the vote by itself.")
    scope: ScopeIn = ScopeIn(kind="board", ids=[])
    moderators_vote: bool = Field(
        False,
        description="Facilitators and organizers get dots too and count as voters. By default they run the vote "
        "without taking part: no dots, not counted in the progress, `vote.cast` refused with `forbidden`.",
    )


class VoteRef(BoardPayload):
    session_id: Id


class VoteChange(VoteRef):
    budget: int | None = None
    cap: int | None = None


class VoteExtend(VoteRef):
    seconds: int = Field(description="10–3,600.")


class VoteClose(VoteRef):
    reveal: bool = False


class VoteReveal(VoteRef):
    pass


class VoteDot(VoteRef):
    idea_id: Id


class VoteState(BoardPayload):
    pass


class SessionAck(SeqAck):
    session: SessionOut


class DotAck(OkAck):
    dots: MyDots


class VoteStateAck(OkAck):
    sessions: list[SessionOut]
    my_dots: MyDots | None
    progress: VoteProgress | None
