"""Connecting as docs/protocol.md tells a client author: an organizer's program (the documented
example, run as it stands) and the handshakes refused for their Origin or Host."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from server.keys import STORE
from server.store.idea_store import Event
from server.web.passwords import hash_password
from tests.support import FIELDS, base_url, start_server

PROTOCOL_MD = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
PASSWORD = "correct horse battery"


def documented_example() -> Any:
    """``connect_as_organizer`` from the python block of the section on organizers' programs."""
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    section = text.split('<a id="organizer-program"></a>', 1)
    assert len(section) == 2, "docs/protocol.md has no section on an organizer's program"
    match = re.search(r"```python\n(.*?)```", section[1], re.DOTALL)
    assert match, "the section has no python example"
    namespace: dict[str, Any] = {}
    exec(compile(match[1], "docs/protocol.md#organizer-program", "exec"), namespace)
    return namespace["connect_as_organizer"]


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


async def events_of_two_organizers(server: TestServer) -> tuple[Event, Event]:
    store = server.app[STORE]
    events = []
    for username in ("anna", "bernd"):
        organizer = await store.create_organizer(username, hash_password(PASSWORD))
        events.append(
            await store.create_event(
                organizer.id,
                title=f"Werkstatt {username}",
                description="",
                date=None,
                language="de",
                field_names=FIELDS,
            )
        )
    return events[0], events[1]


async def test_the_documented_program_connects_as_the_organizer(server: TestServer) -> None:
    connect_as_organizer = documented_example()
    own, _other = await events_of_two_organizers(server)
    sio = await connect_as_organizer(base_url(server), "anna", PASSWORD, own.id)
    try:
        entered = await sio.call("room.enter", {})
        assert entered["ok"] is True, entered
        assert entered["event"]["id"] == own.id
        assert (entered["me"]["role"], entered["me"]["pseudonym"]) == ("organizer", "anna")
        board_id = entered["boards"][0]["id"]
        created = await sio.call("board.create", {"title": "Ideen aus dem Programm"})
        assert created["ok"] is True, created
        synced = await sio.call("board.sync", {"board_id": board_id})
        assert synced["ok"] is True and [c["name"] for c in synced["snapshot"]["columns"]] == list(FIELDS)
    finally:
        await sio.disconnect()


async def test_the_documented_program_is_refused_where_the_docs_say(server: TestServer) -> None:
    connect_as_organizer = documented_example()
    own, other = await events_of_two_organizers(server)
    with pytest.raises(PermissionError, match="401"):
        await connect_as_organizer(base_url(server), "anna", "not the password", own.id)
    with pytest.raises(socketio.exceptions.ConnectionError):  # its connect_error: unauthenticated
        await connect_as_organizer(base_url(server), "anna", PASSWORD, other.id)


UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


async def test_a_foreign_origin_or_host_is_refused_at_the_handshake_as_documented(server: TestServer) -> None:
    url = f"{base_url(server)}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={**UPGRADE, "Origin": "https://evil.example"}) as answer:
            assert answer.status == 400
            assert await answer.json() == {"code": 4, "message": "Not an accepted origin."}
        async with http.get(url, headers={**UPGRADE, "Host": "evil.example"}) as answer:
            assert answer.status == 400
            assert await answer.text() == "Unknown host name (see the allowed_hosts setting).\n"
    async with aiohttp.ClientSession() as http:  # all a Socket.IO client learns of it
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        with pytest.raises(socketio.exceptions.ConnectionError, match=r"^Connection error$"):
            await sio.connect(base_url(server), transports=["websocket"], headers={"Origin": "https://evil.example"})
