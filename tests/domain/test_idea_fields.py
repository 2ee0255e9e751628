"""Who may put an idea into another field of action.

An idea's field of action is part of what it says. Its author and the facilitators may change
it; anyone who may arrange the board may reorder and group others' ideas within their field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from boards import commands as c
from boards.actors import Actor, Role
from boards.errors import DomainError
from boards.model import Board, Column, Phase
from boards.rules import apply, decide

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
FAC = Actor("mb_fac", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
OBS = Actor("mb_obs", Role.OBSERVER)


def run(board: Board, actor: Actor, command: Any) -> None:
    for event in decide(board, actor, command):
        apply(board, event)


def board_in(phase: Phase) -> Board:
    """Anna's a1, a2 and Ben's b1 in mobility (a2, b1 grouped as k_mob); Ben's b2 in education (k_edu)."""
    board = Board("bd_1", "rm_1", "ev_1", "Plenum", (Column("mob", "Mobilität"), Column("edu", "Bildung")))
    run(board, ANNA, c.PostIdea("a1", "mob", "Radwege", T0))
    run(board, ANNA, c.PostIdea("a2", "mob", "Tempo 30", T0))
    run(board, BEN, c.PostIdea("b1", "mob", "Busse", T0))
    run(board, BEN, c.PostIdea("b2", "edu", "Tablets", T0))
    run(board, FAC, c.GroupIdeas("k_mob", "Verkehr", ("a2", "b1"), T0))
    run(board, FAC, c.GroupIdeas("k_edu", "Schule", ("b2",), T0))
    if phase is not Phase.COLLECT:
        run(board, FAC, c.SetPhase(phase, T0))
    return board


MOVE_TO_EDU = c.MoveIdea("a1", "edu", None, T0)


@pytest.mark.parametrize("phase", [Phase.COLLECT, Phase.CLUSTER])
@pytest.mark.parametrize(
    ("actor", "command", "code", "a1_field"),
    [
        # moving: within the field anyone who arranges; into another field the author and facilitators
        (BEN, MOVE_TO_EDU, "forbidden", "mob"),
        (ANNA, MOVE_TO_EDU, None, "edu"),
        (FAC, MOVE_TO_EDU, None, "edu"),
        (ORG, MOVE_TO_EDU, None, "edu"),
        (OBS, MOVE_TO_EDU, "forbidden", "mob"),
        (BEN, c.MoveIdea("a1", "mob", "b1", T0), None, "mob"),
        (BEN, c.MoveIdea("a1", "mob", None, T0), None, "mob"),
        (OBS, c.MoveIdea("a1", "mob", "b1", T0), "forbidden", "mob"),
        # grouping: the cluster takes the field of the first idea; others' ideas may not follow it there
        (BEN, c.GroupIdeas("k_new", "Rad", ("b1", "a1"), T0), None, "mob"),
        (BEN, c.GroupIdeas("k_new", "Rad", ("b2", "a1"), T0), "forbidden", "mob"),
        (BEN, c.GroupIdeas("k_new", "Rad", ("a1", "b2"), T0), None, "mob"),  # his own b2 joins mobility
        (ANNA, c.GroupIdeas("k_new", "Rad", ("a1", "b2"), T0), "forbidden", "mob"),  # Ben's b2 would move
        (ANNA, c.GroupIdeas("k_new", "Rad", ("b2", "a1"), T0), None, "edu"),  # her own a1 joins education
        (FAC, c.GroupIdeas("k_new", "Rad", ("b2", "a1"), T0), None, "edu"),
        # into an existing cluster: the cluster's field
        (BEN, c.SetIdeaCluster("a1", "k_mob", T0), None, "mob"),
        (BEN, c.SetIdeaCluster("a1", "k_edu", T0), "forbidden", "mob"),
        (ANNA, c.SetIdeaCluster("a1", "k_edu", T0), None, "edu"),
        (FAC, c.SetIdeaCluster("a1", "k_edu", T0), None, "edu"),
        (ORG, c.SetIdeaCluster("a1", "k_edu", T0), None, "edu"),
    ],
)
def test_only_authors_and_facilitators_change_an_ideas_field(
    phase: Phase, actor: Actor, command: Any, code: str | None, a1_field: str
) -> None:
    board = board_in(phase)
    before = (board.seq, dict(board.ideas), dict(board.clusters))
    if code is None:
        run(board, actor, command)
    else:
        with pytest.raises(DomainError) as info:
            decide(board, actor, command)
        assert info.value.code == code, info.value.message
        assert (board.seq, dict(board.ideas), dict(board.clusters)) == before
    assert board.ideas["a1"].column_id == a1_field


def test_a_participant_reorders_others_ideas_within_the_field() -> None:
    board = board_in(Phase.CLUSTER)
    run(board, BEN, c.MoveIdea("a1", "mob", "b1", T0))
    assert [i.id for i in board.column_order("mob")][-1] == "a1"
    run(board, BEN, c.SetIdeaCluster("a1", "k_mob", T0))
    assert board.ideas["a1"].cluster_id == "k_mob"
    run(board, BEN, c.SetIdeaCluster("a1", None, T0))  # taking it out of a cluster keeps its field
    assert (board.ideas["a1"].cluster_id, board.ideas["a1"].column_id) == (None, "mob")


def test_outside_collect_and_cluster_participants_move_nothing() -> None:
    board = board_in(Phase.VOTE)
    with pytest.raises(DomainError) as info:
        decide(board, BEN, c.MoveIdea("a1", "mob", None, T0))
    assert info.value.code == "wrong_phase"
    run(board, FAC, MOVE_TO_EDU)  # facilitators arrange in any open phase
    assert board.ideas["a1"].column_id == "edu"
