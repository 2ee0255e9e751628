"""The rules of a breakout round: tables of commands and their outcomes, then random command sequences."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from boards.actors import Actor, Role
from boards.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from rooms.breakouts import (
    AnswerHelp,
    Arrive,
    AskHelp,
    Assign,
    BreakoutEvent,
    BreakoutRoom,
    BreakoutRound,
    Choose,
    Close,
    Extend,
    HelpChanged,
    Leave,
    MemberMove,
    MembersPlaced,
    Mode,
    Move,
    Open,
    Prefer,
    PreferencesChanged,
    RoundChanged,
    RoundStatus,
    StartClose,
    WithdrawHelp,
    apply,
    decide,
    new_round,
    next_rotation,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
FAC = Actor("mb_fac", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
OBS = Actor("mb_obs", Role.OBSERVER)
PEOPLE = [f"mb_{i:02d}" for i in range(12)]


def rooms(*capacities: int | None, hosts: dict[int, str] | None = None) -> list[BreakoutRoom]:
    hosts = hosts or {}
    return [BreakoutRoom(f"br_{i}", f"Raum {i + 1}", capacity=c, host=hosts.get(i)) for i, c in enumerate(capacities)]


def a_round(*capacities: int | None, mode: Mode = Mode.AUTOMATIC, **kwargs: Any) -> BreakoutRound:
    hosts = kwargs.pop("hosts", None)
    return new_round(
        round_id="rd_1",
        event_id="ev_1",
        number=1,
        rooms=rooms(*(capacities or (None, None, None)), hosts=hosts),
        now=T0,
        mode=mode,
        **kwargs,
    )


def run(rnd: BreakoutRound, actor: Actor, command: Any) -> tuple[BreakoutRound, list[BreakoutEvent]]:
    before = copy.deepcopy(rnd)
    events = decide(rnd, actor, command)
    assert rnd == before  # deciding changes nothing
    for event in events:
        rnd = apply(rnd, event)
    return rnd, events


def refused(rnd: BreakoutRound, actor: Actor, command: Any) -> DomainError:
    before = copy.deepcopy(rnd)
    with pytest.raises(DomainError) as info:
        decide(rnd, actor, command)
    assert rnd == before
    return info.value


def opened(*capacities: int | None, mode: Mode = Mode.AUTOMATIC, present: list[str] = PEOPLE) -> BreakoutRound:
    rnd = a_round(*capacities, mode=mode, duration_s=900)
    rnd, _ = run(rnd, FAC, Open(T0, tuple(present)))
    return rnd


# -- creating a round ------------------------------------------------------------------------


def test_a_new_round_is_a_clean_draft() -> None:
    rnd = new_round(
        round_id="rd_1",
        event_id="ev_1",
        number=2,
        rooms=[BreakoutRoom("br_1", "  Mobilität  ", topic=" Radwege ", field="fld_mob", capacity=8)],
        now=T0,
        mode=Mode.PREFERENCE,
    )
    assert rnd.status is RoundStatus.DRAFT and rnd.mode is Mode.PREFERENCE and rnd.number == 2
    assert rnd.rooms == (BreakoutRoom("br_1", "Mobilität", "Radwege", "fld_mob", 8),)
    assert rnd.placement == {} and rnd.help_queue == () and rnd.seq == 0
    assert rnd.countdown_s == 60 and rnd.duration_s is None and rnd.created_at == T0


@pytest.mark.parametrize(
    ("room_list", "kwargs", "code"),
    [
        ([], {}, "no_rooms"),
        ([BreakoutRoom(f"br_{i}", f"R{i}") for i in range(101)], {}, "too_many_rooms"),
        ([BreakoutRoom("br_1", "A"), BreakoutRoom("br_1", "B")], {}, "duplicate_room"),
        ([BreakoutRoom("br_1", "Bildung"), BreakoutRoom("br_2", " bildung ")], {}, "duplicate_room"),
        ([BreakoutRoom("", "A")], {}, "duplicate_room"),
        ([BreakoutRoom("br_1", "   ")], {}, "text_too_short"),
        ([BreakoutRoom("br_1", "x" * 61)], {}, "text_too_long"),
        ([BreakoutRoom("br_1", "Raum\x07")], {}, "control_characters"),
        ([BreakoutRoom("br_1", "A", topic="t" * 201)], {}, "text_too_long"),
        ([BreakoutRoom("br_1", "A", capacity=0)], {}, "invalid_capacity"),
        ([BreakoutRoom("br_1", "A", capacity=501)], {}, "invalid_capacity"),
        ([BreakoutRoom("br_1", "A", host="m"), BreakoutRoom("br_2", "B", host="m")], {}, "duplicate_host"),
        ([BreakoutRoom("br_1", "A")], {"duration_s": 59}, "invalid_timer"),
        ([BreakoutRoom("br_1", "A")], {"duration_s": 4 * 3600 + 1}, "invalid_timer"),
        ([BreakoutRoom("br_1", "A")], {"countdown_s": 9}, "invalid_timer"),
        ([BreakoutRoom("br_1", "A")], {"countdown_s": 121}, "invalid_timer"),
        ([BreakoutRoom("br_1", "A")], {"number": 0}, "invalid_input"),
    ],
)
def test_bad_round_specs_are_refused(room_list: list[BreakoutRoom], kwargs: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {"round_id": "rd_1", "event_id": "ev_1", "number": 1, "rooms": room_list, "now": T0}
    with pytest.raises(InvalidInput) as info:
        new_round(**(args | kwargs))
    assert info.value.code == code


def test_the_limits_themselves_are_allowed() -> None:
    room_list = [BreakoutRoom(f"br_{i}", f"R{i}", capacity=500 if i else 1) for i in range(100)]
    rnd = new_round(
        round_id="rd", event_id="ev", number=1, rooms=room_list, now=T0, duration_s=4 * 3600, countdown_s=120
    )
    assert len(rnd.rooms) == 100
    new_round(round_id="rd", event_id="ev", number=1, rooms=room_list[:1], now=T0, duration_s=60, countdown_s=10)


# -- who may do what -------------------------------------------------------------------------

MODERATOR_COMMANDS = [
    Assign(Mode.AUTOMATIC, 1, tuple(PEOPLE)),
    Move("mb_01", "br_0"),
    Open(T0, tuple(PEOPLE)),
    Arrive("mb_01"),
    Leave("mb_01"),
    AnswerHelp("mb_01"),
    StartClose(T0),
    Close(T0),
    Extend(300, T0),
]


@pytest.mark.parametrize("command", MODERATOR_COMMANDS, ids=lambda c: type(c).__name__)
@pytest.mark.parametrize("actor", [ANNA, OBS], ids=lambda a: a.role.value)
def test_participants_cannot_run_the_round(command: Any, actor: Actor) -> None:
    for rnd in (a_round(), opened()):
        error = refused(rnd, actor, command)
        assert isinstance(error, Forbidden) and error.code == "forbidden"


@pytest.mark.parametrize("actor", [FAC, ORG], ids=lambda a: a.role.value)
def test_facilitators_and_organizers_run_it(actor: Actor) -> None:
    rnd, _ = run(a_round(), actor, Assign(Mode.AUTOMATIC, 1, tuple(PEOPLE)))
    rnd, _ = run(rnd, actor, Open(T0, tuple(PEOPLE)))
    rnd, _ = run(rnd, actor, Close(T0))
    assert rnd.status is RoundStatus.CLOSED


# -- the whole flow ---------------------------------------------------------------------------


def test_assign_open_count_down_and_close() -> None:
    rnd = a_round(duration_s=900, countdown_s=30)
    rnd, events = run(rnd, FAC, Assign(Mode.AUTOMATIC, 42, tuple(PEOPLE)))
    [placed] = events
    assert isinstance(placed, MembersPlaced) and placed.kind == "preview" and placed.seq == 1
    assert {m.member_id for m in placed.moves} == set(PEOPLE)
    assert sorted(rnd.sizes().values()) == [4, 4, 4] and rnd.status is RoundStatus.DRAFT
    preview = dict(rnd.placement)

    rnd, events = run(rnd, FAC, Open(T0, tuple(PEOPLE)))
    assert [type(e) for e in events] == [RoundChanged]  # the preview holds everyone present: nobody moves
    assert rnd.status is RoundStatus.OPEN and rnd.opened_at == T0 and rnd.ends_at == T0 + timedelta(seconds=900)
    assert rnd.placement == preview

    rnd, [changed] = run(rnd, FAC, StartClose(T0 + timedelta(minutes=10)))
    assert isinstance(changed, RoundChanged) and changed.kind == "closing"
    assert rnd.status is RoundStatus.CLOSING and rnd.closes_at == T0 + timedelta(minutes=10, seconds=30)

    rnd, events = run(rnd, FAC, Close(T0 + timedelta(minutes=11)))
    placed, changed = events
    assert isinstance(placed, MembersPlaced) and placed.kind == "closed"
    assert {(m.member_id, m.from_room, m.to_room) for m in placed.moves} == {(m, r, None) for m, r in preview.items()}
    assert isinstance(changed, RoundChanged) and changed.status is RoundStatus.CLOSED
    assert rnd.placement == {} and rnd.final_placement == preview
    assert rnd.closed_at == T0 + timedelta(minutes=11) and rnd.seq == 5


def test_the_same_seed_gives_the_same_preview() -> None:
    one, _ = run(a_round(), FAC, Assign(Mode.AUTOMATIC, 7, tuple(PEOPLE)))
    two, _ = run(a_round(), FAC, Assign(Mode.AUTOMATIC, 7, tuple(PEOPLE)))
    assert one.placement == two.placement


def test_open_places_latecomers_balanced_and_drops_the_absent() -> None:
    rnd, _ = run(a_round(), FAC, Assign(Mode.AUTOMATIC, 1, tuple(PEOPLE[:6])))
    gone = PEOPLE[0]
    present = (*PEOPLE[1:6], "mb_late1", "mb_late2", "mb_late3", "mb_late4")
    rnd, events = run(rnd, FAC, Open(T0, present))
    assert gone not in rnd.placement and set(rnd.placement) == set(present)
    assert sorted(rnd.sizes().values()) == [3, 3, 3]
    [placed] = [e for e in events if isinstance(e, MembersPlaced)]
    assert [m.to_room for m in placed.moves if m.member_id == gone] == [None]


def test_open_twice_is_refused_and_closed_rounds_stay_closed() -> None:
    rnd = opened()
    assert refused(rnd, FAC, Open(T0, ())).code == "already_open"
    rnd, _ = run(rnd, FAC, StartClose(T0))
    assert refused(rnd, FAC, Open(T0, ())).code == "already_open"
    rnd, _ = run(rnd, FAC, Close(T0))
    assert refused(rnd, FAC, Open(T0, ())).code == "round_closed"


@pytest.mark.parametrize(
    ("status", "command", "code"),
    [
        ("draft", StartClose(T0), "not_open"),
        ("draft", Close(T0), "not_open"),
        ("draft", Extend(300, T0), "not_open"),
        ("draft", AskHelp(), "not_open"),
        ("open", Assign(Mode.AUTOMATIC, 1, ()), "already_open"),
        ("closing", StartClose(T0), "already_closing"),
        ("closing", Extend(300, T0), "already_closing"),
        ("closed", Move("mb_01", "br_0"), "round_closed"),
        ("closed", Close(T0), "round_closed"),
        ("closed", AskHelp(), "round_closed"),
        ("closed", Assign(Mode.AUTOMATIC, 1, ()), "round_closed"),
    ],
)
def test_commands_out_of_their_status_are_refused(status: str, command: Any, code: str) -> None:
    rnd = a_round()
    if status != "draft":
        rnd, _ = run(rnd, FAC, Open(T0, tuple(PEOPLE)))
    if status in ("closing", "closed"):
        rnd, _ = run(rnd, FAC, StartClose(T0))
    if status == "closed":
        rnd, _ = run(rnd, FAC, Close(T0))
    actor = ANNA if isinstance(command, AskHelp) else FAC
    error = refused(rnd, actor, command)
    assert isinstance(error, Conflict) and error.code == code


def test_close_works_straight_from_open() -> None:
    rnd, _ = run(opened(), FAC, Close(T0))
    assert rnd.status is RoundStatus.CLOSED and rnd.closes_at is None and rnd.placement == {}


# -- moving and choosing ----------------------------------------------------------------------


def test_a_facilitator_moves_people_within_capacity() -> None:
    rnd = opened(2, None, present=["a", "b", "c"])
    assert rnd.placement == {"a": "br_0", "b": "br_1", "c": "br_0"}  # latecomers: least filled, then room order
    error = refused(rnd, FAC, Move("b", "br_0"))
    assert isinstance(error, Conflict) and error.code == "room_full"
    rnd, [event] = run(rnd, FAC, Move("a", None))
    assert isinstance(event, MembersPlaced) and event.kind == "moved"
    assert event.moves == (MemberMove("a", "br_0", None),) and "a" not in rnd.placement
    assert run(rnd, FAC, Move("a", None))[1] == []  # in the plenary already
    assert run(rnd, FAC, Move("c", "br_0"))[1] == []  # in that room already, even when it is full
    rnd, _ = run(rnd, FAC, Move("b", "br_0"))
    assert rnd.placement == {"b": "br_0", "c": "br_0"}
    error = refused(rnd, FAC, Move("a", "br_9"))
    assert isinstance(error, NotFound) and error.code == "no_such_room"


def test_moves_are_allowed_in_draft_and_while_closing() -> None:
    rnd, _ = run(a_round(), FAC, Move("x", "br_1"))
    assert rnd.placement == {"x": "br_1"}
    rnd, _ = run(rnd, FAC, Open(T0, ("x",)))
    rnd, _ = run(rnd, FAC, StartClose(T0))
    rnd, _ = run(rnd, FAC, Move("x", "br_2"))
    assert rnd.placement == {"x": "br_2"}


def test_self_select_participants_choose_their_own_room() -> None:
    rnd = opened(1, None, mode=Mode.SELF_SELECT, present=["mb_anna", "mb_ben"])
    assert rnd.placement == {}  # nobody is placed: everyone chooses
    rnd, [event] = run(rnd, ANNA, Choose("br_0"))
    assert isinstance(event, MembersPlaced) and event.kind == "chosen"
    assert rnd.placement == {"mb_anna": "br_0"}
    assert run(rnd, ANNA, Choose("br_0"))[1] == []
    error = refused(rnd, Actor("mb_ben", Role.PARTICIPANT), Choose("br_0"))
    assert isinstance(error, Conflict) and error.code == "room_full"
    assert refused(rnd, ANNA, Choose("br_7")).code == "no_such_room"
    rnd, _ = run(rnd, ANNA, Choose(None))
    assert rnd.placement == {}
    assert run(rnd, FAC, Arrive("mb_cem"))[1] == []  # latecomers choose too


def test_choosing_needs_self_select_and_an_open_or_draft_round() -> None:
    assert refused(opened(), ANNA, Choose("br_0")).code == "wrong_mode"
    draft = a_round(mode=Mode.SELF_SELECT)
    rnd, _ = run(draft, ANNA, Choose("br_1"))
    assert rnd.placement == {"mb_anna": "br_1"}
    rnd, _ = run(rnd, FAC, Open(T0, ("mb_anna", "mb_ben")))
    assert rnd.placement == {"mb_anna": "br_1"}  # the choice holds; Ben is in the plenary until he chooses
    rnd, _ = run(rnd, FAC, StartClose(T0))
    assert refused(rnd, ANNA, Choose("br_0")).code == "already_closing"


# -- preferences --------------------------------------------------------------------------------


def test_preferences_feed_the_preference_assignment() -> None:
    rnd = a_round(None, None, mode=Mode.PREFERENCE)
    rnd, [event] = run(rnd, ANNA, Prefer(("br_1", "br_0")))
    assert isinstance(event, PreferencesChanged) and event.room_ids == ("br_1", "br_0")
    assert rnd.preferences == {"mb_anna": ("br_1", "br_0")}
    assert run(rnd, ANNA, Prefer(("br_1", "br_0")))[1] == []
    rnd, _ = run(
        rnd, FAC, Assign(Mode.PREFERENCE, 3, ("mb_anna", "mb_ben", "mb_cem"), preferences={"mb_ben": ("br_1",)})
    )
    assert rnd.placement["mb_anna"] == "br_1" and rnd.placement["mb_ben"] == "br_1"
    assert rnd.placement["mb_cem"] == "br_0"
    rnd, _ = run(rnd, ANNA, Prefer(()))
    assert rnd.preferences == {}


@pytest.mark.parametrize(
    ("mode", "status", "choices", "code"),
    [
        (Mode.AUTOMATIC, "draft", ("br_0",), "wrong_mode"),
        (Mode.PREFERENCE, "open", ("br_0",), "already_open"),
        (Mode.PREFERENCE, "draft", ("br_9",), "no_such_room"),
        (Mode.PREFERENCE, "draft", ("br_0", "br_0"), "duplicate_room"),
    ],
)
def test_bad_preferences_are_refused(mode: Mode, status: str, choices: tuple[str, ...], code: str) -> None:
    rnd = a_round(mode=mode)
    if status == "open":
        rnd, _ = run(rnd, FAC, Open(T0, ()))
    assert refused(rnd, ANNA, Prefer(choices)).code == code


# -- assigning in each mode -------------------------------------------------------------------------


def test_each_mode_of_assign() -> None:
    members = tuple(PEOPLE[:6])
    rnd, events = run(a_round(2, None), FAC, Assign(Mode.MANUAL, 0, members, placement={"mb_00": "br_0"}))
    assert [type(e) for e in events] == [RoundChanged, MembersPlaced] and rnd.mode is Mode.MANUAL
    assert rnd.placement == {"mb_00": "br_0"}
    assert refused(rnd, FAC, Assign(Mode.MANUAL, 0, members, placement={m: "br_0" for m in members})).code == (
        "room_full"
    )
    assert refused(rnd, FAC, Assign(Mode.MANUAL, 0, members, placement={"mb_00": "br_5"})).code == "no_such_room"
    assert run(rnd, FAC, Assign(Mode.MANUAL, 0, members))[1] == []  # keeps the preview

    rnd, _ = run(rnd, FAC, Assign(Mode.REUSE, 0, members, previous={"mb_01": "br_1", "mb_02": "br_1"}))
    assert rnd.placement["mb_01"] == rnd.placement["mb_02"] == "br_1" and rnd.sizes()["br_0"] == 2

    rnd, _ = run(rnd, FAC, Assign(Mode.SELF_SELECT, 0, members))
    assert rnd.placement == {} and rnd.mode is Mode.SELF_SELECT

    history = ({m: "br_1" for m in members},)
    rnd, _ = run(rnd, FAC, Assign(Mode.ROTATION, 0, members, history=history))
    assert rnd.sizes() == {"br_0": 2, "br_1": 4}  # br_0 holds two; the rest cannot avoid each other

    assert refused(rnd, FAC, Assign(Mode.PREFERENCE, 0, members, max_per_room=0)).code == "invalid_capacity"


def test_hosts_go_to_their_rooms() -> None:
    rnd = a_round(None, None, hosts={0: "mb_00", 1: "mb_01"})
    for mode in (Mode.AUTOMATIC, Mode.PREFERENCE, Mode.REUSE, Mode.ROTATION, Mode.SELF_SELECT):
        placed, _ = run(rnd, FAC, Assign(mode, 5, tuple(PEOPLE), previous={"mb_00": "br_1"}))
        assert placed.placement["mb_00"] == "br_0" and placed.placement["mb_01"] == "br_1"
    rnd, _ = run(rnd, FAC, Open(T0, ("mb_05", "mb_01")))
    assert rnd.placement["mb_01"] == "br_1"
    rnd, _ = run(rnd, FAC, Arrive("mb_00"))
    assert rnd.placement["mb_00"] == "br_0"


# -- arriving, leaving, help ------------------------------------------------------------------------


def test_late_joiners_go_to_the_least_filled_room_with_space() -> None:
    rnd = opened(1, None, None, present=["a", "b", "c", "d"])
    assert sorted(rnd.sizes().values()) == [1, 1, 2]
    rnd, [event] = run(rnd, FAC, Arrive("e"))
    assert isinstance(event, MembersPlaced) and event.kind == "arrived"
    assert sorted(rnd.sizes().values()) == [1, 2, 2] and rnd.placement["e"] != "br_0"
    assert run(rnd, FAC, Arrive("e"))[1] == []  # placed already
    full = opened(1, present=["a"])
    assert run(full, FAC, Arrive("b"))[1] == []  # no room has space: the plenary
    assert run(a_round(), FAC, Arrive("b"))[1] == []  # in draft, Open places whoever is present


def test_leaving_takes_a_member_out_of_their_room_and_the_help_queue() -> None:
    rnd = opened(present=["mb_anna", "mb_ben"])
    rnd, _ = run(rnd, ANNA, AskHelp())
    rnd, events = run(rnd, FAC, Leave("mb_anna"))
    assert [type(e) for e in events] == [MembersPlaced, HelpChanged]
    assert "mb_anna" not in rnd.placement and rnd.help_queue == ()
    assert run(rnd, FAC, Leave("mb_anna"))[1] == []


def test_the_help_queue() -> None:
    ben = Actor("mb_ben", Role.PARTICIPANT)
    rnd = opened(present=["mb_anna", "mb_ben"])
    rnd, [event] = run(rnd, ANNA, AskHelp())
    assert isinstance(event, HelpChanged) and event.kind == "asked" and event.queue == ("mb_anna",)
    rnd, _ = run(rnd, ben, AskHelp())
    assert run(rnd, ANNA, AskHelp())[1] == [] and rnd.help_queue == ("mb_anna", "mb_ben")
    rnd, [event] = run(rnd, FAC, AnswerHelp("mb_anna"))
    assert isinstance(event, HelpChanged) and event.kind == "answered" and rnd.help_queue == ("mb_ben",)
    assert run(rnd, FAC, AnswerHelp("mb_anna"))[1] == []
    rnd, _ = run(rnd, ben, WithdrawHelp())
    assert rnd.help_queue == () and run(rnd, ben, WithdrawHelp())[1] == []
    rnd, _ = run(rnd, ben, AskHelp())
    rnd, events = run(rnd, FAC, Close(T0))
    assert any(isinstance(e, HelpChanged) and e.kind == "cleared" for e in events) and rnd.help_queue == ()


# -- time --------------------------------------------------------------------------------------------


def test_extending_the_round() -> None:
    rnd = opened()  # 15 minutes from T0
    rnd, [event] = run(rnd, FAC, Extend(300, T0 + timedelta(minutes=5)))
    assert isinstance(event, RoundChanged) and event.kind == "extended"
    assert rnd.ends_at == T0 + timedelta(minutes=20)
    rnd, _ = run(rnd, FAC, Extend(300, T0 + timedelta(minutes=30)))  # over already: from now
    assert rnd.ends_at == T0 + timedelta(minutes=35)
    for seconds in (59, 3601):
        assert refused(rnd, FAC, Extend(seconds, T0)).code == "invalid_timer"
    assert refused(rnd, FAC, Extend(3600, T0 + timedelta(hours=3, minutes=30))).code == "invalid_timer"  # past 4 h
    untimed, _ = run(a_round(), FAC, Open(T0, ()))
    untimed, _ = run(untimed, FAC, Extend(600, T0))
    assert untimed.ends_at == T0 + timedelta(minutes=10)


def test_apply_refuses_an_event_out_of_sequence() -> None:
    rnd = a_round()
    [event] = decide(rnd, FAC, Move("x", "br_0"))
    rnd = apply(rnd, event)
    with pytest.raises(Conflict):
        apply(rnd, event)


# -- World Café -----------------------------------------------------------------------------------------


def test_next_rotation_keeps_rooms_and_hosts_and_meets_new_people() -> None:
    hosts = {i: f"h{i}" for i in range(4)}
    first = a_round(None, None, None, None, hosts=hosts, duration_s=1200)
    members = tuple(f"h{i}" for i in range(4)) + tuple(f"p{i}" for i in range(12))
    rnd, _ = run(first, FAC, Assign(Mode.ROTATION, 1, members))
    rnd, _ = run(rnd, FAC, Open(T0, members))
    rnd, _ = run(rnd, FAC, Close(T0 + timedelta(minutes=20)))
    history: list[dict[str, str]] = []
    for k in range(2):
        draft = next_rotation(rnd, history, random.Random(k), T0 + timedelta(minutes=21 + k), f"rd_{k + 2}")
        assert draft.status is RoundStatus.DRAFT and draft.mode is Mode.ROTATION and draft.number == rnd.number + 1
        assert draft.rooms == rnd.rooms and draft.duration_s == 1200 and draft.seq == 0
        assert all(draft.placement[f"h{i}"] == f"br_{i}" for i in range(4))
        met = {frozenset(p) for past in [*history, rnd.final_placement] for p in _pairs(past)}
        assert not met & {frozenset(p) for p in _pairs(draft.placement)}
        history.append(rnd.final_placement)
        rnd, _ = run(draft, FAC, Open(T0, members))
        rnd, _ = run(rnd, FAC, Close(T0))


def _pairs(placement: dict[str, str]) -> list[tuple[str, str]]:
    tables: dict[str, list[str]] = {}
    for m, r in placement.items():
        tables.setdefault(r, []).append(m)
    return [p for t in tables.values() for p in combinations(sorted(t), 2)]


# -- random command sequences ------------------------------------------------------------------------

MEMBERS = ["mb_a", "mb_b", "mb_c", "mb_d", "mb_e", "mb_f", "mb_g"]
ACTORS = [Actor(m, Role.PARTICIPANT) for m in MEMBERS[:5]] + [Actor(MEMBERS[5], Role.OBSERVER), FAC, ORG]
ROOM_IDS = ["br_0", "br_1", "br_2", "br_x"]
rooms_or_none = st.one_of(st.none(), st.sampled_from(ROOM_IDS))
some_members = st.lists(st.sampled_from(MEMBERS), max_size=7).map(tuple)

moderator_commands = st.one_of(
    st.builds(
        Assign,
        mode=st.sampled_from(list(Mode)),
        seed=st.integers(0, 3),
        members=some_members,
        previous=st.one_of(st.none(), st.dictionaries(st.sampled_from(MEMBERS), st.sampled_from(ROOM_IDS))),
        history=st.lists(st.dictionaries(st.sampled_from(MEMBERS), st.sampled_from(ROOM_IDS)), max_size=2).map(tuple),
        placement=st.one_of(st.none(), st.dictionaries(st.sampled_from(MEMBERS), st.sampled_from(ROOM_IDS))),
        max_per_room=st.one_of(st.none(), st.integers(0, 3)),
    ),
    st.builds(Move, member_id=st.sampled_from(MEMBERS), room_id=rooms_or_none),
    st.builds(Open, now=st.just(T0), present=some_members),
    st.builds(Arrive, member_id=st.sampled_from(MEMBERS)),
    st.builds(Leave, member_id=st.sampled_from(MEMBERS)),
    st.builds(AnswerHelp, member_id=st.sampled_from(MEMBERS)),
    st.builds(StartClose, now=st.just(T0)),
    st.builds(Close, now=st.just(T0)),
    st.builds(Extend, seconds=st.sampled_from([60, 600, 5000]), now=st.just(T0)),
)
participant_commands = st.one_of(
    st.builds(Choose, room_id=rooms_or_none),
    st.builds(Prefer, room_ids=st.lists(st.sampled_from(ROOM_IDS), max_size=3).map(tuple)),
    st.builds(AskHelp),
    st.builds(WithdrawHelp),
)

ORDER = [RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSING, RoundStatus.CLOSED]


class RoundMachine(RuleBasedStateMachine):
    @initialize(
        capacities=st.lists(st.one_of(st.none(), st.integers(1, 2)), min_size=1, max_size=3),
        mode=st.sampled_from(list(Mode)),
        host=st.one_of(st.none(), st.sampled_from(MEMBERS)),
    )
    def start(self, capacities: list[int | None], mode: Mode, host: str | None) -> None:
        self.round = a_round(*capacities, mode=mode, hosts={0: host} if host else None)
        self.events = 0

    @rule(command=moderator_commands)
    def facilitate(self, command: Any) -> None:
        self.act(FAC, command)

    @rule(actor=st.sampled_from(ACTORS), command=participant_commands)
    def participate(self, actor: Actor, command: Any) -> None:
        self.act(actor, command)

    @rule(actor=st.sampled_from(ACTORS), room_id=rooms_or_none, ranked=st.lists(st.sampled_from(ROOM_IDS), max_size=3))
    def choose_or_prefer(self, actor: Actor, room_id: str | None, ranked: list[str]) -> None:
        if self.round.mode is Mode.PREFERENCE:
            self.act(actor, Prefer(tuple(dict.fromkeys(ranked))))
        else:
            self.act(actor, Choose(room_id))

    @rule(actor=st.sampled_from(ACTORS), command=st.one_of(moderator_commands, participant_commands))
    def anyone(self, actor: Actor, command: Any) -> None:
        self.act(actor, command)

    @rule(room_id=st.sampled_from(ROOM_IDS[:2]), members=some_members, chooser=st.booleans())
    def crowd(self, room_id: str, members: tuple[str, ...], chooser: bool) -> None:
        """Many into one room: by a facilitator's moves, or by their own choice."""
        for member in members:
            if chooser:
                self.act(Actor(member, Role.PARTICIPANT), Choose(room_id))
            else:
                self.act(FAC, Move(member, room_id))

    def act(self, actor: Actor, command: Any) -> None:
        before = copy.deepcopy(self.round)
        try:
            events = decide(self.round, actor, command)
        except DomainError as exc:
            assert exc.code and exc.message
            assert self.round == before
            return
        assert self.round == before  # deciding alone changes nothing
        if not actor.role.moderates:
            assert isinstance(command, (Choose, Prefer, AskHelp, WithdrawHelp))
            for event in events:  # a participant changes only their own things
                if isinstance(event, MembersPlaced):
                    assert {m.member_id for m in event.moves} == {actor.member_id}
                if isinstance(event, (PreferencesChanged, HelpChanged)):
                    assert event.member_id == actor.member_id
        status = self.round.status
        for event in events:
            self.round = apply(self.round, event)
        self.events += len(events)
        assert ORDER.index(self.round.status) >= ORDER.index(status)  # the status only moves forward

    @invariant()
    def rooms_hold_no_more_than_they_may(self) -> None:
        rnd = self.round
        assert rnd.seq == self.events
        known = {r.id: r.capacity for r in rnd.rooms}
        assert set(rnd.placement.values()) <= set(known)  # each member in one existing room at most
        for room_id, size in rnd.sizes().items():
            capacity = known[room_id]
            assert capacity is None or size <= capacity
        assert len(rnd.help_queue) == len(set(rnd.help_queue))
        if rnd.status is RoundStatus.CLOSED:
            assert rnd.placement == {} and rnd.help_queue == ()
        if rnd.status is RoundStatus.DRAFT:
            assert rnd.help_queue == () and rnd.opened_at is None
        for choices in rnd.preferences.values():
            assert choices and set(choices) <= set(known) and len(set(choices)) == len(choices)


TestRoundMachine = RoundMachine.TestCase
TestRoundMachine.settings = settings(max_examples=120, stateful_step_count=30, deadline=None)
