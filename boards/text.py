"""Rules for text that people type: trimmed, bounded, no control characters.

Texts are stored as people typed them ("Kosten < Nutzen", "<Straßenname> umbenennen") and
are never interpreted as markup: the browser client writes them as text only (``textContent``,
never ``innerHTML``), the server's pages escape them (jinja2's autoescape), and an export
escapes them for its own format. Refusing angle brackets here would refuse ordinary writing and
protect nothing that those do not protect already. Control characters are refused: they are
invisible, can disguise a text, and break the formats texts travel in.
"""

from __future__ import annotations

import re
import unicodedata

from boards.errors import ControlCharacters, TextTooLong, TextTooShort

_ALLOWED_CONTROLS_MULTILINE = {"\n", "\t"}
# every character that may be a control (Cc), surrogate (Cs) or private-use (Co) character, or a line or
# paragraph separator: the loop below looks only at these (20 times faster than at every character)
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff]")


def clean_text(value: str, *, label: str, min_len: int, max_len: int, multiline: bool = False) -> str:
    """Return ``value`` normalised (NFC, trimmed, CRLF→LF) or raise an InvalidInput."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    allowed = _ALLOWED_CONTROLS_MULTILINE if multiline else set()
    for found in _SUSPECT.finditer(text):
        ch = found.group()
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in ("\u2028", "\u2029"):
            raise ControlCharacters(f"{label} contains control characters (U+{ord(ch):04X}).")
    if len(text) < min_len:
        raise TextTooShort(f"{label} needs at least {min_len} character{'s' if min_len != 1 else ''}.")
    if len(text) > max_len:
        raise TextTooLong(f"{label} may have at most {max_len} characters (it has {len(text)}).")
    return text
