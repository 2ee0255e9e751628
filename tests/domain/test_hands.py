"""The raise-hand queue: raising and lowering, calling the next, clearing, the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.hands import (
    CallNext,
    ClearHands,
    Hand,
    HandCalled,
    HandLowered,
    HandRaised,
    Hands,
    HandsCleared,
    LowerHand,
    RaiseHand,
    apply,
    decide,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
CARL = Actor("mb_carl", Role.PARTICIPANT)
FAC = Actor("mb_fac", Role.FACILITATOR)
FAC2 = Actor("mb_fac2", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
OBS = Actor("mb_obs", Role.OBSERVER)


def run(hands: Hands, actor: Actor, command: Any) -> Hands:
    for event in decide(hands, actor, command):
        hands = apply(hands, event)
    return hands


def refused(hands: Hands, actor: Actor, command: Any, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide(hands, actor, command)
    assert info.value.code == code, info.value.message


def queue(hands: Hands) -> list[str]:
    return [h.member_id for h in hands.queue]


def raised(*actors: Actor) -> Hands:
    hands = Hands("rm_1")
    for n, actor in enumerate(actors):
        hands = run(hands, actor, RaiseHand(T0 + timedelta(seconds=n)))
    return hands


def test_raising_queues_by_time() -> None:
    [event] = decide(Hands("rm_1"), ANNA, RaiseHand(T0))
    assert event == HandRaised(ANNA, Hand("mb_anna", T0))
    hands = raised(ANNA, BEN, FAC)
    assert queue(hands) == ["mb_anna", "mb_ben", "mb_fac"]
    assert (hands.place("mb_ben"), hands.place("mb_carl")) == (2, None)


def test_raising_twice_keeps_the_place() -> None:
    hands = raised(ANNA, BEN)
    assert decide(hands, ANNA, RaiseHand(T0 + timedelta(minutes=1))) == []
    assert queue(hands) == ["mb_anna", "mb_ben"]


def test_a_hand_raised_earlier_goes_before_later_ones() -> None:
    hands = raised(ANNA, BEN)  # at T0 and T0 + 1 s
    late = apply(hands, HandRaised(CARL, Hand("mb_carl", T0 + timedelta(milliseconds=500))))
    assert queue(late) == ["mb_anna", "mb_carl", "mb_ben"]
    same = apply(hands, HandRaised(CARL, Hand("mb_carl", T0)))
    assert queue(same) == ["mb_anna", "mb_carl", "mb_ben"]  # equal times: in the order taken


def test_lowering_ones_own_hand() -> None:
    hands = raised(ANNA, BEN)
    [event] = decide(hands, ANNA, LowerHand(T0))
    assert event == HandLowered(ANNA, "mb_anna", T0)
    hands = apply(hands, event)
    assert queue(hands) == ["mb_ben"]
    assert decide(hands, ANNA, LowerHand(T0)) == []  # down already
    assert queue(run(hands, BEN, LowerHand(T0, "mb_ben"))) == []


@pytest.mark.parametrize("moderator", [FAC, ORG])
def test_moderators_lower_anyones_hand(moderator: Actor) -> None:
    assert queue(run(raised(ANNA, BEN), moderator, LowerHand(T0, "mb_anna"))) == ["mb_ben"]


@pytest.mark.parametrize(
    ("actor", "command", "code"),
    [
        (OBS, RaiseHand(T0), "forbidden"),
        (OBS, LowerHand(T0), "forbidden"),
        (BEN, LowerHand(T0, "mb_anna"), "forbidden"),
        (BEN, CallNext(T0), "forbidden"),
        (BEN, ClearHands(T0), "forbidden"),
        (OBS, CallNext(T0), "forbidden"),
        (FAC, CallNext(T0, expected="mb_ben"), "queue_moved"),
    ],
)
def test_refusals(actor: Actor, command: Any, code: str) -> None:
    refused(raised(ANNA, BEN), actor, command, code)


def test_calling_the_next_names_them_and_lowers_their_hand() -> None:
    hands = raised(ANNA, BEN)
    [event] = decide(hands, FAC, CallNext(T0, expected="mb_anna"))
    assert event == HandCalled(FAC, "mb_anna", T0)
    hands = apply(hands, event)
    assert queue(hands) == ["mb_ben"]
    refused(hands, FAC2, CallNext(T0, expected="mb_anna"), "queue_moved")  # a double press calls one person
    hands = run(hands, FAC2, CallNext(T0))
    refused(hands, FAC, CallNext(T0), "no_hands")


def test_clearing() -> None:
    hands = raised(ANNA, BEN)
    [event] = decide(hands, ORG, ClearHands(T0))
    assert event == HandsCleared(ORG, ("mb_anna", "mb_ben"), T0)
    hands = apply(hands, event)
    assert hands.queue == ()
    assert decide(hands, ORG, ClearHands(T0)) == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([ANNA, BEN, CARL, FAC]), st.sampled_from(["raise", "lower", "call"]), st.integers(-5, 5)
        ),
        max_size=30,
    )
)
def test_the_queue_is_ordered_by_time_and_holds_each_member_once(presses: list[tuple[Actor, str, int]]) -> None:
    hands = Hands("rm_1")
    now = T0
    for actor, op, skew in presses:
        now += timedelta(seconds=1)
        command = {"raise": RaiseHand(now + timedelta(seconds=skew)), "lower": LowerHand(now), "call": CallNext(now)}[
            op
        ]
        try:
            hands = run(hands, FAC if op == "call" else actor, command)
        except DomainError as exc:
            assert exc.code == "no_hands"
        members = queue(hands)
        assert len(members) == len(set(members))
        times = [h.raised_at for h in hands.queue]
        assert times == sorted(times)
