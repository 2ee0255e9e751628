"""JSON for everything the server sends and receives over Socket.IO: orjson, with the
standard library where orjson refuses (integers past 64 bits).

orjson encodes a 2,000-member presence list or a board change several times faster than
the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumpb(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, ready for a frame."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes) -> Any:
    """Parse JSON; NaN, Infinity and numbers that overflow a double are refused (ValueError)."""
    return orjson.loads(text)
