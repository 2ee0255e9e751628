"""The connection state is visible; after the server restarts, clients reconnect and resync."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import open_post_form
from tests.browser.conftest import DE, ServerProcess, column, join

pytestmark = pytest.mark.browser

RECONNECT_TIMEOUT = 25_000  # socket.io backs off up to 10 s between attempts


def test_clients_reconnect_and_resync_after_a_server_restart(
    new_context: Any, make_event: Any, server: ServerProcess
) -> None:
    links = make_event("Neustart-Probe", ["Mobilität", "Bildung"])
    ada_context, _ = new_context()
    ada = join(ada_context, links["participant"], "Ada")
    bo = join(new_context()[0], links["participant"], "Bo")
    status = ada.locator("#conn-status")
    expect(status).to_be_visible()
    expect(status).to_have_text(DE["client.conn.online"])

    # What Ada's page asks the server after reconnecting.
    syncs: list[Any] = []

    def watch_socket(ws: Any) -> None:
        def sent(payload: Any) -> None:
            if isinstance(payload, str) and '"board.sync"' in payload:
                syncs.append(json.loads(payload[payload.index("[") :])[1])

        ws.on("framesent", sent)

    ada.on("websocket", watch_socket)
    for page in (ada, bo):
        open_post_form(page)

    ada.get_by_label(DE["client.board.text"]).fill("Vor dem Neustart")
    ada.get_by_role("button", name=DE["client.board.post"]).click()
    expect(column(bo, "Mobilität").get_by_text("Vor dem Neustart")).to_be_visible()

    # The server goes away hard (a crash; a graceful SIGTERM waits for open websockets,
    # see the report) and comes back on the same port and database.
    server.stop(crash=True)
    for page in (ada, bo):
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    expect(status).to_have_text(DE["client.conn.offline"])
    ada_context.set_offline(True)  # Ada stays away until Bo has posted

    # Bo posts while the server is down: the idea waits and goes out on reconnect.
    bo.get_by_label(DE["client.board.text"]).fill("Während der Pause")
    bo.get_by_role("button", name=DE["client.board.post"]).click()
    expect(bo.locator("#post-status")).to_have_text(DE["client.board.queued"])

    server.start()
    expect(bo.locator("#conn-status")).to_have_attribute("data-state", "online", timeout=RECONNECT_TIMEOUT)
    expect(column(bo, "Mobilität").get_by_role("listitem")).to_have_count(2, timeout=RECONNECT_TIMEOUT)
    expect(bo.get_by_label(DE["client.board.text"])).to_have_value("")
    expect(status).to_have_attribute("data-state", "offline")

    ada_context.set_offline(False)
    expect(status).to_have_attribute("data-state", "online", timeout=RECONNECT_TIMEOUT)
    expect(status).to_have_text(DE["client.conn.online"])
    ideas = column(ada, "Mobilität").get_by_role("listitem")
    expect(ideas).to_have_count(2)
    expect(ideas.filter(has_text="Während der Pause")).to_contain_text(DE["client.board.by"].format(name="Bo"))
    expect(ada.locator("#presence-count")).to_have_text("2")
    # Ada asked only for what she missed, not for the whole board again.
    assert syncs, "Ada's page resynced the board"
    assert syncs[-1]["since"] == 1, syncs

    # Both are live again: a new idea reaches the other side at once.
    ada.get_by_label(DE["client.board.text"]).fill("Nach dem Neustart")
    ada.get_by_role("button", name=DE["client.board.post"]).click()
    expect(column(bo, "Mobilität").get_by_text("Nach dem Neustart")).to_be_visible()
    # Each idea exactly once.
    expect(column(bo, "Mobilität").get_by_role("listitem")).to_have_count(3)


def test_a_refused_token_says_so(new_context: Any, make_event: Any, server: ServerProcess) -> None:
    links = make_event("Falscher Schlüssel")
    context, _watch = new_context()
    page = join(context, links["participant"], "Eve")
    event_id = page.url.rsplit("/", 1)[1]
    page.evaluate(
        "([key]) => localStorage.setItem(key, JSON.stringify({token: 'x'.repeat(43), member_id: 'mem_x'}))",
        [f"werkstatt.member.{event_id}"],
    )
    page.reload()
    expect(page.get_by_text(DE["room.no_token"])).to_be_visible()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "refused")
    expect(page.locator("#post-form")).to_be_hidden()
