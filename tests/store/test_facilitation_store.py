"""Breakouts and facilitation in the idea store, on SQLite and PostgreSQL: what the domain decided
reads back the same, stale commits change nothing, and the keys hold what the rules promise."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from boards.actors import Actor, Role
from boards.commands import PostIdea
from boards.curation import ReviewStatus
from boards.errors import Conflict, NotFound
from boards.rules import apply as apply_board
from boards.rules import decide as decide_board
from rooms import agenda as ag
from rooms import chat as ch
from rooms import questions as qs
from rooms.audit import audit_entry
from rooms.breakouts import (
    Arrive,
    AskHelp,
    Assign,
    BreakoutCommand,
    BreakoutRoom,
    BreakoutRound,
    Close,
    Extend,
    Leave,
    Mode,
    Move,
    Open,
    Prefer,
    RoundStatus,
    StartClose,
    apply,
    decide,
    new_round,
    next_rotation,
)
from rooms.members import Member
from server.ids import new_id, token_hash
from server.live.views import record
from server.store import tables as t
from server.store.curation import IdeaFilter
from server.store.db import _alembic_config, create_engine, head_revision, migrate, schema_revision
from server.store.idea_store import IdeaStore, Room

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


class Event:
    """An event with a facilitator and six participants."""

    def __init__(self, event_id: str, fac: Member, people: list[Member]) -> None:
        self.id, self.fac, self.people = event_id, fac, people
        self.actor = Actor(fac.id, fac.role)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.people)


async def new_event(store: IdeaStore, username: str = "orga") -> Event:
    organizer = await store.organizer_by_username(username) or await store.create_organizer(username, "hash")
    event = await store.create_event(
        organizer.id, title="Werkstatt", description="", date=date(2026, 5, 6), language="de", field_names=["Mobilität"]
    )
    fac = await store.create_member(event.id, Role.FACILITATOR, "Fatma", "red", token_hash(f"{event.id}-fac"))
    people = [
        await store.create_member(event.id, Role.PARTICIPANT, f"P{i}", "blue", token_hash(f"{event.id}-{i}"))
        for i in range(6)
    ]
    return Event(event.id, fac, people)


def breakout_rooms(*names: str, capacity: int | None = None) -> list[BreakoutRoom]:
    return [BreakoutRoom(new_id("rm"), name, topic=f"Über {name}", capacity=capacity) for name in names]


async def step(store: IdeaStore, rnd: BreakoutRound, actor: Actor, command: BreakoutCommand) -> BreakoutRound:
    """Decide, apply and commit one command, as the live core does."""
    events = decide(rnd, actor, command)
    after = rnd
    for event in events:
        after = apply(after, event)
    await store.commit_round(rnd, events, after)
    return after


# -- breakout rounds -------------------------------------------------------------------------


async def test_a_round_reads_back_as_decided_through_assign_open_move_and_close(store: IdeaStore) -> None:
    ev = await new_event(store)
    rnd = new_round(
        round_id=new_id("br"),
        event_id=ev.id,
        number=await store.next_round_number(ev.id),
        rooms=[*breakout_rooms("Radverkehr", "Schulen"), BreakoutRoom(new_id("rm"), "Energie", capacity=2)],
        now=T0,
        duration_s=900,
    )
    await store.create_round(rnd)
    assert await store.load_round(rnd.id) == rnd
    assert await store.open_round(ev.id) is None

    rnd = await step(store, rnd, ev.actor, Assign(Mode.AUTOMATIC, seed=7, members=ev.ids[:5]))
    assert await store.load_round(rnd.id) == rnd and len(rnd.placement) == 5
    first, second = rnd.rooms[0].id, rnd.rooms[1].id
    rnd = await step(store, rnd, ev.actor, Move(ev.ids[0], second))
    rnd = await step(store, rnd, ev.actor, Open(T0, present=ev.ids))  # the sixth is placed on opening
    assert rnd.status is RoundStatus.OPEN and len(rnd.placement) == 6
    assert await store.load_round(rnd.id) == rnd
    assert await store.open_round(ev.id) == rnd

    rnd = await step(store, rnd, ev.actor, Move(ev.ids[0], first))
    rnd = await step(store, rnd, ev.actor, Leave(ev.ids[1]))
    rnd = await step(store, rnd, Actor(ev.ids[2], Role.PARTICIPANT), AskHelp())
    assert rnd.help_queue == (ev.ids[2],)
    rnd = await step(store, rnd, ev.actor, Arrive(ev.ids[1]))
    rnd = await step(store, rnd, ev.actor, Extend(600, T0 + timedelta(minutes=5)))
    assert await store.load_round(rnd.id) == rnd  # the help queue too: an acknowledged call for help stays
    placed_when_closing = dict(rnd.placement)
    rnd = await step(store, rnd, ev.actor, StartClose(T0 + timedelta(minutes=20)))
    assert (await store.open_round(ev.id)) == (rnd)  # closing counts as open
    rnd = await step(store, rnd, ev.actor, Close(T0 + timedelta(minutes=21)))

    reloaded = await store.load_round(rnd.id)
    assert reloaded == rnd
    assert reloaded.placement == {} and reloaded.final_placement == placed_when_closing
    assert reloaded.seq == rnd.seq and reloaded.ends_at == T0 + timedelta(minutes=25)
    assert await store.open_round(ev.id) is None
    assert await store.final_placements(ev.id) == [placed_when_closing]
    assert await store.next_round_number(ev.id) == 2
    assert await store.rounds_of(ev.id) == [rnd]


async def test_topic_choices_read_back_in_their_order(store: IdeaStore) -> None:
    ev = await new_event(store)
    rooms = breakout_rooms("A", "B", "C")
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=rooms, now=T0, mode=Mode.PREFERENCE)
    await store.create_round(rnd)
    anna, ben = (Actor(m, Role.PARTICIPANT) for m in ev.ids[:2])
    rnd = await step(store, rnd, anna, Prefer((rooms[2].id, rooms[0].id)))
    rnd = await step(store, rnd, ben, Prefer((rooms[1].id,)))
    rnd = await step(store, rnd, anna, Prefer((rooms[0].id, rooms[1].id, rooms[2].id)))
    rnd = await step(store, rnd, ben, Prefer(()))  # taken back
    assert (await store.load_round(rnd.id)).preferences == {anna.member_id: (rooms[0].id, rooms[1].id, rooms[2].id)}
    rnd = await step(store, rnd, ev.actor, Assign(Mode.PREFERENCE, seed=1, members=ev.ids))
    assert await store.load_round(rnd.id) == rnd


async def test_rooms_of_lists_the_plenary_then_the_breakout_rooms_with_their_settings(store: IdeaStore) -> None:
    ev = await new_event(store)
    plenary = await store.plenary(ev.id)
    rooms = [
        BreakoutRoom(new_id("rm"), "Radverkehr", topic="Wege", capacity=5, host=ev.ids[0]),
        BreakoutRoom(new_id("rm"), "Schulen"),
    ]
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=rooms, now=T0)
    await store.create_round(rnd)
    listed = await store.rooms_of(ev.id)
    assert listed[0] == plenary == Room(plenary.id, ev.id, "plenary", "Plenum")
    assert listed[1:] == [
        Room(rooms[0].id, ev.id, "breakout", "Radverkehr", rnd.id, 0, "Wege", None, 5, ev.ids[0]),
        Room(rooms[1].id, ev.id, "breakout", "Schulen", rnd.id, 1),
    ]
    assert await store.room(rooms[0].id) == listed[1]
    with pytest.raises(NotFound):
        await store.room("rm_nope")
    other = await new_event(store)
    assert [r.kind for r in await store.rooms_of(other.id)] == ["plenary"]


async def test_a_commit_on_a_stale_round_is_refused_and_changes_nothing(store: IdeaStore) -> None:
    ev = await new_event(store)
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=breakout_rooms("A", "B"), now=T0)
    await store.create_round(rnd)
    node_a = await store.load_round(rnd.id)
    node_b = await store.load_round(rnd.id)
    room_a, room_b = rnd.rooms[0].id, rnd.rooms[1].id
    after_a = await step(store, node_a, ev.actor, Move(ev.ids[0], room_a))
    with pytest.raises(Conflict) as info:
        await step(store, node_b, ev.actor, Move(ev.ids[0], room_b))
    assert info.value.code == "stale_round"
    assert await store.load_round(rnd.id) == after_a

    # the node reloads and decides again
    node_b = await store.load_round(rnd.id)
    after_b = await step(store, node_b, ev.actor, Move(ev.ids[0], room_b))
    assert (await store.load_round(rnd.id)).placement == after_b.placement == {ev.ids[0]: room_b}


async def test_two_commits_racing_from_one_round_place_a_member_once(store: IdeaStore) -> None:
    """Two nodes put the same member into different rooms at the same moment: one commit wins whole."""
    ev = await new_event(store)
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=breakout_rooms("A", "B"), now=T0)
    await store.create_round(rnd)
    member = ev.ids[0]
    outcomes = await asyncio.gather(
        step(store, rnd, ev.actor, Move(member, rnd.rooms[0].id)),
        step(store, rnd, ev.actor, Move(member, rnd.rooms[1].id)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, BreakoutRound)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1 and lost[0].code == "stale_round"
    assert await store.load_round(rnd.id) == won[0]
    assert len(won[0].placement) == 1


async def test_the_key_keeps_a_member_in_one_room_of_a_round(store: IdeaStore) -> None:
    ev = await new_event(store)
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=breakout_rooms("A", "B"), now=T0)
    await store.create_round(rnd)
    rnd = await step(store, rnd, ev.actor, Move(ev.ids[0], rnd.rooms[0].id))
    row = {"round_id": rnd.id, "member_id": ev.ids[0], "room_id": rnd.rooms[1].id}
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(t.breakout_placements.insert().values(**row))
    # nor into a room that is not the round's
    other = {"round_id": rnd.id, "member_id": ev.ids[1], "room_id": (await store.plenary(ev.id)).id}
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(t.breakout_placements.insert().values(**other))
    assert await store.load_round(rnd.id) == rnd


async def test_one_round_of_an_event_is_open_at_a_time(store: IdeaStore) -> None:
    ev = await new_event(store)
    first = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=breakout_rooms("A"), now=T0)
    second = new_round(round_id=new_id("br"), event_id=ev.id, number=2, rooms=breakout_rooms("B"), now=T0)
    await store.create_round(first)
    await store.create_round(second)
    first = await step(store, first, ev.actor, Open(T0, present=ev.ids))
    with pytest.raises(Conflict) as info:
        await step(store, second, ev.actor, Open(T0, present=ev.ids))
    assert info.value.code == "already_open"
    assert await store.load_round(second.id) == second
    # a round of the same number made meanwhile by another node
    with pytest.raises(Conflict) as info:
        await store.create_round(replace(second, id=new_id("br")))
    assert info.value.code == "stale_round"
    # another event's round opens beside it
    other = await new_event(store)
    third = new_round(round_id=new_id("br"), event_id=other.id, number=1, rooms=breakout_rooms("C"), now=T0)
    await store.create_round(third)
    await step(store, third, other.actor, Open(T0, present=other.ids))
    await step(store, first, ev.actor, Close(T0))
    second = await step(store, second, ev.actor, Open(T0, present=ev.ids))
    assert await store.open_round(ev.id) == second


async def test_a_world_cafe_round_uses_the_rooms_again_and_the_history_survives_a_restart(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    ev = await new_event(store)
    tables = [BreakoutRoom(new_id("rm"), f"Tisch {i}", host=ev.ids[i]) for i in range(3)]
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=tables, now=T0, mode=Mode.ROTATION)
    await store.create_round(rnd)
    board_id = await store.create_board(ev.id, tables[0].id, "Tisch 1")
    rnd = await step(store, rnd, ev.actor, Assign(Mode.ROTATION, seed=3, members=ev.ids))
    rnd = await step(store, rnd, ev.actor, Open(T0, present=ev.ids))
    rnd = await step(store, rnd, ev.actor, Close(T0 + timedelta(minutes=20)))
    await store.close()

    engine = create_engine(database_url)  # a restart
    await migrate(engine)
    store = IdeaStore(engine)
    try:
        history = await store.final_placements(ev.id)
        assert history == [rnd.final_placement]
        previous = await store.load_round(rnd.id)
        nxt = next_rotation(previous, history[:-1], random.Random(4), T0 + timedelta(minutes=25), new_id("br"))
        assert nxt.number == await store.next_round_number(ev.id) == 2
        await store.create_round(nxt)
        assert await store.load_round(nxt.id) == nxt
        assert await store.load_round(rnd.id) == rnd  # the first round is as it was
        rooms = await store.rooms_of(ev.id)
        assert [r.id for r in rooms[1:]] == [r.id for r in tables]  # the same tables, not new ones
        assert all(r.round_id == rnd.id for r in rooms[1:])
        assert await store.board_ids(tables[0].id) == [board_id]  # with their boards
        for member_id, room_id in nxt.placement.items():  # hosts stay, the others move on
            assert (room_id == previous.final_placement[member_id]) == (member_id in previous.hosts.values())
    finally:
        await store.close()


async def test_what_the_breakout_rooms_collected_comes_back_to_the_plenary(store: IdeaStore) -> None:
    ev = await new_event(store)
    rooms = breakout_rooms("A", "B")
    rnd = new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=rooms, now=T0)
    await store.create_round(rnd)
    board_a = await store.create_board(ev.id, rooms[0].id, "Ideen A")
    board_b = await store.create_board(ev.id, rooms[1].id, "Ideen B")
    authors = {m.id: m for m in ev.people}
    anna = Actor(ev.ids[0], Role.PARTICIPANT)

    async def post(board_id: str, idea_id: str, at: datetime) -> None:
        board = await store.load_board(board_id)
        events = decide_board(board, anna, PostIdea(idea_id, board.columns[0].id, f"Idee {idea_id}", at))
        await store.commit_board_events(board, events, [record(board, e, authors) for e in events])
        for event in events:
            apply_board(board, event)

    await post(board_a, "idea_early", T0 - timedelta(minutes=1))  # before the round opened
    rnd = await step(store, rnd, ev.actor, Open(T0, present=ev.ids))
    await post(board_a, "idea_1", T0 + timedelta(minutes=1))
    await post(board_a, "idea_2", T0 + timedelta(minutes=2))
    await post(board_b, "idea_3", T0 + timedelta(minutes=3))
    rnd = await step(store, rnd, ev.actor, Close(T0 + timedelta(minutes=10)))

    summaries = await store.room_summaries(ev.id)
    assert [(s.room.name, [(b.board_id, b.title, b.ideas) for b in s.boards]) for s in summaries] == [
        ("A", [(board_a, "Ideen A", 3)]),
        ("B", [(board_b, "Ideen B", 1)]),
    ]
    ideas = await store.ideas_of_round(rnd.id)
    assert [(i["id"], i["room_id"]) for i in ideas] == [
        ("idea_1", rooms[0].id),
        ("idea_2", rooms[0].id),
        ("idea_3", rooms[1].id),
    ]
    draft = new_round(round_id=new_id("br"), event_id=ev.id, number=2, rooms=breakout_rooms("C"), now=T0)
    await store.create_round(draft)
    assert await store.ideas_of_round(draft.id) == []


# -- agenda ----------------------------------------------------------------------------------


async def commit_agenda(store: IdeaStore, agenda: ag.Agenda, actor: Actor, command: ag.Command) -> ag.Agenda:
    after = agenda
    for event in ag.decide(agenda, actor, command):
        after = ag.apply(after, event)
    await store.commit_agenda(agenda, after)
    return after


async def test_an_agenda_reads_back_as_decided_and_a_stale_version_is_refused(store: IdeaStore) -> None:
    ev = await new_event(store)
    agenda = await store.load_agenda(ev.id)
    assert agenda == ag.Agenda(ev.id)
    agenda = await commit_agenda(store, agenda, ev.actor, ag.AddStep("st_1", "Begrüßung", "plenary", 600))
    agenda = await commit_agenda(store, agenda, ev.actor, ag.AddStep("st_2", "Ideen", "input", 1800, "Still"))
    agenda = await commit_agenda(store, agenda, ev.actor, ag.AddStep("st_0", "Ankommen", "break", position=0))
    agenda = await commit_agenda(store, agenda, ev.actor, ag.NextStep(None, T0))
    assert await store.load_agenda(ev.id) == agenda
    assert [s.id for s in agenda.steps] == ["st_0", "st_1", "st_2"] and agenda.version == 4

    seen = agenda  # another facilitator's screen
    agenda = await commit_agenda(store, agenda, ev.actor, ag.MoveStep("st_2", 0))
    with pytest.raises(Conflict) as info:
        await commit_agenda(store, seen, ev.actor, ag.RemoveStep("st_1"))
    assert info.value.code == "stale_agenda"
    assert await store.load_agenda(ev.id) == agenda

    agenda = await commit_agenda(store, agenda, ev.actor, ag.FinishAgenda(T0 + timedelta(hours=1)))
    assert await store.load_agenda(ev.id) == agenda and agenda.finished
    other = await new_event(store)
    assert await store.load_agenda(other.id) == ag.Agenda(other.id)  # each event its own


async def test_two_first_agenda_commits_race_and_one_wins(store: IdeaStore) -> None:
    ev = await new_event(store)
    empty = await store.load_agenda(ev.id)
    outcomes = await asyncio.gather(
        commit_agenda(store, empty, ev.actor, ag.AddStep("st_a", "A", "input")),
        commit_agenda(store, empty, ev.actor, ag.AddStep("st_b", "B", "input")),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, ag.Agenda)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and [c.code for c in lost] == ["stale_agenda"]
    assert await store.load_agenda(ev.id) == won[0]


# -- chat ------------------------------------------------------------------------------------


async def chat_step(store: IdeaStore, chat: ch.Chat, actor: Actor, command: ch.Command) -> ch.Chat:
    for event in ch.decide(chat, actor, command):
        if isinstance(event, ch.MessagePosted):
            await store.add_message(event.message)
        elif isinstance(event, ch.MessageModerated):
            await store.set_message_hidden(event.message.room_id, event.message.id, event.message.hidden)
        else:
            await store.set_silenced(chat.event_id, event.member_id, event.silenced)
        chat = ch.apply(chat, event)
    return chat


async def test_chat_messages_hiding_and_silencing_read_back(store: IdeaStore) -> None:
    ev = await new_event(store)
    plenary = (await store.plenary(ev.id)).id
    room = breakout_rooms("A")[0]
    await store.create_round(new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=[room], now=T0))
    anna, ben = (Actor(m, Role.PARTICIPANT) for m in ev.ids[:2])
    chat = await store.load_chat(ev.id)
    assert chat == ch.Chat(ev.id)
    for n in range(5):
        at = T0 + timedelta(seconds=n)
        chat = await chat_step(store, chat, anna, ch.PostMessage(f"msg_{n}", plenary, f"Hallo {n}", at))
    chat = await chat_step(store, chat, ben, ch.PostMessage("msg_0", room.id, "Im Raum", T0))  # ids are per room
    chat = await chat_step(store, chat, ev.actor, ch.HideMessage(plenary, "msg_1", True, T0))
    chat = await chat_step(store, chat, ev.actor, ch.SilenceMember(anna, True, T0))
    chat = await chat_step(store, chat, ev.actor, ch.SilenceMember(ben, True, T0))
    chat = await chat_step(store, chat, ev.actor, ch.SilenceMember(ben, False, T0))

    assert await store.messages(plenary) == list(chat.history(plenary).messages)
    assert [m.id for m in await store.messages(plenary, limit=2)] == ["msg_3", "msg_4"]  # the last two, oldest first
    assert [m.hidden for m in await store.messages(plenary)] == [False, True, False, False, False]
    assert await store.silenced(ev.id) == frozenset({anna.member_id})
    loaded = await store.load_chat(ev.id)
    assert {h.room_id: h for h in loaded.rooms} == {h.room_id: h for h in chat.rooms}
    assert loaded.silenced == chat.silenced
    with pytest.raises(Conflict):
        await store.add_message(chat.history(plenary).messages[0])
    with pytest.raises(NotFound):
        await store.set_message_hidden(room.id, "msg_4", True)
    assert await store.silenced((await new_event(store)).id) == frozenset()


async def test_the_loaded_chat_keeps_the_last_messages_of_each_room(store: IdeaStore) -> None:
    ev = await new_event(store)
    plenary = (await store.plenary(ev.id)).id
    anna = Actor(ev.ids[0], Role.PARTICIPANT)
    chat = ch.Chat(ev.id)
    for n in range(ch.HISTORY_MAX + 3):
        chat = await chat_step(store, chat, anna, ch.PostMessage(f"m{n:04d}", plenary, "x", T0 + timedelta(seconds=n)))
    loaded = await store.load_chat(ev.id)
    assert loaded == chat
    assert len(await store.messages(plenary, limit=1000)) == ch.HISTORY_MAX + 3  # the store keeps them all


async def test_messages_added_together_are_stored_all_or_none(store: IdeaStore) -> None:
    ev = await new_event(store)
    plenary = (await store.plenary(ev.id)).id
    room = breakout_rooms("A")[0]
    await store.create_round(new_round(round_id=new_id("br"), event_id=ev.id, number=1, rooms=[room], now=T0))
    anna, ben, cem = ev.ids[:3]

    def message(n: int, author: str, room_id: str = plenary) -> ch.Message:
        return ch.Message(f"msg_{n}", room_id, author, f"Hallo {n}", T0 + timedelta(seconds=n))

    first = [message(0, anna), message(1, ben, room.id), message(2, cem), message(3, anna)]
    assert await store.add_messages(first) is None  # who is silenced: not asked
    assert await store.messages(plenary) == [first[0], first[2], first[3]]
    assert await store.messages(room.id) == [first[1]]
    assert (await store.load_chat(ev.id)).history(plenary).messages == (first[0], first[2], first[3])

    # an id the room has already: a Conflict, and none of the others is stored
    with pytest.raises(Conflict):
        await store.add_messages([message(4, anna), replace(first[2], text="noch mal"), message(5, ben)])
    with pytest.raises(Conflict):  # an id twice in one room
        await store.add_messages([message(4, anna), message(5, ben), replace(message(5, cem), text="Ich auch")])
    # a room that is gone (or never was): NotFound, none stored
    with pytest.raises(NotFound):
        await store.add_messages([message(6, anna), message(7, ben, "rm_gone")])
    assert await store.messages(plenary) == [first[0], first[2], first[3]]
    assert await store.messages(room.id) == [first[1]]
    assert await store.add_messages([]) is None

    # with the event: those silenced meanwhile (on another node) are left out, and who is silenced is returned
    await store.set_silenced(ev.id, ben, True)
    later = [message(8, anna), message(9, ben), message(10, cem, room.id)]
    assert await store.add_messages(later, ev.id) == frozenset({ben})
    assert [m.id for m in await store.messages(plenary)] == ["msg_0", "msg_2", "msg_3", "msg_8"]
    assert [m.id for m in await store.messages(room.id)] == ["msg_1", "msg_10"]
    assert await store.add_messages([message(11, ben)], ev.id) == frozenset({ben})
    assert len(await store.messages(plenary)) == 4


# -- questions -------------------------------------------------------------------------------


async def question_step(
    store: IdeaStore, state: qs.Questions, actor: Actor, command: qs.Command, *, diff: bool = True
) -> qs.Questions:
    for event in qs.decide(state, actor, command):
        if isinstance(event, qs.PinChanged):
            await store.set_pinned(state.event_id, event.question_id)
        else:
            before = None if event.kind == "asked" or not diff else state.get(event.question.id)
            await store.commit_question(state.event_id, event.question, before)
        state = qs.apply(state, event)
    return state


async def test_questions_upvotes_and_the_pin_read_back(store: IdeaStore) -> None:
    ev = await new_event(store)
    anna, ben, cem = (Actor(m, Role.PARTICIPANT) for m in ev.ids[:3])
    state = await store.load_questions(ev.id)
    assert state == qs.Questions(ev.id)
    state = await question_step(store, state, anna, qs.AskQuestion("q_1", "Wann kommt der Radweg?", T0))
    state = await question_step(store, state, ben, qs.AskQuestion("q_2", "Wer zahlt?", T0, anonymous=True))
    state = await question_step(store, state, ben, qs.Upvote("q_1", T0))
    state = await question_step(store, state, cem, qs.Upvote("q_1", T0))
    state = await question_step(store, state, anna, qs.Upvote("q_2", T0))
    state = await question_step(store, state, cem, qs.WithdrawUpvote("q_1", T0))
    state = await question_step(store, state, ev.actor, qs.PinQuestion("q_1", T0))
    assert await store.load_questions(ev.id) == state
    assert state.get("q_1").votes == 1 and state.pinned == "q_1"

    state = await question_step(store, state, ev.actor, qs.MarkAnswered("q_1", True, T0))  # unpins it
    state = await question_step(store, state, ev.actor, qs.HideQuestion("q_2", True, T0))
    loaded = await store.load_questions(ev.id)
    assert loaded == state and loaded.pinned is None
    assert loaded.get("q_2").anonymous and loaded.get("q_2").author_id == ben.member_id  # kept, never sent

    with pytest.raises(NotFound):
        await store.set_pinned((await new_event(store)).id, "q_1")  # another event's question


async def test_an_upvote_counts_once_and_upvotes_from_two_nodes_both_count(store: IdeaStore) -> None:
    ev = await new_event(store)
    anna, ben, cem = (Actor(m, Role.PARTICIPANT) for m in ev.ids[:3])
    state = await question_step(store, qs.Questions(ev.id), anna, qs.AskQuestion("q_1", "Wie geht es weiter?", T0))

    # a retried commit of the same upvote stores it once
    upvoted = await question_step(store, state, ben, qs.Upvote("q_1", T0))
    await store.commit_question(ev.id, upvoted.get("q_1"), state.get("q_1"))
    await store.commit_question(ev.id, upvoted.get("q_1"))
    assert (await store.load_questions(ev.id)).get("q_1").upvoters == {ben.member_id}
    # the key refuses a second row, and the store stays as it was
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(t.question_upvotes.insert().values(question_id="q_1", member_id=ben.member_id))
    assert await store.load_questions(ev.id) == upvoted

    # two nodes, each deciding on the state with Ben's upvote only: both upvotes stay
    node_a = await store.load_questions(ev.id)
    node_b = await store.load_questions(ev.id)
    await question_step(store, node_a, anna, qs.Upvote("q_1", T0))
    await question_step(store, node_b, cem, qs.Upvote("q_1", T0))
    assert (await store.load_questions(ev.id)).get("q_1").upvoters == {anna.member_id, ben.member_id, cem.member_id}
    # without `before` the stored upvoters become the question's
    await store.commit_question(ev.id, replace(upvoted.get("q_1"), upvoters=frozenset({cem.member_id})))
    assert (await store.load_questions(ev.id)).get("q_1").upvoters == {cem.member_id}


# -- removals --------------------------------------------------------------------------------


async def test_a_removed_members_token_no_longer_authenticates(store: IdeaStore) -> None:
    ev = await new_event(store)
    anna = ev.people[0]
    token = token_hash(f"{ev.id}-0")
    assert await store.member_by_token(token) == anna
    assert not await store.is_removed(anna.id)
    await store.remove_member(ev.id, anna.id, T0)
    assert await store.member_by_token(token) is None
    assert await store.is_removed(anna.id)
    assert (await store.members_of(ev.id))[anna.id] == anna  # what she wrote stays hers
    await store.remove_member(ev.id, anna.id, T0 + timedelta(hours=1))  # again: the first time stays
    with store.engine.connect() as conn:
        removed_at = conn.execute(sa.select(t.members.c.removed_at).where(t.members.c.id == anna.id)).scalar_one()
    assert removed_at == T0
    assert await store.member_by_token(token_hash(f"{ev.id}-1")) == ev.people[1]
    other = await new_event(store)
    with pytest.raises(NotFound):
        await store.remove_member(other.id, ev.people[1].id, T0)  # not a member of that event
    assert not await store.is_removed(ev.people[1].id)


# -- audit log -------------------------------------------------------------------------------


async def test_the_audit_log_reads_newest_first_in_pages_that_skip_nothing(store: IdeaStore) -> None:
    ev = await new_event(store)
    other = await new_event(store)
    times = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1), T0 + timedelta(seconds=1), T0 + timedelta(2)]
    entries = [
        audit_entry(ev.id, ev.actor, "member.remove", at, target=f"mb_{n}", details={"n": n, "why": ["a", {"b": None}]})
        for n, at in enumerate(times)
    ]
    for entry in entries:
        await store.add_audit(entry)
    await store.add_audit(audit_entry(other.id, other.actor, "chat.hide", T0))
    await store.add_audit(audit_entry(ev.id, ev.actor, "breakout.open", T0 - timedelta(hours=1)))

    log = await store.audit_log(ev.id)
    assert [e.target for e in log] == ["mb_4", "mb_3", "mb_2", "mb_1", "mb_0", None]
    assert log[0] == entries[4]  # details come back frozen as they went in
    assert log[0].details["why"] == ("a", {"b": None}) and log[-1].action == "breakout.open"

    page = await store.audit_log(ev.id, limit=2)  # ends inside the three entries of one second: takes them all
    assert [e.target for e in page] == ["mb_4", "mb_3", "mb_2", "mb_1"]
    page = await store.audit_log(ev.id, limit=2, before=page[-1].at)
    assert [e.target for e in page] == ["mb_0", None]
    assert await store.audit_log(ev.id, before=page[-1].at) == []
    assert [e.action for e in await store.audit_log(other.id)] == ["chat.hide"]


# -- schema ----------------------------------------------------------------------------------


async def test_the_tables_module_matches_the_migrated_schema(store: IdeaStore) -> None:
    def columns() -> dict[str, set[str]]:
        inspector = sa.inspect(store.engine)
        return {name: {c["name"] for c in inspector.get_columns(name)} for name in t.metadata.tables}

    migrated = await asyncio.to_thread(columns)
    if store.engine.dialect.name == "postgresql":  # the search's generated column, which only the database writes
        migrated["ideas"].remove("search_vector")
    assert migrated == {name: {c.name for c in table.columns} for name, table in t.metadata.tables.items()}


def upgrade_to(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def insert(engine: sa.Engine, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for statement, values in statements:
            conn.execute(sa.text(statement), values)


async def test_migrating_from_0007_keeps_events_members_rooms_boards_and_ideas(database_url: str) -> None:
    """A database of 0007 with an event in it: after 0008 everything reads back, and breakouts work; after
    0009 its ideas are in the search index and new ones get there too."""
    engine = create_engine(database_url)
    try:
        upgrade_to(engine, "0007")
        now = datetime(2026, 5, 6, 18, 30)  # the store keeps naive UTC
        insert(
            engine,
            [
                ("INSERT INTO organizers VALUES ('org_1', 'o', 'h', :t)", {"t": now}),
                (
                    "INSERT INTO events (id, organizer_id, title, description, date, language, created_at, updated_at,"
                    " privacy_notice) VALUES ('ev_old', 'org_1', 'Alt', '', NULL, 'de', :t, :t, 'Hinweis')",
                    {"t": now},
                ),
                ("INSERT INTO fields VALUES ('fld_1', 'ev_old', 0, 'Mobilität', :f, NULL)", {"f": False}),
                ("INSERT INTO rooms VALUES ('rm_1', 'ev_old', 'plenary', 'Plenum')", {}),
                (
                    "INSERT INTO boards (id, room_id, event_id, title, seq, created_at) VALUES"
                    " ('bd_1', 'rm_1', 'ev_old', 'Alt', 1, :t)",
                    {"t": now},
                ),
                (
                    "INSERT INTO members (id, event_id, role, pseudonym, pseudonym_key, colour, token_hash, created_at)"
                    " VALUES ('mb_1', 'ev_old', 'participant', 'Anna', 'anna', 'blue', :h, :t)",
                    {"h": token_hash("anna"), "t": now},
                ),
                (
                    "INSERT INTO ideas (id, board_id, room_id, event_id, field_id, author_id, text, created_at,"
                    " updated_at) VALUES ('idea_1', 'bd_1', 'rm_1', 'ev_old', 'fld_1', 'mb_1', 'Radweg', :t, :t)",
                    {"t": now},
                ),
            ],
        )
        await migrate(engine)
        assert await schema_revision(engine) == head_revision()
        store = IdeaStore(engine)
        found = await store.list_ideas("org_1", IdeaFilter(query="Radwege"))
        assert [(i.id, i.review_status) for i in found.items] == [("idea_1", ReviewStatus.NEW)]
        event = await store.event("ev_old")
        assert event.privacy_notice == "Hinweis" and [f.name for f in event.fields] == ["Mobilität"]
        anna = await store.member_by_token(token_hash("anna"))
        assert anna is not None and anna.pseudonym == "Anna" and not await store.is_removed("mb_1")
        assert await store.rooms_of("ev_old") == [Room("rm_1", "ev_old", "plenary", "Plenum")]
        board = await store.load_board("bd_1")
        assert board.seq == 1 and [i.text for i in board.ideas.values()] == ["Radweg"]
        assert await store.load_agenda("ev_old") == ag.Agenda("ev_old")
        rnd = new_round(round_id="br_1", event_id="ev_old", number=1, rooms=breakout_rooms("A"), now=T0)
        await store.create_round(rnd)
        fac = Actor("mb_1", Role.ORGANIZER)
        rnd = await step(store, rnd, fac, Open(T0, present=("mb_1",)))
        assert await store.load_round("br_1") == rnd and rnd.placement == {"mb_1": rnd.rooms[0].id}
    finally:
        engine.dispose()
