"""Fractional ordering keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.ordering import key_between, keys_for, place_after


def test_examples() -> None:
    first = key_between(None, None)
    assert key_between(None, first) < first < key_between(first, None)
    a, b = "V", "W"
    assert a < key_between(a, b) < b
    assert "V" < key_between("V", "V1") < "V1"


@pytest.mark.parametrize(("before", "after"), [("b", "a"), ("a", "a"), ("a0", None), ("", None), ("a!", None)])
def test_bad_neighbours_are_refused(before: str, after: str | None) -> None:
    with pytest.raises(ValueError):
        key_between(before, after)


@given(st.lists(st.tuples(st.integers(0, 1000), st.booleans()), min_size=1, max_size=200))
def test_any_sequence_of_insertions_keeps_a_strict_order(steps: list[tuple[int, bool]]) -> None:
    keys: list[str] = []
    for position, at_end in steps:
        index = len(keys) - 1 if at_end and keys else (position % (len(keys) + 1)) - 1
        key = place_after(keys, None if index < 0 else index)
        keys.insert(index + 1, key)
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        assert not key.endswith("0")
    assert max(len(k) for k in keys) <= 2 + len(keys) // 2


def test_many_keys_between_two() -> None:
    keys = keys_for(500, "a", "b")
    assert keys == sorted(keys) and "a" < keys[0] and keys[-1] < "b"
