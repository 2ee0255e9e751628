"""Audit entries: built purely, with a stable action name and frozen JSON details."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from boards.actors import Actor, Role
from rooms.audit import AuditEntry, audit_entry

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
FAC = Actor("mb_fac", Role.FACILITATOR)


def test_an_entry_names_who_what_and_when() -> None:
    details = {"rooms": ["rm_2", "rm_3"], "size": 4, "shuffle": True, "note": None, "by": {"field": "mobility"}}
    entry = audit_entry("ev_1", FAC, "breakout.open", T0, target="rm_1", details=details)
    assert isinstance(entry, AuditEntry)
    assert (entry.event_id, entry.member_id, entry.role, entry.action, entry.target, entry.at) == (
        "ev_1",
        "mb_fac",
        Role.FACILITATOR,
        "breakout.open",
        "rm_1",
        T0,
    )
    assert entry.details == {
        "rooms": ("rm_2", "rm_3"),
        "size": 4,
        "shuffle": True,
        "note": None,
        "by": {"field": "mobility"},
    }
    details["size"] = 5  # a copy: changing the caller's dict changes nothing
    assert entry.details["size"] == 4
    with pytest.raises(TypeError):
        entry.details["size"] = 6  # type: ignore[index]
    assert audit_entry("ev_1", FAC, "agenda.next", T0).details == {}


@pytest.mark.parametrize(
    "action", ["breakout", "Breakout.open", "breakout.", ".open", "breakout open", "breakout.open!", ""]
)
def test_a_malformed_action_is_a_programming_error(action: str) -> None:
    with pytest.raises(ValueError, match=r"area\.verb"):
        audit_entry("ev_1", FAC, action, T0)


@pytest.mark.parametrize(
    "details", [{"at": T0}, {"ids": {1, 2}}, {"n": math.nan}, {"nested": {1: "x"}}, {"obj": object()}]
)
def test_details_hold_json_values_only(details: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        audit_entry("ev_1", FAC, "member.remove", T0, details=details)
