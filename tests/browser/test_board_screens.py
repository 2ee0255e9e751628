"""The board as a town shows it on a projector and people see it on a phone: screenshots at
1366 and 390 px wide through the phases (saved as test artefacts), the columns side by side
or one at a time, no word of the ranking broken in the middle, and axe-clean at both widths.
On the phone the first screen reaches the ideas, the vote panel leaves the cards' buttons free
and every ranking shows its points without a sideways scroll.

The screenshots go to the folder named by ``WERKSTATT_ARTIFACTS``, else to
``tests/browser/artifacts/`` (ignored by git)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import ACTIONS, card, menu, open_post_form
from tests.browser.conftest import DE, T_DE, column, describe_violations, join, run_axe

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("WERKSTATT_ARTIFACTS") or Path(__file__).parent / "artifacts")
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

FIELDS = ["Mobilität", "Bildung", "Umwelt und Klima", "Digitale Verwaltung"]
IDEAS = [
    # field, title, text, colour
    ("Mobilität", "Fahrradbügel", "Fahrradbügel am Bahnhof und vor dem Rathaus", "yellow"),
    ("Mobilität", "", "Rufbus für die Ortsteile am Abend und am Wochenende", "blue"),
    ("Mobilität", "", "Sichere Schulwege mit Tempo 30", ""),
    ("Bildung", "Lernräume", "Offene Lernräume in der Stadtbibliothek, auch samstags", "green"),
    ("Bildung", "", "WLAN in allen Schulen", "pink"),
    ("Umwelt und Klima", "", "Mehr Bäume und Trinkbrunnen in der Innenstadt", "green"),
    ("Digitale Verwaltung", "", "Anträge online stellen, ohne Termin im Bürgerbüro", "purple"),
    ("Digitale Verwaltung", "", "Mängelmelder-App für Schlaglöcher und Müll", "orange"),
]

# Words of the ranking split over two lines (a break after a hyphen, "Mängelmelder-|App", is fine).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("#results .result-idea")) {
    const node = cell.firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    for (const match of node.data.matchAll(/[^\\s-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


# The first row's points of a ranking: where they are, and the right edge of what shows them.
FIRST_POINTS = """(table) => {
  const points = table.querySelector("tbody tr .bar-value").getBoundingClientRect();
  const box = table.closest(".table-scroll").getBoundingClientRect();
  return {left: points.left, right: points.right, shown: Math.min(box.right, innerWidth)};
}"""

# What a tap on the element's middle reaches, when something else lies over it ("" when nothing).
COVERED_BY = """(el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit !== null && (hit === el || el.contains(hit))) return "";
  const over = hit && hit.closest("[id]");
  return `${hit ? hit.tagName : "nothing"} in #${over ? over.id : "?"} at ${Math.round(r.left)},${Math.round(r.top)}`;
}"""


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def post(page: Any, field: str, title: str, text: str, colour: str) -> None:
    open_post_form(page)
    page.get_by_label(DE["client.board.field"], exact=True).select_option(label=field)
    page.get_by_label(DE["client.board.title"], exact=True).fill(title)
    page.get_by_label(DE["client.board.text"]).fill(text)
    page.get_by_label(DE["client.board.colour"]).select_option(colour)
    page.get_by_role("button", name=DE["client.board.post"]).click()
    expect(card(page, text)).to_be_visible()


def set_phase(page: Any, phase: str) -> None:
    page.locator("#phase-select").select_option(phase)
    page.get_by_role("button", name=DE["client.console.phase_set"]).click()


def test_the_board_at_laptop_and_phone_width(new_context: Any, make_event: Any) -> None:
    links = make_event("Smart-City-Werkstatt Jena", FIELDS)
    mod = join(new_context(viewport=LAPTOP)[0], links["facilitator"], "Moderation Mia")
    anna = join(new_context(viewport=LAPTOP)[0], links["participant"], "Anna", colour="teal")
    ben = join(new_context(viewport=PHONE)[0], links["participant"], "Ben", colour="orange")
    for i, (field, title, text, colour) in enumerate(IDEAS):
        post(anna if i % 2 == 0 else ben, field, title, text, colour)
    for page in (mod, anna, ben):
        expect(page.locator("#board li.idea")).to_have_count(len(IDEAS))

    # At 1366 px the four fields of action stand side by side, in one row.
    tops = anna.eval_on_selector_all("#board > .column", "(els) => els.map((e) => e.getBoundingClientRect().top)")
    assert len(set(tops)) == 1, f"the columns wrap at 1366 px: {tops}"
    # At 390 px one column fills most of the screen and the others are a sideways scroll away.
    widths = ben.eval_on_selector_all("#board > .column", "(els) => els.map((e) => e.getBoundingClientRect().width)")
    assert all(250 <= w <= 390 for w in widths), widths
    assert ben.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], (
        "the page itself scrolls sideways"
    )
    assert ben.evaluate("() => { const b = document.getElementById('board'); return b.scrollWidth > b.clientWidth; }")
    expect(ben.locator("#board")).to_have_attribute("tabindex", "0")  # so the keyboard can scroll it

    # A newcomer's first screen on a phone reaches the first idea (the people folded behind their count).
    cem = join(new_context(viewport=PHONE)[0], links["participant"], "Cem")
    expect(cem.locator("#board li.idea")).to_have_count(len(IDEAS))
    expect(cem.locator("#presence-details")).not_to_have_attribute("open", "")
    expect(cem.locator("#presence-count")).to_have_text("4")
    first = cem.locator("#board li.idea").first.bounding_box()
    assert first is not None and first["y"] + 48 <= PHONE["height"], (
        f"the first idea is below the first screen: {first}"
    )
    cem.locator("#presence-heading").click()
    expect(cem.get_by_role("region", name=DE["room.presence"], exact=False).get_by_role("listitem")).to_have_count(4)
    expect(anna.locator("#presence-details")).to_have_attribute("open", "")  # beside the board at 1366 px
    cem.close()

    menu(card(anna, "Rufbus für die Ortsteile"))
    shoot(anna, "board-1366-collect")
    shoot(ben, "board-390-collect")
    assert_accessible(ben, "the board at 390 px")
    anna.keyboard.press("Escape")
    expect(card(anna, "Rufbus").get_by_role("button", name=ACTIONS)).to_have_attribute("aria-expanded", "false")

    set_phase(mod, "cluster")
    expect(anna.locator("#selection-bar")).to_be_visible()
    card(anna, "Rufbus").get_by_label(DE["client.select.idea"]).check()
    shoot(anna, "board-1366-cluster")
    shoot(ben, "board-390-cluster")
    assert_accessible(anna, "the board in the cluster phase at 1366 px")

    set_phase(mod, "vote")
    mod.get_by_role("button", name=DE["client.console.vote_open"]).click()
    for page, text in ((anna, "Fahrradbügel am Bahnhof"), (ben, "Fahrradbügel am Bahnhof"), (ben, "WLAN")):
        card(page, text).get_by_role("button", name=DE["client.vote.add"]).click()
    card(anna, "Mängelmelder").get_by_role("button", name=DE["client.vote.add"]).click()
    expect(ben.locator("#vote-remaining")).to_have_text(T_DE("client.vote.remaining", count=3, budget=5))
    # Scrolled down to a card, its menu button is not under the vote panel.
    first_card = card(ben, "Fahrradbügel am Bahnhof")
    first_card.evaluate("(c) => c.scrollIntoView({block: 'start', inline: 'start'})")  # its column, snapped
    button = first_card.get_by_role("button", name=ACTIONS)
    button.evaluate("(b) => window.scrollBy(0, b.getBoundingClientRect().top)")  # the button at the top
    covered = button.evaluate(COVERED_BY)
    assert covered == "", f"the card's menu button is covered: {covered}"
    ben.evaluate("() => window.scrollTo(0, 0)")
    shoot(ben, "board-390-vote")
    mod.get_by_role("button", name=DE["client.console.vote_close_reveal"]).click()
    for page in (anna, ben):
        expect(page.get_by_role("table", name=DE["client.results.overall"])).to_be_visible()
        assert page.evaluate(BROKEN_WORDS) == [], "a word of the ranking is broken in the middle"
        width = page.viewport_size["width"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, "the results are too wide"
    # On the phone each ranking is a stacked list: the first row's points are on the screen, in the
    # overall ranking and in one per field, and nothing scrolls sideways (no needless Tab stop).
    for name in (DE["client.results.overall"], DE["client.results.field"].format(field="Mobilität")):
        points = ben.get_by_role("table", name=name).evaluate(FIRST_POINTS)
        assert 0 <= points["left"] and points["right"] <= points["shown"], f"{name}: points off-screen {points}"
    for page in (anna, ben):
        expect(page.locator("#results .table-scroll[tabindex]")).to_have_count(0)
    expect(column(anna, "Mobilität").locator("li.idea")).to_have_count(3)
    shoot(anna, "board-1366-results")
    shoot(ben, "board-390-results")
    assert_accessible(ben, "the results at 390 px")

    # In the discussion the board comes first: the results fold away behind their heading, a click away.
    set_phase(mod, "discuss")
    toggle = anna.get_by_role("button", name=DE["client.results.heading"].format(round=1))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(anna.get_by_role("table", name=DE["client.results.overall"])).to_be_hidden()
    shoot(anna, "board-1366-discuss")
    shoot(ben, "board-390-discuss")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(anna.get_by_role("table", name=DE["client.results.overall"])).to_be_visible()
    assert_accessible(anna, "the board in the discussion with the results unfolded")
