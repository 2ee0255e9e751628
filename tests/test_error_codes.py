"""Every error code the code can raise is documented: scanned from the source, not from a list."""

from __future__ import annotations

import re
from pathlib import Path

from server.protocol import ERROR_CODES, HTTP_ONLY_CODES

ROOT = Path(__file__).parent.parent


def raised_codes() -> set[str]:
    found: set[str] = set()
    for folder in ("boards", "rooms", "server"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            found |= set(re.findall(r'code="([a-z_]+)"', text))
            found |= set(re.findall(r'^\s+code = "([a-z_]+)"', text, re.M))
            found |= set(re.findall(r'(?:api_error|error_ack)\((?:\d+, )?"([a-z_]+)"', text))
    return found


def test_the_scan_finds_codes() -> None:
    codes = raised_codes()
    assert {"budget_exhausted", "cap_reached", "text_too_long", "rate_limited", "invalid_link"} <= codes


def test_every_raised_code_is_documented() -> None:
    undocumented = raised_codes() - set(ERROR_CODES) - HTTP_ONLY_CODES
    assert not undocumented, f"add these to server.protocol.ERROR_CODES: {sorted(undocumented)}"


def test_documented_codes_are_raised_somewhere() -> None:
    stale = set(ERROR_CODES) - raised_codes()
    assert not stale, f"documented but never raised: {sorted(stale)}"
