"""Bad input to every event: a clear error in the one error shape, nothing changed, others unaffected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server.keys import STORE
from server.live.handlers import registry
from tests.support import Client, base_url, connect, join_and_connect, make_event, start_server

GOOD_TEXT = "Eine gute Idee"


@pytest.fixture
async def scene(sqlite_url: str) -> AsyncIterator[dict[str, Any]]:
    """A running server with an idea by Anna, and Ben and an observer connected."""
    server = await start_server(sqlite_url, rate_burst=10_000, rate_per_second=10_000.0)
    event, links = await make_event(server.app)
    base = base_url(server)
    anna = await join_and_connect(base, links[Role.PARTICIPANT], "Anna")
    ben = await join_and_connect(base, links[Role.PARTICIPANT], "Ben")
    olga = await join_and_connect(base, links[Role.OBSERVER], "Olga")
    board_id = (await anna.call("room.enter"))["boards"][0]["id"]
    idea = (
        await anna.call("board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": GOOD_TEXT})
    )["idea"]
    await ben.wait_for("board.changed", lambda c: c["seq"] == 1)
    yield {
        "server": server,
        "base": base,
        "event": event,
        "anna": anna,
        "ben": ben,
        "olga": olga,
        "board_id": board_id,
        "idea": idea,
        "field_id": event.fields[0].id,
    }
    for client in (anna, ben, olga):
        if client.sio.connected:
            await client.disconnect()
    await server.close()


def valid_payload(event: str, scene: dict[str, Any]) -> dict[str, Any]:
    """A payload that fits the event's schema (the domain may still refuse it)."""
    board = {"board_id": scene["board_id"]}
    idea = {**board, "idea_id": scene["idea"]["id"]}
    session = {**board, "session_id": "vs_unknown1"}
    rnd = {"round_id": "br_unknown1"}
    return {
        "room.enter": {},
        "board.sync": {**board, "since": 0},
        "board.create": {"title": "Zweite Wand"},
        "board.view": {**board, "editing": None},
        "board.present": board,
        "board.idea.create": {**board, "field_id": scene["field_id"], "text": GOOD_TEXT},
        "board.idea.edit": {**idea, "text": "Geändert"},
        "board.idea.delete": idea,
        "board.idea.move": {**idea, "field_id": scene["field_id"], "after_id": None},
        "board.idea.report": idea,
        "board.idea.moderate": {**idea, "action": "hide"},
        "board.idea.merge": {**board, "target_id": scene["idea"]["id"], "idea_ids": ["idea_other1"]},
        "board.cluster.create": {**board, "idea_ids": [scene["idea"]["id"]], "heading": "Radverkehr"},
        "board.cluster.assign": {**idea, "cluster_id": None},
        "board.cluster.rename": {**board, "cluster_id": "cl_unknown1", "heading": "x"},
        "board.cluster.nest": {**board, "cluster_id": "cl_unknown1", "parent_id": None},
        "board.cluster.dissolve": {**board, "cluster_id": "cl_unknown1"},
        "board.comment.create": {**idea, "text": "Gut"},
        "board.comment.delete": {**board, "comment_id": "cm_unknown1"},
        "board.comment.moderate": {**board, "comment_id": "cm_unknown1", "hidden": True},
        "board.phase": {**board, "phase": "cluster"},
        "board.reveal": board,
        "board.lock": {**board, "locked": True},
        "board.premoderation": {**board, "on": True},
        "vote.open": {**board, "budget": 5, "cap": 3},
        "vote.change": {**session, "budget": 6},
        "vote.extend": {**session, "seconds": 60},
        "vote.close": {**session, "reveal": False},
        "vote.reveal": session,
        "vote.cast": {**session, "idea_id": scene["idea"]["id"]},
        "vote.remove": {**session, "idea_id": scene["idea"]["id"]},
        "vote.state": board,
        "breakout.create": {"rooms": [{"name": "Mobilität"}, {"name": "Bildung"}], "mode": "automatic"},
        "breakout.assign": {**rnd, "mode": "automatic", "seed": 1},
        "breakout.move": {**rnd, "member_id": "mb_unknown1", "room_id": None},
        "breakout.choose": {**rnd, "room_id": None},
        "breakout.prefer": {**rnd, "room_ids": ["rm_unknown1"]},
        "breakout.open": rnd,
        "breakout.close": {**rnd, "now": True},
        "breakout.extend": {**rnd, "seconds": 300},
        "breakout.help": rnd,
        "breakout.help.withdraw": rnd,
        "breakout.help.answer": {**rnd, "member_id": "mb_unknown1", "visit": False},
        "breakout.visit": {"room_id": None},
        "breakout.state": {},
        "breakout.rotate": rnd,
        "breakout.results": rnd,
        "clock.sync": {},
        "facilitation.state": {},
        "broadcast.send": {"text": "Noch fünf Minuten", "scope": "everyone", "room_id": None},
        "board.spotlight": board,
        "member.remove": {"member_id": "mb_unknown1", "reason": "Beleidigungen"},
        "timer.start": {"room_id": None, "duration_s": 300, "label": "Sammeln", "warn_s": 60},
        "timer.pause": {"room_id": None},
        "timer.resume": {"room_id": None},
        "timer.extend": {"room_id": None, "seconds": 60},
        "timer.reset": {"room_id": None},
        "timer.state": {"room_id": None},
        "agenda.get": {},
        "agenda.add": {"title": "Begrüßung", "kind": "plenary", "duration_s": 600, "expected_version": 0},
        "agenda.edit": {"step_id": "st_unknown1", "title": "Pause", "expected_version": 0},
        "agenda.remove": {"step_id": "st_unknown1", "expected_version": 0},
        "agenda.move": {"step_id": "st_unknown1", "position": 0, "expected_version": 0},
        "agenda.set_current": {"step_id": "st_unknown1", "expected_version": 0},
        "agenda.next": {"from_step": None},
        "agenda.previous": {"from_step": "st_unknown1"},
        "agenda.finish": {"expected_version": 0},
        "hand.raise": {},
        "hand.lower": {"member_id": None, "room_id": None},
        "hand.next": {"room_id": None, "expected": None},
        "hand.clear": {"room_id": None},
        "chat.send": {"text": "Hallo zusammen"},
        "chat.history": {},
        "chat.hide": {"message_id": "msg_unknown1", "hidden": True},
        "chat.silence": {"member_id": "mb_unknown1", "silenced": True},
        "question.ask": {"text": "Wann kommt der Radweg?", "anonymous": False},
        "question.upvote": {"question_id": "qn_unknown1", "up": True},
        "question.answer": {"question_id": "qn_unknown1", "answered": True},
        "question.hide": {"question_id": "qn_unknown1", "hidden": True},
        "question.pin": {"question_id": "qn_unknown1"},
        "question.list": {"order": "votes", "answered_last": True},
        "space.enter": {},
        "space.move": {"x": 48, "y": 48, "dir": "down", "moving": False},
        "space.goto": {"member_id": "mb_unknown1"},
        "space.follow": {"member_id": None},
        "space.locate": {"member_id": "mb_unknown1"},
        "space.status": {"status": "away"},
        "bubble.lock": {"locked": True},
        "bubble.chat": {"text": "Hallo"},
        "rtc.signal": {"to": "mb_unknown1", "data": {"type": "bye"}},
    }[event]


