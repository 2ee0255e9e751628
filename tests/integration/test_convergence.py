"""Clients that drop off at random while others edit come back, sync, and end with the server's board."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from boards.actors import Role
from tests.support import BoardMirror, Client, base_url, connect, join_and_connect, make_event, start_server


class Watcher:
    """A participant whose connection drops now and then; it keeps its board by the protocol."""

    def __init__(self, base: str, client: Client, board_id: str, rng: random.Random) -> None:
        self.base, self.client, self.board_id, self.rng = base, client, board_id, rng
        self.mirror: BoardMirror | None = None
        self.gaps = 0
        self.reconnects = 0

    async def sync(self) -> None:
        since = None if self.mirror is None else self.mirror.seq
        ack = await self.client.call("board.sync", {"board_id": self.board_id, "since": since})
        assert ack["ok"], ack
        if ack["snapshot"] is not None:
            self.mirror = BoardMirror(ack["snapshot"])
        else:
            assert self.mirror is not None
            for change in ack["changes"]:
                assert self.mirror.apply(change) != "gap"

    async def drain(self) -> None:
        """Apply what arrived live, in order; a gap means: sync."""
        changes = self.client.received.pop("board.changed", [])
        for change in changes:
            assert self.mirror is not None
            if self.mirror.apply(change) == "gap":
                self.gaps += 1
                await self.sync()

    async def run(self, stop: asyncio.Event) -> None:
        await self.sync()
        while not stop.is_set():
            await asyncio.sleep(self.rng.uniform(0.01, 0.08))
            await self.drain()
            if self.rng.random() < 0.25:
                await self.client.disconnect()
                await asyncio.sleep(self.rng.uniform(0.01, 0.15))  # others edit meanwhile
                self.client = await connect(self.base, self.client.token, self.client.member_id)
                self.reconnects += 1
                await self.sync()


async def moderate(client: Client, board_id: str, rng: random.Random, stop: asyncio.Event) -> None:
    """A facilitator hides and restores ideas and switches pre-moderation now and then."""
    premoderation = False
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.02, 0.1))
        ideas = (await client.call("board.sync", {"board_id": board_id}))["snapshot"]["ideas"]
        roll = rng.random()
        if roll < 0.15:
            premoderation = not premoderation
            await client.call("board.premoderation", {"board_id": board_id, "on": premoderation})
        elif ideas:
            idea = rng.choice(ideas)
            action = {"visible": "hide", "hidden": "restore", "pending": "approve"}[idea["status"]]
            await client.call("board.idea.moderate", {"board_id": board_id, "idea_id": idea["id"], "action": action})


async def edit(client: Client, board_id: str, fields: list[str], rng: random.Random, rounds: int) -> None:
    mine: list[str] = []
    for n in range(rounds):
        roll = rng.random()
        if roll < 0.45 or not mine:
            ack = await client.call(
                "board.idea.create",
                {"board_id": board_id, "field_id": rng.choice(fields), "text": f"{client.member_id} {n}"},
            )
            if ack["ok"]:
                mine.append(ack["idea"]["id"])
        elif roll < 0.65:
            await client.call(
                "board.idea.edit", {"board_id": board_id, "idea_id": rng.choice(mine), "text": f"edited {n}"}
            )
        elif roll < 0.85:
            await client.call(
                "board.idea.move",
                {"board_id": board_id, "idea_id": rng.choice(mine), "field_id": rng.choice(fields), "after_id": None},
            )
        elif roll < 0.90:
            await client.call(
                "board.comment.create", {"board_id": board_id, "idea_id": rng.choice(mine), "text": f"Kommentar {n}"}
            )
        elif roll < 0.95:
            ack = await client.call(
                "board.cluster.create",
                {"board_id": board_id, "idea_ids": rng.sample(mine, min(2, len(mine))), "heading": f"Gruppe {n}"},
            )
            if ack["ok"] and rng.random() < 0.3:
                await client.call("board.cluster.dissolve", {"board_id": board_id, "cluster_id": ack["cluster"]["id"]})
        else:
            await client.call(
                "board.idea.delete", {"board_id": board_id, "idea_id": mine.pop(rng.randrange(len(mine)))}
            )
        await asyncio.sleep(rng.uniform(0, 0.01))


@pytest.mark.parametrize("seed", [2026, 7, 1999])
async def test_clients_that_drop_off_converge_to_the_servers_board(sqlite_url: str, seed: int) -> None:
    server = await start_server(sqlite_url)
    event, links = await make_event(server.app)
    base = base_url(server)
    rng = random.Random(seed)
    fields = [f.id for f in event.fields]
    editors = [await join_and_connect(base, links[Role.PARTICIPANT], f"Editor {n}") for n in range(3)]
    board_id = (await editors[0].call("room.enter"))["boards"][0]["id"]
    watchers = [
        Watcher(base, await join_and_connect(base, links[role], f"Watcher {n}"), board_id, random.Random(seed + n))
        for n, role in enumerate([Role.PARTICIPANT] * 4 + [Role.OBSERVER, Role.FACILITATOR])
    ]
    moderator = await join_and_connect(base, links[Role.FACILITATOR], "Moderation")
    stop = asyncio.Event()
    watching = [asyncio.create_task(w.run(stop)) for w in watchers]
    moderating = asyncio.create_task(moderate(moderator, board_id, random.Random(seed), stop))
    await asyncio.gather(*(edit(e, board_id, fields, random.Random(rng.random()), 60) for e in editors))
    stop.set()
    await asyncio.gather(*watching, moderating)

    final: dict[str, Any] = {}
    for watcher in watchers:
        await asyncio.sleep(0.05)
        await watcher.drain()
        await watcher.sync()
        truth = (await watcher.client.call("board.sync", {"board_id": board_id}))["snapshot"]
        assert watcher.mirror is not None
        assert watcher.mirror.state() == BoardMirror.of(truth)
        final[watcher.client.member_id] = truth
        assert watcher.reconnects > 0
    assert sum(w.reconnects for w in watchers) >= 10
    assert max(len(t["ideas"]) for t in final.values()) > 10  # the board really changed
    for client in (*editors, moderator, *(w.client for w in watchers)):
        await client.disconnect()
    await server.close()
