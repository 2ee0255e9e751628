"""Facilitation across nodes: two (or three) app nodes in one process on one PostgreSQL database and a real Redis,
with real clients on each. Timers fire once across the nodes (and without the node that started them), hands
queues, the spotlight and the presented board are shared, other nodes' copies of chat, questions and agenda are
dropped when they would show a wrong state, and a removed member's connections close on every node."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as aioredis
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import LIVE
from server.live.state import LiveState
from server.live.timers import TimerCommand, timer_key
from server.store.idea_store import Event, Room
from server.transport.redisfanout import RedisFanout
from tests.integration.team import breakout_room, gone, move, ok, refused
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server, until


@dataclass
class Nodes:
    """App nodes sharing a database and a Redis, an event, and the clients connected to them."""

    db: str
    redis: str
    servers: list[TestServer]
    event: Event
    links: dict[Role, str]
    clients: list[Client] = field(default_factory=list)
    stopped: set[int] = field(default_factory=set)

    @property
    def a(self) -> TestServer:
        return self.servers[0]

    @property
    def b(self) -> TestServer:
        return self.servers[1]

    async def start(self) -> TestServer:
        server = await start_server(self.db, redis=self.redis)
        self.servers.append(server)
        return server

    async def stop(self, server: TestServer) -> None:
        self.stopped.add(id(server))
        await server.close()

    async def join(self, server: TestServer, role: Role, name: str) -> Client:
        client = await join_and_connect(base_url(server), self.links[role], name)
        self.clients.append(client)
        return client

    async def tab(self, server: TestServer, client: Client) -> Client:
        """Another connection of the member, on ``server``."""
        other = await connect(base_url(server), client.token, client.member_id)
        self.clients.append(other)
        return other

    async def room(self, name: str = "Tisch 1") -> Room:
        """A breakout room of the event that every node knows (as a breakout round's rooms)."""
        room = await breakout_room(self.a, self.event, name)
        for server in self.servers[1:]:
            live(server).know_room(room)
        return room


def live(server: TestServer) -> LiveState:
    return server.app[LIVE]


@pytest.fixture
async def nodes(pg_url: str, redis_url: str) -> AsyncIterator[Nodes]:
    a = await start_server(pg_url, redis=redis_url)
    b = await start_server(pg_url, redis=redis_url)
    event, links = await make_event(a.app)
    plenary = await live(a).store.plenary(event.id)
    two = Nodes(pg_url, redis_url, [a, b], event, links)
    yield two
    for client in two.clients:
        await gone(client)
    for server in two.servers:
        if id(server) not in two.stopped:
            await server.close()
    admin = aioredis.Redis.from_url(redis_url)  # what the event left in Redis (it would expire in a day)
    keys = [key async for key in admin.scan_iter(match=f"werkstatt:*{event.id}*")]
    await admin.delete(f"werkstatt:presented:{plenary.id}", *keys)
    await admin.aclose()


async def settled(servers: list[TestServer], event_id: str, room_id: str | None, *speakers: Client) -> None:
    """Wait until no node has a timer's look still to run or to send: each node's wakers for it are gone (they
    fired), a last look on each node comes after every earlier one, and a chat message from a client on each node
    reaches every speaker after whatever that node sent before."""
    key = timer_key(event_id, room_id)
    desks = [live(server).facilitation.timers for server in servers]
    assert await until(lambda: all(key not in desk.wakers for desk in desks), within=10)
    for desk in desks:
        await desk.serializer.submit(key, TimerCommand(event_id, room_id))
    for speaker in speakers:
        await ok(speaker, "chat.send", {"text": f"Fertig, sagt {speaker.member_id}"})
    for listener in speakers:
        for speaker in speakers:
            await listener.wait_for("chat.message", lambda m, s=speaker: m["author"]["id"] == s.member_id)


def now_ms() -> int:
    return int(time.time() * 1000)


def fired(client: Client) -> tuple[int, int]:
    return len(client.received["timer.warning"]), len(client.received["timer.finished"])


# -- timers ------------------------------------------------------------------------------------------------------


async def test_a_room_timer_started_on_one_node_warns_and_ends_once_although_both_nodes_armed_it(
    nodes: Nodes,
) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    ben = await nodes.join(nodes.a, Role.PARTICIPANT, "Ben")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    table = await nodes.room()
    await move(nodes.a, ben, table)
    await move(nodes.b, anna, table)

    started = (await ok(fac, "timer.start", {"room_id": table.id, "duration_s": 5, "label": "Kurz"}))["timer"]
    for client in (ben, anna):
        change = await client.wait_for("timer.changed")
        assert change["kind"] == "started" and change["timer"] == started
        assert change["by"]["id"] == fac.member_id
    key = timer_key(nodes.event.id, table.id)
    assert await until(lambda: all(key in live(s).facilitation.timers.wakers for s in (nodes.a, nodes.b)))
    assert (await ok(anna, "timer.state", {"room_id": table.id}))["timer"] == started  # read on B

    for client in (ben, anna):
        warning = await client.wait_for("timer.warning")
        assert warning["timer"]["status"] == "running" and warning["timer"]["label"] == "Kurz"
        finished = await client.wait_for("timer.finished")
        assert finished["timer"]["status"] == "finished" and finished["timer"]["deadline_ms"] == started["deadline_ms"]
    await settled([nodes.a, nodes.b], nodes.event.id, table.id, ben, anna)
    assert fired(ben) == fired(anna) == (1, 1)
    assert (await ok(anna, "timer.state", {"room_id": table.id}))["timer"]["status"] == "finished"
    assert len(fac.received["timer.warning"]) == 0  # the plenary hears nothing of the table's timer


async def test_a_timer_fires_once_on_the_other_node_when_the_node_that_started_it_is_gone(nodes: Nodes) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    ben = await nodes.join(nodes.b, Role.PARTICIPANT, "Ben")
    started = (await ok(fac, "timer.start", {"duration_s": 10}))["timer"]
    await anna.wait_for("timer.changed")
    key = timer_key(nodes.event.id, None)
    assert await until(lambda: key in live(nodes.b).facilitation.timers.wakers)  # B heard of it
    await gone(fac)
    await nodes.stop(nodes.a)
    assert now_ms() < started["warning_at_ms"]  # A is gone before anything was due

    for client in (anna, ben):
        assert (await client.wait_for("timer.warning", timeout=15))["timer"]["deadline_ms"] == started["deadline_ms"]
        assert (await client.wait_for("timer.finished", timeout=15))["timer"]["status"] == "finished"
    await settled([nodes.b], nodes.event.id, None, anna, ben)
    assert fired(anna) == fired(ben) == (1, 1)


async def test_a_node_started_later_arms_the_running_timers_and_fires_them_when_the_others_are_gone(
    nodes: Nodes,
) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    started = (await ok(fac, "timer.start", {"duration_s": 10}))["timer"]
    await nodes.stop(nodes.b)
    late = await nodes.start()  # never told: it finds the timer in Redis
    anna = await nodes.join(late, Role.PARTICIPANT, "Anna")
    key = timer_key(nodes.event.id, None)
    assert await until(lambda: key in live(late).facilitation.timers.wakers)
    await gone(fac)
    await nodes.stop(nodes.a)
    assert now_ms() < started["warning_at_ms"]
    await anna.wait_for("timer.finished", timeout=15)
    await settled([late], nodes.event.id, None, anna)
    assert fired(anna) == (1, 1)


async def test_commands_from_two_nodes_on_one_timer_take_turns(nodes: Nodes) -> None:
    here = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    there = await nodes.join(nodes.b, Role.FACILITATOR, "Frida")
    acks = await asyncio.gather(
        here.call("timer.start", {"duration_s": 600}), there.call("timer.start", {"duration_s": 900})
    )
    assert sorted(a["ok"] for a in acks) == [False, True]  # one started it, the other is told it runs
    [won] = [a for a in acks if a["ok"]]
    [lost] = [a for a in acks if not a["ok"]]
    assert lost["error"]["code"] == "timer_running"
    for client in (here, there):
        assert (await ok(client, "timer.state"))["timer"] == won["timer"]
    paused = (await ok(there, "timer.pause"))["timer"]
    await here.wait_for("timer.changed", lambda c: c["kind"] == "paused")
    assert await refused(here, "timer.pause") == "timer_not_running"  # decided on what B wrote
    assert (await ok(here, "timer.resume"))["timer"]["status"] == "running"
    kinds = [c["kind"] for c in await here.wait_for_all("timer.changed", 3)]
    assert kinds == ["started", "paused", "resumed"] and paused["status"] == "paused"
    assert (await ok(here, "timer.reset"))["timer"]["status"] == "idle"
    assert (await ok(there, "timer.state"))["timer"]["status"] == "idle"


# -- hands -------------------------------------------------------------------------------------------------------


async def test_a_hand_raised_on_one_node_is_in_the_queue_a_facilitator_on_the_other_calls(nodes: Nodes) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    frida = await nodes.join(nodes.b, Role.FACILITATOR, "Frida")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    ben = await nodes.join(nodes.a, Role.PARTICIPANT, "Ben")

    assert [h["member_id"] for h in (await ok(anna, "hand.raise"))["hands"]["queue"]] == [anna.member_id]
    change = await fac.wait_for("hands.changed")
    assert [(h["member_id"], h["pseudonym"]) for h in change["queue"]] == [(anna.member_id, "Anna")]
    assert [h["member_id"] for h in (await ok(fac, "facilitation.state"))["hands"]["queue"]] == [anna.member_id]
    await ok(ben, "hand.raise")
    assert [h["member_id"] for h in (await ok(anna, "hand.raise"))["hands"]["queue"]] == [
        anna.member_id,
        ben.member_id,
    ]  # raised again on B: keeps its place

    # both facilitators call the first at once, from two nodes: one calls Anna, the other is told the queue moved
    acks = await asyncio.gather(
        fac.call("hand.next", {"expected": anna.member_id}), frida.call("hand.next", {"expected": anna.member_id})
    )
    [called] = [a for a in acks if a["ok"]]
    [late] = [a for a in acks if not a["ok"]]
    assert called["called"]["member_id"] == anna.member_id and late["error"]["code"] == "queue_moved"
    assert [h["member_id"] for h in called["hands"]["queue"]] == [ben.member_id]
    await anna.wait_for("hands.changed", lambda c: (c["called"] or {}).get("member_id") == anna.member_id)
    next_up = (await ok(fac, "hand.next"))["called"]
    assert next_up["member_id"] == ben.member_id
    assert (await ok(anna, "facilitation.state"))["hands"]["queue"] == []
    assert await refused(frida, "hand.next") == "no_hands"


# -- spotlight and presented board -------------------------------------------------------------------------------


async def test_the_spotlight_and_presented_board_set_on_one_node_are_in_a_late_joiners_view_on_the_other(
    nodes: Nodes,
) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    board_id = (await ok(fac, "room.enter"))["boards"][0]["id"]
    await ok(fac, "board.view", {"board_id": board_id})  # a facilitator's view presents the board
    spotlight = (await ok(fac, "board.spotlight", {"board_id": board_id}))["spotlight"]
    assert spotlight["board_id"] == board_id and spotlight["by"]["id"] == fac.member_id

    late = await nodes.join(nodes.b, Role.PARTICIPANT, "Lena")
    assert (await ok(late, "room.enter"))["presented"] == board_id
    assert (await ok(late, "facilitation.state"))["spotlight"] == spotlight
    projector = await connect(
        base_url(nodes.b), late.token, late.member_id, auth={"token": late.token, "view": "projector"}
    )
    nodes.clients.append(projector)
    assert (await ok(projector, "room.enter"))["presented"] == board_id

    frida = await nodes.join(nodes.b, Role.FACILITATOR, "Frida")
    assert (await ok(frida, "board.spotlight", {"board_id": board_id}))["spotlight"] == spotlight  # unchanged
    ended = (await ok(frida, "board.spotlight", {"board_id": None}))["spotlight"]
    assert ended == {"board_id": None, "room_id": None, "by": None}
    await fac.wait_for("board.spotlight", lambda s: s["board_id"] is None)
    assert (await ok(fac, "facilitation.state"))["spotlight"] == ended
    assert len(late.received["board.spotlight"]) == 1  # the end only: setting the same board again changed nothing


# -- chat, questions, agenda: other nodes' copies -----------------------------------------------------------------


async def sync(fac: Client, *listeners: Client) -> None:
    """Whatever the facilitator's node said before has reached the listeners' nodes (a broadcast comes after it)."""
    text = f"sync {len(fac.received['broadcast'])}"
    await ok(fac, "broadcast.send", {"scope": "everyone", "text": text})
    for listener in listeners:
        await listener.wait_for("broadcast", lambda b: b["text"] == text)


async def test_chat_history_and_silence_on_another_node_are_not_shown_from_an_old_copy(nodes: Nodes) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    ben = await nodes.join(nodes.a, Role.PARTICIPANT, "Ben")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    history = await ok(anna, "chat.history")  # node B reads the event's chat now
    assert history["messages"] == [] and history["silenced"] is False

    first = (await ok(ben, "chat.send", {"text": "Hallo aus A"}))["message"]
    await anna.wait_for("chat.message", lambda m: m["id"] == first["id"])
    await ok(fac, "chat.silence", {"member_id": anna.member_id, "silenced": True})
    assert (await anna.wait_for("chat.silenced"))["silenced"] is True
    await sync(fac, anna)
    history = await ok(anna, "chat.history")
    assert [m["text"] for m in history["messages"]] == ["Hallo aus A"] and history["silenced"] is True
    assert (await ok(anna, "facilitation.state"))["silenced"] is True
    assert await refused(anna, "chat.send", {"text": "Darf ich?"}) == "silenced"

    # a message hidden on A is not "hidden already" on B, whose copy saw it shown
    frida = await nodes.join(nodes.b, Role.FACILITATOR, "Frida")
    await ok(frida, "chat.hide", {"message_id": first["id"], "hidden": True})
    await ok(fac, "chat.hide", {"message_id": first["id"], "hidden": False})
    await sync(fac, frida)
    await ok(frida, "chat.hide", {"message_id": first["id"], "hidden": True})
    await ben.wait_for_all("chat.hidden", 3)
    history = await ok(anna, "chat.history")
    assert history["messages"] == []  # hidden: a participant who did not write it no longer gets it


async def test_a_silence_whose_word_did_not_reach_a_node_holds_there_all_the_same(nodes: Nodes) -> None:
    """As when a node silenced someone while Redis was away: the other node's copy misses it, the store has it."""
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    ben = await nodes.join(nodes.b, Role.PARTICIPANT, "Ben")
    frida = await nodes.join(nodes.b, Role.FACILITATOR, "Frida")
    assert (await ok(anna, "chat.history"))["silenced"] is False  # node B's copy
    store = live(nodes.a).store
    await store.set_silenced(nodes.event.id, anna.member_id, True)  # committed on A, nobody told
    assert await refused(anna, "chat.send", {"text": "Darf ich?"}) == "silenced"
    said = (await ok(ben, "chat.send", {"text": "Ich darf"}))["message"]
    assert (await anna.wait_for("chat.message"))["id"] == said["id"]
    plenary = said["room_id"]
    assert [m.text for m in await store.messages(plenary)] == ["Ich darf"]
    assert (await ok(anna, "chat.history"))["silenced"] is True  # the copy follows what the post read

    await store.set_silenced(nodes.event.id, anna.member_id, False)  # lifted on A, nobody told
    await ok(frida, "chat.silence", {"member_id": anna.member_id, "silenced": True})  # decided on the store's
    assert (await anna.wait_for("chat.silenced"))["silenced"] is True
    assert await store.silenced(nodes.event.id) == frozenset({anna.member_id})
    assert await refused(anna, "chat.send", {"text": "Und jetzt?"}) == "silenced"
    assert [m.text for m in await store.messages(plenary)] == ["Ich darf"]


async def test_the_pinned_question_and_the_agenda_changed_on_another_node_are_read_fresh(nodes: Nodes) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    question = (await ok(anna, "question.ask", {"text": "Wann geht es los?"}))["question"]
    state = await ok(anna, "facilitation.state")  # node B holds the questions and the agenda now
    assert state["pinned"] is None and state["agenda"]["steps"] == []

    await ok(fac, "question.pin", {"question_id": question["id"]})
    added = (await ok(fac, "agenda.add", {"title": "Ankommen", "kind": "plenary", "duration_s": 600}))["agenda"]
    await sync(fac, anna)
    state = await ok(anna, "facilitation.state")
    assert state["pinned"]["id"] == question["id"]
    assert state["agenda"] == added
    assert (await ok(anna, "agenda.get"))["agenda"]["version"] == added["version"]


async def test_a_lost_redis_subscription_drops_the_nodes_copies(nodes: Nodes) -> None:
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    await ok(anna, "facilitation.state")
    await ok(anna, "chat.history")
    desks = live(nodes.b).facilitation
    event_id = nodes.event.id
    assert event_id in desks.chat.chats and event_id in desks.questions.states and event_id in desks.agenda.agendas
    fanout = live(nodes.b).fanout
    assert isinstance(fanout, RedisFanout)
    admin = aioredis.Redis.from_url(nodes.redis)
    try:
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == fanout.names[1]]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
    finally:
        await admin.aclose()
    assert ids
    assert await until(lambda: not (desks.chat.chats or desks.questions.states or desks.agenda.agendas))
    assert (await ok(anna, "facilitation.state"))["silenced"] is False  # loaded again


