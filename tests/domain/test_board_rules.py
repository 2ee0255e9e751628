"""The rules of the idea board, as tables of commands and their outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boards.actors import Actor, Role
from boards.commands import DeleteIdea, EditIdea, PostIdea
from boards.domain_events import IdeaChanged
from boards.errors import Conflict, DomainError, Forbidden, NotFound
from boards.model import Board, Column
from boards.rules import apply, decide

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
FACILITATOR = Actor("mb_fac", Role.FACILITATOR)
ORGANIZER = Actor("mb_org", Role.ORGANIZER)
OBSERVER = Actor("mb_obs", Role.OBSERVER)


def fresh_board() -> Board:
    return Board(
        id="bd_1",
        room_id="rm_1",
        event_id="ev_1",
        title="Plenum",
        columns=(Column("fld_mob", "Mobilität"), Column("fld_edu", "Bildung")),
    )


def run(board: Board, actor: Actor, command: object) -> list[object]:
    events = decide(board, actor, command)  # type: ignore[arg-type]
    for event in events:
        apply(board, event)
    return events


def board_with_idea(author: Actor = ANNA) -> Board:
    board = fresh_board()
    run(board, author, PostIdea("idea_1", "fld_mob", "Mehr Radwege", T0))
    return board


def test_posting_stores_the_cleaned_text_and_counts_up_the_sequence() -> None:
    board = fresh_board()
    [event] = run(board, ANNA, PostIdea("idea_1", "fld_mob", "  Mehr Radwege\r\nin der Innenstadt  ", T0))
    assert isinstance(event, IdeaChanged) and event.kind == "created"
    assert event.seq == 1 and board.seq == 1
    assert board.ideas["idea_1"].text == "Mehr Radwege\nin der Innenstadt"
    assert board.ideas["idea_1"].author_id == ANNA.member_id
    run(board, BEN, PostIdea("idea_2", "fld_edu", "Tablets für Schulen", T0))
    assert board.seq == 2 and set(board.ideas) == {"idea_1", "idea_2"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_too_short"),
        ("   \n\t ", "text_too_short"),
        ("x" * 2001, "text_too_long"),
        ("bell\x07", "control_characters"),
        ("nul\x00byte", "control_characters"),
        ("escape\x1b[31m", "control_characters"),
        ("Zeile\u2028Trenner", "control_characters"),
        ("Zeile\r2", "control_characters"),
        ("private\ue000use", "control_characters"),
    ],
)
def test_bad_idea_texts_are_refused_and_change_nothing(text: str, code: str) -> None:
    board = fresh_board()
    with pytest.raises(DomainError) as info:
        decide(board, ANNA, PostIdea("idea_1", "fld_mob", text, T0))
    assert info.value.code == code
    assert board.seq == 0 and board.ideas == {}


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "x" * 2000,
        "Tempo < 30 & mehr Grün",
        "a<b",
        "Zeile 1\nZeile 2\tTab",
        "😀 Ümläüte",
        "Kosten < Nutzen, Nutzen > Aufwand",
        "<Straßenname> umbenennen",
        "Hallo <b>fett</b>",
        "<script>alert(1)</script>",
        "<!-- Kommentar -->",
        "&lt;b&gt; &amp;",
    ],
)
def test_texts_are_stored_as_typed(text: str) -> None:
    """Angle brackets and ampersands are ordinary writing: stored as typed, shown as text by every client."""
    board = fresh_board()
    [event] = run(board, ANNA, PostIdea("idea_1", "fld_mob", text, T0))
    assert isinstance(event, IdeaChanged) and event.kind == "created"
    assert event.idea.text == text


def test_an_unknown_column_is_refused() -> None:
    board = fresh_board()
    with pytest.raises(NotFound):
        decide(board, ANNA, PostIdea("idea_1", "fld_nope", "Idee", T0))


def test_the_same_client_id_twice_stores_one_idea() -> None:
    board = fresh_board()
    run(board, ANNA, PostIdea("idea_1", "fld_mob", "Idee", T0, client_id="c1"))
    assert run(board, ANNA, PostIdea("idea_2", "fld_mob", "Idee", T0, client_id="c1")) == []
    assert list(board.ideas) == ["idea_1"] and board.seq == 1
    # another author may use the same client id
    run(board, BEN, PostIdea("idea_3", "fld_mob", "Idee", T0, client_id="c1"))
    assert board.seq == 2
    # a retry after the idea was deleted is refused, not stored again
    run(board, ANNA, DeleteIdea("idea_1", T0))
    with pytest.raises(Conflict) as info:
        decide(board, ANNA, PostIdea("idea_4", "fld_mob", "Idee", T0, client_id="c1"))
    assert info.value.code == "idea_deleted"


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(ANNA, True), (BEN, False), (FACILITATOR, False), (ORGANIZER, False), (OBSERVER, False)],
)
def test_only_the_author_edits(actor: Actor, allowed: bool) -> None:
    board = board_with_idea(ANNA)
    command = EditIdea("idea_1", T0 + timedelta(minutes=1), text="Mehr sichere Radwege")
    if allowed:
        [event] = run(board, actor, command)
        assert isinstance(event, IdeaChanged) and event.kind == "edited"
        assert board.ideas["idea_1"].text == "Mehr sichere Radwege"
        assert board.ideas["idea_1"].updated_at > board.ideas["idea_1"].created_at
    else:
        with pytest.raises(Forbidden):
            decide(board, actor, command)
        assert board.ideas["idea_1"].text == "Mehr Radwege"


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(ANNA, True), (BEN, False), (FACILITATOR, True), (ORGANIZER, True), (OBSERVER, False)],
)
def test_the_author_and_moderators_delete(actor: Actor, allowed: bool) -> None:
    board = board_with_idea(ANNA)
    command = DeleteIdea("idea_1", T0)
    if allowed:
        [event] = run(board, actor, command)
        assert isinstance(event, IdeaChanged) and event.kind == "deleted"
        assert board.ideas == {} and board.seq == 2
    else:
        with pytest.raises(Forbidden):
            decide(board, actor, command)
        assert "idea_1" in board.ideas and board.seq == 1


def test_observers_cannot_post() -> None:
    with pytest.raises(Forbidden):
        decide(fresh_board(), OBSERVER, PostIdea("idea_1", "fld_mob", "Idee", T0))


def test_moving_an_idea_to_another_column() -> None:
    board = board_with_idea()
    run(board, ANNA, EditIdea("idea_1", T0, column_id="fld_edu"))
    assert board.ideas["idea_1"].column_id == "fld_edu"
    with pytest.raises(NotFound):
        decide(board, ANNA, EditIdea("idea_1", T0, column_id="fld_nope"))


def test_an_edit_without_change_is_refused_or_empty() -> None:
    board = board_with_idea()
    with pytest.raises(Conflict):
        decide(board, ANNA, EditIdea("idea_1", T0))
    assert decide(board, ANNA, EditIdea("idea_1", T0, text="Mehr Radwege")) == []


def test_unknown_ideas_are_not_found() -> None:
    board = fresh_board()
    for command in (EditIdea("idea_x", T0, text="a"), DeleteIdea("idea_x", T0)):
        with pytest.raises(NotFound):
            decide(board, ANNA, command)


def test_apply_refuses_an_event_out_of_sequence() -> None:
    board = fresh_board()
    [event] = decide(board, ANNA, PostIdea("idea_1", "fld_mob", "Idee", T0))
    apply(board, event)
    with pytest.raises(Conflict):
        apply(board, event)
