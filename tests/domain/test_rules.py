"""Board rules beyond posting: phases, lock, order, clusters, merges, moderation, comments, votes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boards import commands as c
from boards.actors import Actor, Role
from boards.errors import DomainError
from boards.model import Board, Column, IdeaStatus, Phase
from boards.rules import SYSTEM, apply, apply_vote, decide, decide_vote
from boards.voting import Scope, ScopeKind, VoteStatus

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
BEN = Actor("mb_ben", Role.PARTICIPANT)
FAC = Actor("mb_fac", Role.FACILITATOR)
OBS = Actor("mb_obs", Role.OBSERVER)


def board() -> Board:
    return Board("bd_1", "rm_1", "ev_1", "Plenum", (Column("mob", "Mobilität"), Column("edu", "Bildung")))


def run(b: Board, actor: Actor, command: Any) -> list[Any]:
    events = decide(b, actor, command)
    for event in events:
        apply(b, event)
    return events


def refused(b: Board, actor: Actor, command: Any, code: str) -> None:
    before = (b.seq, dict(b.ideas), dict(b.clusters), b.settings, dict(b.sessions))
    with pytest.raises(DomainError) as info:
        decide(b, actor, command)
    assert info.value.code == code, info.value.message
    assert (b.seq, dict(b.ideas), dict(b.clusters), b.settings, dict(b.sessions)) == before


def post(b: Board, actor: Actor, idea_id: str, column: str = "mob", text: str = "Idee") -> None:
    run(b, actor, c.PostIdea(idea_id, column, text, T0))


def vote(b: Board, actor: Actor, session: str, idea_id: str, *, remove: bool = False) -> None:
    cmd = (c.RemoveDot if remove else c.CastDot)(session, idea_id, T0)
    apply_vote(b, decide_vote(b, actor, cmd))


def order(b: Board, column: str = "mob") -> list[str]:
    return [i.id for i in b.column_order(column)]


def test_phases_gate_participants_but_not_facilitators() -> None:
    b = board()
    post(b, ANNA, "i1")
    run(b, FAC, c.SetPhase(Phase.CLUSTER, T0))
    refused(b, ANNA, c.PostIdea("i2", "mob", "x", T0), "wrong_phase")
    post(b, FAC, "i3")  # facilitators may add an idea in any open phase
    run(b, FAC, c.SetPhase(Phase.VOTE, T0))
    refused(b, ANNA, c.EditIdea("i1", T0, text="y"), "wrong_phase")
    refused(b, ANNA, c.MoveIdea("i1", "edu", None, T0), "wrong_phase")
    refused(b, ANNA, c.SetPhase(Phase.COLLECT, T0), "forbidden")
    run(b, FAC, c.SetPhase(Phase.CLOSED, T0))
    refused(b, FAC, c.PostIdea("i4", "mob", "x", T0), "read_only")
    refused(b, ANNA, c.AddComment("k1", "i1", "x", T0), "read_only")


def test_a_lock_makes_the_board_read_only_at_any_time() -> None:
    b = board()
    post(b, ANNA, "i1")
    run(b, FAC, c.SetLock(True, T0))
    for actor, command in [
        (ANNA, c.PostIdea("i2", "mob", "x", T0)),
        (ANNA, c.EditIdea("i1", T0, text="y")),
        (FAC, c.MoveIdea("i1", "edu", None, T0)),
        (ANNA, c.AddComment("k1", "i1", "x", T0)),
        (FAC, c.SetPhase(Phase.VOTE, T0)),
    ]:
        refused(b, actor, command, "read_only")
    refused(b, ANNA, c.SetLock(False, T0), "forbidden")
    run(b, FAC, c.SetLock(False, T0))
    post(b, ANNA, "i2")


def test_moves_keep_a_consistent_order() -> None:
    b = board()
    for n in range(4):
        post(b, ANNA, f"i{n}")
    assert order(b) == ["i0", "i1", "i2", "i3"]
    run(b, BEN, c.MoveIdea("i3", "mob", None, T0))
    run(b, BEN, c.MoveIdea("i0", "mob", "i2", T0))
    assert order(b) == ["i3", "i1", "i2", "i0"]
    run(b, ANNA, c.MoveIdea("i1", "edu", None, T0))
    assert order(b) == ["i3", "i2", "i0"] and order(b, "edu") == ["i1"]
    refused(b, ANNA, c.MoveIdea("i2", "nope", None, T0), "not_found")
    refused(b, ANNA, c.MoveIdea("i2", "mob", "i1", T0), "not_found")  # i1 is not in that column
    refused(b, OBS, c.MoveIdea("i2", "mob", None, T0), "forbidden")


def test_clusters_form_a_forest() -> None:
    b = board()
    for n in range(4):
        post(b, ANNA, f"i{n}")
    post(b, ANNA, "e1", column="edu")
    run(b, BEN, c.GroupIdeas("k1", "Radverkehr", ("i0", "i1"), T0))
    assert b.ideas["i0"].cluster_id == b.ideas["i1"].cluster_id == "k1"
    refused(b, BEN, c.GroupIdeas("k2", "ÖPNV", ("i2", "e1"), T0), "forbidden")  # Anna's e1 would change field
    run(b, ANNA, c.GroupIdeas("k2", "ÖPNV", ("i2", "e1"), T0))
    assert b.ideas["e1"].column_id == "mob"  # grouping brings it into the cluster's column
    run(b, BEN, c.NestCluster("k2", "k1", T0))
    refused(b, BEN, c.NestCluster("k1", "k2", T0), "cluster_cycle")
    refused(b, BEN, c.NestCluster("k1", "k1", T0), "cluster_cycle")
    run(b, ANNA, c.SetIdeaCluster("i3", "k2", T0))
    run(b, BEN, c.DissolveCluster("k2", T0))
    assert "k2" not in b.clusters
    assert {b.ideas[i].cluster_id for i in ("i2", "e1", "i3")} == {"k1"}  # to the parent
    refused(b, BEN, c.SetIdeaCluster("i0", "nope", T0), "not_found")
    refused(b, BEN, c.GroupIdeas("k3", "x", ("i0", "i0"), T0), "invalid_input")
    refused(b, BEN, c.GroupIdeas("k4", "Rad\x0bweg", ("i0",), T0), "control_characters")


def test_merging_keeps_provenance_and_dots() -> None:
    b = board()
    for n in range(3):
        post(b, ANNA if n else BEN, f"i{n}")
    run(b, FAC, c.SetPhase(Phase.VOTE, T0))
    run(b, FAC, c.OpenVote("v1", T0, budget=5, cap=3))
    vote(b, ANNA, "v1", "i1")
    vote(b, BEN, "v1", "i1")
    vote(b, BEN, "v1", "i2")
    refused(b, FAC, c.MergeIdeas("i0", ("i1",), T0), "vote_open")
    run(b, FAC, c.CloseVote("v1", T0))
    refused(b, ANNA, c.MergeIdeas("i0", ("i1",), T0), "forbidden")
    refused(b, FAC, c.MergeIdeas("i0", ("i0",), T0), "invalid_input")
    run(b, FAC, c.MergeIdeas("i0", ("i1", "i2"), T0))
    assert b.ideas["i0"].merged_from == ("i1", "i2")
    assert b.ideas["i1"].merged_into == "i0" and not b.ideas["i1"].live
    refused(b, ANNA, c.EditIdea("i1", T0, text="x"), "not_found")
    run(b, FAC, c.RevealVote("v1", T0))
    [row] = b.sessions["v1"].results
    assert (row.idea_id, row.dots, row.voters, row.merged_from) == ("i0", 3, 2, ("i1", "i2"))


def test_moderation_pre_moderation_and_reports() -> None:
    b = board()
    run(b, FAC, c.SetPremoderation(True, T0))
    post(b, ANNA, "i1")
    assert b.ideas["i1"].status is IdeaStatus.PENDING
    refused(b, BEN, c.ReportIdea("i1", T0), "not_found")  # Ben cannot see it yet
    refused(b, BEN, c.GroupIdeas("k1", "x", ("i1",), T0), "not_found")
    run(b, FAC, c.ModerateIdea("i1", "approve", T0))
    run(b, BEN, c.ReportIdea("i1", T0))
    refused(b, BEN, c.ReportIdea("i1", T0), "already_reported")
    refused(b, BEN, c.ModerateIdea("i1", "hide", T0), "forbidden")
    run(b, FAC, c.ModerateIdea("i1", "hide", T0))
    assert b.ideas["i1"].status is IdeaStatus.HIDDEN
    refused(b, FAC, c.ModerateIdea("i1", "approve", T0), "conflict")
    run(b, FAC, c.ModerateIdea("i1", "restore", T0))
    post(b, BEN, "i2")
    run(b, FAC, c.SetPremoderation(False, T0))  # what waited is approved with the switch
    assert b.ideas["i2"].status is IdeaStatus.VISIBLE


def test_silent_collection_and_reveal() -> None:
    b = board()
    run(b, FAC, c.SetPhase(Phase.COLLECT, T0, silent=True))
    assert b.settings.silent_now
    post(b, ANNA, "i1")
    refused(b, BEN, c.ReportIdea("i1", T0), "not_found")
    refused(b, ANNA, c.RevealIdeas(T0), "forbidden")
    run(b, FAC, c.RevealIdeas(T0))
    run(b, BEN, c.ReportIdea("i1", T0))
    refused(b, FAC, c.RevealIdeas(T0), "conflict")
    run(b, FAC, c.SetPhase(Phase.COLLECT, T0, silent=True))
    [revealed, phase] = run(b, FAC, c.SetPhase(Phase.CLUSTER, T0))  # leaving reveals
    assert (revealed.kind, phase.kind) == ("revealed", "phase")
    assert not b.settings.silent_now


def test_comments() -> None:
    b = board()
    post(b, ANNA, "i1")
    run(b, BEN, c.AddComment("k1", "i1", "Gute Idee!", T0))
    refused(b, BEN, c.AddComment("k2", "i1", "", T0), "text_too_short")
    refused(b, BEN, c.AddComment("k2", "nope", "x", T0), "not_found")
    refused(b, OBS, c.AddComment("k2", "i1", "x", T0), "forbidden")
    refused(b, ANNA, c.DeleteComment("k1", T0), "forbidden")
    run(b, FAC, c.ModerateComment("k1", True, T0))
    assert b.comments["k1"].hidden
    run(b, BEN, c.DeleteComment("k1", T0))
    assert "k1" not in b.comments


def voting_board(ideas: int = 4) -> Board:
    b = board()
    for n in range(ideas):
        post(b, ANNA, f"i{n}", column="mob" if n % 2 == 0 else "edu")
    run(b, FAC, c.SetPhase(Phase.VOTE, T0))
    return b


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"budget": 0}, "invalid_budget"),
        ({"budget": 100}, "invalid_budget"),
        ({"budget": 5, "cap": 6}, "invalid_cap"),
        ({"cap": 0}, "invalid_cap"),
        ({"duration_s": 5}, "invalid_timer"),
        ({"scope": Scope(ScopeKind.COLUMNS, ("nope",))}, "not_found"),
        ({"scope": Scope(ScopeKind.IDEAS, ())}, "invalid_input"),
    ],
)
def test_opening_a_vote_checks_its_settings(kwargs: dict[str, Any], code: str) -> None:
    refused(voting_board(), FAC, c.OpenVote("v1", T0, **kwargs), code)


def test_opening_a_vote_needs_the_vote_phase_a_facilitator_and_no_other_open_vote() -> None:
    b = board()
    post(b, ANNA, "i0")
    refused(b, FAC, c.OpenVote("v1", T0), "wrong_phase")
    run(b, FAC, c.SetPhase(Phase.VOTE, T0))
    refused(b, ANNA, c.OpenVote("v1", T0), "forbidden")
    run(b, FAC, c.OpenVote("v1", T0))
    refused(b, FAC, c.OpenVote("v2", T0), "vote_open")
    refused(b, FAC, c.SetPhase(Phase.DISCUSS, T0), "vote_open")


def test_budget_cap_and_the_rules_of_a_dot() -> None:
    b = voting_board()
    run(b, FAC, c.OpenVote("v1", T0, budget=4, cap=2))
    vote(b, ANNA, "v1", "i0")
    vote(b, ANNA, "v1", "i0")
    with pytest.raises(DomainError) as info:
        decide_vote(b, ANNA, c.CastDot("v1", "i0", T0))
    assert info.value.code == "cap_reached"
    vote(b, ANNA, "v1", "i1")
    vote(b, ANNA, "v1", "i2")
    with pytest.raises(DomainError) as info:
        decide_vote(b, ANNA, c.CastDot("v1", "i3", T0))
    assert info.value.code == "budget_exhausted"
    vote(b, ANNA, "v1", "i2", remove=True)
    vote(b, ANNA, "v1", "i3")
    for actor, cmd, code in [
        (ANNA, c.RemoveDot("v1", "i2", T0), "no_dot"),
        (OBS, c.CastDot("v1", "i0", T0), "forbidden"),
        (BEN, c.CastDot("v1", "nope", T0), "not_found"),
        (BEN, c.CastDot("v2", "i0", T0), "not_found"),
    ]:
        with pytest.raises(DomainError) as info:
            decide_vote(b, actor, cmd)
        assert info.value.code == code
    assert b.ballots["v1"].used("mb_anna") == 4


ORGA = Actor("mb_orga", Role.ORGANIZER)


@pytest.mark.parametrize(
    ("actor", "moderators_vote", "voter"),
    [
        (ANNA, False, True),
        (ANNA, True, True),
        (FAC, False, False),
        (FAC, True, True),
        (ORGA, False, False),
        (ORGA, True, True),
        (OBS, False, False),
        (OBS, True, False),
    ],
)
def test_who_votes_in_a_round(actor: Actor, moderators_vote: bool, voter: bool) -> None:
    """Participants vote; facilitators and organizers run the round and vote only when it was
    opened with moderators_vote; observers never."""
    b = voting_board()
    run(b, FAC, c.OpenVote("v1", T0, moderators_vote=moderators_vote))
    session = b.sessions["v1"]
    assert session.moderators_vote is moderators_vote
    assert session.admits(actor.role) is voter
    if voter:
        vote(b, actor, "v1", "i0")
        vote(b, actor, "v1", "i1")
        vote(b, actor, "v1", "i1", remove=True)
        assert b.ballots["v1"].of(actor.member_id) == {"i0": 1}
        return
    for cmd in (c.CastDot("v1", "i0", T0), c.RemoveDot("v1", "i0", T0)):
        with pytest.raises(DomainError) as info:
            decide_vote(b, actor, cmd)
        assert info.value.code == "forbidden"
    assert b.ballots["v1"].voters() == 0


def test_dots_on_hidden_out_of_scope_or_closed() -> None:
    b = voting_board()
    run(b, FAC, c.ModerateIdea("i1", "hide", T0))
    run(b, FAC, c.OpenVote("v1", T0, scope=Scope(ScopeKind.COLUMNS, ("mob",)), duration_s=60))
    for idea in ("i1", "i3"):  # hidden; outside the scope
        with pytest.raises(DomainError) as info:
            decide_vote(b, BEN, c.CastDot("v1", idea, T0))
        assert info.value.code == "not_votable"
    with pytest.raises(DomainError) as info:
        decide_vote(b, BEN, c.CastDot("v1", "i0", T0 + timedelta(seconds=60)))
    assert info.value.code == "vote_closed"  # the timer ran out, even before the server closed it
    run(b, SYSTEM, c.CloseVote("v1", T0 + timedelta(seconds=60)))
    with pytest.raises(DomainError) as info:
        decide_vote(b, BEN, c.CastDot("v1", "i0", T0))
    assert info.value.code == "vote_closed"


def test_changing_budget_or_cap_below_what_is_cast_is_refused() -> None:
    b = voting_board()
    run(b, FAC, c.OpenVote("v1", T0, budget=5, cap=3))
    for _ in range(3):
        vote(b, ANNA, "v1", "i0")
    vote(b, ANNA, "v1", "i1")
    refused(b, FAC, c.ChangeVote("v1", T0, budget=3), "below_cast")
    refused(b, FAC, c.ChangeVote("v1", T0, cap=2), "below_cast")
    run(b, FAC, c.ChangeVote("v1", T0, budget=4))
    run(b, FAC, c.ChangeVote("v1", T0, budget=10, cap=5))
    assert (b.sessions["v1"].budget, b.sessions["v1"].cap) == (10, 5)
    run(b, FAC, c.ExtendVote("v1", 60, T0))
    assert b.sessions["v1"].ends_at == T0 + timedelta(seconds=60)


def test_the_reveal_ranks_with_ties_overall_and_per_field() -> None:
    b = voting_board(5)  # i0 i2 i4 in mob, i1 i3 in edu
    run(b, FAC, c.OpenVote("v1", T0, budget=5, cap=3))
    for actor, ideas in [(ANNA, ["i0", "i0", "i1", "i1", "i2"]), (BEN, ["i0", "i1", "i3"])]:
        for idea in ideas:
            vote(b, actor, "v1", idea)
    run(b, FAC, c.RevealVote("v1", T0))  # closes and reveals
    session = b.sessions["v1"]
    assert session.status is VoteStatus.REVEALED
    rows = {r.idea_id: r for r in session.results}
    assert [(r.idea_id, r.dots, r.rank, r.tie) for r in session.results] == [
        ("i0", 3, 1, True),
        ("i1", 3, 1, True),
        ("i2", 1, 3, True),
        ("i3", 1, 3, True),
        ("i4", 0, 5, False),
    ]
    assert (rows["i0"].column_rank, rows["i2"].column_rank, rows["i4"].column_rank) == (1, 2, 3)
    assert (rows["i1"].column_rank, rows["i3"].column_rank, rows["i1"].column_tie) == (1, 2, False)
    # a second round on the top two keeps the first round's results
    run(b, FAC, c.OpenVote("v2", T0, scope=Scope(ScopeKind.IDEAS, ("i0", "i1"))))
    assert b.sessions["v2"].round == 2
    vote(b, BEN, "v2", "i1")
    run(b, FAC, c.CloseVote("v2", T0, reveal=True))
    assert [r.idea_id for r in b.sessions["v2"].results] == ["i1", "i0"]
    assert b.sessions["v1"].results == session.results


def test_titles_tags_and_card_colours() -> None:
    b = board()
    run(
        b,
        ANNA,
        c.PostIdea("i1", "mob", "Text", T0, title=" Radweg ", tags=("Rad", "rad", " Sicherheit "), colour="green"),
    )
    idea = b.ideas["i1"]
    assert (idea.title, idea.tags, idea.colour) == ("Radweg", ("Rad", "Sicherheit"), "green")
    for kwargs, code in [
        ({"title": "x" * 121}, "text_too_long"),
        ({"title": "Titel\x00"}, "control_characters"),
        ({"tags": tuple(f"t{n}" for n in range(11))}, "too_many_tags"),
        ({"tags": ("",)}, "text_too_short"),
        ({"tags": ("x" * 31,)}, "text_too_long"),
        ({"tags": ("Kinder, Jugend",)}, "invalid_tag"),  # a list separator: an export could not tell tags apart
        ({"tags": ("Kinder;Jugend",)}, "invalid_tag"),
        ({"colour": "black"}, "invalid_input"),
    ]:
        refused(b, ANNA, c.PostIdea("i2", "mob", "Text", T0, **kwargs), code)
    run(b, ANNA, c.EditIdea("i1", T0, title="", tags=(), colour="pink"))
    assert (b.ideas["i1"].title, b.ideas["i1"].tags, b.ideas["i1"].colour) == ("", (), "pink")
