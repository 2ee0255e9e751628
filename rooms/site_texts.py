"""The site's own pages that organizers write: the privacy page and the accessibility statement.

A text is plain text, shown as text (never HTML): paragraphs separated by an empty line, and a paragraph of
one line that starts with ``# `` is a heading (so a screen reader can jump between the sections of an
accessibility statement). Each page has a text per language; none stored (or the default saved as it is)
means the default text, which the translations keep current.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from boards.errors import NotFound
from boards.text import clean_text

TEXT_MAX = 50_000
HEADING = "# "


class Page(enum.StrEnum):
    PRIVACY = "privacy"
    ACCESSIBILITY = "accessibility"


def page(value: str) -> Page:
    try:
        return Page(value)
    except ValueError:
        raise NotFound(f"There is no site page {value[:40]!r}.") from None


@dataclass(frozen=True, slots=True)
class Block:
    heading: bool
    text: str  # lines kept (a paragraph may break lines, as an address does)


def clean_site_text(value: str) -> str:
    """The text as stored: trimmed, CRLF as LF, each paragraph's trailing spaces gone; empty allowed."""
    text = clean_text(value, label="The text", min_len=0, max_len=TEXT_MAX, multiline=True)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def blocks(text: str) -> list[Block]:
    """The text's headings and paragraphs, in order."""
    out = []
    for part in clean_site_text(text).split("\n\n"):
        part = part.strip("\n")
        if not part.strip():
            continue
        if "\n" not in part and part.startswith(HEADING) and part[len(HEADING) :].strip():
            out.append(Block(True, part[len(HEADING) :].strip()))
        else:
            out.append(Block(False, part))
    return out


def same_text(a: str, b: str) -> bool:
    """Whether two texts show alike (the default saved unchanged is not stored as the page's own)."""
    return blocks(a) == blocks(b)
