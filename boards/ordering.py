"""Fractional ordering keys: a key between any two keys, so a move rewrites one idea only.

Keys are strings over ``DIGITS`` compared as plain strings, never ending in the smallest
digit, so that there is always room between two of them. Concurrent moves stay
consistent because the server computes every key from the order it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {d: i for i, d in enumerate(DIGITS)}


def _midpoint(a: str, b: str | None) -> str:
    """A key strictly between ``a`` and ``b`` (``""`` is the start, None the end)."""
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else DIGITS[0]) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    low = _INDEX[a[0]] if a else 0
    high = _INDEX[b[0]] if b is not None else len(DIGITS)
    if high - low > 1:
        return DIGITS[(low + high + 1) // 2]
    if b is not None and len(b) > 1:
        return b[:1]
    return DIGITS[low] + _midpoint(a[1:], None)


def key_between(before: str | None, after: str | None) -> str:
    """A key that sorts after ``before`` and before ``after`` (None: no neighbour there)."""
    a = before or ""
    if after is not None and a >= after:
        raise ValueError(f"{before!r} is not before {after!r}")
    for key in (before, after):
        if key is not None and (not key or key[-1] == DIGITS[0] or any(c not in _INDEX for c in key)):
            raise ValueError(f"{key!r} is not an ordering key")
    return _midpoint(a, after)


def keys_for(count: int, before: str | None = None, after: str | None = None) -> list[str]:
    """``count`` ascending keys between two neighbours, e.g. for ideas loaded without keys."""
    keys: list[str] = []
    for _ in range(count):
        before = key_between(before, after)
        keys.append(before)
    return keys


def place_after(ordered: Sequence[str], after_index: int | None) -> str:
    """A key for an item placed after position ``after_index`` of ``ordered`` keys (None: first)."""
    if after_index is None:
        return key_between(None, ordered[0] if ordered else None)
    nxt = ordered[after_index + 1] if after_index + 1 < len(ordered) else None
    return key_between(ordered[after_index], nxt)


def spread_keys(count: int) -> list[str]:
    """``count`` ascending keys of equal length spread evenly over the key space, for a column filled
    at once (an import): ``keys_for`` would make every key one step longer than ``count // 6`` before it."""
    width = 1
    while len(DIGITS) ** width < 2 * (count + 1):
        width += 1
    step = len(DIGITS) ** width // (count + 1)
    keys = []
    for n in range(1, count + 1):
        value, digits = n * step, []
        for _ in range(width):
            value, rest = divmod(value, len(DIGITS))
            digits.append(DIGITS[rest])
        keys.append("".join(reversed(digits)) + DIGITS[len(DIGITS) // 2])  # never ends in the smallest digit
    return keys
