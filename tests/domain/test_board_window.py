"""Asynchronous participation: a board's window, as tables of who does what before, inside and after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boards.actors import Actor, Role
from boards.commands import (
    AddComment,
    CastDot,
    Command,
    DeleteIdea,
    EditIdea,
    OpenVote,
    PostIdea,
    ReportIdea,
    SetLock,
    SetPhase,
    SetWindow,
)
from boards.domain_events import BoardEvent
from boards.errors import Conflict, DomainError, Forbidden, InvalidInput
from boards.model import Board, Column, Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from boards.window import Window, WindowState, clean_window

OPENS = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
BEFORE = OPENS - timedelta(days=3)
INSIDE = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
AFTER = CLOSES + timedelta(seconds=1)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
FACILITATOR = Actor("mb_fac", Role.FACILITATOR)
ORGANIZER = Actor("mb_org", Role.ORGANIZER)
OBSERVER = Actor("mb_obs", Role.OBSERVER)


def run(board: Board, actor: Actor, command: Command) -> list[BoardEvent]:
    events = decide(board, actor, command)
    for event in events:
        apply(board, event)
    return events


def async_board(*, vote: bool = True) -> Board:
    """A board open from 1 March to 30 June, with an idea of Anna's (posted inside) and a vote over the window."""
    board = Board(id="bd_1", room_id="rm_1", event_id="ev_1", title="Plenum", columns=(Column("fld_mob", "Mobilität"),))
    run(board, ORGANIZER, SetWindow(OPENS, CLOSES, BEFORE))
    run(board, ANNA, PostIdea("idea_1", "fld_mob", "Mehr Radwege", INSIDE))
    if vote:
        run(board, ORGANIZER, OpenVote("vs_1", BEFORE, budget=5, cap=3, blind=False))
    return board


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (BEFORE, WindowState.NOT_OPEN_YET),
        (OPENS - timedelta(microseconds=1), WindowState.NOT_OPEN_YET),
        (OPENS, WindowState.OPEN),
        (INSIDE, WindowState.OPEN),
        (CLOSES - timedelta(microseconds=1), WindowState.OPEN),
        (CLOSES, WindowState.CLOSED),
        (AFTER, WindowState.CLOSED),
    ],
)
def test_the_window_opens_at_its_start_and_closes_at_its_end(now: datetime, state: WindowState) -> None:
    assert Window(OPENS, CLOSES).state(now) is state


def _participant_commands(now: datetime) -> list[tuple[str, Command]]:
    return [
        ("post", PostIdea("idea_2", "fld_mob", "Tempo 30 vor Schulen", now)),
        ("edit", EditIdea("idea_1", now, text="Mehr und breitere Radwege")),
        ("delete", DeleteIdea("idea_1", now)),
        ("comment", AddComment("cm_1", "idea_1", "Gute Idee", now)),
    ]


@pytest.mark.parametrize(
    ("now", "code"),
    [(BEFORE, "not_open_yet"), (INSIDE, None), (AFTER, "board_closed")],
    ids=["before", "inside", "after"],
)
@pytest.mark.parametrize("what", ["post", "edit", "delete", "comment", "dot"])
def test_participants_change_the_board_only_inside_its_window(now: datetime, code: str | None, what: str) -> None:
    board = async_board()
    if what == "dot":

        def act() -> None:
            apply_vote(board, decide_vote(board, BEN, CastDot("vs_1", "idea_1", now)))

    else:
        command = dict(_participant_commands(now))[what]

        def act() -> None:
            run(board, ANNA, command)

    if code is None:
        act()
        return
    seq = board.seq
    with pytest.raises(Conflict) as refused:
        act()
    assert refused.value.code == code
    assert board.seq == seq and set(board.ideas) == {"idea_1"} and not board.comments
    assert not board.ballots["vs_1"].dots


@pytest.mark.parametrize("now", [BEFORE, INSIDE, AFTER], ids=["before", "inside", "after"])
@pytest.mark.parametrize("actor", [FACILITATOR, ORGANIZER], ids=["facilitator", "organizer"])
def test_facilitators_and_organizers_act_at_any_time(now: datetime, actor: Actor) -> None:
    board = async_board()
    run(board, actor, PostIdea("idea_2", "fld_mob", "Ein Bürgerbus", now))
    run(board, actor, AddComment("cm_1", "idea_1", "Danke, wir prüfen das.", now))
    run(board, actor, SetLock(True, now))
    assert board.settings.locked and "idea_2" in board.ideas and "cm_1" in board.comments


@pytest.mark.parametrize("now", [BEFORE, INSIDE, AFTER], ids=["before", "inside", "after"])
def test_observers_read_only_whatever_the_window(now: datetime) -> None:
    board = async_board()
    with pytest.raises(Forbidden):
        run(board, OBSERVER, PostIdea("idea_2", "fld_mob", "x", now))


@pytest.mark.parametrize("now", [BEFORE, AFTER], ids=["before", "after"])
def test_reporting_an_idea_stays_possible_outside_the_window_as_on_a_locked_board(now: datetime) -> None:
    board = async_board()
    run(board, BEN, ReportIdea("idea_1", now))
    assert board.ideas["idea_1"].reporters == {"mb_ben"}


