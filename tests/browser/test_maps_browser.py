"""An organizer uploads a map by keyboard alone: a broken map is refused with its reason shown and
announced, the good one is listed and chosen for an event's breakout rooms. Every page axe-clean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, OrganizerAccount, create_event, login, tab_until
from tests.browser.test_organizer_flow import assert_axe_clean, screenshots
from tests.domain.test_tiled import PNG, good_map

pytestmark = pytest.mark.browser


def choose_files_by_keyboard(page: Any, files: list[dict[str, Any]]) -> None:
    """Tab to the file input and open its chooser with the space bar, as a keyboard user does."""
    tab_until(page, lambda info: info["id"] == "map-files")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files)


def test_organizer_uploads_a_map_by_keyboard_and_chooses_it(new_context: Any, organizer: OrganizerAccount) -> None:
    context, watch = new_context()
    page = context.new_page()
    # Playwright turns on catching the file chooser when the first listener is added, without waiting for
    # the browser to confirm it: added only by expect_file_chooser, just before the key press, the press
    # could win that race on a loaded machine and no "filechooser" event came. A listener from the start.
    page.on("filechooser", lambda _chooser: None)
    login(page, organizer)
    page.get_by_role("link", name=DE["events.maps"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["maps.title"])
    assert_axe_clean(page, "the maps page without maps")

    # a map whose layer misses a tile: refused, the reason shown and announced, the form keeps the name
    broken = good_map()
    broken["layers"][0]["data"].pop()
    choose_files_by_keyboard(
        page,
        [
            {"name": "saal.tmj", "mimeType": "application/json", "buffer": json.dumps(broken).encode()},
            {"name": "tiles.png", "mimeType": "image/png", "buffer": PNG},
        ],
    )
    tab_until(page, lambda info: info["id"] == "map-name")
    page.keyboard.type("Großer Saal")
    tab_until(page, lambda info: info["tag"] == "button" and info["text"] == DE["maps.upload.submit"])
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Die Karte wurde nicht angenommen: Layer 'floor': 'data' must be a list of 80")
    expect(page.get_by_label(DE["maps.name"])).to_have_value("Großer Saal")
    expect(page.get_by_label(DE["maps.files"])).to_have_attribute("aria-invalid", "true")
    assert_axe_clean(page, "the maps page with an error")
    screenshots(page, "maps-error")

    # the good map
    choose_files_by_keyboard(
        page,
        [
            {"name": "saal.tmj", "mimeType": "application/json", "buffer": json.dumps(good_map()).encode()},
            {"name": "tiles.png", "mimeType": "image/png", "buffer": PNG},
        ],
    )
    tab_until(page, lambda info: info["tag"] == "button" and info["text"] == DE["maps.upload.submit"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(DE["maps.saved"])
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Großer Saal"))
    expect(row).to_contain_text("10 × 8")
    expect(row).to_contain_text(DE["maps.unused"])
    assert_axe_clean(page, "the maps page with a map")
    screenshots(page, "maps")

    # the event's breakout rooms get it
    page.goto("/organizer")
    create_event(page, "Werkstatt mit Karte", ["Mobilität"])
    section = page.get_by_role("region", name=DE["maps.event.title"])
    expect(section.get_by_label(DE["maps.event.plenary"])).to_have_value("")
    section.get_by_label(DE["maps.event.breakout"]).select_option(label="Großer Saal")
    section.get_by_role("button", name=DE["maps.event.save"]).click()
    expect(page.get_by_role("status").first).to_have_text(DE["maps.chosen"])
    chosen = page.get_by_label(DE["maps.event.breakout"]).locator("option:checked")
    expect(chosen).to_have_text("Großer Saal")
    assert_axe_clean(page, "the event page with its maps")

    page.goto("/organizer/maps")
    expect(page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Großer Saal"))).to_contain_text(
        "Werkstatt mit Karte"
    )
    page.get_by_role("button", name=f"{DE['maps.delete']}: Großer Saal").click()
    expect(page.get_by_role("status")).to_have_text(DE["maps.deleted"])
    expect(page.get_by_text(DE["maps.none"])).to_be_visible()
    assert watch.page_errors == []
    assert [e for e in watch.console_errors if "400 (Bad Request)" not in e] == []  # the refusal above was a 400