def _valid(model: Any, payload: Any) -> bool:
    try:
        model.model_validate(payload)
    except ValueError:
        return False
    return True


def schema_violations(event: str, good: dict[str, Any]) -> list[tuple[str, Any]]:
    """Payloads that break the event's schema, derived from its model so that new events are covered."""
    model = registry.specs[event].payload
    cases: list[tuple[str, Any]] = [
        ("a list", [good]),
        ("a string", "hello"),
        ("a number", 42),
        ("null", None),
        ("an unknown key", {**good, "sneaky": True}),
    ]
    for name, field in model.model_fields.items():
        if field.is_required():
            cases.append((f"{name} missing", {k: v for k, v in good.items() if k != name}))
        cases.append((f"{name} as a list", {**good, name: [1, 2]}))
        cases.append((f"{name} as an object", {**good, name: {"$gt": ""}}))
        cases.append((f"{name} as a bool", {**good, name: True}))
        cases.append((f"{name} oversized", {**good, name: "x" * 9000}))
    return cases


RULE_VIOLATIONS: list[tuple[str, str, dict[str, Any], str]] = [
    # (event, description, changes to the valid payload, expected code)
    ("board.idea.create", "empty text", {"text": "   "}, "text_too_short"),
    ("board.idea.create", "text too long", {"text": "x" * 2001}, "text_too_long"),
    ("board.idea.create", "control characters", {"text": "Hallo\x00\x1b[2J"}, "control_characters"),
    ("board.idea.create", "a line separator", {"text": "Zeile\u2028Zeile"}, "control_characters"),
    ("board.idea.create", "unknown column", {"field_id": "fld_doesnotexist"}, "not_found"),
    ("board.idea.create", "unknown board", {"board_id": "bd_doesnotexist"}, "not_found"),
    ("board.idea.create", "malformed id", {"board_id": "../../etc/passwd"}, "invalid_payload"),
    ("board.idea.create", "bad client id", {"client_id": "<x>"}, "invalid_payload"),
    ("board.idea.edit", "someone else's idea", {"__actor": "ben"}, "forbidden"),
    ("board.idea.edit", "control characters", {"text": "Hallo\x07"}, "control_characters"),
    ("board.idea.edit", "nothing to change", {"text": None}, "conflict"),
    ("board.idea.edit", "unknown idea", {"idea_id": "idea_nope"}, "not_found"),
    ("board.idea.edit", "unknown column", {"field_id": "fld_nope"}, "not_found"),
    ("board.idea.delete", "someone else's idea", {"__actor": "ben"}, "forbidden"),
    ("board.idea.delete", "unknown idea", {"idea_id": "idea_nope"}, "not_found"),
    ("board.idea.create", "by an observer", {"__actor": "olga"}, "forbidden"),
    ("board.idea.delete", "by an observer", {"__actor": "olga"}, "forbidden"),
    ("board.sync", "negative since", {"since": -1}, "invalid_payload"),
    ("board.sync", "since as a string", {"since": "1"}, "invalid_payload"),
    ("board.sync", "unknown board", {"board_id": "bd_nope"}, "not_found"),
]


