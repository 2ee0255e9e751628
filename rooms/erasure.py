"""Deleting a person's personal data (Art. 17 GDPR) and the retention period: the rules, without IO.

One member's data (``decide_erasure``):

- Only the event's organizer erases, on the console (the edge checks the event is theirs); an organizer's own
  membership is not erased here (Forbidden "cannot_erase_organizer"): it is their account's, and goes with it.
- The pseudonym becomes a neutral one, ``Gelöscht 7`` (the first free number of the event; the key of pseudonyms
  keeps them unique), the avatar colour a neutral grey, the token's hash one of a secret nobody holds, so the
  person's link no longer brings them back, and they are removed from the event (``rooms.removals``'s path:
  disconnected, out of their breakout room, their hand lowered).
- Their content (ideas, comments, chat messages, questions) is kept or removed, as the organizer chooses
  (``Content``). Kept, it stays with the neutral member, so it reads "Gelöscht 7" (texts are not changed: the
  organizer reads them and removes what names the person). Removed: ideas and comments are deleted as a
  moderator deletes them and their texts blanked; chat messages and questions are deleted.
- Dots and question upvotes stay with the neutral member: the counts, the number of voters and every result stay
  as they were, and nothing links them to the person any longer (the member row holds nothing of them).
- Who was in which breakout room and their topic choices are deleted; so is their silencing in the chat.
- The audit log keeps what moderators did to them (with the neutral pseudonym) and records the erasure.

The retention period (``purge_due``): an event's personal data go once both its date and its last activity lie
more than the period back — an asynchronous board can stay open for weeks after the event's day, and nobody's
data go while they still take part.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta

from boards.actors import Role
from boards.errors import Forbidden, InvalidInput
from rooms.members import pseudonym_key

ERASED_PREFIX = "Gelöscht"
ERASED_COLOUR = "slate"
RETENTION_MAX_DAYS = 36_500


class Content(enum.StrEnum):
    """What becomes of what the person wrote."""

    KEEP = "keep"  # kept, with the neutral pseudonym
    REMOVE = "remove"  # ideas and comments deleted, chat messages and questions removed


def content(value: str) -> Content:
    try:
        return Content(value)
    except ValueError:
        raise InvalidInput("Choose whether the person's contributions are kept or removed.") from None


def decide_erasure(role: Role) -> None:
    """Whether a member of this role may have their data erased on the console; raise Forbidden if not."""
    if role is Role.ORGANIZER:
        raise Forbidden("An organizer's own membership goes with their account.", code="cannot_erase_organizer")


def erased_pseudonym(taken_keys: set[str]) -> str:
    """The first ``Gelöscht N`` that nobody in the event has (``taken_keys``: their pseudonym keys)."""
    n = 1
    while pseudonym_key(f"{ERASED_PREFIX} {n}") in taken_keys:
        n += 1
    return f"{ERASED_PREFIX} {n}"


def clean_retention_days(value: int) -> int:
    if not 1 <= value <= RETENTION_MAX_DAYS:
        raise InvalidInput(f"The retention period is 1 to {RETENTION_MAX_DAYS} days.")
    return value


def purge_cutoff(now: datetime, days: int) -> datetime:
    """Activity before this moment is older than the retention period."""
    return now - timedelta(days=clean_retention_days(days))


def purge_due(event_date: date | None, last_activity: datetime, cutoff: datetime) -> bool:
    """Whether an event's personal data are due: its day (the whole day) and its last activity before ``cutoff``."""
    if last_activity >= cutoff:
        return False
    return event_date is None or datetime.combine(event_date + timedelta(days=1), time(), UTC) <= cutoff
