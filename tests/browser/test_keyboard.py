"""Keyboard only: from the join link to a posted, edited and deleted idea without a mouse."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from server.i18n.catalogs import catalog
from tests.browser.board_helpers import ACTIONS, open_post_form
from tests.browser.conftest import DE, assert_focus_visible, column, focused, join, tab_until

pytestmark = pytest.mark.browser


def test_keyboard_only_join_post_edit_delete_and_announcements(new_context: Any, make_event: Any) -> None:
    links = make_event("Tastatur-Werkstatt", ["Mobilität", "Bildung"])
    context, _watch = new_context()
    page = context.new_page()
    page.goto(links["participant"])

    # Join: the first stop is the skip link; then on to the pseudonym field.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == DE["nav.skip"]
    tab_until(page, lambda f: f["id"] == "pseudonym")
    page.keyboard.type("Kim")
    tab_until(page, lambda f: f["type"] == "radio")
    page.keyboard.press("ArrowRight")  # the next colour
    expect(page.get_by_label(DE["colour.green"])).to_be_checked()
    tab_until(page, lambda f: f["type"] == "submit" and f["text"] == DE["join.submit"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/e/*")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")

    # "Neue Idee" opens the form and puts the focus into it; Escape closes it and gives the focus back.
    tab_until(page, lambda f: f["id"] == "post-open")
    page.keyboard.press("Enter")
    expect(page.get_by_label(DE["client.board.field"])).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#post-form")).to_be_hidden()
    expect(page.get_by_role("button", name=DE["client.board.new_idea"])).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label(DE["client.board.field"])).to_be_focused()

    # Post with the button: choose the field with the arrow keys, type, Tab to the button, Enter.
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(DE["client.board.field"])).to_have_value(
        page.get_by_label(DE["client.board.field"]).locator("option", has_text="Bildung").get_attribute("value") or ""
    )
    tab_until(page, lambda f: f["id"] == "post-text")
    page.keyboard.type("Schulhöfe nachmittags öffnen")
    tab_until(page, lambda f: f["id"] == "post-submit")
    page.keyboard.press("Enter")
    expect(
        column(page, "Bildung").get_by_role("listitem").filter(has_text="Schulhöfe nachmittags öffnen")
    ).to_be_visible()
    expect(page.locator("#announcer")).to_contain_text(DE["client.posted"])

    # Post with Ctrl+Enter from the text field.
    tab_until(page, lambda f: f["id"] == "post-text", backwards=True)
    page.keyboard.type("Lernpaten aus der Nachbarschaft")
    page.keyboard.press("Control+Enter")
    expect(column(page, "Bildung").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_label(DE["client.board.text"])).to_be_focused()

    # Edit inline from the card's menu ("⋯", named Aktionen): Enter opens it, Tab goes into it;
    # in the editor Escape cancels and gives the focus back to the menu's button; Ctrl+Enter saves.
    first = "Schulhöfe nachmittags öffnen"
    tab_until(page, lambda f: ACTIONS in f["text"] and first in f["described"])
    page.keyboard.press("Enter")
    tab_until(page, lambda f: f["text"] == DE["client.board.edit"], limit=2)
    page.keyboard.press("Enter")
    editor = page.get_by_label(DE["client.board.edit_label"])
    expect(editor).to_be_focused()
    page.keyboard.type(" – verworfen")
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    back = focused(page)
    assert ACTIONS in back["text"] and first in back["described"], back
    expect(page.get_by_text("verworfen")).to_have_count(0)
    page.keyboard.press("Space")  # the menu again
    page.keyboard.press("Tab")
    assert focused(page)["text"] == DE["client.board.edit"]
    page.keyboard.press("Space")
    expect(editor).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(" (mit Aufsicht)")
    page.keyboard.press("Control+Enter")
    expect(column(page, "Bildung").get_by_text("Schulhöfe nachmittags öffnen (mit Aufsicht)")).to_be_visible()
    assert ACTIONS in focused(page)["text"], "focus returns to the idea's menu button"

    # Delete: Escape backs out of the confirmation; Enter confirms; focus stays on the board.
    page.keyboard.press("Enter")
    tab_until(page, lambda f: f["text"] == DE["client.board.delete"], limit=6)
    page.keyboard.press("Enter")
    assert focused(page)["text"] == DE["client.board.delete"]  # the confirming button
    expect(page.get_by_role("group", name=DE["client.board.delete_confirm"])).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("group", name=DE["client.board.delete_confirm"])).to_have_count(0)
    assert ACTIONS in focused(page)["text"]
    page.keyboard.press("Enter")  # the menu
    tab_until(page, lambda f: f["text"] == DE["client.board.delete"], limit=6)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(column(page, "Bildung").get_by_role("listitem")).to_have_count(1)
    assert_focus_visible(page)

    # Another participant arrives and posts: both are announced in the polite live region.
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    other = join(new_context()[0], links["participant"], "Lea")
    expect(announcer).to_contain_text(DE["client.announce.joined"].format(name="Lea"))
    open_post_form(other)
    other.get_by_label(DE["client.board.text"]).fill("Car-Sharing am Bahnhof")
    other.get_by_role("button", name=DE["client.board.post"]).click()
    expect(announcer).to_contain_text(
        DE["client.announce.created"].format(name="Lea", field="Mobilität", text="Car-Sharing am Bahnhof")
    )
    expect(column(page, "Mobilität").get_by_text("Car-Sharing am Bahnhof")).to_be_visible()


def test_skip_link_moves_focus_to_the_main_content(new_context: Any, make_event: Any) -> None:
    links = make_event("Sprungmarke")
    page = join(new_context()[0], links["participant"], "Sam")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=DE["nav.skip"])).to_be_focused()
    expect(page.get_by_role("link", name=DE["nav.skip"])).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # past the space's controls (map or list, status, the map itself, microphone, camera) to the board
    tab_until(page, lambda f: f["id"] == "post-open", limit=15)

    # The language switch is a link like any other; the room comes back in English.
    tab_until(page, lambda f: f["text"] == "English", backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#conn-status")).to_have_text(catalog("en")["client.conn.online"])
    expect(page.get_by_role("button", name=catalog("en")["client.board.new_idea"])).to_be_visible()
