"""A workshop team for the facilitation tests: a real server, an event, a facilitator, two participants and
an observer connected with real Socket.IO clients; an organizer connects with a login session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.ids import new_id, new_token, token_hash, utcnow
from server.keys import LIVE, STORE
from server.store import tables as t
from server.store.idea_store import Event, Room
from tests.support import Client, base_url, connect, join_and_connect, make_event


@dataclass
class Team:
    server: TestServer
    base: str
    event: Event
    links: dict[Role, str]
    fac: Client  # a facilitator
    anna: Client  # participants
    ben: Client
    olga: Client  # an observer

    @property
    def clients(self) -> list[Client]:
        return [self.fac, self.anna, self.ben, self.olga]

    async def close(self) -> None:
        for client in self.clients:
            await gone(client)


async def gone(client: Client) -> None:
    """Disconnect a client if it is connected still, and close its HTTP session either way."""
    if client.sio.connected:
        await client.disconnect()
    else:
        await client.sio.eio.http.close()


async def team(server: TestServer) -> Team:
    event, links = await make_event(server.app)
    base = base_url(server)
    fac = await join_and_connect(base, links[Role.FACILITATOR], "Fiona")
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    return Team(server, base, event, links, fac, anna, ben, olga)


async def ok(client: Client, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def refused(client: Client, event: str, payload: dict[str, Any] | None = None) -> str:
    """The code of a refusal, after checking the one error shape."""
    ack = await client.call(event, payload)
    assert ack["ok"] is False, (event, ack)
    assert set(ack) == {"ok", "error"} and set(ack["error"]) == {"code", "message"}, ack
    return str(ack["error"]["code"])


async def connect_organizer(server: TestServer, event: Event) -> Client:
    """The event's organizer, connected with a login session (as the organizer's browser does)."""
    store = server.app[STORE]
    organizer = await store.organizer_by_username("orga")
    assert organizer is not None
    session = new_token()
    await store.create_session(organizer.id, token_hash(session), utcnow() + timedelta(hours=1))
    client = await connect(
        base_url(server), None, headers={"Cookie": f"werkstatt_session={session}"}, auth={"event_id": event.id}
    )
    client.member_id = (await ok(client, "room.enter"))["me"]["id"]
    return client


async def breakout_room(server: TestServer, event: Event, name: str = "Tisch 1") -> Room:
    """A breakout room of the event, made in the store as a breakout round makes its rooms."""
    room = Room(new_id("rm"), event.id, "breakout", name)
    store = server.app[STORE]
    with store.engine.begin() as conn:
        conn.execute(t.rooms.insert().values(id=room.id, event_id=event.id, kind="breakout", name=name))
    server.app[LIVE].know_room(room)
    return room


async def move(server: TestServer, client: Client, room: Room) -> dict[str, Any]:
    """Move a member's connections to a room, as a breakout round does; what ``room.moved`` told them."""
    assert await server.app[LIVE].move_member(client.member_id, room, "moved")
    return await client.wait_for("room.moved", lambda d: d["room"]["id"] == room.id)


async def audit_actions(server: TestServer, event: Event) -> list[tuple[str, str | None]]:
    """The event's audit log, oldest first, as (action, target)."""
    entries = await server.app[STORE].audit_log(event.id)
    return [(e.action, e.target) for e in reversed(entries)]
