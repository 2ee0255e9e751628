"""JSON for everything the server sends and receives over Socket.IO: orjson, with the
standard library where orjson refuses (integers past 64 bits).

orjson encodes a 2,000-member presence list or a board change several times faster than
the standard library.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# A run of 20 digits: possibly an integer past 64 bits, which orjson reads as a float
# (20000000000000000001 -> 2e19). Such texts are parsed by the standard library, exactly.
_LONG_RUN = re.compile(r"[0-9]{20}")
_LONG_RUN_BYTES = re.compile(rb"[0-9]{20}")


def dumpb(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, ready for a frame."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes) -> Any:
    """Parse JSON; NaN, Infinity and numbers that overflow a double are refused (ValueError).
    Integers come back exact, however long (as python-socketio's codec reads them)."""
    long_run = _LONG_RUN.search(text) if isinstance(text, str) else _LONG_RUN_BYTES.search(text)
    if long_run is None:
        return orjson.loads(text)
    orjson.loads(text)  # what orjson refuses stays refused
    return json.loads(text, parse_constant=_refuse)


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
