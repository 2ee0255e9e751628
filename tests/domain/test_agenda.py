"""The rules of an event's agenda: tables of commands and their outcomes, and random sequences of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.agenda import (
    STEPS_MAX,
    AddStep,
    Agenda,
    AgendaChanged,
    EditStep,
    FinishAgenda,
    MoveStep,
    NextStep,
    PreviousStep,
    RemoveStep,
    SetCurrent,
    Step,
    StepKind,
    apply,
    decide,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
FAC = Actor("mb_fac", Role.FACILITATOR)
FAC2 = Actor("mb_fac2", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
OBS = Actor("mb_obs", Role.OBSERVER)


def run(agenda: Agenda, actor: Actor, command: Any) -> Agenda:
    for event in decide(agenda, actor, command):
        agenda = apply(agenda, event)
    return agenda


def refused(agenda: Agenda, actor: Actor, command: Any, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide(agenda, actor, command)
    assert info.value.code == code, info.value.message


def three() -> Agenda:
    agenda = Agenda("ev_1")
    for n, kind in enumerate(("input", "breakout", "voting"), 1):
        agenda = run(agenda, FAC, AddStep(f"s{n}", f"Step {n}", kind, duration_s=600))
    return agenda


def ids(agenda: Agenda) -> list[str]:
    return [s.id for s in agenda.steps]


# -- steps -----------------------------------------------------------------------------------


def test_adding_cleans_the_values_and_counts_up_the_version() -> None:
    agenda = Agenda("ev_1")
    [event] = decide(agenda, FAC, AddStep("s1", "  Begrüßung  ", StepKind.PLENARY, 0, " Wer spricht?\r\nAnna "))
    assert isinstance(event, AgendaChanged) and event.kind == "step_added" and event.step_id == "s1"
    assert agenda == Agenda("ev_1")  # decide changes nothing
    agenda = apply(agenda, event)
    assert agenda.steps == (Step("s1", "Begrüßung", StepKind.PLENARY, 0, "Wer spricht?\nAnna"),)
    assert agenda.version == 1 and agenda.current is None


@pytest.mark.parametrize(
    ("position", "order"),
    [
        (None, ["s1", "s2", "s3", "new"]),
        (0, ["new", "s1", "s2", "s3"]),
        (1, ["s1", "new", "s2", "s3"]),
        (3, ["s1", "s2", "s3", "new"]),
    ],
)
def test_a_step_is_added_at_its_position(position: int | None, order: list[str]) -> None:
    assert ids(run(three(), FAC, AddStep("new", "Neu", "break", position=position))) == order


@pytest.mark.parametrize("duration_s", [0, 60, 600, 8 * 3600])
def test_durations_in_range_are_taken(duration_s: int) -> None:
    assert run(Agenda("ev_1"), FAC, AddStep("s1", "x", "input", duration_s)).steps[0].duration_s == duration_s


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (AddStep("s9", "", "input"), "text_too_short"),
        (AddStep("s9", "x" * 81, "input"), "text_too_long"),
        (AddStep("s9", "Tab\there", "input"), "control_characters"),
        (AddStep("s9", "x", "input", note="n" * 1001), "text_too_long"),
        (AddStep("s9", "x", "input", 1), "invalid_duration"),
        (AddStep("s9", "x", "input", 59), "invalid_duration"),
        (AddStep("s9", "x", "input", 8 * 3600 + 1), "invalid_duration"),
        (AddStep("s9", "x", "input", -60), "invalid_duration"),
        (AddStep("s9", "x", "input", True), "invalid_duration"),
        (AddStep("s9", "x", "party"), "invalid_kind"),
        (AddStep("s9", "x", "input", position=4), "invalid_position"),
        (AddStep("s9", "x", "input", position=-1), "invalid_position"),
        (AddStep("s1", "x", "input"), "conflict"),
        (EditStep("s9", title="x"), "not_found"),
        (EditStep("s1", title=" "), "text_too_short"),
        (EditStep("s1", duration_s=30), "invalid_duration"),
        (EditStep("s1", kind="lunch"), "invalid_kind"),
        (RemoveStep("s9"), "not_found"),
        (MoveStep("s9", 0), "not_found"),
        (MoveStep("s1", 3), "invalid_position"),
        (MoveStep("s1", -1), "invalid_position"),
        (SetCurrent("s9", T0), "not_found"),
    ],
)
def test_bad_values_are_refused_with_their_code(command: Any, code: str) -> None:
    refused(three(), FAC, command, code)


def test_at_most_fifty_steps() -> None:
    agenda = Agenda("ev_1")
    for n in range(STEPS_MAX):
        agenda = run(agenda, FAC, AddStep(f"s{n}", f"Step {n}", "input"))
    refused(agenda, FAC, AddStep("one_more", "x", "input"), "too_many_steps")


@pytest.mark.parametrize(
    "command",
    [
        AddStep("s9", "x", "input"),
        EditStep("s1", title="x"),
        RemoveStep("s1"),
        MoveStep("s1", 2),
        SetCurrent("s1", T0),
        NextStep(None, T0),
        PreviousStep(None, T0),
        FinishAgenda(T0),
    ],
)
@pytest.mark.parametrize("actor", [ANNA, OBS])
def test_only_moderators_change_or_steer_the_agenda(command: Any, actor: Actor) -> None:
    refused(three(), actor, command, "forbidden")


def test_organizers_steer_too() -> None:
    assert run(three(), ORG, NextStep(None, T0)).current == "s1"


def test_editing_changes_what_is_given() -> None:
    agenda = run(three(), FAC, EditStep("s2", title="Gruppenarbeit", duration_s=0, note="Tische 1-4"))
    assert agenda.steps[1] == Step("s2", "Gruppenarbeit", StepKind.BREAKOUT, 0, "Tische 1-4")
    agenda = run(agenda, FAC, EditStep("s2", kind="plenary"))
    assert agenda.steps[1].kind is StepKind.PLENARY and agenda.steps[1].title == "Gruppenarbeit"
    assert agenda.version == 5


@pytest.mark.parametrize(
    ("step", "position", "order"),
    [
        ("s1", 2, ["s2", "s3", "s1"]),
        ("s3", 0, ["s3", "s1", "s2"]),
        ("s2", 0, ["s2", "s1", "s3"]),
        ("s2", 2, ["s1", "s3", "s2"]),
    ],
)
def test_moving_reorders(step: str, position: int, order: list[str]) -> None:
    assert ids(run(three(), FAC, MoveStep(step, position))) == order


def test_removing_a_step() -> None:
    agenda = run(three(), FAC, RemoveStep("s2"))
    assert ids(agenda) == ["s1", "s3"] and agenda.version == 4


def test_the_current_step_cannot_be_removed() -> None:
    agenda = run(three(), FAC, SetCurrent("s2", T0))
    refused(agenda, FAC, RemoveStep("s2"), "step_is_current")
    agenda = run(agenda, FAC, NextStep("s2", T0))
    assert ids(run(agenda, FAC, RemoveStep("s2"))) == ["s1", "s3"]


@pytest.mark.parametrize(
    "command",
    [
        EditStep("s1", title="Step 1", duration_s=600),
        EditStep("s1"),
        MoveStep("s2", 1),
        SetCurrent("s1", T0 + timedelta(minutes=5), expected_version=0),
    ],
)
def test_a_command_whose_outcome_holds_yields_nothing_whatever_its_version(command: Any) -> None:
    agenda = run(three(), FAC, SetCurrent("s1", T0))
    assert decide(agenda, FAC, command) == []


def test_finishing_a_finished_agenda_yields_nothing() -> None:
    agenda = run(three(), FAC, FinishAgenda(T0))
    assert decide(agenda, FAC, FinishAgenda(T0 + timedelta(minutes=1), expected_version=0)) == []


# -- several facilitators --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        AddStep("s9", "x", "input", expected_version=2),
        EditStep("s1", title="Neu", expected_version=2),
        RemoveStep("s1", expected_version=2),
        MoveStep("s1", 2, expected_version=2),
        SetCurrent("s2", T0, expected_version=2),
        FinishAgenda(T0, expected_version=2),
    ],
)
def test_a_stale_version_refuses_a_change(command: Any) -> None:
    agenda = three()
    assert agenda.version == 3
    refused(agenda, FAC, command, "stale_agenda")
    assert decide(agenda, FAC, command.__class__(**{**_fields(command), "expected_version": 3}))
    assert decide(agenda, FAC, command.__class__(**{**_fields(command), "expected_version": None}))


def _fields(command: Any) -> dict[str, Any]:
    return {name: getattr(command, name) for name in command.__dataclass_fields__}


def test_two_facilitators_editing_at_once() -> None:
    agenda = three()
    seen = agenda.version
    agenda = run(agenda, FAC, EditStep("s1", title="Ankommen", expected_version=seen))
    refused(agenda, FAC2, EditStep("s1", title="Begrüßung", expected_version=seen), "stale_agenda")
    assert agenda.steps[0].title == "Ankommen"


def test_a_double_next_moves_one_step() -> None:
    agenda = run(three(), FAC, NextStep(None, T0))
    assert agenda.current == "s1"
    pressed_on = agenda.current
    agenda = run(agenda, FAC, NextStep(pressed_on, T0 + timedelta(minutes=10)))
    refused(agenda, FAC2, NextStep(pressed_on, T0 + timedelta(minutes=10)), "step_moved")
    assert agenda.current == "s2"
    refused(agenda, FAC2, PreviousStep(pressed_on, T0), "step_moved")


def test_next_is_not_refused_by_an_unrelated_edit() -> None:
    agenda = run(three(), FAC, NextStep(None, T0))
    agenda = run(agenda, FAC2, EditStep("s3", note="Fragen sammeln"))
    assert run(agenda, FAC, NextStep("s1", T0)).current == "s2"


# -- steering --------------------------------------------------------------------------------


def test_next_previous_and_going_to_a_step_set_the_start_time() -> None:
    agenda = run(three(), FAC, NextStep(None, T0))
    assert (agenda.current, agenda.started_at) == ("s1", T0)
    t1 = T0 + timedelta(minutes=10)
    agenda = run(agenda, FAC, NextStep("s1", t1))
    assert (agenda.current, agenda.started_at) == ("s2", t1)
    t2 = t1 + timedelta(minutes=2)
    agenda = run(agenda, FAC, PreviousStep("s2", t2))
    assert (agenda.current, agenda.started_at) == ("s1", t2)
    t3 = t2 + timedelta(minutes=3)
    agenda = run(agenda, FAC, SetCurrent("s3", t3))
    assert (agenda.current, agenda.started_at) == ("s3", t3)
    assert agenda.version == 7


def test_the_ends_of_the_agenda() -> None:
    refused(Agenda("ev_1"), FAC, NextStep(None, T0), "no_next_step")
    agenda = three()
    refused(agenda, FAC, PreviousStep(None, T0), "no_previous_step")
    agenda = run(agenda, FAC, NextStep(None, T0))
    refused(agenda, FAC, PreviousStep("s1", T0), "no_previous_step")
    agenda = run(agenda, FAC, SetCurrent("s3", T0))
    refused(agenda, FAC, NextStep("s3", T0), "no_next_step")


def test_finishing_and_opening_again() -> None:
    agenda = run(three(), FAC, SetCurrent("s3", T0))
    t1 = T0 + timedelta(hours=1)
    agenda = run(agenda, FAC, FinishAgenda(t1))
    assert agenda.finished and agenda.finished_at == t1
    assert (agenda.current, agenda.started_at) == (None, None)
    refused(agenda, FAC, NextStep(None, t1), "agenda_finished")
    refused(agenda, FAC, PreviousStep(None, t1), "agenda_finished")
    refused(agenda, FAC, NextStep("s3", t1), "step_moved")
    agenda = run(agenda, FAC, SetCurrent("s2", t1))
    assert not agenda.finished and agenda.current == "s2"


def test_a_change_that_does_not_follow_is_not_applied() -> None:
    agenda = three()
    [event] = decide(agenda, FAC, AddStep("s9", "x", "input"))
    later = run(agenda, FAC, RemoveStep("s1"))
    with pytest.raises(DomainError) as info:
        apply(later, event)
    assert info.value.code == "stale_agenda"


def test_planned_length() -> None:
    assert three().planned_s == 1800


# -- random sequences ------------------------------------------------------------------------

# mostly commands that may pass, some that may not: the tables above cover each refusal
ACTORS = [FAC, FAC, FAC2, ORG, ANNA, OBS]
titles = st.sampled_from(["Begrüßung", "Pause", " Input ", "Gruppenarbeit", ""])
durations = st.sampled_from([0, 60, 900, 3600, 59])
kinds = st.sampled_from(["input", "plenary", "breakout", "voting", "break", "input", "lunch"])
versions = st.sampled_from(["now", "now", None, "stale"])
picks = st.integers(0, 11)  # an existing step mostly; 10 and 11: one that is not there


class AgendaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.agenda = three()
        self.clock = T0
        self.added = 0

    def version(self, which: str | None) -> int | None:
        return None if which is None else self.agenda.version - (which == "stale")

    def step(self, pick: int) -> str:
        steps = ids(self.agenda)
        return steps[pick % len(steps)] if steps and pick < 10 else f"missing_{pick}"

    def execute(self, actor: Actor, command: Any) -> bool:
        self.clock += timedelta(seconds=1)
        before = self.agenda
        try:
            events = decide(self.agenda, actor, command)
        except DomainError as exc:
            assert exc.code and exc.message
            assert actor.role.moderates or exc.code == "forbidden"
            return False
        assert self.agenda is before  # deciding changes nothing
        assert len(events) <= 1
        for event in events:
            self.agenda = apply(self.agenda, event)
            assert self.agenda.version == before.version + 1  # each accepted change counts up by one
            assert self.agenda != replace(before, version=self.agenda.version)  # and changes something
        if not events:
            assert self.agenda == before
        return bool(events)

    @rule(
        actor=st.sampled_from(ACTORS),
        again=st.booleans(),
        title=titles,
        kind=kinds,
        duration=durations,
        position=st.one_of(st.none(), st.integers(-1, 8)),
        version=versions,
    )
    def add(
        self, actor: Actor, again: bool, title: str, kind: str, duration: int, position: int | None, version: str | None
    ) -> None:
        step = self.step(0) if again else f"n{self.added}"  # sometimes an id that is taken
        if self.execute(
            actor, AddStep(step, title, kind, duration, position=position, expected_version=self.version(version))
        ):
            self.added += 1

    @rule(
        actor=st.sampled_from(ACTORS),
        pick=picks,
        title=st.one_of(st.none(), titles),
        duration=st.one_of(st.none(), durations),
        version=versions,
    )
    def edit(self, actor: Actor, pick: int, title: str | None, duration: int | None, version: str | None) -> None:
        self.execute(
            actor, EditStep(self.step(pick), title=title, duration_s=duration, expected_version=self.version(version))
        )

    @rule(actor=st.sampled_from(ACTORS), pick=picks, version=versions)
    def remove(self, actor: Actor, pick: int, version: str | None) -> None:
        self.execute(actor, RemoveStep(self.step(pick), expected_version=self.version(version)))

    @rule(actor=st.sampled_from(ACTORS), pick=picks, position=st.integers(-1, 8), version=versions)
    def move(self, actor: Actor, pick: int, position: int, version: str | None) -> None:
        self.execute(actor, MoveStep(self.step(pick), position, expected_version=self.version(version)))

    @rule(actor=st.sampled_from(ACTORS), pick=picks, version=versions)
    def go_to(self, actor: Actor, pick: int, version: str | None) -> None:
        self.execute(actor, SetCurrent(self.step(pick), self.clock, expected_version=self.version(version)))

    @rule(actor=st.sampled_from(ACTORS), back=st.booleans(), pick=st.one_of(st.none(), picks), current=st.booleans())
    def navigate(self, actor: Actor, back: bool, pick: int | None, current: bool) -> None:
        pressed_on = self.agenda.current if current or pick is None else self.step(pick)
        before = self.agenda.current
        self.execute(actor, (PreviousStep if back else NextStep)(pressed_on, self.clock))
        if pressed_on != before:
            assert self.agenda.current == before  # a press on another step moves nothing

    @rule(actor=st.sampled_from(ACTORS), version=versions)
    def finish(self, actor: Actor, version: str | None) -> None:
        self.execute(actor, FinishAgenda(self.clock, expected_version=self.version(version)))

    @invariant()
    def the_agenda_holds_together(self) -> None:
        steps = ids(self.agenda)
        assert len(steps) == len(set(steps)) <= STEPS_MAX
        assert self.agenda.current is None or self.agenda.current in steps
        assert (self.agenda.current is None) == (self.agenda.started_at is None)
        assert not (self.agenda.finished and self.agenda.current is not None)
        for step in self.agenda.steps:
            assert 1 <= len(step.title) <= 80 and step.title == step.title.strip()
            assert step.duration_s == 0 or 60 <= step.duration_s <= 8 * 3600
            assert isinstance(step.kind, StepKind)


TestAgendaMachine = AgendaMachine.TestCase
TestAgendaMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
