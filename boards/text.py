"""Rules for text that people type: trimmed, bounded, no control characters, no markup.

Texts are always rendered as text by the client; refusing markup here as well means a
copy that ends up in an export, an e-mail or another tool cannot carry a script either.
A lone ``<`` (as in "Tempo < 30") is ordinary text and allowed.
"""

from __future__ import annotations

import re
import unicodedata

from boards.errors import ControlCharacters, MarkupNotAllowed, TextTooLong, TextTooShort

# An element or closing tag (``<b>``, ``</div>``, ``<img src=x onerror=…>``), a comment or
# doctype (``<!``), or a processing instruction (``<?``). "a<b" alone is not a tag.
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>|<[!?]")
_ALLOWED_CONTROLS_MULTILINE = {"\n", "\t"}


def clean_text(value: str, *, label: str, min_len: int, max_len: int, multiline: bool = False) -> str:
    """Return ``value`` normalised (NFC, trimmed, CRLF→LF) or raise an InvalidInput."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    allowed = _ALLOWED_CONTROLS_MULTILINE if multiline else set()
    for ch in text:
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in ("\u2028", "\u2029"):
            raise ControlCharacters(f"{label} contains control characters (U+{ord(ch):04X}).")
    if _MARKUP.search(text):
        raise MarkupNotAllowed(f"{label} must not contain HTML or other markup.")
    if len(text) < min_len:
        raise TextTooShort(f"{label} needs at least {min_len} character{'s' if min_len != 1 else ''}.")
    if len(text) > max_len:
        raise TextTooLong(f"{label} may have at most {max_len} characters (it has {len(text)}).")
    return text