def test_a_locked_board_stays_locked_inside_its_window() -> None:
    board = async_board()
    run(board, FACILITATOR, SetLock(True, INSIDE))
    with pytest.raises(Conflict) as refused:
        run(board, ANNA, PostIdea("idea_2", "fld_mob", "x", INSIDE))
    assert refused.value.code == "read_only"


def test_a_board_without_a_window_is_open_at_any_time() -> None:
    board = Board(id="bd_1", room_id="rm_1", event_id="ev_1", title="Plenum", columns=(Column("fld_mob", "M"),))
    run(board, ANNA, PostIdea("idea_1", "fld_mob", "Mehr Radwege", AFTER + timedelta(days=900)))
    assert "idea_1" in board.ideas


def test_an_async_board_collects_and_votes_at_once_and_its_round_may_open_before_the_first_idea() -> None:
    board = async_board(vote=False)
    empty = Board(id="bd_2", room_id="rm_1", event_id="ev_1", title="Leer", columns=(Column("fld_mob", "M"),))
    run(empty, ORGANIZER, SetWindow(OPENS, CLOSES, BEFORE))
    run(empty, ORGANIZER, OpenVote("vs_9", BEFORE))  # no idea yet: they come over the window
    run(board, ORGANIZER, OpenVote("vs_1", BEFORE, budget=3, cap=1))
    assert board.settings.phase is Phase.COLLECT and board.open_session() is not None
    run(board, BEN, PostIdea("idea_2", "fld_mob", "Tempo 30", INSIDE))  # posting goes on beside the vote
    apply_vote(board, decide_vote(board, ANNA, CastDot("vs_1", "idea_2", INSIDE)))
    assert board.ballots["vs_1"].tallies() == {"idea_2": 1}


def test_a_board_without_a_window_still_votes_only_in_the_vote_phase() -> None:
    board = Board(id="bd_1", room_id="rm_1", event_id="ev_1", title="Plenum", columns=(Column("fld_mob", "M"),))
    run(board, ANNA, PostIdea("idea_1", "fld_mob", "Mehr Radwege", INSIDE))
    with pytest.raises(Conflict) as refused:
        run(board, FACILITATOR, OpenVote("vs_1", INSIDE))
    assert refused.value.code == "wrong_phase"
    run(board, FACILITATOR, SetPhase(Phase.VOTE, INSIDE))
    run(board, FACILITATOR, OpenVote("vs_1", INSIDE))


@pytest.mark.parametrize(
    ("opens", "closes", "now", "code"),
    [
        (OPENS, OPENS, BEFORE, "window_end_before_start"),
        (CLOSES, OPENS, BEFORE, "window_end_before_start"),
        (OPENS, OPENS + timedelta(minutes=30), BEFORE, "window_too_short"),
        (OPENS, OPENS + timedelta(days=367), BEFORE, "window_too_long"),
        (OPENS, CLOSES, AFTER, "window_past"),
        (OPENS.replace(tzinfo=None), CLOSES, BEFORE, "invalid_window"),
    ],
)
def test_a_window_must_be_sane(opens: datetime, closes: datetime, now: datetime, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_window(opens, closes, now)
    assert refused.value.code == code
    board = Board(id="bd_1", room_id="rm_1", event_id="ev_1", title="Plenum", columns=())
    with pytest.raises(InvalidInput):
        run(board, ORGANIZER, SetWindow(opens, closes, now))
    assert board.settings.window is None and board.seq == 0


@pytest.mark.parametrize(
    ("actor", "error"), [(ANNA, Forbidden), (OBSERVER, Forbidden), (FACILITATOR, None), (ORGANIZER, None)]
)
def test_only_facilitators_and_organizers_set_the_window(actor: Actor, error: type[DomainError] | None) -> None:
    board = Board(id="bd_1", room_id="rm_1", event_id="ev_1", title="Plenum", columns=())
    if error is None:
        [event] = run(board, actor, SetWindow(OPENS, CLOSES, BEFORE))
        assert board.settings.window == Window(OPENS, CLOSES)
        assert event.kind == "window"
        return
    with pytest.raises(error):
        run(board, actor, SetWindow(OPENS, CLOSES, BEFORE))


def test_the_window_is_moved_or_removed_and_not_set_twice() -> None:
    board = async_board(vote=False)
    with pytest.raises(Conflict):
        run(board, ORGANIZER, SetWindow(OPENS, CLOSES, INSIDE))
    with pytest.raises(InvalidInput) as half:
        run(board, ORGANIZER, SetWindow(OPENS, None, INSIDE))
    assert half.value.code == "invalid_window"
    later = CLOSES + timedelta(days=30)
    run(board, ORGANIZER, SetWindow(OPENS, later, AFTER))  # extended after it had closed: open again
    run(board, ANNA, PostIdea("idea_2", "fld_mob", "Noch eine", AFTER))
    run(board, ORGANIZER, SetWindow(None, None, AFTER))
    assert board.settings.window is None
