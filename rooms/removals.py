"""Removing a member from an event: who may remove whom, and what the edge must then do.

Rules (``decide_removal``):

- Only facilitators and organizers remove members (Forbidden "forbidden").
- Nobody removes themselves (Forbidden "cannot_remove_self"): leaving is closing the tab.
- A facilitator removes participants and observers, not organizers or other facilitators. An organizer
  also removes facilitators, but not another organizer: organizers own the event, and one does not lock
  another out. Both refusals are Forbidden "cannot_remove_moderator".
- An optional reason of up to 200 characters goes into the audit log (never to the removed member).

What a removal does (``Removal.actions``, carried out by the edge, in this order):

- ``block_token``: the member's token stops working for this event, so the link does not bring the same
  member back (a new pseudonym through a public join link is the edge's and the event settings' matter);
- ``disconnect``: their open connections are closed;
- ``drop_placement``: their position, bubble and breakout placement are forgotten;
- ``lower_hand``: their raised hand leaves the queue.

What stays: their ideas, comments, dots, chat messages, questions and upvotes, with their pseudonym as
before. A removal concerns the person's conduct now, not a verdict on everything they wrote; much of it is
usually fine and part of the event's record, and a moderator hides what is not, one item at a time
(chat and questions have hiding; boards have moderation). Anonymous questions stay anonymous.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from boards.actors import Actor, Role
from boards.errors import Forbidden
from boards.text import clean_text

REASON_MAX = 200


class EdgeAction(enum.StrEnum):
    BLOCK_TOKEN = "block_token"  # noqa: S105 - the name of an action, not a secret
    DISCONNECT = "disconnect"
    DROP_PLACEMENT = "drop_placement"
    LOWER_HAND = "lower_hand"


ACTIONS = (EdgeAction.BLOCK_TOKEN, EdgeAction.DISCONNECT, EdgeAction.DROP_PLACEMENT, EdgeAction.LOWER_HAND)


@dataclass(frozen=True, slots=True)
class Removal:
    member_id: str
    role: Role  # the removed member's role
    by: Actor
    at: datetime
    reason: str = ""
    actions: tuple[EdgeAction, ...] = ACTIONS


def may_remove(actor: Actor, target: Actor) -> bool:
    """Whether ``actor`` may remove ``target``, for showing the button; ``decide_removal`` says why not."""
    try:
        _check(actor, target)
    except Forbidden:
        return False
    return True


def _check(actor: Actor, target: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can remove someone from the event.")
    if target.member_id == actor.member_id:
        raise Forbidden("You cannot remove yourself.", code="cannot_remove_self")
    if target.role is Role.ORGANIZER or (target.role is Role.FACILITATOR and actor.role is not Role.ORGANIZER):
        raise Forbidden(
            "Facilitators remove participants and observers; organizers facilitators as well.",
            code="cannot_remove_moderator",
        )


def decide_removal(actor: Actor, target: Actor, now: datetime, reason: str = "") -> Removal:
    """Check that ``actor`` may remove ``target``; return what the edge must do, or raise a DomainError."""
    _check(actor, target)
    reason = clean_text(reason, label="The reason", min_len=0, max_len=REASON_MAX)
    return Removal(target.member_id, target.role, actor, now, reason)
