"""Facilitation in the browser: two participants (one of them with the keyboard only, on a phone)
and a facilitator chat in the plenary, ask and upvote a question (anonymously asked, marked
answered), get a broadcast and raise a hand; a timer counts down alike on pages whose clocks are
off by +47 s and −31 s; the agenda, the spotlight and removing a participant. axe-core finds
nothing in any of these states; screenshots at 1366×768 and 390×844 go to
``tests/browser/artifacts/`` (or ``WERKSTATT_ARTIFACTS``)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, T_DE, focused, join, tab_until
from tests.browser.test_breakouts_browser import (
    LAPTOP,
    PHONE,
    assert_accessible,
    assert_no_page_faults,
    join_by_keyboard,
    shoot_both,
)

pytestmark = pytest.mark.browser

# Date.now() and new Date() off by a number of milliseconds; performance.now() untouched.
SKEW_SCRIPT = """
(() => {
  const shift = %d;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + shift);
      else super(...args);
    }
    static now() {
      return realNow() + shift;
    }
  }
  globalThis.Date = SkewedDate;
})();
"""


def open_console(page: Any) -> Any:
    console = page.locator("#facilitation-console")
    if console.get_attribute("open") is None:
        console.locator("summary").click()
    return console


def test_chat_questions_broadcast_and_hands_with_a_keyboard_only_participant(new_context: Any, make_event: Any) -> None:
    links = make_event("Bürgerwerkstatt Jena", ["Mobilität", "Bildung"])
    mod_context, mod_watch = new_context(viewport=LAPTOP)
    mod = join(mod_context, links["facilitator"], "Moderation Mia")
    anna_context, anna_watch = new_context(viewport=LAPTOP)
    anna = join(anna_context, links["participant"], "Anna")
    ben_context, ben_watch = new_context(viewport=PHONE)
    ben = join_by_keyboard(ben_context, links["participant"], "Ben")  # keyboard only from here on

    expect(anna.locator("#facilitation-console")).to_have_count(0)  # not in a participant's page
    expect(mod.locator("#facilitation-console")).to_be_visible()
    assert_accessible(anna, "the plenary with chat and questions (participant)")

    # -- chat: Anna with the mouse, Ben with the keyboard ----------------------------------
    anna.get_by_label(DE["client.chat.label"]).fill("Hallo zusammen! <b>kein HTML</b>")
    anna.get_by_role("button", name=DE["client.chat.send"]).click()
    ben_chat = ben.locator("#chat-list")
    expect(ben_chat.locator(".chat-message")).to_have_count(1)
    expect(ben_chat.locator(".chat-text")).to_have_text("Hallo zusammen! <b>kein HTML</b>")
    expect(ben_chat.locator(".chat-author")).to_have_text("Anna")
    expect(ben_chat.locator("b")).to_have_count(0)
    # announced to those not in the chat, once, by name
    expect(mod.locator("#announcer")).to_contain_text(DE["client.chat.announce_one"].format(name="Anna"))

    tab_until(ben, lambda f: f["id"] == "chat-text", limit=60, backwards=True)
    ben.keyboard.type("Hallo Anna, ich bin dabei.")
    ben.keyboard.press("Enter")
    expect(anna.locator("#chat-list .chat-text").nth(1)).to_have_text("Hallo Anna, ich bin dabei.")
    expect(ben.locator("#chat-text")).to_have_value("")
    expect(mod.locator("#chat-list .chat-message")).to_have_count(2)
    # a facilitator may hide a message and silence its author
    mod.get_by_role("button", name=DE["client.chat.silence"].format(name="Anna")).first.click()
    expect(anna.locator("#chat-silenced")).to_be_visible()
    expect(anna.locator("#announcer")).to_contain_text(DE["client.chat.you_silenced"])
    anna.get_by_label(DE["client.chat.label"]).fill("Darf ich noch?")
    anna.get_by_role("button", name=DE["client.chat.send"]).click()
    expect(anna.locator("#chat-error")).to_have_text(DE["client.error.silenced"])
    assert_accessible(anna, "a silenced chat (participant)")
    mod.get_by_role("button", name=DE["client.chat.unsilence"].format(name="Anna")).first.click()
    expect(anna.locator("#chat-silenced")).to_be_hidden()
    anna.get_by_label(DE["client.chat.label"]).fill("")
    # hiding a message takes it from the others' view; showing it again brings it back in its place
    sent = ben.locator("#chat-list time").nth(1).inner_text()
    hide_name = DE["client.chat.hide_label"].format(name="Ben", time=sent)
    mod.get_by_role("button", name=hide_name).click()
    expect(anna.locator("#chat-list .chat-message")).to_have_count(1)
    expect(ben.locator("#chat-list .chat-message.is-hidden")).to_have_count(1)  # its author still sees it
    mod.get_by_role("button", name=DE["client.chat.unhide_label"].format(name="Ben", time=sent)).click()
    expect(anna.locator("#chat-list .chat-text")).to_have_text(
        ["Hallo zusammen! <b>kein HTML</b>", "Hallo Anna, ich bin dabei."]
    )

    # -- a question, asked anonymously by Anna, upvoted by Ben -------------------------------
    anna.get_by_label(DE["client.questions.label"]).fill("Wann fährt der Bus am Wochenende öfter?")
    anna.get_by_label(DE["client.questions.anonymous_ask"]).check()
    anna.get_by_role("button", name=DE["client.questions.ask"]).click()
    question = "Wann fährt der Bus am Wochenende öfter?"
    for page in (anna, ben, mod):
        expect(page.locator("#question-list .question-text")).to_have_text(question)
    expect(mod.locator("#question-list .question-meta")).to_contain_text(DE["client.questions.anonymous"])
    expect(mod.locator("#question-list")).not_to_contain_text("Anna")
    expect(anna.locator("#question-list .question-meta")).to_contain_text(DE["client.questions.mine"])

    upvote_name = DE["client.questions.upvote_label"].format(text=question)
    info = tab_until(ben, lambda f: f["text"] == DE["client.questions.upvote"], limit=60, backwards=True)
    assert info["tag"] == "button"
    ben.keyboard.press("Space")
    ben_upvote = ben.get_by_role("button", name=upvote_name)
    expect(ben_upvote).to_have_attribute("aria-pressed", "true")
    for page in (ben, anna, mod):
        expect(page.locator("#question-list .question-votes")).to_have_text(T_DE("client.questions.votes", count=1))
    assert focused(ben)["text"] == DE["client.questions.upvote"], "the focus stays on the upvote button"

    # the facilitator marks it answered
    mod.get_by_role("button", name=f"{DE['client.questions.mark_answered']}: {question}").click()
    for page in (anna, ben):
        expect(page.locator("#question-list .question-meta")).to_contain_text(DE["client.questions.answered"])
    assert_accessible(ben, "the chat and the answered question (keyboard participant, phone)")

    # -- a broadcast to everyone ---------------------------------------------------------------
    console = open_console(mod)
    console.get_by_label(DE["client.broadcast.text"]).fill("In 5 Minuten geht es im Plenum weiter.")
    console.get_by_role("button", name=DE["client.broadcast.send"]).click()
    for page in (anna, ben):
        banner = page.locator("#broadcasts .broadcast")
        expect(banner).to_have_count(1)
        expect(banner.locator(".broadcast-text")).to_have_text("In 5 Minuten geht es im Plenum weiter.")
        expect(banner.locator(".broadcast-from")).to_have_text(
            DE["client.broadcast.from"].format(name="Moderation Mia")
        )
    assert_accessible(anna, "a broadcast (participant)")

    # -- Ben raises his hand with the keyboard; the facilitator gives him the floor ----------
    tab_until(ben, lambda f: f["id"] == "hand-toggle", limit=60)
    ben.keyboard.press("Space")
    expect(ben.locator("#hand-toggle")).to_have_attribute("aria-pressed", "true")
    queue = mod.locator("#hands-queue li")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("Ben")
    assert_accessible(mod, "the facilitator's console with a raised hand")
    shoot_both(anna, "facilitation-participant")
    shoot_both(mod, "facilitation-facilitator")
    shoot_both(ben, "facilitation-keyboard-participant")
    mod.get_by_role("button", name=DE["client.hands.next"]).click()
    expect(queue).to_have_count(0)
    expect(ben.locator("#hand-toggle")).to_have_attribute("aria-pressed", "false")

    # the broadcast can be dismissed with the keyboard
    tab_until(ben, lambda f: f["text"] == DE["client.broadcast.dismiss"], limit=60, backwards=True)
    ben.keyboard.press("Enter")
    expect(ben.locator("#broadcasts .broadcast")).to_have_count(0)

    # the questions survive a reload
    anna.reload()
    expect(anna.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(anna.locator("#question-list .question-text")).to_have_text(question)
    expect(anna.locator("#chat-list .chat-message")).to_have_count(2)

    for who, watch in (("the facilitator", mod_watch), ("Anna", anna_watch), ("Ben", ben_watch)):
        assert_no_page_faults(watch, who)


def remaining_of(page: Any) -> tuple[int, str]:
    data = page.evaluate(
        """() => {
          const el = document.getElementById("timer-event");
          return [Number(el.dataset.remainingMs), el.querySelector(".timer-value").textContent];
        }"""
    )
    return int(data[0]), str(data[1])


def fresh_remaining_of(page: Any) -> tuple[int, str, float]:
    """The time left as the page draws it next (it redraws every fraction of a second), and when
    (this machine's clock, ms): readings of two pages are compared at the moments they were drawn,
    however the two pages' ticks fall."""
    data = page.evaluate(
        """() => new Promise((resolve) => {
          const el = document.getElementById("timer-event");
          const seen = el.dataset.remainingMs;
          const observer = new MutationObserver(() => {
            if (el.dataset.remainingMs === seen) return;
            observer.disconnect();
            resolve([Number(el.dataset.remainingMs), el.querySelector(".timer-value").textContent]);
          });
          observer.observe(el, { attributes: true, attributeFilter: ["data-remaining-ms"] });
        })"""
    )
    return int(data[0]), str(data[1]), time.time() * 1000


def seconds_of(text: str) -> int:
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_timer_counts_down_alike_on_pages_with_skewed_clocks(new_context: Any, make_event: Any) -> None:
    links = make_event("Zeitplan Bamberg", ["Mobilität"])
    mod_context, mod_watch = new_context(viewport=LAPTOP)
    mod = join(mod_context, links["facilitator"], "Moderation Mia")
    ahead_context, ahead_watch = new_context(viewport=LAPTOP)
    ahead_context.add_init_script(SKEW_SCRIPT % 47_000)
    ahead = join(ahead_context, links["participant"], "Vorne")
    behind_context, behind_watch = new_context(viewport=PHONE)
    behind_context.add_init_script(SKEW_SCRIPT % -31_000)
    behind = join(behind_context, links["participant"], "Hinten")
    skew = ahead.evaluate("() => Date.now()") - behind.evaluate("() => Date.now()")
    assert 77_000 < skew < 79_000, "the pages' clocks are skewed"
    for page in (ahead, behind):
        expect(page.locator("#timers")).to_have_attribute("data-clock", "synced")

    console = open_console(mod)
    console.get_by_label(DE["client.timer.minutes"], exact=True).fill("2")
    console.get_by_role("button", name=DE["client.timer.start"]).click()
    for page in (mod, ahead, behind):
        expect(page.locator("#timer-event")).to_have_attribute("data-status", "running")
    expect(behind.locator("#announcer")).to_contain_text(
        DE["client.timer.announce.started"].format(name=DE["client.timer.event"], time="2:00")
    )
    deadline = int(mod.locator("#timer-event").get_attribute("data-deadline-ms") or 0)
    assert deadline > 0

    left_ahead, text_ahead, at_ahead = fresh_remaining_of(ahead)
    left_behind, text_behind, at_behind = fresh_remaining_of(behind)
    # the pages drew at different moments: what one showed, carried to the other's moment
    assert abs((left_ahead - (at_behind - at_ahead)) - left_behind) < 500, (left_ahead, left_behind)
    for left, at in ((left_ahead, at_ahead), (left_behind, at_behind)):
        server_left = deadline - at  # the server runs on this machine's clock
        assert abs(left - server_left) < 500, (left, server_left)
        assert 110_000 < left <= 120_000
    drift_s = (at_behind - at_ahead) / 1000
    assert abs(seconds_of(text_ahead) - drift_s - seconds_of(text_behind)) <= 1, (text_ahead, text_behind)
    assert abs(seconds_of(text_ahead) - (deadline - at_ahead) / 1000) <= 1.5

    # pausing shows the same frozen time everywhere
    console.get_by_role("button", name=DE["client.timer.pause"]).click()
    for page in (ahead, behind):
        expect(page.locator("#timer-event")).to_have_attribute("data-status", "paused")
        expect(page.locator("#timer-event .timer-state")).to_have_text(DE["client.timer.paused"])
    assert remaining_of(ahead) == remaining_of(behind)
    assert_accessible(behind, "a paused timer (participant, phone)")
    console.get_by_role("button", name=DE["client.timer.resume"]).click()
    console.get_by_role("button", name=DE["client.timer.plus1"]).click()
    for page in (ahead, behind):
        expect(page.locator("#timer-event")).to_have_attribute("data-status", "running")
    left_ahead, _, at_ahead = fresh_remaining_of(ahead)
    left_behind, _, at_behind = fresh_remaining_of(behind)
    assert abs((left_ahead - (at_behind - at_ahead)) - left_behind) < 500
    assert 170_000 < left_ahead <= 180_000
    assert_accessible(ahead, "a running timer (participant)")
    shoot_both(behind, "facilitation-timer-participant")
    shoot_both(mod, "facilitation-timer-facilitator")
    console.get_by_role("button", name=DE["client.timer.reset"]).click()
    for page in (ahead, behind):
        expect(page.locator("#timer-event")).to_be_hidden()

    for who, watch in (("the facilitator", mod_watch), ("ahead", ahead_watch), ("behind", behind_watch)):
        assert_no_page_faults(watch, who)


def test_agenda_spotlight_and_removing_a_participant(new_context: Any, make_event: Any) -> None:
    links = make_event("Strategie Stralsund", ["Mobilität", "Umwelt"])
    mod_context, mod_watch = new_context(viewport=LAPTOP)
    mod = join(mod_context, links["facilitator"], "Moderation Mia")
    anna_context, anna_watch = new_context(viewport=LAPTOP)
    anna = join(anna_context, links["participant"], "Anna")

    # -- the agenda: two steps, reordered, one made current -------------------------------
    console = open_console(mod)
    for title, kind in (("Begrüßung", "input"), ("Ideen sammeln", "plenary")):
        console.get_by_label(DE["client.agenda.title"]).fill(title)
        console.get_by_label(DE["client.agenda.kind"], exact=True).select_option(kind)
        console.get_by_role("button", name=DE["client.agenda.add"]).click()
        expect(console.locator("#agenda-steps li").last).to_contain_text(title)
    console.get_by_role("button", name=f"{DE['client.agenda.up']}: Ideen sammeln").click()
    expect(console.locator("#agenda-steps li").first).to_contain_text("Ideen sammeln")
    console.get_by_role("button", name=f"{DE['client.agenda.set_current']}: Ideen sammeln").click()
    expect(anna.locator("#agenda-now-title")).to_have_text("Ideen sammeln")
    expect(anna.locator("#agenda-now-kind")).to_have_text(f"({DE['client.agenda.kind.plenary']})")
    console.get_by_role("button", name=DE["client.agenda.next"]).click()
    expect(anna.locator("#agenda-now-title")).to_have_text("Begrüßung")
    assert_accessible(mod, "the agenda editor")

    # -- the spotlight: a second board, shown to everyone -------------------------------------
    mod.get_by_role("button", name=DE["client.boards.new"]).click()
    mod.get_by_label(DE["client.boards.title"]).fill("Zweite Runde")
    mod.get_by_role("button", name=DE["client.boards.create"]).click()
    expect(anna.get_by_role("tab", name="Zweite Runde")).to_be_visible()
    mod.get_by_role("tab", name="Zweite Runde").click()
    expect(mod.get_by_role("tab", name="Zweite Runde")).to_have_attribute("aria-selected", "true")
    expect(anna.get_by_role("tab", name="Zweite Runde")).to_have_attribute("aria-selected", "false")
    console.get_by_role("button", name=DE["client.spotlight.start"]).click()
    expect(anna.get_by_role("tab", name="Zweite Runde")).to_have_attribute("aria-selected", "true")
    expect(anna.locator("#announcer")).to_contain_text(DE["client.spotlight.announce"].format(name="Moderation Mia"))
    assert_accessible(anna, "the agenda's step and a board in the spotlight (participant)")
    shoot_both(anna, "facilitation-agenda-participant")
    anna.reload()  # the spotlight holds after a reload
    expect(anna.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(anna.get_by_role("tab", name="Zweite Runde")).to_have_attribute("aria-selected", "true")
    expect(anna.locator("#agenda-now-title")).to_have_text("Begrüßung")
    expect(console.get_by_role("button", name=DE["client.spotlight.end"])).to_be_visible()

    # -- removing Anna, after a confirmation ---------------------------------------------------
    mod.once("dialog", lambda dialog: dialog.accept())
    mod.get_by_role("button", name=DE["client.remove.label"].format(name="Anna")).click()
    expect(anna.locator("#removed")).to_be_visible()
    expect(anna.locator("#removed")).to_have_text(DE["client.removed.message"])
    expect(anna.locator("#facilitation-panels")).to_be_hidden()
    expect(mod.locator("#presence-list")).not_to_contain_text("Anna")
    sockets = sum("socket.io" in url for url in anna_watch.requests)
    anna.wait_for_timeout(2500)  # longer than the first reconnect's back-off
    assert sum("socket.io" in url for url in anna_watch.requests) == sockets, "no reconnect attempts"
    assert_accessible(anna, "removed from the event")

    for who, watch in (("the facilitator", mod_watch), ("Anna", anna_watch)):
        assert_no_page_faults(watch, who)


def test_in_a_breakout_room_the_chat_and_the_timer_are_the_rooms(new_context: Any, make_event: Any) -> None:
    links = make_event("Gruppenchat Heidenheim", ["Mobilität", "Bildung"])
    mod_context, mod_watch = new_context(viewport=LAPTOP)
    mod = join(mod_context, links["facilitator"], "Moderation Mia")
    people = {}
    for name in ("Anna", "Cem", "Ben"):
        context, watch = new_context(viewport=LAPTOP)
        people[name] = (join(context, links["participant"], name), watch)
    anna, cem, ben = people["Anna"][0], people["Cem"][0], people["Ben"][0]
    anna.get_by_label(DE["client.chat.label"]).fill("Noch im Plenum")
    anna.get_by_role("button", name=DE["client.chat.send"]).click()
    expect(ben.locator("#chat-list .chat-message")).to_have_count(1)

    # -- two breakout rooms: Anna and Cem in "Radwege", Ben in "Schulhof" ----------------------
    mod.locator("#breakout-console summary").click()
    mod.get_by_label(DE["client.breakout.count"]).fill("2")
    mod.get_by_label(DE["client.breakout.room_name"].format(index=1)).fill("Radwege")
    mod.get_by_label(DE["client.breakout.room_name"].format(index=2)).fill("Schulhof")
    mod.get_by_label(DE["client.breakout.countdown_s"]).fill("10")
    mod.get_by_role("button", name=DE["client.breakout.create"]).click()
    for name, room in (("Anna", "Radwege"), ("Cem", "Radwege"), ("Ben", "Schulhof")):
        mod.get_by_label(DE["client.breakout.room_for"].format(name=name)).select_option(label=room)
    mod.get_by_role("button", name=DE["client.breakout.open"]).click()
    for page, room in ((anna, "Radwege"), (cem, "Radwege"), (ben, "Schulhof")):
        expect(page.locator("#room-heading")).to_contain_text(DE["client.room.breakout"].format(name=room))

    # -- the chat is the room's: the plenary's stays behind, Ben's room does not hear Radwege ----
    for page in (anna, cem, ben):
        expect(page.locator("#chat-list .chat-message")).to_have_count(0)
        expect(page.locator("#chat-empty")).to_be_visible()
    anna.get_by_label(DE["client.chat.label"]).fill("Hallo Radwege")
    anna.get_by_role("button", name=DE["client.chat.send"]).click()
    expect(cem.locator("#chat-list .chat-text")).to_have_text(["Hallo Radwege"])
    expect(ben.locator("#chat-list .chat-message")).to_have_count(0)

    # -- the facilitator visits Radwege and starts the room's own timer -------------------------
    mod.get_by_role("button", name=f"{DE['client.breakout.visit']} (Radwege)").click()
    expect(mod.locator("#room-heading")).to_contain_text(DE["client.room.breakout"].format(name="Radwege"))
    expect(mod.locator("#chat-list .chat-text")).to_have_text(["Hallo Radwege"])
    console = open_console(mod)
    expect(console.get_by_label(DE["client.timer.target"])).to_have_value("room")
    console.get_by_label(DE["client.timer.minutes"], exact=True).fill("3")
    console.get_by_role("button", name=DE["client.timer.start"]).click()
    for page in (anna, cem):
        expect(page.locator("#timer-room")).to_have_attribute("data-status", "running")
        expect(page.locator("#timer-room .timer-name")).to_have_text(DE["client.timer.room"])
        expect(page.locator("#timer-event")).to_be_hidden()
    expect(ben.locator("#timers")).to_be_hidden()
    assert_accessible(anna, "a breakout room with its chat and timer (participant)")
    assert_accessible(mod, "visiting a breakout room (facilitator)")
    shoot_both(anna, "facilitation-breakout-participant")

    for who, watch in [("the facilitator", mod_watch)] + [(name, w) for name, (_p, w) in people.items()]:
        assert_no_page_faults(watch, who)
