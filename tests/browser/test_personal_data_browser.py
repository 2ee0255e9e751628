"""An organizer deletes a participant's personal data with the keyboard, after the confirmation, and the
participant's room says they were removed; the accessibility statement is edited and shown; every page is
axe-clean. Screenshots at a laptop's and a phone's width go to tests/browser/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, OrganizerAccount, create_event, join, login, tab_until
from tests.browser.test_organizer_flow import assert_axe_clean, screenshots

pytestmark = pytest.mark.browser


def press_link(page: Any, name: str) -> None:
    """Reach a link by Tab (focus visible at every stop) and follow it with Enter."""
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == name, limit=60)
    page.keyboard.press("Enter")


def test_an_organizer_deletes_a_participants_data_by_keyboard_after_confirming(
    new_context: Any, organizer: OrganizerAccount
) -> None:
    context, watch = new_context()
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt Datenschutz", ["Mobilität", "Umwelt"])
    guest_context, guest_watch = new_context()
    rita = join(guest_context, links["participant"], "Rita Radweg")

    press_link(page, DE["event.participants"])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        DE["participants.title"].format(event="Werkstatt Datenschutz")
    )
    table = page.get_by_role("table", name=DE["participants.caption"])
    expect(table.get_by_role("rowheader", name="Rita Radweg")).to_be_visible()
    assert_axe_clean(page, "the participants page")
    screenshots(page, "participants")

    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == DE["participants.erase"], limit=60)
    assert "Rita Radweg" in page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["erase.title"].format(name="Rita Radweg"))
    keep = page.get_by_role("radio", name=DE["erase.keep"])
    expect(keep).to_be_checked()
    assert_axe_clean(page, "the confirmation before deleting")
    screenshots(page, "erase-member")

    keep.focus()
    page.keyboard.press("ArrowDown")  # the radio group: the other choice
    expect(page.get_by_role("radio", name=DE["erase.remove"])).to_be_checked()
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == DE["erase.confirm"])
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(DE["participants.erased"])
    expect(table.get_by_role("rowheader", name="Gelöscht 1")).to_be_visible()
    expect(page.get_by_text("Rita Radweg")).to_have_count(0)
    expect(table.get_by_role("cell", name=DE["participants.erased_status"])).to_be_visible()
    assert_axe_clean(page, "the participants page after deleting")
    screenshots(page, "participants-erased")

    # Rita's room was told, and her link no longer brings her back
    expect(rita.locator("#removed")).to_have_text(DE["client.removed.message"])
    rita.reload()
    expect(rita.locator("#conn-status")).to_have_attribute("data-state", "refused")
    assert not watch.page_errors and not watch.console_errors and not guest_watch.page_errors


def test_the_accessibility_statement_is_edited_and_shown(new_context: Any, organizer: OrganizerAccount) -> None:
    context, watch = new_context()
    page = context.new_page()
    page.goto("/login")
    press_link(page, DE["footer.accessibility"])  # linked in every page's footer
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["accessibility.title"])
    for heading in ("Stand der Vereinbarkeit mit den Anforderungen", "Schlichtungsverfahren"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    assert_axe_clean(page, "the default accessibility statement")
    screenshots(page, "accessibility-default")

    login(page, organizer)
    page.goto("/organizer/site/accessibility")
    german = page.get_by_label(DE["site.text"].format(name="Deutsch"))
    expect(german).to_have_value(DE["accessibility.default"])
    assert_axe_clean(page, "the editor of the accessibility statement")
    screenshots(page, "accessibility-edit")
    try:
        german.fill("Die Stadt Aalen macht diese werkstatt barrierefrei.\n\n# Kontakt\n\nbarrierefrei@aalen.example")
        tab_until(page, lambda f: f["tag"] == "button" and f["text"] == DE["site.save"])
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text(DE["site.saved"])
        press_link(page, DE["site.show"].format(title=DE["accessibility.title"]))
        expect(page.get_by_role("heading", level=2, name="Kontakt")).to_be_visible()
        expect(page.get_by_text("barrierefrei@aalen.example")).to_be_visible()
        expect(page.get_by_role("heading", name="Schlichtungsverfahren")).to_have_count(0)
        assert_axe_clean(page, "the organizer's accessibility statement")
        screenshots(page, "accessibility-own")
    finally:  # the default again, for the other tests on this server
        page.goto("/organizer/site/accessibility")
        page.get_by_label(DE["site.text"].format(name="Deutsch")).fill("")
        page.get_by_role("button", name=DE["site.save"]).click()
        expect(page.get_by_role("status")).to_have_text(DE["site.saved"])
    page.goto("/datenschutz")
    expect(page.get_by_role("heading", level=2, name=DE["privacy.rights.heading"])).to_be_visible()
    assert_axe_clean(page, "the privacy page")
    assert not watch.page_errors and not watch.console_errors
