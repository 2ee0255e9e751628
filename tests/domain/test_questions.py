"""Live questions: asking, upvoting, moderating, pinning and the orderings; random sequences of upvotes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.questions import (
    OPEN_MAX,
    AskQuestion,
    HideQuestion,
    MarkAnswered,
    Order,
    PinChanged,
    PinQuestion,
    Question,
    QuestionChanged,
    Questions,
    Upvote,
    WithdrawUpvote,
    apply,
    decide,
    ordered,
    to_wire,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
CARL = Actor("mb_carl", Role.PARTICIPANT)
FAC = Actor("mb_fac", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
OBS = Actor("mb_obs", Role.OBSERVER)


def run(state: Questions, actor: Actor, command: Any) -> Questions:
    for event in decide(state, actor, command):
        state = apply(state, event)
    return state


def refused(state: Questions, actor: Actor, command: Any, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide(state, actor, command)
    assert info.value.code == code, info.value.message


def asked(*questions: tuple[Actor, str]) -> Questions:
    state = Questions("ev_1")
    for n, (actor, qid) in enumerate(questions):
        state = run(state, actor, AskQuestion(qid, f"Frage {qid}?", T0 + timedelta(minutes=n)))
    return state


def test_asking_stores_the_cleaned_text() -> None:
    [event] = decide(Questions("ev_1"), ANNA, AskQuestion("q1", "  Wann kommt der Radweg?\r\nUnd wo? ", T0))
    assert isinstance(event, QuestionChanged) and event.kind == "asked"
    assert event.question == Question("q1", "mb_anna", "Wann kommt der Radweg?\nUnd wo?", T0)
    state = apply(Questions("ev_1"), event)
    assert state.get("q1").votes == 0 and state.get("q1").open


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (AskQuestion("q9", "ab", T0), "text_too_short"),
        (AskQuestion("q9", "  ab  ", T0), "text_too_short"),
        (AskQuestion("q9", "x" * 301, T0), "text_too_long"),
        (AskQuestion("q9", "Frage\x00", T0), "control_characters"),
        (AskQuestion("q1", "Noch einmal?", T0), "conflict"),
        (Upvote("q9", T0), "not_found"),
        (WithdrawUpvote("q1", T0), "not_upvoted"),
        (MarkAnswered("q1", True, T0), "forbidden"),
        (HideQuestion("q1", True, T0), "forbidden"),
        (PinQuestion("q1", T0), "forbidden"),
    ],
)
def test_refusals_for_a_participant(command: Any, code: str) -> None:
    refused(asked((ANNA, "q1")), BEN, command, code)


@pytest.mark.parametrize(
    "command", [AskQuestion("q9", "Darf ich?", T0), Upvote("q1", T0), WithdrawUpvote("q1", T0), PinQuestion("q1", T0)]
)
def test_observers_only_read(command: Any) -> None:
    refused(asked((ANNA, "q1")), OBS, command, "forbidden")


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (MarkAnswered("q9", True, T0), "not_found"),
        (HideQuestion("q9", True, T0), "not_found"),
        (PinQuestion("q9", T0), "not_found"),
    ],
)
def test_refusals_for_a_moderator(command: Any, code: str) -> None:
    refused(asked((ANNA, "q1")), FAC, command, code)


# -- upvotes ---------------------------------------------------------------------------------


def test_one_upvote_per_member_and_it_can_be_withdrawn() -> None:
    state = run(asked((ANNA, "q1")), BEN, Upvote("q1", T0))
    assert state.get("q1").votes == 1
    refused(state, BEN, Upvote("q1", T0), "already_upvoted")
    state = run(state, CARL, Upvote("q1", T0))
    state = run(state, FAC, Upvote("q1", T0))
    assert state.get("q1").votes == 3
    state = run(state, BEN, WithdrawUpvote("q1", T0))
    assert state.get("q1").upvoters == {"mb_carl", "mb_fac"}
    refused(state, BEN, WithdrawUpvote("q1", T0), "not_upvoted")
    assert run(state, BEN, Upvote("q1", T0)).get("q1").votes == 3


def test_askers_may_upvote_their_own_question() -> None:
    assert run(asked((ANNA, "q1")), ANNA, Upvote("q1", T0)).get("q1").upvoters == {"mb_anna"}


def test_hidden_questions_take_no_upvotes_and_are_not_found_by_others() -> None:
    state = run(run(asked((ANNA, "q1")), BEN, Upvote("q1", T0)), FAC, HideQuestion("q1", True, T0))
    refused(state, CARL, Upvote("q1", T0), "not_found")
    refused(state, ANNA, Upvote("q1", T0), "question_hidden")  # the author sees it
    refused(state, FAC, Upvote("q1", T0), "question_hidden")
    refused(state, FAC, PinQuestion("q1", T0), "question_hidden")
    refused(state, BEN, WithdrawUpvote("q1", T0), "not_found")


def test_answered_questions_still_take_upvotes() -> None:
    state = run(asked((ANNA, "q1")), FAC, MarkAnswered("q1", True, T0))
    assert run(state, BEN, Upvote("q1", T0)).get("q1").votes == 1


# -- the limit of open questions ---------------------------------------------------------------


def test_at_most_three_open_questions_per_member() -> None:
    state = asked(*[(ANNA, f"q{n}") for n in range(OPEN_MAX)])
    refused(state, ANNA, AskQuestion("q9", "Noch eine?", T0), "too_many_questions")
    refused(state, ANNA, AskQuestion("q9", "Noch eine?", T0, anonymous=True), "too_many_questions")
    assert run(state, BEN, AskQuestion("q9", "Meine erste?", T0)).get("q9").author_id == "mb_ben"
    answered = run(state, FAC, MarkAnswered("q0", True, T0))
    assert run(answered, ANNA, AskQuestion("q9", "Jetzt?", T0)).get("q9")
    hidden = run(state, FAC, HideQuestion("q1", True, T0))
    assert run(hidden, ANNA, AskQuestion("q9", "Jetzt?", T0)).get("q9")
    reopened = run(answered, FAC, MarkAnswered("q0", False, T0))
    refused(reopened, ANNA, AskQuestion("q9", "Und jetzt?", T0), "too_many_questions")


@pytest.mark.parametrize("actor", [FAC, ORG])
def test_moderators_are_not_limited(actor: Actor) -> None:
    state = asked(*[(actor, f"q{n}") for n in range(OPEN_MAX + 2)])
    assert len(state.items) == OPEN_MAX + 2


# -- moderation and the pin ----------------------------------------------------------------------


def test_answer_hide_and_pin() -> None:
    state = asked((ANNA, "q1"), (BEN, "q2"))
    [event] = decide(state, FAC, PinQuestion("q1", T0))
    assert event == PinChanged(FAC, "q1", T0)
    state = apply(state, event)
    assert state.pinned == "q1"
    assert decide(state, ORG, PinQuestion("q1", T0)) == []  # pinned already
    state = run(state, FAC, PinQuestion("q2", T0))
    assert state.pinned == "q2"
    answer, unpin = decide(state, FAC, MarkAnswered("q2", True, T0))  # answering the pinned question unpins it
    assert isinstance(answer, QuestionChanged) and answer.kind == "answered"
    assert unpin == PinChanged(FAC, None, T0)
    state = run(state, FAC, MarkAnswered("q2", True, T0))
    assert state.pinned is None and state.get("q2").answered
    assert decide(state, FAC, MarkAnswered("q2", True, T0)) == []
    state = run(state, FAC, MarkAnswered("q2", False, T0))
    assert not state.get("q2").answered
    state = run(state, FAC, PinQuestion("q1", T0))
    state = run(state, FAC, HideQuestion("q1", True, T0))  # hiding the pinned question unpins it
    assert state.pinned is None and state.get("q1").hidden
    assert decide(state, FAC, HideQuestion("q1", True, T0)) == []
    state = run(state, FAC, HideQuestion("q1", False, T0))
    assert not state.get("q1").hidden
    state = run(state, FAC, PinQuestion("q1", T0))
    assert run(state, FAC, PinQuestion(None, T0)).pinned is None
    assert run(state, FAC, HideQuestion("q2", True, T0)).pinned == "q1"  # another question: the pin stays


# -- reading ---------------------------------------------------------------------------------


def voted() -> Questions:
    """q1 (oldest) 1 vote, q2 2 votes, q3 1 vote, q4 (newest) 0 votes."""
    state = asked((ANNA, "q1"), (BEN, "q2"), (CARL, "q3"), (FAC, "q4"))
    for actor, qid in [(BEN, "q1"), (ANNA, "q2"), (CARL, "q2"), (ANNA, "q3")]:
        state = run(state, actor, Upvote(qid, T0))
    return state


@pytest.mark.parametrize(
    ("order", "answered_last", "expected"),
    [
        (Order.VOTES, False, ["q2", "q1", "q3", "q4"]),
        (Order.NEWEST, False, ["q4", "q3", "q2", "q1"]),
        (Order.VOTES, True, ["q1", "q3", "q4", "q2"]),
        (Order.NEWEST, True, ["q4", "q3", "q1", "q2"]),
    ],
)
def test_orderings(order: Order, answered_last: bool, expected: list[str]) -> None:
    state = run(voted(), FAC, MarkAnswered("q2", True, T0))
    assert [q.id for q in ordered(state, BEN, order, answered_last=answered_last)] == expected


def test_equal_times_are_ordered_as_asked() -> None:
    state = Questions("ev_1")
    for qid in ("b", "a", "c"):
        state = run(state, FAC, AskQuestion(qid, "Gleichzeitig?", T0))
    assert [q.id for q in ordered(state, FAC)] == ["b", "a", "c"]
    assert [q.id for q in ordered(state, FAC, Order.NEWEST)] == ["c", "a", "b"]


def test_hidden_questions_are_listed_for_moderators_and_their_author_only() -> None:
    state = run(voted(), FAC, HideQuestion("q2", True, T0))
    assert "q2" in [q.id for q in ordered(state, FAC)]
    assert "q2" in [q.id for q in ordered(state, BEN)]
    assert "q2" not in [q.id for q in ordered(state, ANNA)]
    assert "q2" not in [q.id for q in ordered(state, OBS)]


def test_the_wire_never_names_an_anonymous_author_nor_the_upvoters() -> None:
    state = run(Questions("ev_1"), ANNA, AskQuestion("q1", "Anonym gefragt?", T0, anonymous=True))
    state = run(state, BEN, Upvote("q1", T0))
    assert state.get("q1").author_id == "mb_anna"  # kept for moderation and the limit
    for viewer in (FAC, ORG, BEN, OBS, ANNA):
        wire = to_wire(state.get("q1"), viewer)
        assert wire["author_id"] is None and wire["anonymous"] is True
        assert "mb_anna" not in repr(wire) and "mb_ben" not in repr(wire)
        assert wire["votes"] == 1
        assert wire["mine"] is (viewer == ANNA) and wire["upvoted"] is (viewer == BEN)
    named = run(state, CARL, AskQuestion("q2", "Mit Namen?", T0))
    assert to_wire(named.get("q2"), FAC)["author_id"] == "mb_carl"


# -- random sequences ------------------------------------------------------------------------

VOTERS = [ANNA, BEN, CARL, FAC, ORG, OBS]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(VOTERS), st.sampled_from(["q1", "q2"]), st.booleans()), max_size=40))
def test_each_member_counts_at_most_once(presses: list[tuple[Actor, str, bool]]) -> None:
    state = asked((ANNA, "q1"), (BEN, "q2"))
    model: dict[str, set[str]] = {"q1": set(), "q2": set()}
    for actor, qid, up in presses:
        try:
            state = run(state, actor, (Upvote if up else WithdrawUpvote)(qid, T0))
        except DomainError as exc:
            assert exc.code == (
                "forbidden"
                if actor is OBS
                else "already_upvoted"
                if up and actor.member_id in model[qid]
                else "not_upvoted"
            )
            continue
        (model[qid].add if up else model[qid].discard)(actor.member_id)
        for q in state.items:
            assert q.votes == len(q.upvoters) == len(model[q.id])
            assert q.upvoters == model[q.id]
            assert "mb_obs" not in q.upvoters