# -- removal -----------------------------------------------------------------------------------------------------


async def test_a_member_removed_on_one_node_is_disconnected_on_the_other(nodes: Nodes) -> None:
    fac = await nodes.join(nodes.a, Role.FACILITATOR, "Fiona")
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    tab = await nodes.tab(nodes.b, anna)
    await ok(anna, "hand.raise")
    removed = await ok(fac, "member.remove", {"member_id": anna.member_id, "reason": "Störung"})
    assert removed["disconnected"] == 0  # none of hers on A
    for client in (anna, tab):
        assert (await client.wait_for("member.removed"))["reason"] == "removed"
    assert await until(lambda: not anna.sio.connected and not tab.sio.connected)
    assert not [c for c in live(nodes.b).connections.values() if c.member.id == anna.member_id]
    assert (await ok(fac, "facilitation.state"))["hands"]["queue"] == []  # her hand went down
    with pytest.raises(socketio.exceptions.ConnectionError):  # her token no longer lets her in, on any node
        await connect(base_url(nodes.b), anna.token, anna.member_id)


async def test_what_another_node_tells_malformed_is_logged_and_changes_nothing(
    nodes: Nodes, caplog: pytest.LogCaptureFixture
) -> None:
    anna = await nodes.join(nodes.b, Role.PARTICIPANT, "Anna")
    await ok(anna, "chat.history")
    copies = live(nodes.b).facilitation.chat.chats
    assert nodes.event.id in copies
    junk: list[Any] = ["nonsense", {"event_id": 7}, {"member_id": None}, None]
    topics = ("timers.written", "members.removed", "chat.outdated", "questions.outdated", "agenda.outdated")
    with caplog.at_level(logging.ERROR, "werkstatt.fanout"):
        for topic in topics:
            for data in junk:
                await live(nodes.a).fanout.tell(topic, data)
        await live(nodes.a).fanout.tell("chat.outdated", {"event_id": nodes.event.id})  # heard after the junk
        assert await until(lambda: nodes.event.id not in copies)
    assert caplog.text.count("acting on") == len(topics) * len(junk)
    assert anna.sio.connected
    assert (await ok(anna, "facilitation.state"))["silenced"] is False
