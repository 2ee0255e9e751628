"""Participants join from a link, see each other, and see ideas appear live."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, column, join

pytestmark = pytest.mark.browser


def post_idea(page: Any, field: str, text: str) -> None:
    page.get_by_label(DE["client.board.field"]).select_option(label=field)
    page.get_by_label(DE["client.board.text"]).fill(text)
    page.get_by_role("button", name=DE["client.board.post"]).click()


def test_two_participants_see_each_other_and_each_others_ideas(new_context: Any, make_event: Any) -> None:
    links = make_event("Ideen für Jena", ["Mobilität", "Bildung"])
    anna = join(new_context()[0], links["participant"], "Anna", colour="teal")
    ben = join(new_context()[0], links["participant"], "Ben")

    for page in (anna, ben):
        presence = page.get_by_role("region", name=DE["room.presence"], exact=False)
        expect(presence.get_by_role("listitem")).to_have_count(2)
        expect(presence.get_by_role("listitem").filter(has_text="Anna")).to_be_visible()
        expect(presence.get_by_role("listitem").filter(has_text="Ben")).to_be_visible()
        expect(page.locator("#presence-count")).to_have_text("2")

    post_idea(anna, "Bildung", "Digitale Lernräume in der Stadtbibliothek")
    expect(anna.get_by_label(DE["client.board.text"])).to_have_value("")

    # Ben sees it in the right column, without reloading, with its author.
    idea = column(ben, "Bildung").get_by_role("listitem").filter(has_text="Digitale Lernräume in der Stadtbibliothek")
    expect(idea).to_be_visible()
    expect(idea).to_contain_text(DE["client.board.by"].format(name="Anna"))
    expect(column(ben, "Mobilität").get_by_role("listitem")).to_have_count(0)
    # Ben may not edit or delete Anna's idea (he may move, comment on and report it); Anna may.
    expect(idea.get_by_role("button", name=DE["client.board.edit"])).to_have_count(0)
    expect(idea.get_by_role("button", name=DE["client.board.delete"], exact=True)).to_have_count(0)
    expect(idea.get_by_role("button", name=DE["client.idea.report"])).to_be_visible()
    own = column(anna, "Bildung").get_by_role("listitem").filter(has_text="Digitale Lernräume")
    expect(own.get_by_role("button", name=DE["client.board.edit"])).to_be_visible()

    # A reload keeps the identity and the board.
    ben.reload()
    expect(ben.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(ben.locator("#me")).to_contain_text("Ben")
    expect(column(ben, "Bildung").get_by_role("listitem")).to_have_count(1)
    expect(ben.locator("#presence-count")).to_have_text("2")
    expect(
        ben.get_by_role("region", name=DE["room.presence"], exact=False).get_by_role("listitem").filter(has_text="Ben")
    ).to_contain_text(DE["client.presence.you"])
    # ... and Ben is still one person for Anna.
    expect(anna.locator("#presence-count")).to_have_text("2")

    # Opening the join link again offers to continue instead of joining twice.
    again = ben.context.new_page()
    again.goto(links["participant"])
    expect(again.get_by_text(DE["client.join.already"].format(name="Ben"))).to_be_visible()
    again.get_by_role("link", name=DE["client.join.continue"]).click()
    expect(again.locator("#me")).to_contain_text("Ben")

    # A pseudonym that is taken is refused with a clear message on the field.
    third = new_context()[0].new_page()
    third.goto(links["participant"])
    name = third.get_by_label(DE["join.pseudonym"])
    name.fill("anna")
    third.get_by_role("button", name=DE["join.submit"]).click()
    expect(third.get_by_role("alert")).to_have_text(
        DE["client.join.failed"].format(message=DE["client.error.pseudonym_taken"])
    )
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(third).to_have_url(links["participant"])


def test_text_that_looks_like_markup_is_stored_and_shown_as_typed(new_context: Any, make_event: Any) -> None:
    """Angle brackets are ordinary writing: nothing is refused for them, and every page shows them as text."""
    links = make_event("Ideen mit Zeichen")
    page = join(new_context()[0], links["participant"], "Carla")
    other = join(new_context()[0], links["participant"], "<Tom> & Jerry")
    texts = ["Kosten < Nutzen, Nutzen > Aufwand", "<Straßenname> umbenennen", "<b>fett</b> <img src=x>"]
    for text in texts:
        post_idea(page, "Mobilität", text)
        expect(page.get_by_label(DE["client.board.text"])).to_have_value("")
    expect(page.locator("#post-error")).to_be_hidden()
    for viewer in (page, other):
        items = column(viewer, "Mobilität").get_by_role("listitem")
        expect(items.locator(".idea-text")).to_have_text(texts)
        assert viewer.locator("#board b, #board img").count() == 0
        # the pseudonym shows as text as well
        expect(viewer.locator("#presence-list")).to_contain_text("<Tom> & Jerry")


def test_edit_delete_and_roles(new_context: Any, make_event: Any) -> None:
    links = make_event("Rollen und Rechte", ["Mobilität", "Umwelt"])
    dora = join(new_context()[0], links["participant"], "Dora")
    mod = join(new_context()[0], links["facilitator"], "Moderatorin")
    watcher = join(new_context()[0], links["observer"], "Presse")

    # Observers read only: no post form, a note instead.
    expect(watcher.locator("#post-form")).to_be_hidden()
    expect(watcher.get_by_text(DE["client.board.observer"])).to_be_visible()

    post_idea(dora, "Mobilität", "Tempo 30 vor Schulen")
    idea = column(dora, "Mobilität").get_by_role("listitem").filter(has_text="Tempo 30")
    expect(idea).to_be_visible()

    # Dora edits her idea inline and moves it to another field.
    idea.get_by_role("button", name=DE["client.board.edit"]).click()
    editor = idea.get_by_label(DE["client.board.edit_label"])
    expect(editor).to_be_focused()
    editor.fill("Tempo 30 vor allen Schulen")
    idea.get_by_label(DE["client.board.field"]).select_option(label="Umwelt")
    idea.get_by_role("button", name=DE["client.board.save"]).click()
    moved = column(dora, "Umwelt").get_by_role("listitem").filter(has_text="Tempo 30 vor allen Schulen")
    expect(moved).to_be_visible()
    expect(moved.get_by_role("button", name=DE["client.board.edit"])).to_be_focused()
    for page in (mod, watcher):
        items = column(page, "Umwelt").get_by_role("listitem")
        expect(items).to_have_count(1)
        expect(items.locator(".idea-text")).to_have_text("Tempo 30 vor allen Schulen")
        expect(column(page, "Mobilität").get_by_role("listitem")).to_have_count(0)
    expect(watcher.locator("#board").get_by_role("button")).to_have_count(0)

    # The facilitator deletes it (after confirming); it disappears for everyone.
    foreign = column(mod, "Umwelt").get_by_role("listitem")
    expect(foreign.get_by_role("button", name=DE["client.board.edit"])).to_have_count(0)
    foreign.get_by_role("button", name=DE["client.board.delete"]).click()
    confirm = foreign.get_by_role("group", name=DE["client.board.delete_confirm"])
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name=DE["client.board.delete"]).click()
    for page in (mod, dora, watcher):
        expect(page.locator("#board").get_by_role("listitem")).to_have_count(0)
    expect(dora.locator("#announcer")).to_contain_text(DE["client.announce.deleted"])
