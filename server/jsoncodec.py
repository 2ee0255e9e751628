"""JSON for everything the server sends and receives over Socket.IO: orjson, with the
standard library's behaviour where orjson refuses (integers past 64 bits).

orjson encodes a 2,000-member presence list or a board change several times faster than
the standard library; python-socketio and python-engineio take it as their ``json`` module.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any, *_args: Any, **_kwargs: Any) -> str:
    """Compact JSON (python-socketio passes ``separators``; orjson's output is compact anyway)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. an integer past 64 bits, which orjson does not encode
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dumpb(value: Any) -> bytes:
    """The same, as UTF-8 bytes (for frames written directly to sockets)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes, *_args: Any, **_kwargs: Any) -> Any:
    """Parse JSON; NaN, Infinity and numbers that overflow a double are refused (ValueError)."""
    return orjson.loads(text)
