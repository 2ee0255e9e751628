"""The organizer reads the facilitation log: reached from the event page by keyboard, a table that axe-core
finds clean, in German and English."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DE,
    OrganizerAccount,
    ServerProcess,
    create_event,
    describe_violations,
    login,
    run_axe,
)
from tests.support import Client, connect, join

pytestmark = pytest.mark.browser


def facilitate(base: str, links: dict[str, str]) -> None:
    """A facilitator starts a timer, announces something and removes a participant (real Socket.IO clients,
    on an event loop of their own: the browser's sync API holds this thread's)."""

    async def work() -> None:
        clients: list[Client] = []
        try:
            for link, name in ((links["facilitator"], "Fiona"), (links["participant"], "Paul")):
                status, body = await join(base, link.rsplit("/", 1)[1], name)  # the token of the /j/… link
                assert status == 201, body
                clients.append(await connect(base, body["token"], body["member_id"]))
            fac, paul = clients
            for event, payload in (
                ("timer.start", {"duration_s": 600, "label": "Ideen sammeln"}),
                ("broadcast.send", {"text": "Noch zehn Minuten", "scope": "everyone"}),
                ("member.remove", {"member_id": paul.member_id, "reason": "Störungen"}),
            ):
                ack = await fac.call(event, payload)
                assert ack["ok"], ack
        finally:
            for client in clients:
                if client.sio.connected:
                    await client.disconnect()
                else:
                    await client.sio.eio.http.close()

    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not failures, failures


def test_the_organizer_reads_the_facilitation_log(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, _watch = new_context()
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Infoabend Radverkehr", ["Mobilität", "Umwelt"])
    facilitate(server.base, links)

    page.get_by_role("link", name=DE["event.audit"]).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Infoabend Radverkehr"))
    table = page.get_by_role("table", name=DE["audit.caption"])
    expect(table.get_by_role("row")).to_have_count(4)  # the heading and three entries
    expect(table.get_by_role("columnheader", name=DE["audit.action"])).to_be_visible()
    first = table.get_by_role("row").nth(1)
    expect(first).to_contain_text(DE["audit.action.member.remove"])
    expect(first).to_contain_text("Paul")
    expect(first).to_contain_text("Störungen")
    expect(table.get_by_role("row").nth(3)).to_contain_text(DE["audit.action.timer.start"])
    violations = run_axe(page)
    assert not violations, describe_violations("the facilitation log", violations)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("table", name="Entries, newest first")).to_be_visible()
    violations = run_axe(page)
    assert not violations, describe_violations("the facilitation log in English", violations)