async def state(scene: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a bad command could have changed: the stored ideas, the live board and its seq."""
    rows = await scene["server"].app[STORE].idea_rows(scene["event"].id, include_deleted=True)
    sync = await scene["ben"].call("board.sync", {"board_id": scene["board_id"]})
    return [(r["id"], r["text"], r["field_id"], r["deleted_at"]) for r in rows], sync["seq"], sync["snapshot"]["ideas"]


def assert_error_shape(ack: Any, code: str | None = None) -> None:
    assert isinstance(ack, dict) and set(ack) == {"ok", "error"}, ack
    assert ack["ok"] is False
    assert set(ack["error"]) == {"code", "message"}, ack
    assert isinstance(ack["error"]["code"], str) and ack["error"]["code"]
    assert isinstance(ack["error"]["message"], str) and len(ack["error"]["message"]) > 5
    if code is not None:
        assert ack["error"]["code"] == code, ack


async def others_unaffected(scene: dict[str, Any], before_changes: int) -> None:
    ben: Client = scene["ben"]
    assert (await ben.call("room.enter"))["ok"] is True
    assert len(ben.received["board.changed"]) == before_changes


def test_every_event_has_a_valid_payload_to_break() -> None:
    """A new event must be added to valid_payload, so that its schema is attacked too."""
    scene = {"board_id": "bd_x", "field_id": "fld_x", "idea": {"id": "idea_x"}}
    for event, spec in registry.specs.items():
        spec.payload.model_validate(valid_payload(event, scene))


@pytest.mark.parametrize("event", sorted(registry.specs))
async def test_schema_violations_of_every_event(scene: dict[str, Any], event: str) -> None:
    good = valid_payload(event, scene)
    before = await state(scene)
    changes = len(scene["ben"].received["board.changed"])
    cases = schema_violations(event, good)
    if not registry.specs[event].payload.model_fields:
        # an event without fields may be sent without a payload (null); any key is unknown
        cases = [c for c in cases if c[0] not in ("an unknown key", "null")] + [("any key", {"x": 1})]
    for description, payload in cases:
        # null goes out as no argument, which the server reads as {}: fine for a payload of optional fields
        if _valid(registry.specs[event].payload, {} if payload is None else payload):
            continue  # e.g. a bool where a bool belongs
        ack = await scene["anna"].sio.call(event, payload, timeout=10)
        assert_error_shape(ack, "invalid_payload")
        assert description  # (kept for the failure message)
    # several arguments instead of one payload
    ack = await scene["anna"].sio.call(event, (good, good), timeout=10)
    assert_error_shape(ack, "invalid_payload")
    assert await state(scene) == before
    await others_unaffected(scene, changes)


@pytest.mark.parametrize(
    ("event", "description", "changes", "code"), RULE_VIOLATIONS, ids=[f"{e}:{d}" for e, d, _c, _x in RULE_VIOLATIONS]
)
async def test_rule_violations(
    scene: dict[str, Any], event: str, description: str, changes: dict[str, Any], code: str
) -> None:
    payload = {**valid_payload(event, scene), **changes}
    actor = scene[payload.pop("__actor", "anna")]
    before = await state(scene)
    count = len(scene["ben"].received["board.changed"])
    ack = await actor.sio.call(event, payload, timeout=10)
    assert_error_shape(ack, code)
    assert await state(scene) == before
    await others_unaffected(scene, count)


async def test_unknown_events_get_an_error(scene: dict[str, Any]) -> None:
    for name in ("board.idea.explode", "admin.shutdown", "x" * 500, "connect", "disconnect", "message"):
        for payload in ({}, "client disconnect", {"aiohttp.request": {}}):
            ack = await scene["anna"].sio.call(name, payload, timeout=10)
            assert_error_shape(ack, "unknown_event")
    # reserved names did not disconnect Anna in the server's view: she is still present
    presence = (await scene["ben"].call("room.enter"))["presence"]
    assert "Anna" in [m["pseudonym"] for m in presence]
    assert [d for d in scene["ben"].received["presence.changed"] if d["left"]] == []


async def test_an_oversized_frame_closes_only_that_connection(scene: dict[str, Any]) -> None:
    before = await state(scene)
    mallory = await connect(scene["base"], scene["anna"].token)
    closed = asyncio.Event()
    mallory.sio.on("disconnect", closed.set)
    huge = {"board_id": scene["board_id"], "field_id": scene["field_id"], "text": "x" * 200_000}
    await mallory.sio.emit("board.idea.create", huge)
    await asyncio.wait_for(closed.wait(), 10)
    assert await state(scene) == before
    await others_unaffected(scene, len(scene["ben"].received["board.changed"]))
    # the member may connect again
    again = await connect(scene["base"], scene["anna"].token)
    assert (await again.call("room.enter"))["ok"]
    await again.disconnect()
    await mallory.sio.eio.http.close()


async def test_a_flooding_client_is_rate_limited_and_others_keep_working(sqlite_url: str) -> None:
    server = await start_server(sqlite_url, rate_burst=20, rate_per_second=5.0)
    event, links = await make_event(server.app)
    base = base_url(server)
    flood = await join_and_connect(base, links[Role.PARTICIPANT], "Flut")
    calm = await join_and_connect(base, links[Role.PARTICIPANT], "Ruhig")
    board_id = (await calm.call("room.enter"))["boards"][0]["id"]
    acks = await asyncio.gather(*(flood.call("board.sync", {"board_id": board_id}) for _ in range(60)))
    limited = [a for a in acks if not a["ok"]]
    assert 30 <= len(limited) <= 40  # a burst of 20 (plus what refilled meanwhile) went through
    for ack in limited:
        assert_error_shape(ack, "rate_limited")
    ack = await calm.call("board.idea.create", {"board_id": board_id, "field_id": event.fields[0].id, "text": "Ok"})
    assert ack["ok"] is True
    await flood.disconnect()
    await calm.disconnect()
    await server.close()


async def test_a_failing_handler_answers_internal_and_the_server_goes_on(
    scene: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A fault below the domain (here: the database is gone) never escapes a handler."""
    server: TestServer = scene["server"]
    store = server.app[STORE]
    engine = store.engine
    engine.dispose()

    class Broken:
        def begin(self) -> Any:
            raise RuntimeError("disk on fire")

        connect = begin

    store.engine = Broken()  # type: ignore[assignment]
    try:
        ack = await scene["anna"].call(
            "board.idea.create", {"board_id": scene["board_id"], "field_id": scene["field_id"], "text": "Neu"}
        )
        assert_error_shape(ack, "internal")
        assert "disk on fire" not in ack["error"]["message"]  # no internals leak to clients
        assert any("board.idea.create" in r.getMessage() for r in caplog.records)
    finally:
        store.engine = engine
    ack = await scene["anna"].call(
        "board.idea.create", {"board_id": scene["board_id"], "field_id": scene["field_id"], "text": "Neu"}
    )
    assert ack["ok"] is True and ack["seq"] == 2  # the failed attempt left no trace


async def test_bad_join_requests(scene: dict[str, Any]) -> None:
    base = scene["base"]
    link = "y" * 43
    async with aiohttp.ClientSession() as http:
        cases = [
            ({"data": "not json", "headers": {"Content-Type": "application/json"}}, 400, "invalid_payload"),
            (
                {"data": "link=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
                415,
                "invalid_payload",
            ),
            (
                {"json": {"link": link, "pseudonym": "A", "colour": "blue", "role": "facilitator"}},
                400,
                "invalid_payload",
            ),
            ({"json": {"link": 5, "pseudonym": "A", "colour": "blue"}}, 400, "invalid_payload"),
            (
                {
                    "json": {"link": link, "pseudonym": "A", "colour": "blue"},
                    "headers": {"Origin": "https://evil.example"},
                },
                403,
                "foreign_origin",
            ),
        ]
        for kwargs, status, code in cases:
            async with http.post(f"{base}/api/join", **kwargs) as response:
                assert response.status == status, kwargs
                body = await response.json()
                assert body["ok"] is False and body["error"]["code"] == code
        async with http.post(
            f"{base}/api/join", data=b"x" * 400_000, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 413
