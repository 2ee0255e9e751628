"""Members of an event: pseudonyms and avatar colours."""

from __future__ import annotations

from dataclasses import dataclass

from boards.actors import Role
from boards.errors import Conflict, InvalidInput
from boards.text import clean_text

PSEUDONYM_MAX = 40

# Avatar colours: each has a contrast of at least 4.5:1 against white text (WCAG AA).
AVATAR_COLOURS: dict[str, str] = {
    "blue": "#1f5fa8",
    "green": "#2e6b30",
    "red": "#b3261e",
    "purple": "#6a3d9a",
    "teal": "#00695c",
    "orange": "#a84f00",
    "magenta": "#a4146b",
    "slate": "#455a64",
}


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    event_id: str
    role: Role
    pseudonym: str
    colour: str


def clean_pseudonym(value: str) -> str:
    return clean_text(value, label="The pseudonym", min_len=1, max_len=PSEUDONYM_MAX)


def pseudonym_key(pseudonym: str) -> str:
    """The form under which pseudonyms must be unique: "Anna" and "anna " are one."""
    return " ".join(pseudonym.casefold().split())


def check_colour(colour: str) -> str:
    if colour not in AVATAR_COLOURS:
        raise InvalidInput(f"Unknown avatar colour {colour!r}; choose one of {', '.join(AVATAR_COLOURS)}.")
    return colour


def check_unique(pseudonym: str, taken_keys: set[str]) -> None:
    if pseudonym_key(pseudonym) in taken_keys:
        raise Conflict(f"The pseudonym {pseudonym!r} is taken in this event; choose another.", code="pseudonym_taken")
