"""The agenda events' payloads, acknowledgements and server→client shapes (rules: ``rooms/agenda.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.protocol.common import AuthorOut, Id, OkAck, Out, Payload, Text

StepKindName = Literal["input", "plenary", "breakout", "voting", "break"]


class StepOut(Out):
    id: str
    title: str
    kind: StepKindName
    duration_s: int = Field(description="Planned length in seconds; 0 for an open-ended step.")
    note: str


class AgendaOut(Out):
    version: int = Field(
        description="Raised by one with every change; send it back as `expected_version` so that a change made "
        "meanwhile by another facilitator refuses yours (`stale_agenda`) instead of being overwritten."
    )
    steps: list[StepOut]
    current: str | None = Field(description="The step running now; null before the start and once finished.")
    started_at: datetime | None = Field(description="When the current step began.")
    finished_at: datetime | None = Field(description="When the agenda was finished; null while it runs.")
    planned_s: int = Field(description="The planned length of all steps, in seconds (open-ended ones count 0).")


class AgendaChanged(Out):
    kind: Literal[
        "step_added", "step_edited", "step_removed", "step_moved", "current_set", "next", "previous", "finished"
    ]
    step_id: str | None = Field(description="The step added, edited, removed, moved or gone to; null for `finished`.")
    agenda: AgendaOut = Field(description="The whole agenda after the change.")
    by: AuthorOut = Field(description="The facilitator or organizer who changed it.")


class AgendaGet(Payload):
    """No fields: the agenda of the connection's event."""


class Versioned(Payload):
    expected_version: int | None = Field(
        None, description="The `version` your screen showed; null skips the check (not recommended for people)."
    )


class AgendaAdd(Versioned):
    title: Text = Field(description="1–80 characters.")
    kind: StepKindName
    duration_s: int = Field(0, description="0 (open-ended) or 60 s – 8 h; else `invalid_duration`.")
    note: Text = Field("", description="Up to 1,000 characters, line breaks allowed.")
    position: int | None = Field(None, description="Where to insert it (0: first); null: at the end.")


class AgendaEdit(Versioned):
    step_id: Id
    title: Text | None = Field(None, description="Null keeps the title.")
    kind: StepKindName | None = None
    duration_s: int | None = None
    note: Text | None = None


class AgendaRemove(Versioned):
    step_id: Id


class AgendaMove(Versioned):
    step_id: Id
    position: int = Field(description="Its place in the new order (0: first).")


class AgendaSetCurrent(Versioned):
    step_id: Id


class AgendaStep(Payload):
    from_step: Id | None = Field(
        description="The current step your screen showed (null before the start): when another facilitator moved "
        "the agenda on meanwhile, yours is refused (`step_moved`), so a double press moves one step, not two."
    )


class AgendaFinish(Versioned):
    pass


class AgendaAck(OkAck):
    agenda: AgendaOut
