"""Breakout rooms in the browser: a facilitator sets up two rooms and opens them, two participants
land in their rooms (one of them with the keyboard only, on a phone), an idea is posted there, a
call for help is answered, the rooms close with a countdown everyone sees, and back in the plenary
the results come with the idea, read from the plenary. axe-core finds nothing in any of these
states; screenshots at 1366×768 and 390×844 go to ``tests/browser/artifacts/`` (or
``WERKSTATT_ARTIFACTS``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DE,
    T_DE,
    Watch,
    assert_focus_visible,
    describe_violations,
    focused,
    join,
    run_axe,
    tab_until,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("WERKSTATT_ARTIFACTS") or Path(__file__).parent / "artifacts")
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
TOLERATED_CONSOLE = ("/favicon.ico]",)


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def shoot_both(page: Any, name: str) -> None:
    """The page at a laptop's and at a phone's size, then back at its own."""
    own = page.viewport_size
    for label, size in (("1366", LAPTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        shoot(page, f"{name}-{label}")
    page.set_viewport_size(own)


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def assert_no_page_faults(watch: Watch, who: str) -> None:
    assert watch.page_errors == [], f"script errors for {who}: {watch.page_errors}"
    errors = [
        e
        for e in watch.console_errors
        if not (e.startswith("Failed to load resource") and e.endswith(TOLERATED_CONSOLE))
    ]
    assert errors == [], f"console errors for {who}: {errors}"


def join_by_keyboard(context: Any, link: str, pseudonym: str) -> Any:
    page = context.new_page()
    page.goto(link)
    tab_until(page, lambda f: f["id"] == "pseudonym")
    page.keyboard.type(pseudonym)
    tab_until(page, lambda f: f["type"] == "submit" and f["text"] == DE["join.submit"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/e/*")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    return page


def heading(page: Any) -> Any:
    return page.locator("#room-heading")


def test_a_breakout_round_from_the_plenary_to_the_rooms_and_back_with_results(
    new_context: Any, make_event: Any
) -> None:
    links = make_event("Gruppenräume Aalen", ["Mobilität", "Bildung"])
    mod_context, mod_watch = new_context(viewport=LAPTOP)
    mod = join(mod_context, links["facilitator"], "Moderation Mia")
    anna_context, anna_watch = new_context(viewport=LAPTOP)
    anna = join(anna_context, links["participant"], "Anna")
    ben_context, ben_watch = new_context(viewport=PHONE)
    ben = join_by_keyboard(ben_context, links["participant"], "Ben")  # keyboard only from here on

    # -- the plenary ------------------------------------------------------------------------
    for page in (mod, anna, ben):
        expect(page.locator("#room-name")).to_have_text(DE["client.room.plenary"])
    expect(anna.locator("#breakout-panel")).to_be_hidden()
    expect(anna.locator("#breakout-console")).to_have_count(0)  # not in a participant's page
    assert_accessible(anna, "the plenary (participant)")
    shoot(anna, "breakout-plenary-1366")
    shoot(ben, "breakout-plenary-390")

    # -- the facilitator sets up two rooms: the names prefilled, then edited ----------------
    console = mod.locator("#breakout-console")
    console.locator("summary").click()
    expect(mod.get_by_label(DE["client.breakout.room_name"].format(index=1))).to_have_value(
        DE["client.breakout.room_default"].format(index=1)
    )
    mod.get_by_label(DE["client.breakout.count"]).fill("3")
    expect(console.locator("#breakout-name-list input")).to_have_count(3)
    mod.get_by_label(DE["client.breakout.room_name"].format(index=1)).fill("Radwege")
    mod.get_by_label(DE["client.breakout.count"]).fill("2")
    expect(console.locator("#breakout-name-list input")).to_have_count(2)
    expect(mod.get_by_label(DE["client.breakout.room_name"].format(index=1))).to_have_value("Radwege")
    mod.get_by_label(DE["client.breakout.room_name"].format(index=2)).fill("Schulhof")
    # a mistake is named at its field, and nothing is sent
    mod.get_by_label(DE["client.breakout.countdown_s"]).fill("5")
    mod.get_by_role("button", name=DE["client.breakout.create"]).click()
    expect(mod.locator("#breakout-create-error")).to_have_text(DE["client.breakout.invalid.countdown"])
    expect(mod.get_by_label(DE["client.breakout.countdown_s"])).to_be_focused()
    mod.get_by_label(DE["client.breakout.countdown_s"]).fill("10")
    mod.get_by_role("button", name=DE["client.breakout.create"]).click()
    expect(mod.locator("#breakout-round-heading")).to_have_text(
        DE["client.breakout.round_heading"].format(round=1, status=DE["client.breakout.status.draft"])
    )
    expect(mod.locator("#breakout-create")).to_be_hidden()

    # the preview: a room select per person, the keyboard's way to place them
    anna_select = mod.get_by_label(DE["client.breakout.room_for"].format(name="Anna"))
    ben_select = mod.get_by_label(DE["client.breakout.room_for"].format(name="Ben"))
    anna_select.select_option(label="Radwege")
    ben_select.select_option(label="Schulhof")
    rooms = mod.locator(".breakout-room-list")
    expect(rooms.get_by_role("listitem").filter(has_text="Radwege")).to_contain_text(
        T_DE("client.breakout.seats", count=1)
    )
    expect(rooms.get_by_role("listitem").filter(has_text="Schulhof")).to_contain_text(
        T_DE("client.breakout.seats", count=1)
    )
    expect(anna_select).to_have_value(anna_select.locator("option", has_text="Radwege").get_attribute("value") or "")
    assert_accessible(mod, "the facilitator's console with the preview")
    shoot_both(mod, "breakout-console-preview")

    # -- open: everyone lands in their room ---------------------------------------------------
    mod.get_by_role("button", name=DE["client.breakout.open"]).click()
    expect(heading(anna)).to_contain_text(DE["client.room.breakout"].format(name="Radwege"))
    expect(heading(ben)).to_contain_text(DE["client.room.breakout"].format(name="Schulhof"))
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.in_breakout"].format(name="Radwege"))
    expect(ben.locator("#announcer")).to_contain_text(DE["client.announce.in_breakout"].format(name="Schulhof"))
    expect(heading(ben)).to_be_focused()  # the page changed under the keyboard: it starts at the heading
    expect(ben).to_have_title("Gruppenraum: Schulhof – Gruppenräume Aalen – werkstatt")
    expect(ben.locator("#presence-count")).to_have_text("1")
    expect(ben.get_by_role("tab")).to_have_text(["Schulhof"])  # the room's own board
    expect(mod.locator("#breakout-round-heading")).to_have_text(
        DE["client.breakout.round_heading"].format(round=1, status=DE["client.breakout.status.open"])
    )
    assert_accessible(anna, "a breakout room (participant)")
    assert_accessible(mod, "the facilitator's console while the rooms are open")
    shoot(anna, "breakout-in-room-1366")
    shoot(ben, "breakout-in-room-390")

    # Ben posts an idea in his room with the keyboard only.
    tab_until(ben, lambda f: f["id"] == "post-open")
    ben.keyboard.press("Enter")
    expect(ben.get_by_label(DE["client.board.field"])).to_be_focused()
    tab_until(ben, lambda f: f["id"] == "post-text")
    ben.keyboard.type("Schulhof nachmittags öffnen")
    tab_until(ben, lambda f: f["id"] == "post-submit")
    ben.keyboard.press("Enter")
    expect(ben.locator("#board li.idea")).to_have_count(1)
    expect(anna.locator("#board li.idea")).to_have_count(0)  # another room, another board

    # Ben calls a facilitator (Space on the button); the facilitator hears it and goes there.
    tab_until(ben, lambda f: f["text"] == DE["client.breakout.help"], backwards=True)
    ben.keyboard.press("Space")
    expect(ben.locator("#breakout-panel")).to_contain_text(DE["client.breakout.help_asked"])
    expect(ben.get_by_role("button", name=DE["client.breakout.help_withdraw"])).to_be_focused()
    called = DE["client.breakout.help_item"].format(name="Ben", room="Schulhof")
    expect(mod.locator(".breakout-help-queue")).to_contain_text(called)
    expect(mod.locator("#announcer")).to_contain_text(
        DE["client.announce.help_called"].format(name="Ben", room="Schulhof")
    )
    assert_accessible(mod, "the facilitator's console with a call for help")
    shoot_both(mod, "breakout-console-open")
    mod.locator(".breakout-help-queue").get_by_role("button", name=DE["client.breakout.help_go"]).click()
    expect(heading(mod)).to_contain_text(DE["client.room.breakout"].format(name="Schulhof"))
    expect(ben.locator("#presence-count")).to_have_text("2")
    expect(ben.get_by_role("button", name=DE["client.breakout.help"])).to_be_visible()  # the call was answered
    mod.get_by_role("button", name=DE["client.breakout.back_to_plenary"]).click()
    expect(heading(mod)).to_contain_text(DE["client.room.plenary"])

    # -- close with the countdown: everyone sees it, and is back in the plenary after it ------
    mod.get_by_role("button", name=DE["client.breakout.close_countdown"]).click()
    for page in (anna, ben, mod):
        expect(page.locator("#breakout-countdown")).to_be_visible()
        expect(page.locator("#breakout-countdown")).to_contain_text(
            DE["client.breakout.countdown"].split("{time}")[0].strip()
        )
    timer = anna.locator("#breakout-countdown [role=timer]")
    expect(timer).to_have_text(re.compile(r"^0:(0\d|10)$"))
    expect(anna.locator("#announcer")).to_contain_text(
        DE["client.announce.countdown_start"]["other"].split("{count}")[0].strip()
    )
    assert_accessible(anna, "a breakout room during the countdown")
    shoot(anna, "breakout-countdown-1366")
    shoot(ben, "breakout-countdown-390")

    for page in (anna, ben):
        expect(heading(page)).to_contain_text(DE["client.room.plenary"], timeout=20_000)
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.in_plenary"])
    expect(anna.locator("#breakout-countdown")).to_be_hidden()

    # -- the results, read from the plenary; Ben opens his group's board with the keyboard ----
    results = ben.locator("#breakout-panel")
    expect(results).to_contain_text(DE["client.breakout.results"].format(round=1))
    schulhof = results.locator(".breakout-result").filter(has_text="Schulhof")
    expect(schulhof).to_contain_text(T_DE("client.breakout.room_ideas", count=1))
    radwege = results.locator(".breakout-result").filter(has_text="Radwege")
    expect(radwege).to_contain_text(T_DE("client.breakout.room_ideas", count=0))
    tab_until(ben, lambda f: f["text"].startswith(DE["client.breakout.read"]) and "Schulhof" in f["text"])
    ben.keyboard.press("Enter")
    read = ben.locator(".breakout-readonly")
    expect(read.get_by_role("heading", level=4)).to_be_focused()
    expect(read).to_contain_text("Schulhof nachmittags öffnen")
    expect(read.get_by_role("button", name=DE["client.board.post"])).to_have_count(0)  # read only
    assert_focus_visible(ben)
    assert_accessible(ben, "back in the plenary with the results (keyboard participant)")
    expect(anna.locator(".breakout-result").filter(has_text="Schulhof")).to_contain_text(
        T_DE("client.breakout.room_ideas", count=1)
    )
    assert_accessible(anna, "back in the plenary with the results")
    shoot(anna, "breakout-results-1366")
    shoot(ben, "breakout-results-390")

    # the facilitator's next step: a World Café round with the same rooms
    expect(mod.get_by_role("button", name=DE["client.breakout.rotate"])).to_be_visible()
    assert_accessible(mod, "the facilitator's console after the round")
    shoot_both(mod, "breakout-console-closed")

    for watch, who in ((mod_watch, "the facilitator"), (anna_watch, "Anna"), (ben_watch, "Ben")):
        assert_no_page_faults(watch, who)


def test_topic_choices_and_choosing_a_room_by_keyboard(new_context: Any, make_event: Any) -> None:
    links = make_event("Themenwahl Jena", ["Mobilität", "Bildung"])
    mod = join(new_context(viewport=LAPTOP)[0], links["facilitator"], "Moderation Mo")
    cara_context, cara_watch = new_context(viewport=PHONE)
    cara = join_by_keyboard(cara_context, links["participant"], "Cara")  # keyboard only
    dana = join(new_context(viewport=LAPTOP)[0], links["participant"], "Dana")
    room = [DE["client.breakout.room_default"].format(index=n) for n in (1, 2, 3)]

    # A preference round of three rooms with one seat each.
    mod.locator("#breakout-console summary").click()
    mod.get_by_label(DE["client.breakout.count"]).fill("3")
    mod.get_by_label(DE["client.breakout.capacity"]).fill("1")
    mod.get_by_label(DE["client.breakout.duration"]).fill("5")
    mod.get_by_label(DE["client.breakout.mode"], exact=True).select_option("preference")
    mod.get_by_role("button", name=DE["client.breakout.create"]).click()
    expect(mod.locator("#breakout-round-heading")).to_be_visible()

    # Cara ranks topics with the keyboard: add the second, then the first, then move it up.
    panel = cara.locator("#breakout-panel")
    expect(panel).to_contain_text(DE["client.breakout.prefer_none"])
    add = DE["client.breakout.prefer_add"]
    tab_until(cara, lambda f: f["text"] == f"{add} ({room[1]})")
    cara.keyboard.press("Enter")
    expect(panel.locator(".breakout-choice-name")).to_have_text([room[1]])
    assert focused(cara)["text"] == f"{DE['client.breakout.prefer_remove']} ({room[1]})", "the focus stays on the topic"
    tab_until(cara, lambda f: f["text"] == f"{add} ({room[0]})", backwards=True)
    cara.keyboard.press("Enter")
    expect(panel.locator(".breakout-choice-name")).to_have_text([room[1], room[0]])
    up = DE["client.breakout.prefer_up"]
    tab_until(cara, lambda f: f["text"] == f"{up} ({room[0]})", backwards=True)
    cara.keyboard.press("Enter")
    expect(panel.locator(".breakout-choice-name")).to_have_text([room[0], room[1]])
    assert focused(cara)["text"] == f"{up} ({room[0]})"
    expect(cara.locator("#announcer")).to_contain_text(
        DE["client.announce.preference_rank"].format(name=room[0], rank=1)
    )
    assert_accessible(cara, "ranking topics (keyboard participant, phone)")
    shoot(cara, "breakout-prefer-390")

    # The facilitator assigns by the choices: Cara gets her first.
    mod.get_by_role("button", name=DE["client.breakout.assign"]).click()
    cara_select = mod.get_by_label(DE["client.breakout.room_for"].format(name="Cara"))
    expect(cara_select.locator("option:checked")).to_have_text(room[0])

    # Then everyone chooses for themself: Cara takes the second room, which is then full for Dana.
    mod.get_by_label(DE["client.breakout.assign_mode"]).select_option("self_select")
    mod.get_by_role("button", name=DE["client.breakout.assign"]).click()
    choose = DE["client.breakout.choose"]
    # she tabs once the rooms to choose are shown (tabbing before, the focus ran past the panel on a slow machine)
    expect(panel.get_by_role("button", name=f"{choose} ({room[1]})")).to_be_visible()
    tab_until(cara, lambda f: f["text"] == f"{choose} ({room[1]})")
    cara.keyboard.press("Enter")
    mine = panel.locator(".breakout-room.is-mine")
    expect(mine).to_contain_text(room[1])
    expect(mine).to_contain_text(DE["client.breakout.yours"])
    expect(cara.get_by_role("button", name=DE["client.breakout.unchoose"])).to_be_focused()
    full = dana.locator(".breakout-room").filter(has_text=room[1])
    expect(full).to_contain_text(T_DE("client.breakout.seats_of", size=1, count=1))
    full_button = full.get_by_role("button", name=f"{choose} ({room[1]})")
    expect(full_button).to_have_attribute("aria-disabled", "true")
    expect(full_button).to_have_accessible_description(DE["client.breakout.full"])
    full_button.press("Enter")  # Playwright will not click what is aria-disabled; a person may
    expect(dana.locator("#announcer")).to_contain_text(DE["client.breakout.full"])
    assert_accessible(dana, "choosing a room with a full one")
    shoot(dana, "breakout-choose-1366")

    # Open: Cara goes to the room she chose; Dana, who chose none, picks one from the plenary.
    mod.get_by_role("button", name=DE["client.breakout.open"]).click()
    expect(heading(cara)).to_contain_text(DE["client.room.breakout"].format(name=room[1]))
    expect(heading(dana)).to_contain_text(DE["client.room.plenary"])
    dana.get_by_role("button", name=f"{choose} ({room[0]})").click()
    expect(heading(dana)).to_contain_text(DE["client.room.breakout"].format(name=room[0]))
    # The rooms run five minutes, shown calmly; "+5 min" gives them five more.
    banner = dana.locator("#breakout-countdown")
    expect(banner).to_have_attribute("data-kind", "open")
    expect(banner.get_by_role("timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    mod.get_by_role("button", name=T_DE("client.breakout.extend", count=5)).click()
    expect(banner.get_by_role("timer")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    expect(mod.locator("#announcer")).to_contain_text(T_DE("client.announce.rooms_extended", count=5))
    mod.get_by_role("button", name=DE["client.breakout.close_now"]).click()
    for page in (cara, dana):
        expect(heading(page)).to_contain_text(DE["client.room.plenary"])
        expect(page.locator(".breakout-result")).to_have_count(3)
    assert_no_page_faults(cara_watch, "Cara")
