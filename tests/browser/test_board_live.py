"""Participants join from a link, see each other, and see ideas appear live."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import ACTIONS, card, card_action, menu, post_idea
from tests.browser.conftest import DE, T_DE, column, describe_violations, join, run_axe

pytestmark = pytest.mark.browser


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


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
    actions = menu(idea)
    expect(actions.get_by_role("button", name=DE["client.board.edit"])).to_have_count(0)
    expect(actions.get_by_role("button", name=DE["client.board.delete"], exact=True)).to_have_count(0)
    expect(actions.get_by_role("button", name=DE["client.idea.report"])).to_be_visible()
    expect(actions.get_by_role("button", name=DE["client.move.open"])).to_be_visible()
    # ... but Ben may not put her idea into another field of action: the move panel offers no field.
    card_action(idea, DE["client.move.open"])
    expect(idea.get_by_role("button", name=DE["client.move.up"])).to_be_focused()
    expect(idea.get_by_label(DE["client.board.field"])).to_be_hidden()
    ben.keyboard.press("Escape")
    expect(idea.get_by_role("button", name=DE["client.card.actions"])).to_be_focused()
    own = column(anna, "Bildung").get_by_role("listitem").filter(has_text="Digitale Lernräume")
    expect(menu(own).get_by_role("button", name=DE["client.board.edit"])).to_be_visible()

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
    card_action(idea, DE["client.board.edit"])
    editor = idea.get_by_label(DE["client.board.edit_label"])
    expect(editor).to_be_focused()
    editor.fill("Tempo 30 vor allen Schulen")
    idea.get_by_label(DE["client.board.field"]).select_option(label="Umwelt")
    idea.get_by_role("button", name=DE["client.board.save"]).click()
    moved = column(dora, "Umwelt").get_by_role("listitem").filter(has_text="Tempo 30 vor allen Schulen")
    expect(moved).to_be_visible()
    expect(moved.get_by_role("button", name=DE["client.card.actions"])).to_be_focused()
    for page in (mod, watcher):
        items = column(page, "Umwelt").get_by_role("listitem")
        expect(items).to_have_count(1)
        expect(items.locator(".idea-text")).to_have_text("Tempo 30 vor allen Schulen")
        expect(column(page, "Mobilität").get_by_role("listitem")).to_have_count(0)
    expect(watcher.locator("#board").get_by_role("button")).to_have_count(0)

    # The facilitator deletes it (after confirming); it disappears for everyone.
    foreign = column(mod, "Umwelt").get_by_role("listitem")
    expect(menu(foreign).get_by_role("button", name=DE["client.board.edit"])).to_have_count(0)
    card_action(foreign, DE["client.board.delete"])
    confirm = foreign.get_by_role("group", name=DE["client.board.delete_confirm"])
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name=DE["client.board.delete"]).click()
    for page in (mod, dora, watcher):
        expect(page.locator("#board").get_by_role("listitem")).to_have_count(0)
    expect(dora.locator("#announcer")).to_contain_text(DE["client.announce.deleted"])


def test_the_card_menu_by_mouse_and_by_keyboard(new_context: Any, make_event: Any) -> None:
    """Each card's actions sit behind one "⋯" button (a disclosure: aria-expanded, a list of buttons)."""
    links = make_event("Kartenmenü", ["Mobilität", "Bildung"])
    anna = join(new_context()[0], links["participant"], "Anna")
    post_idea(anna, "Mobilität", "Fahrradstraße am Ring")
    post_idea(anna, "Mobilität", "Mehr Bänke am Marktplatz")
    first = card(anna, "Fahrradstraße am Ring")
    second = card(anna, "Mehr Bänke am Marktplatz")
    toggle = first.get_by_role("button", name=ACTIONS)
    items = first.locator(".card-menu")
    own_actions = [
        DE["client.board.edit"],
        DE["client.move.open"],
        T_DE("client.comments.show", count=0),
        DE["client.board.delete"],
    ]

    # By mouse: the button opens the list of what Anna may do with her idea; a click elsewhere closes it.
    expect(items).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert toggle.get_attribute("aria-controls") == items.get_attribute("id")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(items.get_by_role("button")).to_have_text(own_actions)
    assert_accessible(anna, "the board with a card's menu open")
    anna.get_by_role("heading", level=1).click()
    expect(items).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # One menu at a time.
    toggle.click()
    second.get_by_role("button", name=ACTIONS).click()
    expect(items).to_be_hidden()
    expect(second.locator(".card-menu")).to_be_visible()
    # An action runs from the menu, which closes: the comments open with the focus in their form.
    card_action(first, T_DE("client.comments.show", count=0))
    expect(items).to_be_hidden()
    expect(second.locator(".card-menu")).to_be_hidden()
    expect(first.get_by_label(DE["client.comments.label"])).to_be_focused()
    anna.keyboard.type("Mit Beleuchtung")
    first.get_by_role("button", name=DE["client.comments.post"]).click()
    expect(first.locator(".idea-counts")).to_have_text(T_DE("client.card.comments", count=1))
    anna.keyboard.press("Escape")  # closes the comments
    expect(first.locator(".idea-comments")).to_be_hidden()

    # By keyboard: Enter and Space open and close it, Tab goes into it, Escape closes it and the
    # focus returns to the button; leaving it with Tab closes it too.
    toggle.focus()
    anna.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    anna.keyboard.press("Tab")
    expect(items.get_by_role("button", name=DE["client.board.edit"])).to_be_focused()
    anna.keyboard.press("Escape")
    expect(items).to_be_hidden()
    expect(toggle).to_be_focused()
    anna.keyboard.press("Space")
    expect(items).to_be_visible()
    anna.keyboard.press("Space")
    expect(items).to_be_hidden()
    anna.keyboard.press("Enter")
    for _ in own_actions:
        anna.keyboard.press("Tab")
    expect(items.get_by_role("button", name=DE["client.board.delete"])).to_be_focused()
    anna.keyboard.press("Tab")
    expect(items).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # An action by keyboard: move her idea into another field of action (hers to move).
    toggle.focus()
    anna.keyboard.press("Enter")
    anna.keyboard.press("Tab")
    anna.keyboard.press("Tab")
    expect(items.get_by_role("button", name=DE["client.move.open"])).to_be_focused()
    anna.keyboard.press("Enter")
    field = first.get_by_label(DE["client.board.field"])
    expect(field).to_be_focused()
    anna.keyboard.press("ArrowDown")
    expect(field).to_have_value(field.locator("option", has_text="Bildung").get_attribute("value") or "")
    anna.keyboard.press("Tab")
    anna.keyboard.press("Enter")
    expect(column(anna, "Bildung").locator("li.idea")).to_have_count(1)
    expect(column(anna, "Bildung").locator("li.idea")).to_contain_text("Fahrradstraße am Ring")
    anna.keyboard.press("Escape")  # closes the move panel
    moved = card(anna, "Fahrradstraße am Ring")
    expect(moved.get_by_role("button", name=ACTIONS)).to_be_focused()
