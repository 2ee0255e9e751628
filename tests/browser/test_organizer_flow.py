"""An organizer logs in, creates an event with its fields of action, and gets its links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DE,
    OrganizerAccount,
    ServerProcess,
    create_event,
    describe_violations,
    focused,
    login,
    run_axe,
    tab_until,
)

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


# -- invitation links: copy, and replace only after a confirmation -------------------------------

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTHS = (1366, 390)
SELECTED = (
    "() => { const f = document.activeElement; return f.selectionStart === 0 && f.selectionEnd === f.value.length; }"
)


def screenshots(page: Any, name: str) -> None:
    """Full-page screenshots at a laptop's and a phone's width, for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def assert_axe_clean(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def test_copy_buttons_copy_each_link_by_mouse_and_by_keyboard(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, watch = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt zum Kopieren", ["Mobilität", "Bildung"])
    status = {role: page.locator(f"#copy-status-{role}") for role in links}

    page.get_by_role("button", name=f"{DE['event.copy']}: {DE['role.participant']}").click()
    expect(status["participant"]).to_have_text(DE["event.copied"])  # seen, and announced (role=status)
    expect(status["participant"]).to_have_attribute("role", "status")
    assert page.evaluate("navigator.clipboard.readText()") == links["participant"]

    # by keyboard: from the participant's button back to the facilitator's, Enter
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == DE["event.copy"], backwards=True)
    page.keyboard.press("Enter")
    expect(status["facilitator"]).to_have_text(DE["event.copied"])
    expect(status["participant"]).to_have_text("")  # one confirmation at a time
    assert page.evaluate("navigator.clipboard.readText()") == links["facilitator"]
    assert_axe_clean(page, "the event page after copying")
    screenshots(page, "event-page")
    assert not watch.page_errors and not watch.console_errors


def test_where_the_clipboard_is_refused_the_link_is_selected_to_copy_by_hand(
    new_context: Any, organizer: OrganizerAccount
) -> None:
    context, watch = new_context()
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', { value: undefined });")
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt ohne Zwischenablage", ["Mobilität"])
    page.get_by_role("button", name=f"{DE['event.copy']}: {DE['role.observer']}").click()
    expect(page.locator("#copy-status-observer")).to_have_text(DE["event.copy_selected"])
    expect(page.get_by_role("textbox", name=DE["role.observer"], exact=True)).to_be_focused()
    assert page.evaluate(SELECTED), "the whole link is selected, ready for Ctrl+C"
    assert page.get_by_role("textbox", name=DE["role.observer"], exact=True).input_value() == links["observer"]
    assert not watch.page_errors


def test_replacing_a_link_asks_first_and_works_by_keyboard(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, watch = new_context()
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt mit neuem Link", ["Mobilität"])
    participant = f"{DE['event.rotate']}: {DE['role.participant']}"
    title = DE["rotate.title"].format(role=DE["role.participant"])

    # Cancel keeps the link.
    page.get_by_role("link", name=participant).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text(DE["rotate.warning"].format(role=DE["role.participant"]))).to_be_visible()
    assert_axe_clean(page, "the confirmation before a link is replaced")
    screenshots(page, "rotate-confirmation")
    page.get_by_role("link", name=DE["rotate.cancel"]).click()
    box = page.get_by_role("textbox", name=DE["role.participant"], exact=True)
    expect(box).to_have_value(links["participant"])

    # By keyboard: Tab to the link, Enter; Tab to the confirmation, Enter.
    seen: list[str] = []  # the links' order is facilitator, participant, observer: the second one

    def second_rotate_link(f: dict[str, Any]) -> bool:
        if f["tag"] == "a" and f["text"] == DE["event.rotate"]:
            seen.append(f["text"])
        return len(seen) == 2

    tab_until(page, second_rotate_link, limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == DE["rotate.confirm"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text=DE["event.rotated"])).to_be_visible()
    new = page.get_by_role("textbox", name=DE["role.participant"], exact=True).input_value()
    assert new != links["participant"] and new.startswith(f"{server.base}/j/")
    expect(page.get_by_role("textbox", name=DE["role.facilitator"], exact=True)).to_have_value(links["facilitator"])

    old = context.new_page()
    old.goto(links["participant"])
    expect(old.get_by_role("alert")).to_have_text(DE["join.invalid"])
    assert not watch.page_errors


# -- the room's header for its organizer -----------------------------------------------------------


def test_from_the_room_the_organizer_gets_back_to_the_event_and_can_log_out(
    new_context: Any, organizer: OrganizerAccount
) -> None:
    context, _watch = new_context()
    page = context.new_page()
    login(page, organizer)
    create_event(page, "Werkstatt mit Rückweg", ["Mobilität"])
    event_url = page.url
    page.get_by_role("link", name=DE["event.open_room"]).click()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    nav = page.get_by_role("navigation", name=DE["nav.organizer"])
    expect(nav.get_by_role("link", name=DE["nav.events"])).to_be_visible()
    nav.get_by_role("link", name=DE["nav.this_event"]).click()
    expect(page).to_have_url(event_url)
    page.go_back()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    page.get_by_role("navigation", name=DE["nav.organizer"]).get_by_role("button", name=DE["nav.logout"]).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/organizer")
    expect(page).to_have_url(re.compile(r"/login$"))  # the session is gone


# -- the join page's privacy notice ----------------------------------------------------------------

BEFORE = "([a, b]) => !!(document.querySelector(a).compareDocumentPosition(document.querySelector(b)) & Node.DOCUMENT_POSITION_FOLLOWING)"


def test_the_join_page_shows_the_privacy_notice_before_the_pseudonym_field(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, watch = new_context()
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt mit Datenschutz", ["Mobilität", "Bildung"])

    guest = new_context()[0].new_page()
    guest.goto(links["participant"])
    notice = guest.get_by_role("region", name=DE["privacy.notice.heading"])
    expect(notice).to_contain_text(DE["privacy.default"].split("\n")[0])
    # reading order: the notice, then the pseudonym field; and so for the keyboard
    assert guest.evaluate(BEFORE, ["#privacy-heading", "#pseudonym"])
    tab_until(guest, lambda f: f["tag"] == "a" and f["text"] == DE["privacy.link"])
    guest.keyboard.press("Tab")
    assert focused(guest)["id"] == "pseudonym"
    assert_axe_clean(guest, "the join page with the default privacy notice")
    screenshots(guest, "join-page")
    guest.get_by_role("link", name=DE["privacy.link"]).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text(DE["privacy.title"])
    expect(guest.get_by_role("heading", level=2, name=DE["privacy.rights.heading"])).to_be_visible()
    assert_axe_clean(guest, "the privacy page")

    # the organizer's own notice replaces it, line breaks kept, markup shown as text
    own = "Verantwortlich: Stadt Aalen, <b>Amt für Digitales</b>\nLöschung: 6 Monate nach der Werkstatt"
    page.get_by_label(DE["event.privacy_notice"]).fill(own)
    page.get_by_role("button", name=DE["event.save"]).click()
    expect(page.get_by_role("status").filter(has_text=DE["event.saved"])).to_be_visible()
    assert_axe_clean(page, "the event page with a privacy notice")
    guest.goto(links["participant"])
    text = guest.locator("#privacy-text")
    assert text.inner_text() == own
    assert text.evaluate("(el) => el.querySelector('b') === null")
    assert guest.evaluate("(el) => el.getBoundingClientRect().height", text.element_handle()) > 30  # two lines
    expect(guest.get_by_role("region", name=DE["privacy.notice.heading"])).not_to_contain_text(
        DE["privacy.default"].split("\n")[0]
    )
    assert_axe_clean(guest, "the join page with the organizer's privacy notice")
    assert not watch.page_errors and not watch.foreign()
