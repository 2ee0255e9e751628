"""Random command sequences over the whole board — ideas, clusters, moderation, phases, votes —
keep the invariants, and what a participant would receive never holds what they may not see."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from boards import commands as c
from boards.actors import Actor, Role
from boards.domain_events import IdeaChanged
from boards.errors import DomainError
from boards.model import Board, Column, IdeaStatus, Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from boards.voting import Scope, ScopeKind
from rooms.members import Member
from server.live.views import Viewer, project, record, snapshot_comments, snapshot_ideas

PEOPLE = {
    "mb_anna": Role.PARTICIPANT,
    "mb_ben": Role.PARTICIPANT,
    "mb_fac": Role.FACILITATOR,
    "mb_obs": Role.OBSERVER,
}
ACTORS = [Actor(m, r) for m, r in PEOPLE.items()]
AUTHORS = {m: Member(m, "ev_1", r, f"Name of {m}", "blue") for m, r in PEOPLE.items()}
COLUMNS = ("fld_a", "fld_b")
picks = st.integers(0, 40)


class WholeBoard(RuleBasedStateMachine):
    @initialize(anonymous=st.booleans())
    def start(self, anonymous: bool) -> None:
        self.board = Board("bd_1", "rm_1", "ev_1", "W", tuple(Column(x, x) for x in COLUMNS))
        self.board.settings = type(self.board.settings)(anonymous=anonymous)
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.n = 0
        self.sent: dict[str, list[dict[str, Any]]] = {m: [] for m in PEOPLE}  # what each would have received
        self.revealed_all_visible: set[str] = set()  # sessions revealed while no idea was hidden

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_{self.n}"

    def _pick(self, items: list[str], pick: int) -> str:
        return sorted(items)[pick % len(items)] if items else "x_missing"

    def _run(self, actor: Actor, command: Any) -> None:
        self.clock += timedelta(seconds=1)
        if isinstance(command, (c.CloseVote, c.RevealVote)) and all(
            i.status is IdeaStatus.VISIBLE for i in self.board.ideas.values()
        ):
            self.revealed_all_visible.add(command.session_id)
        try:
            events = decide(self.board, actor, command)
        except DomainError:
            return
        for event in events:
            if isinstance(event, IdeaChanged) and event.before is not None and not actor.role.moderates:
                # an idea's field of action is its author's (or a facilitator's) to change
                assert event.idea.column_id == event.before.column_id or event.before.author_id == actor.member_id
            rec = record(self.board, event, AUTHORS)
            json.dumps(rec)  # records are JSON
            apply(self.board, event)
            for member, role in PEOPLE.items():
                sent = project(rec, Viewer(member, role.moderates))
                self.sent[member].append(sent)
                # a comment reaches only those who may see its idea (or wrote it)
                for comment in [sent.get("comment"), *(sent.get("comments") or [])]:
                    if comment is None or role.moderates:
                        continue
                    idea = self.board.ideas.get(comment["idea_id"])
                    assert idea is not None
                    public = idea.live and idea.status is IdeaStatus.VISIBLE and not self.board.settings.silent_now
                    assert public or member in (idea.author_id, self.board.comments[comment["id"]].author_id)

    @rule(actor=st.sampled_from(ACTORS), column=st.sampled_from(COLUMNS), text=st.sampled_from(["a", "b c", "<b>"]))
    def post(self, actor: Actor, column: str, text: str) -> None:
        self._run(actor, c.PostIdea(self._id("idea"), column, text, self.clock))

    @rule(actor=st.sampled_from(ACTORS), pick=picks, after=picks, column=st.sampled_from(COLUMNS))
    def move(self, actor: Actor, pick: int, after: int, column: str) -> None:
        ideas = list(self.board.ideas)
        target = self._pick(ideas, after) if after % 3 else None
        self._run(actor, c.MoveIdea(self._pick(ideas, pick), column, target, self.clock))

    @rule(actor=st.sampled_from(ACTORS), picks_=st.lists(picks, min_size=1, max_size=3))
    def group(self, actor: Actor, picks_: list[int]) -> None:
        ids = tuple(dict.fromkeys(self._pick(list(self.board.ideas), p) for p in picks_))
        self._run(actor, c.GroupIdeas(self._id("cl"), "H", ids, self.clock))

    @rule(actor=st.sampled_from(ACTORS), a=picks, b=st.one_of(st.none(), picks))
    def nest(self, actor: Actor, a: int, b: int | None) -> None:
        clusters = list(self.board.clusters)
        parent = None if b is None else self._pick(clusters, b)
        self._run(actor, c.NestCluster(self._pick(clusters, a), parent, self.clock))

    @rule(actor=st.sampled_from(ACTORS), pick=picks)
    def dissolve(self, actor: Actor, pick: int) -> None:
        self._run(actor, c.DissolveCluster(self._pick(list(self.board.clusters), pick), self.clock))

    @rule(actor=st.sampled_from(ACTORS), pick=picks, action=st.sampled_from(["hide", "restore", "approve"]))
    def moderate(self, actor: Actor, pick: int, action: str) -> None:
        self._run(actor, c.ModerateIdea(self._pick(list(self.board.ideas), pick), action, self.clock))

    @rule(actor=st.sampled_from(ACTORS), a=picks, b=picks)
    def merge(self, actor: Actor, a: int, b: int) -> None:
        ideas = list(self.board.ideas)
        self._run(actor, c.MergeIdeas(self._pick(ideas, a), (self._pick(ideas, b),), self.clock))

    @rule(actor=st.sampled_from(ACTORS), pick=picks)
    def comment(self, actor: Actor, pick: int) -> None:
        self._run(actor, c.AddComment(self._id("cm"), self._pick(list(self.board.ideas), pick), "Gut", self.clock))

    @rule(actor=st.sampled_from(ACTORS), pick=picks)
    def delete(self, actor: Actor, pick: int) -> None:
        self._run(actor, c.DeleteIdea(self._pick(list(self.board.ideas), pick), self.clock))

    @rule(phase=st.sampled_from(list(Phase)), silent=st.one_of(st.none(), st.booleans()))
    def phase(self, phase: Phase, silent: bool | None) -> None:
        self._run(ACTORS[2], c.SetPhase(phase, self.clock, silent=silent if phase is Phase.COLLECT else None))

    @rule(on=st.booleans())
    def premoderation(self, on: bool) -> None:
        self._run(ACTORS[2], c.SetPremoderation(on, self.clock))

    @rule()
    def reveal_ideas(self) -> None:
        self._run(ACTORS[2], c.RevealIdeas(self.clock))

    @rule(budget=st.integers(1, 6), cap=st.integers(1, 6), blind=st.booleans(), moderators=st.booleans())
    def open_vote(self, budget: int, cap: int, blind: bool, moderators: bool) -> None:
        self._run(ACTORS[2], c.SetLock(False, self.clock))
        self._run(ACTORS[2], c.PostIdea(self._id("idea"), COLUMNS[0], "Vorschlag", self.clock))
        self._run(ACTORS[2], c.SetPhase(Phase.VOTE, self.clock))
        self._run(
            ACTORS[2],
            c.OpenVote(
                self._id("vs"),
                self.clock,
                budget=budget,
                cap=min(cap, budget),
                blind=blind,
                scope=Scope(ScopeKind.BOARD),
                moderators_vote=moderators,
            ),
        )

    @rule(dots=st.lists(st.tuples(st.sampled_from(ACTORS), picks, st.booleans()), min_size=1, max_size=12))
    def dots(self, dots: list[tuple[Actor, int, bool]]) -> None:
        session = self.board.open_session()
        if session is None:
            return
        for actor, pick, remove in dots:
            idea = self._pick(list(self.board.ideas), pick)
            command = (c.RemoveDot if remove and pick % 4 == 0 else c.CastDot)(session.id, idea, self.clock)
            try:
                apply_vote(self.board, decide_vote(self.board, actor, command))
            except DomainError:
                pass

    @rule(reveal=st.booleans(), budget=st.integers(1, 8), cap=st.integers(1, 8))
    def change_or_close(self, reveal: bool, budget: int, cap: int) -> None:
        session = self.board.open_session()
        if session is not None:
            self._run(ACTORS[2], c.ChangeVote(session.id, self.clock, budget=budget, cap=cap))
            if reveal:
                self._run(ACTORS[2], c.CloseVote(session.id, self.clock, reveal=True))

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def votes_keep_budget_cap_and_tallies(self) -> None:
        if not hasattr(self, "board"):
            return
        for session_id, ballots in self.board.ballots.items():
            session = self.board.sessions[session_id]
            for member, ballot in ballots.dots.items():
                assert PEOPLE[member] is not Role.OBSERVER
                assert session.moderators_vote or not PEOPLE[member].moderates  # the facilitator only if asked
                assert sum(ballot.values()) <= session.budget
                assert all(0 < n <= session.cap for n in ballot.values())
            if session.results is not None:
                total = sum(r.dots for r in session.results)
                assert total <= ballots.cast()  # a hidden idea's dots are stored, not shown
                assert [r.dots for r in session.results] == sorted((r.dots for r in session.results), reverse=True)
                if session.id in self.revealed_all_visible:
                    assert total == ballots.cast()  # tallies equal the stored dots (merged ones folded in)

    @invariant()
    def clusters_form_a_forest_and_orders_are_strict(self) -> None:
        if not hasattr(self, "board"):
            return
        for cluster_id in self.board.clusters:
            chain = self.board.cluster_ancestors(cluster_id)  # raises on a cycle
            assert len(chain) == len(set(chain))
        for column in COLUMNS:
            keys = [i.position for i in self.board.column_order(column)]
            assert len(keys) == len(set(keys))

    @invariant()
    def participants_never_receive_what_they_may_not_see(self) -> None:
        if not hasattr(self, "board"):
            return
        anonymous = self.board.settings.anonymous
        for member, role in PEOPLE.items():
            viewer = Viewer(member, role.moderates)
            ideas = snapshot_ideas(self.board, AUTHORS, viewer)
            comments = snapshot_comments(self.board, AUTHORS, viewer)
            received = [i for ch in self.sent[member] for i in [ch.get("idea"), *(ch.get("ideas") or [])] if i]
            for idea in [*ideas, *received]:
                if anonymous and idea["author"] is not None:
                    assert idea["author"]["id"] == member  # authors reach nobody but themselves
                if not role.moderates:
                    assert idea["reports"] == 0
            for idea in ideas:  # the current view
                stored = self.board.ideas[idea["id"]]
                if not role.moderates and stored.author_id != member:
                    assert stored.status is IdeaStatus.VISIBLE and stored.live
                    assert not self.board.settings.silent_now
            for comment in comments:
                if anonymous and comment["author"] is not None:
                    assert comment["author"]["id"] == member
            assert "reporters" not in json.dumps([ideas, self.sent[member]])


TestWholeBoard = WholeBoard.TestCase
TestWholeBoard.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
