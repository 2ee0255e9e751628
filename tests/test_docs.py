"""The docs against the code: generated documents are current, complete and true.

Generated documents (``python -m server.docs_gen``) must equal what the code generates
now; every event, error code, setting and CLI command must appear; the JSON Schemas must
be valid and must match what a real server sends and accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server import cli, docs_gen
from server import protocol as p
from server.live.gateway import error_ack
from server.live.handlers import registry
from server.protocol import docs as protocol_docs
from server.settings import ENV_PREFIX, Settings
from tests.support import base_url, connect, join, make_event, start_server

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATED = docs_gen.documents()
VALIDATOR = jsonschema.Draft202012Validator


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def protocol_json() -> dict[str, Any]:
    return json.loads(read("protocol.json"))


def documented(where: str) -> VALIDATOR:
    """The validator for one schema of the committed protocol.json, e.g. ``client.board.sync.ack``."""
    doc = protocol_json()
    kind, _, rest = where.partition(".")
    if kind == "client":
        name, _, part = rest.rpartition(".")
        (event,) = [e for e in doc["client_events"] if e["name"] == name]
        return VALIDATOR(event[part])
    if kind == "server":
        (event,) = [e for e in doc["server_events"] if e["name"] == rest]
        return VALIDATOR(event["schema"])
    if where == "error_ack":
        return VALIDATOR(doc["error_ack"])
    join_api = doc["http"]["join"]
    return VALIDATOR({"join.request": join_api["request"], "join.response": join_api["response"]["schema"]}[where])


# -- generated documents are current ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_doc_is_current(name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing: run scripts/docs (python -m server.docs_gen) and commit it"
    assert path.read_text(encoding="utf-8") == GENERATED[name], (
        f"docs/{name} differs from what the code generates: run scripts/docs (python -m server.docs_gen) "
        "and commit the result"
    )


def test_generation_is_deterministic() -> None:
    assert docs_gen.documents() == GENERATED
    text = GENERATED["protocol.json"]
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_check_mode_reports_stale_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert docs_gen.main(["--out", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert docs_gen.main(["--out", str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(GENERATED)
    assert docs_gen.main(["--out", str(tmp_path), "--check"]) == 0


# -- the protocol is complete -------------------------------------------------------------


def test_every_client_event_is_documented() -> None:
    md = read("protocol.md")
    doc = protocol_json()
    assert [e["name"] for e in doc["client_events"]] == list(registry.specs)
    for name, spec in registry.specs.items():
        assert f"### `{name}`" in md, f"{name} is not documented in docs/protocol.md"
        assert spec.summary, f"{name}'s handler has no docstring to summarise it"
        (event,) = [e for e in doc["client_events"] if e["name"] == name]
        assert set(event["roles"]) == {role.value for role in spec.roles}


def test_every_server_event_is_documented() -> None:
    md = read("protocol.md")
    doc = protocol_json()
    assert [e["name"] for e in doc["server_events"]] == list(p.SERVER_EVENTS)
    for name in p.SERVER_EVENTS:
        assert f"### `{name}`" in md, f"{name} is not documented in docs/protocol.md"


def test_every_error_code_is_documented() -> None:
    md = read("protocol.md")
    assert protocol_json()["error_codes"] == p.ERROR_CODES
    for code in p.ERROR_CODES:
        assert f"| `{code}` |" in md


def test_protocol_md_explains_what_a_client_needs() -> None:
    md = read("protocol.md")
    for needle in (
        "POST /api/join",
        "/socket.io/",
        'transports: ["websocket"]',
        'auth: {"token"',
        "exactly one\nacknowledgement",
        "`seq` == local + 1",
        "`seq` <= local",
        "client_id",
        "rate_limited",
        "max_message_bytes",
        "allowed_origins",
        "`websocket error`",  # what a client sees of a refused Origin or Host
        "allowed_hosts",
        "| above the board's `seq` | `snapshot` |",
        "`vote.open` needs the vote phase",
        "moderators_vote",
        '<a id="organizer-program"></a>',  # run by tests/integration/test_connecting_as_documented.py
    ):
        assert needle in md, f"docs/protocol.md no longer explains {needle!r}"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_protocol_json_holds_valid_self_contained_schemas() -> None:
    doc = protocol_json()
    schemas = list(protocol_docs.iter_schemas(doc))
    assert len(schemas) == 5 + 2 * len(registry.specs) + 1 + len(p.SERVER_EVENTS)
    ids = set()
    for where, schema in schemas:
        VALIDATOR.check_schema(schema)
        assert schema["$schema"] == protocol_docs.JSON_SCHEMA_DIALECT, where
        ids.add(schema["$id"])
        for ref in _refs(schema):
            assert ref.startswith("#/$defs/"), f"{where}: reference {ref} leaves its schema"
            assert ref.removeprefix("#/$defs/") in schema.get("$defs", {}), f"{where}: {ref} is not defined"
    assert len(ids) == len(schemas), "every schema needs its own $id"


def test_documented_error_ack_is_what_the_gateway_sends() -> None:
    documented("error_ack").validate(error_ack("forbidden", "No."))
    assert not documented("error_ack").is_valid({"ok": False, "error": {"code": "forbidden"}})


# -- settings and the command line --------------------------------------------------------


def test_every_setting_is_documented() -> None:
    md = read("settings.md")
    for name, field in Settings.model_fields.items():
        assert f"## `{name}`" in md, f"setting {name} is not documented in docs/settings.md"
        assert f"`{ENV_PREFIX}{name.upper()}`" in md
        assert field.description, f"setting {name} has no description"
        assert field.description in md
    for name, flags in docs_gen.cli_flags().items():
        for command, flag in flags:
            assert f"`werkstatt {command} {flag}`" in md, f"{command} {flag} (sets {name}) is not in docs/settings.md"


def test_secret_defaults_are_shown_safely() -> None:
    from pydantic import SecretStr

    assert docs_gen._safe_default(SecretStr("postgresql://u:hunter2@db/x")) == "`postgresql://u:***@db/x`"
    assert "(secret)" in read("settings.md").split("## `database`")[1].split("\n")[0]


def test_every_cli_command_and_option_is_documented() -> None:
    md = read("cli.md")
    for words, parser in docs_gen.walk(cli.parser()):
        assert f"## `{' '.join(('werkstatt', *words))}`" in md, f"werkstatt {' '.join(words)} is not in docs/cli.md"
        for action in parser._actions:
            for flag in action.option_strings:
                assert f"`{flag}`" in md
            if not action.option_strings and action.help is not None:
                assert action.help in md


# -- hand-written docs link to what exists ------------------------------------------------


def test_links_between_docs_resolve() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_index_links_every_doc() -> None:
    index = read("index.md")
    for path in sorted(DOCS.iterdir()):
        if path.name != "index.md":
            assert f"({path.name})" in index, f"docs/index.md does not link {path.name}"


# -- the documented schemas are what a real server sends and accepts ----------------------


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    yield srv
    await srv.close()


async def test_join_api_answers_as_documented(server: TestServer) -> None:
    base = base_url(server)
    _event, links = await make_event(server.app)
    link = links[next(iter(links))]
    status, body = await join(base, link, "Anna", "teal")
    assert status == 201
    documented("join.response").validate(body)
    documented("join.request").validate({"link": link, "pseudonym": "Anna", "colour": "teal"})

    def good(**changes: Any) -> dict[str, Any]:
        return {"link": link, "pseudonym": "Berta", "colour": "blue", **changes}

    provoke: dict[tuple[int, str], dict[str, Any]] = {
        (400, "invalid_payload"): {"json": {"link": link}},
        (400, "invalid_input"): {"json": good(colour="chartreuse")},
        (400, "text_too_short"): {"json": good(pseudonym="   ")},
        (400, "text_too_long"): {"json": good(pseudonym="x" * 41)},
        (400, "control_characters"): {"json": good(pseudonym="a\u0007b")},
        (403, "foreign_origin"): {"json": good(), "headers": {"Origin": "https://elsewhere.example"}},
        (404, "invalid_link"): {"json": good(link="x" * 43)},
        (409, "pseudonym_taken"): {"json": good(pseudonym=" anna ")},
        (415, "invalid_payload"): {"data": json.dumps(good()), "headers": {"Content-Type": "text/plain"}},
    }
    rate_limited = (429, "rate_limited")  # provoked in the next test, with a small limit
    assert sorted([*provoke, rate_limited]) == sorted((status, code) for status, code, _ in protocol_docs.JOIN_ERRORS)
    async with aiohttp.ClientSession() as http:
        for (status, code), kwargs in provoke.items():
            async with http.post(f"{base}/api/join", **kwargs) as response:
                answer = await response.json()
            assert (response.status, answer["error"]["code"]) == (status, code), answer
            documented("error_ack").validate(answer)


async def test_a_rate_limited_join_answers_as_documented(sqlite_url: str) -> None:
    srv = await start_server(sqlite_url, join_burst_per_address=1, join_rate_per_address=0.01)
    try:
        _event, links = await make_event(srv.app)
        assert (await join(base_url(srv), links[Role.PARTICIPANT], "Anna"))[0] == 201
        async with aiohttp.ClientSession() as http:
            body = {"link": links[Role.PARTICIPANT], "pseudonym": "Berta", "colour": "blue"}
            async with http.post(f"{base_url(srv)}/api/join", json=body) as response:
                answer = await response.json()
        assert (response.status, answer["error"]["code"]) == (429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
        documented("error_ack").validate(answer)
    finally:
        await srv.close()


async def test_a_session_matches_the_documented_schemas(server: TestServer) -> None:
    """Follow docs/protocol.md as a client would, checking every message against protocol.json."""
    base = base_url(server)
    event, links = await make_event(server.app)
    participant_link = next(token for role, token in links.items() if role.value == "participant")
    observer_link = next(token for role, token in links.items() if role.value == "observer")

    status, anna = await join(base, participant_link, "Anna")
    assert status == 201
    status, olga = await join(base, observer_link, "Olga")
    assert status == 201

    auth = VALIDATOR(protocol_json()["socketio"]["auth"])
    auth.validate({"token": anna["token"]})
    assert not auth.is_valid({})
    watcher = await connect(base, olga["token"], olga["member_id"])
    author = await connect(base, anna["token"], anna["member_id"])
    try:
        documented("server.presence.changed").validate(
            await watcher.wait_for("presence.changed", lambda d: anna["member_id"] in [m["id"] for m in d["joined"]])
        )
        entered = await author.call("room.enter")
        documented("client.room.enter.ack").validate(entered)
        board = entered["boards"][0]
        field_id = entered["event"]["fields"][0]["id"]

        payload = {"board_id": board["id"], "field_id": field_id, "text": "Mehr Radwege", "client_id": "c-1"}
        documented("client.board.idea.create.payload").validate(payload)
        created = await author.call("board.idea.create", payload)
        documented("client.board.idea.create.ack").validate(created)
        changed = await watcher.wait_for("board.changed", lambda d: d["seq"] == created["seq"])
        documented("server.board.changed").validate(changed)
        assert changed["seq"] == board["seq"] + 1  # the documented rule: one more per change

        again = await author.call("board.idea.create", payload)
        assert again["idea"]["id"] == created["idea"]["id"]  # the same client_id: no duplicate

        edit = {"board_id": board["id"], "idea_id": created["idea"]["id"], "text": "Mehr sichere Radwege"}
        documented("client.board.idea.edit.payload").validate(edit)
        documented("client.board.idea.edit.ack").validate(await author.call("board.idea.edit", edit))

        for since in (None, board["seq"]):
            sync = {"board_id": board["id"], "since": since}
            documented("client.board.sync.payload").validate(sync)
            answer = await watcher.call("board.sync", sync)
            documented("client.board.sync.ack").validate(answer)
            assert (answer["snapshot"] is None) == (since is not None)

        delete = {"board_id": board["id"], "idea_id": created["idea"]["id"]}
        documented("client.board.idea.delete.payload").validate(delete)
        documented("client.board.idea.delete.ack").validate(await author.call("board.idea.delete", delete))

        # What the documented payload schema refuses, the server refuses too, with an error ack.
        extra = {**payload, "client_id": "c-2", "colour": "red"}
        assert not documented("client.board.idea.create.payload").is_valid(extra)
        refused = await author.call("board.idea.create", extra)
        documented("error_ack").validate(refused)
        assert refused["error"]["code"] == "invalid_payload"

        forbidden = await watcher.call("board.idea.create", {**payload, "client_id": "c-3"})
        assert forbidden["error"]["code"] == "forbidden"
        unknown = await author.call("no.such.event", {})
        assert unknown["error"]["code"] in p.ERROR_CODES
    finally:
        await author.disconnect()
    documented("server.presence.changed").validate(
        await watcher.wait_for("presence.changed", lambda d: anna["member_id"] in d["left"])
    )
    await watcher.disconnect()
    assert event.id == anna["event_id"]


async def test_a_refused_connection_carries_the_documented_code(server: TestServer) -> None:
    documented_refusal = protocol_json()["socketio"]
    token_schema = documented_refusal["auth"]["properties"]["token"]
    low, high = token_schema["minLength"], token_schema["maxLength"]
    for auth in (None, {"token": "x" * (low - 1)}, {"token": "x" * (high + 1)}, {"token": "y" * low}):
        refusals: list[Any] = []
        async with aiohttp.ClientSession() as http:
            sio = socketio.AsyncClient(reconnection=False, http_session=http)
            sio.on("connect_error", refusals.append)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await sio.connect(base_url(server), auth=auth, transports=["websocket"], wait_timeout=10)
        assert len(refusals) == 1, auth
        VALIDATOR(documented_refusal["connect_error"]["schema"]).validate(refusals[0])
        assert refusals[0]["data"]["code"] == documented_refusal["connect_error"]["code"]
