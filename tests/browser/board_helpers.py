"""What a person does on the board, for the browser tests: open the form for a new idea, find
a card, use its menu of actions."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import DE

ACTIONS = DE["client.card.actions"]


def open_post_form(page: Any) -> None:
    """Open the form for a new idea ("Neue Idee") unless it is open."""
    form = page.locator("#post-form")
    if not form.is_visible():
        page.get_by_role("button", name=DE["client.board.new_idea"]).click()
    expect(form).to_be_visible()


def post_idea(page: Any, field: str, text: str) -> None:
    open_post_form(page)
    page.get_by_label(DE["client.board.field"], exact=True).select_option(label=field)
    page.get_by_label(DE["client.board.text"]).fill(text)
    page.get_by_role("button", name=DE["client.board.post"]).click()


def card(page: Any, text: str) -> Any:
    """The idea card with this text."""
    return page.locator("#board li.idea", has=page.locator(".idea-text", has_text=text))


def menu(item: Any) -> Any:
    """The card's menu of actions, opened (by a click on its "⋯" button)."""
    toggle = item.get_by_role("button", name=ACTIONS)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    return item.locator(".card-menu")


def card_action(item: Any, name: str) -> None:
    """Choose an action from the card's menu."""
    menu(item).get_by_role("button", name=name, exact=True).click()


def cluster_action(group: Any, name: str) -> None:
    """Choose an action from a group's menu (the "⋯" button beside its heading)."""
    toggle = group.locator(":scope > .cluster-head").get_by_role("button", name=ACTIONS)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    group.locator(":scope > .card-menu").get_by_role("button", name=name, exact=True).click()
