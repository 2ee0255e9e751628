"""The rules for an event's settings as an organizer enters them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from boards.errors import InvalidInput
from boards.text import clean_text

FIELDS_MAX = 20
FIELD_NAME_MAX = 80
PRIVACY_NOTICE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class EventDraft:
    title: str
    description: str
    date: date | None
    language: str
    fields: tuple[str, ...]
    privacy_notice: str = ""  # shown on the join page instead of the default text; empty: the default


def clean_event(
    *,
    title: str,
    description: str,
    date_text: str,
    language: str,
    fields_text: str,
    languages: Collection[str],
    privacy_notice: str = "",
) -> EventDraft:
    """Validate what the event form sent; raise InvalidInput naming the first problem.

    ``languages`` are those the interface has catalogs for (the server's ``server.i18n.catalogs.LANGUAGES``).
    """
    clean_title = clean_text(title, label="The title", min_len=1, max_len=200)
    clean_description = clean_text(description, label="The description", min_len=0, max_len=5000, multiline=True)
    when: date | None = None
    if date_text.strip():
        try:
            when = date.fromisoformat(date_text.strip())
        except ValueError:
            raise InvalidInput("The date must look like 2026-05-06.", code="invalid_date") from None
    if language not in languages:
        raise InvalidInput(f"The language must be one of {', '.join(languages)}.", code="invalid_language")
    names = clean_fields(fields_text.splitlines(), label="field of action")
    notice = clean_text(
        privacy_notice, label="The privacy notice", min_len=0, max_len=PRIVACY_NOTICE_MAX, multiline=True
    )
    return EventDraft(clean_title, clean_description, when, language, names, notice)


def clean_fields(lines: list[str], *, label: str) -> tuple[str, ...]:
    """Names of fields of action (or of a free board's columns): 1 to 20, distinct, blank lines skipped."""
    names: list[str] = []
    seen: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        name = clean_text(line, label=f"A {label}", min_len=1, max_len=FIELD_NAME_MAX)
        if name.casefold() in seen:
            raise InvalidInput(f"The {label} {name!r} is listed twice.", code="duplicate_field")
        seen.add(name.casefold())
        names.append(name)
    if not names:
        raise InvalidInput(f"Give at least one {label}.", code="no_fields")
    if len(names) > FIELDS_MAX:
        raise InvalidInput(f"At most {FIELDS_MAX} of them.", code="too_many_fields")
    return tuple(names)
