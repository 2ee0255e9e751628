"""The facilitation events' payloads, acknowledgements and server→client shapes: the clock, timers,
broadcasts, the spotlight, raised hands, removing a member, and what a client needs after (re)connecting.

Agenda, chat and questions have their own modules (``agenda``, ``chat``, ``questions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from server.protocol.agenda import AgendaOut
from server.protocol.common import AuthorOut, Id, OkAck, Out, Payload, Text
from server.protocol.questions import QuestionOut

# -- the clock ---------------------------------------------------------------------------------


class ClockSync(Payload):
    """No fields: the server's clock, for the client's offset."""


class ClockAck(OkAck):
    now_ms: int = Field(
        description="The server's time in milliseconds since the epoch when it answered. With `t0` and `t1` your "
        "clock's times (ms) before sending and on the answer: offset = now_ms + (t1 − t0) / 2 − t1; the server's "
        "time is then your clock + offset. Take the offset of the fastest of a few round trips."
    )


# -- timers ------------------------------------------------------------------------------------


class TimerOut(Out):
    scope: Literal["event", "room"] = Field(description="`event`: the event's (plenary) timer; `room`: a room's.")
    room_id: str | None = Field(description="The room of a room timer; null for the event's.")
    status: Literal["idle", "running", "paused", "finished"]
    label: str
    duration_ms: int = Field(description="The run's length: the started duration plus every extension.")
    deadline_ms: int | None = Field(
        description="Running: when it ends; finished: when it ended (server time, ms since the epoch); else null. "
        "Show deadline_ms − (your clock + offset), the offset measured with `clock.sync`."
    )
    remaining_ms: int | None = Field(
        description="Paused: the time left; idle and finished: 0; running: null (count down to `deadline_ms`)."
    )
    warning_at_ms: int | None = Field(description="When a running timer warns (server time); null if it will not.")


class TimerRef(Payload):
    room_id: Id | None = Field(
        None, description="A room of the event for its own timer; null (or the plenary's id): the event's timer."
    )


class TimerStart(TimerRef):
    duration_s: int = Field(description="5 s – 8 h; else `invalid_timer`.")
    label: Text = Field("", description="Up to 80 characters.")
    warn_s: int = Field(
        60,
        description="When to warn, in seconds before the end (0–3,600; 0: no warning); at most 20 % of the run "
        "(a 2-minute timer warns 24 s before the end).",
    )


class TimerPause(TimerRef):
    pass


class TimerResume(TimerRef):
    pass


class TimerExtend(TimerRef):
    seconds: int = Field(
        description="1–3,600 (+60 and +300 are the usual buttons); at most 8 h may be left. A finished timer "
        "starts again with this time."
    )


class TimerReset(TimerRef):
    """Stop the timer and clear it."""


class TimerState(TimerRef):
    pass


class TimerAck(OkAck):
    timer: TimerOut


class TimerChanged(Out):
    kind: Literal["started", "paused", "resumed", "extended", "reset"]
    timer: TimerOut = Field(description="The timer after the change.")
    by: AuthorOut = Field(description="The facilitator or organizer who changed it.")


class TimerFired(Out):
    timer: TimerOut = Field(description="The timer as it is now (for `timer.finished`: finished).")


# -- broadcasts --------------------------------------------------------------------------------


class BroadcastSend(Payload):
    text: Text = Field(description="1–500 characters after trimming; line breaks allowed.")
    scope: Literal["everyone", "room", "breakouts"] = Field(
        description="`everyone` in the event; one `room` (`room_id`); every breakout room (not the plenary)."
    )
    room_id: Id | None = Field(None, description="The room, for the scope `room`.")


class BroadcastOut(Out):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)

    text: str = Field(description="Shown as text, never as HTML.")
    scope: Literal["everyone", "room", "breakouts"]
    room_id: str | None = Field(description="The room, for the scope `room`.")
    from_: AuthorOut = Field(alias="from", description="The facilitator or organizer who sent it.")
    at: datetime


class BroadcastAck(OkAck):
    broadcast: BroadcastOut
    rooms: int = Field(description="How many rooms it was sent to (for `everyone`: every room of the event).")


# -- the spotlight -----------------------------------------------------------------------------


class BoardSpotlight(Payload):
    board_id: Id | None = Field(description="The board everyone's view should follow; null ends the spotlight.")


class SpotlightOut(Out):
    board_id: str | None = Field(description="The board in the spotlight; null: none, everyone views freely.")
    room_id: str | None = Field(description="The board's room (a participant there may change it; others read).")
    by: AuthorOut | None = Field(description="Who put it there; null when there is none.")


class SpotlightAck(OkAck):
    spotlight: SpotlightOut


# -- raised hands ------------------------------------------------------------------------------


class HandOut(Out):
    member_id: str
    pseudonym: str
    raised_at: datetime


class HandsOut(Out):
    room_id: str
    queue: list[HandOut] = Field(description="Raised hands in the order they went up.")


class HandRaise(Payload):
    """No fields: raise your hand in the room you are in."""


class HandRoom(Payload):
    room_id: Id | None = Field(None, description="Facilitators and organizers: another room of the event.")


class HandLower(HandRoom):
    member_id: Id | None = Field(
        None, description="Whose hand: yours (null); facilitators and organizers lower anyone's."
    )


class HandNext(HandRoom):
    expected: Id | None = Field(
        None,
        description="The member your screen showed first: when another facilitator called someone meanwhile, "
        "yours is refused (`queue_moved`), so a double press calls one person, not two.",
    )


class HandClear(HandRoom):
    pass


class HandsAck(OkAck):
    hands: HandsOut


class HandCalledAck(OkAck):
    called: HandOut = Field(description="Who has the floor now (their hand is down).")
    hands: HandsOut


class HandsChanged(HandsOut):
    called: HandOut | None = Field(None, description="Who was just given the floor, when that was the change.")


# -- removing a member -------------------------------------------------------------------------


class MemberRemove(Payload):
    member_id: Id
    reason: Text = Field(
        "", description="Up to 200 characters, for the audit log only: the removed member never gets it."
    )


class RemoveAck(OkAck):
    member_id: str
    disconnected: int = Field(
        description="How many of the member's connections were closed (with several nodes: those on the node that "
        "answered; the other nodes close theirs too)."
    )


class MemberRemoved(Out):
    reason: Literal["removed"] = Field(
        description="Why the server closes your connection: a facilitator or organizer removed you from the event. "
        "Your link no longer lets you in; do not reconnect."
    )


# -- after (re)connecting ----------------------------------------------------------------------


class FacilitationState(Payload):
    """No fields: the facilitation state of the connection's event and room."""


class FacilitationStateAck(OkAck):
    room_id: str = Field(description="The room the connection is in.")
    agenda: AgendaOut
    event_timer: TimerOut = Field(description="The event's (plenary) timer.")
    room_timer: TimerOut | None = Field(description="The room's own timer; null in the plenary.")
    spotlight: SpotlightOut
    hands: HandsOut = Field(description="The raised hands of the room.")
    pinned: QuestionOut | None = Field(description="The question pinned as being answered now, as you may see it.")
    silenced: bool = Field(description="Whether your chat is silenced in this event.")
