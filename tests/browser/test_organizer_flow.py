"""An organizer logs in, creates an event with its fields of action, and gets its links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, OrganizerAccount, ServerProcess

pytestmark = pytest.mark.browser


def test_organizer_logs_in_creates_an_event_and_sees_its_three_links(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, _watch = new_context()
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))

    # A wrong password first: a clear message, and the form again.
    page.get_by_label(DE["login.username"]).fill(organizer.username)
    page.get_by_label(DE["login.password"]).fill("not the password")
    page.get_by_role("button", name=DE["login.submit"]).click()
    expect(page.get_by_role("alert")).to_have_text(DE["login.failed"])

    page.get_by_label(DE["login.password"]).fill(organizer.password)
    page.get_by_role("button", name=DE["login.submit"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["events.title"])

    page.get_by_label(DE["event.title"], exact=True).fill("Zukunftswerkstatt Aalen")
    page.get_by_label(DE["event.description"]).fill("Ideen für die Smart-City-Strategie")
    page.get_by_label(DE["event.fields"]).fill("Mobilität\nBildung\nDigitale Verwaltung\n")
    page.get_by_role("button", name=DE["event.create"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zukunftswerkstatt Aalen")
    links = page.get_by_role("region", name=DE["event.links"])
    expect(links.get_by_role("textbox")).to_have_count(3)
    seen = set()
    for role in ("facilitator", "participant", "observer"):
        box = links.get_by_role("textbox", name=DE[f"role.{role}"], exact=True)
        expect(box).to_have_value(re.compile(rf"^{re.escape(server.base)}/j/[A-Za-z0-9_-]{{20,}}$"))
        seen.add(box.input_value())
    assert len(seen) == 3, "each role has its own link"
    # The fields of action are kept in order.
    expect(page.get_by_label(DE["event.fields"])).to_have_value("Mobilität\nBildung\nDigitale Verwaltung")

    # The organizer takes part in the room with their session (no join link needed).
    event_id = page.url.rstrip("/").rsplit("/", 1)[1]
    room = context.new_page()
    room.goto(f"/e/{event_id}")
    expect(room.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(room.locator("#me")).to_contain_text(DE["client.role.organizer"])
    expect(room.get_by_role("region", name="Digitale Verwaltung")).to_be_visible()
    room.close()

    # The event is listed on the organizer's overview.
    page.get_by_role("link", name=DE["nav.events"]).click()
    expect(page.get_by_role("link", name="Zukunftswerkstatt Aalen")).to_be_visible()
