"""Room chat: posting, hiding, silencing, and the bounded history of each room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.chat import (
    HISTORY_MAX,
    Chat,
    HideMessage,
    History,
    Message,
    MessageModerated,
    MessagePosted,
    PostMessage,
    SilenceChanged,
    SilenceMember,
    apply,
    decide,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
FAC = Actor("mb_fac", Role.FACILITATOR)
FAC2 = Actor("mb_fac2", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
OBS = Actor("mb_obs", Role.OBSERVER)


def run(chat: Chat, actor: Actor, command: Any) -> Chat:
    for event in decide(chat, actor, command):
        chat = apply(chat, event)
    return chat


def refused(chat: Chat, actor: Actor, command: Any, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide(chat, actor, command)
    assert info.value.code == code, info.value.message


def with_message() -> Chat:
    return run(Chat("ev_1"), ANNA, PostMessage("m1", "rm_1", "Hallo zusammen", T0))


def test_posting_stores_the_cleaned_text_in_the_room() -> None:
    chat = Chat("ev_1")
    [event] = decide(chat, ANNA, PostMessage("m1", "rm_1", "  Hallo\r\nzusammen  ", T0))
    assert isinstance(event, MessagePosted)
    assert event.message == Message("m1", "rm_1", "mb_anna", "Hallo\nzusammen", T0)
    chat = apply(chat, event)
    assert chat.history("rm_1").messages == (event.message,)
    assert chat.history("rm_2").messages == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_too_short"),
        ("   ", "text_too_short"),
        ("x" * 501, "text_too_long"),
        ("bell\x07", "control_characters"),
    ],
)
def test_bad_texts_are_refused(text: str, code: str) -> None:
    refused(Chat("ev_1"), ANNA, PostMessage("m1", "rm_1", text, T0), code)


@pytest.mark.parametrize("text", ["x", "x" * 500, "<b>fett</b> & Co", "Zeile 1\nZeile 2"])
def test_texts_are_stored_as_typed(text: str) -> None:
    chat = run(Chat("ev_1"), ANNA, PostMessage("m1", "rm_1", text, T0))
    assert chat.history("rm_1").get("m1").text == text


def test_observers_do_not_post() -> None:
    refused(Chat("ev_1"), OBS, PostMessage("m1", "rm_1", "Hallo", T0), "forbidden")


@pytest.mark.parametrize("actor", [FAC, ORG, BEN])
def test_others_post(actor: Actor) -> None:
    assert (
        run(Chat("ev_1"), actor, PostMessage("m1", "rm_1", "Hallo", T0)).history("rm_1").get("m1").author_id
        == actor.member_id
    )


def test_a_message_id_is_taken_once_per_room() -> None:
    chat = with_message()
    refused(chat, BEN, PostMessage("m1", "rm_1", "Noch eine", T0), "conflict")
    assert run(chat, BEN, PostMessage("m1", "rm_2", "Anderer Raum", T0)).history("rm_2").get("m1").author_id == "mb_ben"


# -- hiding ----------------------------------------------------------------------------------


def test_moderators_hide_and_unhide() -> None:
    chat = with_message()
    [event] = decide(chat, FAC, HideMessage("rm_1", "m1", True, T0))
    assert isinstance(event, MessageModerated) and event.kind == "hidden" and event.message.hidden
    chat = apply(chat, event)
    assert chat.history("rm_1").get("m1").hidden
    assert decide(chat, FAC2, HideMessage("rm_1", "m1", True, T0)) == []  # hidden already: nothing happens
    chat = run(chat, ORG, HideMessage("rm_1", "m1", False, T0))
    assert not chat.history("rm_1").get("m1").hidden


@pytest.mark.parametrize(
    ("actor", "command", "code"),
    [
        (ANNA, HideMessage("rm_1", "m1", True, T0), "forbidden"),
        (BEN, HideMessage("rm_1", "m1", True, T0), "forbidden"),
        (OBS, HideMessage("rm_1", "m1", True, T0), "forbidden"),
        (FAC, HideMessage("rm_1", "m9", True, T0), "not_found"),
        (FAC, HideMessage("rm_2", "m1", True, T0), "not_found"),
        (ANNA, SilenceMember(BEN, True, T0), "forbidden"),
        (OBS, SilenceMember(BEN, True, T0), "forbidden"),
        (FAC, SilenceMember(FAC2, True, T0), "cannot_silence_moderator"),
        (FAC, SilenceMember(FAC, True, T0), "cannot_silence_moderator"),
        (FAC, SilenceMember(ORG, True, T0), "cannot_silence_moderator"),
        (ORG, SilenceMember(FAC, True, T0), "cannot_silence_moderator"),
    ],
)
def test_moderation_refusals(actor: Actor, command: Any, code: str) -> None:
    refused(with_message(), actor, command, code)


def test_hidden_messages_are_seen_by_moderators_and_their_author() -> None:
    chat = run(with_message(), BEN, PostMessage("m2", "rm_1", "Antwort", T0))
    history = run(chat, FAC, HideMessage("rm_1", "m1", True, T0)).history("rm_1")
    assert [m.id for m in history.visible_to(FAC)] == ["m1", "m2"]
    assert [m.id for m in history.visible_to(ANNA)] == ["m1", "m2"]
    assert [m.id for m in history.visible_to(BEN)] == ["m2"]
    assert [m.id for m in history.visible_to(OBS)] == ["m2"]


# -- silencing -------------------------------------------------------------------------------


def test_a_silenced_member_cannot_post_until_unsilenced() -> None:
    chat = with_message()
    [event] = decide(chat, FAC, SilenceMember(ANNA, True, T0))
    assert event == SilenceChanged(FAC, "mb_anna", True, T0)
    chat = apply(chat, event)
    refused(chat, ANNA, PostMessage("m2", "rm_1", "Hallo?", T0), "silenced")
    refused(chat, ANNA, PostMessage("m2", "rm_7", "Anderswo?", T0), "silenced")  # in every room of the event
    assert chat.history("rm_1").get("m1").text == "Hallo zusammen"  # what was written stays
    assert run(chat, BEN, PostMessage("m2", "rm_1", "Ich darf", T0)).history("rm_1").get("m2")
    assert decide(chat, ORG, SilenceMember(ANNA, True, T0)) == []  # silenced already
    chat = run(chat, ORG, SilenceMember(ANNA, False, T0))
    assert chat.silenced == frozenset()
    assert run(chat, ANNA, PostMessage("m2", "rm_1", "Wieder da", T0)).history("rm_1").get("m2")
    assert decide(chat, FAC, SilenceMember(ANNA, False, T0)) == []


def test_silencing_an_observer_is_allowed() -> None:
    assert run(Chat("ev_1"), FAC, SilenceMember(OBS, True, T0)).silenced == {"mb_obs"}


# -- history ---------------------------------------------------------------------------------


def test_each_room_keeps_its_last_two_hundred_messages() -> None:
    chat = Chat("ev_1")
    for n in range(HISTORY_MAX + 5):
        chat = run(chat, ANNA, PostMessage(f"m{n}", "rm_1", f"Nachricht {n}", T0 + timedelta(seconds=n)))
    chat = run(chat, BEN, PostMessage("other", "rm_2", "Anderer Raum", T0))
    room = chat.history("rm_1").messages
    assert len(room) == HISTORY_MAX and room[0].id == "m5" and room[-1].id == f"m{HISTORY_MAX + 4}"
    assert [m.id for m in chat.history("rm_2").messages] == ["other"]
    refused(chat, FAC, HideMessage("rm_1", "m0", True, T0), "not_found")  # fell out of the history


@settings(max_examples=50, deadline=None)
@given(rooms=st.lists(st.sampled_from(["rm_1", "rm_2", "rm_3"]), max_size=450))
def test_histories_stay_bounded_and_in_order(rooms: list[str]) -> None:
    chat = Chat("ev_1")
    for n, room in enumerate(rooms):
        chat = apply(chat, MessagePosted(ANNA, Message(f"m{n}", room, "mb_anna", "x", T0 + timedelta(seconds=n))))
    for room in ("rm_1", "rm_2", "rm_3"):
        expected = [f"m{n}" for n, r in enumerate(rooms) if r == room][-HISTORY_MAX:]
        assert [m.id for m in chat.history(room).messages] == expected
    assert History("rm_9").messages == ()
