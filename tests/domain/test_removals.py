"""Removing a member from an event: who may remove whom, and what the edge is told to do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.removals import ACTIONS, EdgeAction, Removal, decide_removal, may_remove

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
OBS = Actor("mb_obs", Role.OBSERVER)
FAC = Actor("mb_fac", Role.FACILITATOR)
FAC2 = Actor("mb_fac2", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
ORG2 = Actor("mb_org2", Role.ORGANIZER)


@pytest.mark.parametrize(
    ("actor", "target"),
    [(FAC, ANNA), (FAC, OBS), (ORG, ANNA), (ORG, OBS), (ORG, FAC)],
)
def test_who_may_remove_whom(actor: Actor, target: Actor) -> None:
    removal = decide_removal(actor, target, T0, reason="  Beleidigungen im Chat ")
    assert removal == Removal(target.member_id, target.role, actor, T0, "Beleidigungen im Chat", ACTIONS)
    assert may_remove(actor, target)


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        (ANNA, BEN, "forbidden"),
        (ANNA, FAC, "forbidden"),
        (OBS, ANNA, "forbidden"),
        (ANNA, ANNA, "forbidden"),
        (FAC, FAC, "cannot_remove_self"),
        (ORG, ORG, "cannot_remove_self"),
        (FAC, FAC2, "cannot_remove_moderator"),
        (FAC, ORG, "cannot_remove_moderator"),
        (ORG, ORG2, "cannot_remove_moderator"),
    ],
)
def test_refusals(actor: Actor, target: Actor, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide_removal(actor, target, T0)
    assert info.value.code == code, info.value.message
    assert not may_remove(actor, target)


@pytest.mark.parametrize(("reason", "code"), [("x" * 201, "text_too_long"), ("a\x07", "control_characters")])
def test_bad_reasons_are_refused(reason: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide_removal(FAC, ANNA, T0, reason)
    assert info.value.code == code


def test_what_the_edge_must_do() -> None:
    removal = decide_removal(FAC, ANNA, T0)
    assert removal.actions == (
        EdgeAction.BLOCK_TOKEN,
        EdgeAction.DISCONNECT,
        EdgeAction.DROP_PLACEMENT,
        EdgeAction.LOWER_HAND,
    )
    assert removal.reason == ""
    assert [a.value for a in removal.actions] == ["block_token", "disconnect", "drop_placement", "lower_hand"]
