"""Random command sequences on a board keep its invariants (Hypothesis state machine)."""

from __future__ import annotations

import copy
import unicodedata
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from boards.actors import Actor, Role
from boards.commands import DeleteIdea, EditIdea, PostIdea
from boards.errors import DomainError
from boards.model import Board, Column
from boards.rules import apply, decide

ACTORS = [
    Actor("mb_anna", Role.PARTICIPANT),
    Actor("mb_ben", Role.PARTICIPANT),
    Actor("mb_fac", Role.FACILITATOR),
    Actor("mb_org", Role.ORGANIZER),
    Actor("mb_obs", Role.OBSERVER),
]
COLUMNS = ("fld_a", "fld_b", "fld_c")


def typed(text: str) -> str:
    """What is stored of a text: as typed, only normalised (NFC, CRLF→LF) and trimmed."""
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


texts = st.one_of(
    st.text(min_size=0, max_size=30),
    st.sampled_from(
        ["<b>x</b>", "a < b", "Kosten < Nutzen, Nutzen > Aufwand", " \n ", "x" * 2001, "ok\x07", "ok\r", "Radwege"]
    ),
)


class BoardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.board = Board("bd_1", "rm_1", "ev_1", "Plenum", tuple(Column(c, c) for c in COLUMNS))
        self.model: dict[str, tuple[str, str, str]] = {}  # idea id → (author, column, text)
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.counter = 0
        self.events = 0
        self.used: set[tuple[str, str]] = set()  # client ids ever acknowledged, per author

    def execute(self, actor: Actor, command: object) -> bool:
        self.clock += timedelta(seconds=1)
        before = copy.deepcopy(self.board)
        try:
            events = decide(self.board, actor, command)  # type: ignore[arg-type]
        except DomainError as exc:
            assert exc.code and exc.message
            assert self.board == before  # a refused command changes nothing
            return False
        assert self.board == before  # deciding alone changes nothing
        for event in events:
            apply(self.board, event)
        self.events += len(events)
        return bool(events)

    @rule(
        actor=st.sampled_from(ACTORS),
        column=st.sampled_from([*COLUMNS, "fld_x"]),
        text=texts,
        client_id=st.one_of(st.none(), st.sampled_from(["c1", "c2"])),
    )
    def post(self, actor: Actor, column: str, text: str, client_id: str | None) -> None:
        self.counter += 1
        idea_id = f"idea_{self.counter}"
        retry = client_id is not None and (actor.member_id, client_id) in self.used
        if self.execute(actor, PostIdea(idea_id, column, text, self.clock, client_id)):
            assert actor.role is not Role.OBSERVER and column in COLUMNS and not retry
            assert self.board.ideas[idea_id].text == typed(text)
            self.model[idea_id] = (actor.member_id, column, self.board.ideas[idea_id].text)
            if client_id is not None:
                self.used.add((actor.member_id, client_id))
        else:
            assert idea_id not in self.board.ideas

    @rule(
        actor=st.sampled_from(ACTORS),
        pick=st.integers(0, 50),
        text=st.one_of(st.none(), texts),
        column=st.one_of(st.none(), st.sampled_from([*COLUMNS, "fld_x"])),
    )
    def edit(self, actor: Actor, pick: int, text: str | None, column: str | None) -> None:
        ids = sorted(self.board.ideas) or ["idea_missing"]
        idea_id = ids[pick % len(ids)]
        if self.execute(actor, EditIdea(idea_id, self.clock, text=text, column_id=column)):
            author, old_column, _old = self.model[idea_id]
            assert author == actor.member_id  # only authors edit
            idea = self.board.ideas[idea_id]
            self.model[idea_id] = (author, column or old_column, idea.text)

    @rule(actor=st.sampled_from(ACTORS), pick=st.integers(0, 50))
    def delete(self, actor: Actor, pick: int) -> None:
        ids = sorted(self.board.ideas) or ["idea_missing"]
        idea_id = ids[pick % len(ids)]
        if self.execute(actor, DeleteIdea(idea_id, self.clock)):
            author = self.model.pop(idea_id)[0]
            assert author == actor.member_id or actor.role.moderates

    @invariant()
    def board_matches_the_model(self) -> None:
        assert self.board.seq == self.events  # one sequence number per applied event, no gaps
        assert {i: (x.author_id, x.column_id, x.text) for i, x in self.board.ideas.items()} == self.model
        for idea in self.board.ideas.values():
            assert idea.column_id in COLUMNS
            assert 1 <= len(idea.text) <= 2000 and idea.text == idea.text.strip()
            assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in idea.text)
            assert idea.author_id != "mb_obs"
        pairs = [(i.author_id, i.client_id) for i in self.board.ideas.values() if i.client_id]
        assert len(pairs) == len(set(pairs))  # one idea per author and client id


TestBoardMachine = BoardMachine.TestCase
TestBoardMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
