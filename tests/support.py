"""Test helpers: a real server on an ephemeral port and real Socket.IO clients."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio
from aiohttp import web, web_app
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.app import create_app
from server.clock import Clock
from server.keys import CONNECTIONS, STORE
from server.protocol import SERVER_EVENTS
from server.settings import Settings
from server.store.idea_store import Event
from server.transport.guard import GuardedRunner

FIELDS = ("Mobilität", "Bildung", "Digitale Verwaltung", "Umwelt und Klima")


def settings_for(database: str, **overrides: Any) -> Settings:
    return Settings.load({}, database=database, port=0, **overrides)


class GuardedTestServer(TestServer):
    """aiohttp's test server with its connections through the app's guard, as under ``werkstatt serve``."""

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return GuardedRunner(self.app, self.app[CONNECTIONS], **kwargs)


async def start_server(database: str, *, clock: Clock | None = None, **overrides: Any) -> TestServer:
    """``clock``: the server's notion of now (``server.clock``), e.g. a ``ManualClock`` a test moves."""
    server = GuardedTestServer(create_app(settings_for(database, **overrides), clock=clock), host="127.0.0.1")
    await server.start_server()
    return server


def forget_served_apps() -> None:
    """Let go of every app that served a request; conftest calls it after each test.

    aiohttp (since 3.10.6, aio-libs/aiohttp#9158) keeps each handler it wrapped in the app's
    middlewares in a process-wide cache (up to 1024 of them), and with it the app, and with the app its live state, store and engine: about
    12,000 objects for an app that served one join. A process that serves one app holds one; the
    test suite starts a server for almost every test, so by the middle of the suite several million
    objects were kept, and each of CPython's full collections then stopped the event loop for 5 to
    9 s on a loaded machine: long enough for a client's 5 s wait for an answer to run out.
    ``test_websocket.py::test_a_closed_server_is_freed`` checks that nothing else keeps an app.
    """
    web_app._cached_build_middleware.cache_clear()


def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def make_event(app: web.Application, title: str = "Smart-City-Werkstatt") -> tuple[Event, dict[Role, str]]:
    store = app[STORE]
    organizer = await store.organizer_by_username("orga")
    if organizer is None:
        organizer = await store.create_organizer("orga", "not-a-real-hash")
    event = await store.create_event(
        organizer.id, title=title, description="", date=None, language="de", field_names=FIELDS
    )
    return event, await store.links(event.id)


async def join(base: str, link: str, pseudonym: str, colour: str = "blue") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/join", json={"link": link, "pseudonym": pseudonym, "colour": colour}) as r:
            return r.status, await r.json()


@dataclass
class Client:
    """A real ``socketio.AsyncClient`` that records what the server pushes."""

    sio: socketio.AsyncClient
    member_id: str
    token: str
    received: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    _arrivals: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def call(self, event: str, payload: Any = None, *, timeout: float = 10) -> dict[str, Any]:
        if payload is None:
            payload = {}
        return await self.sio.call(event, payload, timeout=timeout)

    async def wait_for(self, event: str, predicate: Any = lambda _d: True, timeout: float = 10) -> Any:
        async def found() -> Any:
            async with self._arrivals:
                while True:
                    for data in self.received[event]:
                        if predicate(data):
                            return data
                    await self._arrivals.wait()

        return await asyncio.wait_for(found(), timeout)

    async def wait_for_all(self, event: str, count: int, timeout: float = 10) -> list[Any]:
        """The first ``count`` messages of ``event``, once that many have arrived."""

        async def arrived() -> list[Any]:
            async with self._arrivals:
                while len(self.received[event]) < count:
                    await self._arrivals.wait()
                return self.received[event][:count]

        return await asyncio.wait_for(arrived(), timeout)

    async def record(self, event: str, data: Any) -> None:
        async with self._arrivals:
            self.received[event].append(data)
            self._arrivals.notify_all()

    async def disconnect(self) -> None:
        await self.sio.disconnect()
        await self.sio.eio.http.close()


async def connect(base: str, token: Any, member_id: str = "", **kwargs: Any) -> Client:
    """Connect a real client; raises socketio's ConnectionError when the server refuses."""
    http = aiohttp.ClientSession()
    sio = socketio.AsyncClient(reconnection=False, http_session=http)
    client = Client(sio=sio, member_id=member_id, token=token)
    for name in SERVER_EVENTS:
        sio.on(name, _recorder(client, name))
    auth = kwargs.pop("auth", {"token": token} if token is not None else None)
    try:
        await sio.connect(base, auth=auth, transports=["websocket"], wait_timeout=10, **kwargs)
    except BaseException:
        await http.close()
        raise
    return client


def _recorder(client: Client, name: str) -> Any:
    async def handler(data: Any) -> None:
        await client.record(name, data)

    return handler


async def until(condition: Callable[[], bool], within: float = 5) -> bool:
    """Wait until ``condition()`` holds (checked every 20 ms); whether it did within ``within`` seconds."""
    for _ in range(max(1, round(within / 0.02))):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def participant(server: TestServer, pseudonym: str = "Rita") -> dict[str, Any]:
    """A participant of a new event on ``server``: the join answer (token, ids) and the event's links."""
    _event, links = await make_event(server.app)
    status, body = await join(base_url(server), links[Role.PARTICIPANT], pseudonym)
    assert status == 201, body
    return {**body, "links": links}


async def join_and_connect(base: str, link: str, pseudonym: str) -> Client:
    status, body = await join(base, link, pseudonym)
    assert status == 201, body
    return await connect(base, body["token"], body["member_id"])


class BoardMirror:
    """A client's copy of one board, kept by the protocol's rules: snapshot, then changes by `seq`."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.seq = snapshot["seq"]
        self.settings = snapshot["settings"]
        self.ideas = {i["id"]: i for i in snapshot["ideas"]}
        self.clusters = {k["id"]: k for k in snapshot["clusters"]}
        self.comments = {m["id"]: m for m in snapshot["comments"]}
        self.sessions = {s["id"]: s for s in snapshot["sessions"]}

    def apply(self, change: dict[str, Any]) -> str:
        """'applied', 'old' (had it) or 'gap' (missed something: sync)."""
        if change["seq"] <= self.seq:
            return "old"
        if change["seq"] != self.seq + 1:
            return "gap"
        for key, store in (("idea", self.ideas), ("cluster", self.clusters), ("comment", self.comments)):
            ident = change.get(f"{key}_id")
            if ident is not None:
                if change.get(key) is None:
                    store.pop(ident, None)
                else:
                    store[ident] = change[key]
        for idea in change.get("ideas") or ():
            self.ideas[idea["id"]] = idea
        for comment in change.get("comments") or ():
            self.comments[comment["id"]] = comment
        # comments of ideas one does not have are not shown
        self.comments = {k: m for k, m in self.comments.items() if m["idea_id"] in self.ideas}
        if change.get("settings") is not None:
            self.settings = change["settings"]
        if change.get("session") is not None:
            self.sessions[change["session"]["id"]] = change["session"]
        self.seq = change["seq"]
        return "applied"

    def state(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "settings": self.settings,
            "ideas": self.ideas,
            "clusters": self.clusters,
            "comments": self.comments,
            "sessions": self.sessions,
        }

    @staticmethod
    def of(snapshot: dict[str, Any]) -> dict[str, Any]:
        return BoardMirror(snapshot).state()
