"""The projector view (Beamer-Ansicht) in the browser: a facilitator opens it from the room, a
participant posts and votes, the facilitator goes from collecting through clustering and voting
to the revealed ranking and switches boards; the wall follows every step, shows no controls,
stays axe-clean, and is photographed at 1920, 1366 and 390 px wide (``tests/browser/artifacts/``,
ignored by git). On the demo's workshop (eight fields, forty ideas, a revealed round) both the
results and the board fit a 1920×1080 and a 1366×768 screen without scrolling."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.demo import DEMO_FIELDS
from tests.browser.conftest import DE, T_DE, ServerProcess, describe_violations, join, run_axe
from tests.test_cli import _demo_once

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("WERKSTATT_ARTIFACTS") or Path(__file__).parent / "artifacts")
WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_WALL = {"width": 1366, "height": 768}  # a common projector's resolution

TITLE = "Zukunftswerkstatt Rathaus"
FIELDS = ["Mobilität", "Bildung", "Umwelt und Klima"]
IDEAS = [
    ("Mobilität", "Fahrradbügel am Bahnhof und vor dem Rathaus"),
    ("Mobilität", "Rufbus für die Ortsteile am Abend"),
    ("Bildung", "Offene Lernräume in der Stadtbibliothek"),
    ("Umwelt und Klima", "Mehr Bäume und Trinkbrunnen in der Innenstadt"),
    ("Umwelt und Klima", "Dachbegrünung für Schulen und Turnhallen"),
]

# the smallest font size of the wall's idea texts, in CSS pixels
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll(".pj-card-text, .pj-result-idea")]
  .map((el) => parseFloat(getComputedStyle(el).fontSize)))"""


# the result rows whose rank runs into the idea beside it: the rank's text (a Range, which measures
# the text itself, also where it overflows its box) reaches past the left edge of the idea's box
RANK_OVER_IDEA = """() => [...document.querySelectorAll(".pj-result")].filter((row) => {
  const range = document.createRange();
  range.selectNodeContents(row.querySelector(".pj-rank"));
  const idea = row.querySelector(".pj-result-idea").getBoundingClientRect();
  return [...range.getClientRects()].some((r) => r.right > idea.left + 0.5
    && r.top < idea.bottom && idea.top < r.bottom);
}).map((row) => row.textContent)"""

# what would have to be scrolled to see the whole wall, in CSS pixels
OVERFLOW = "() => document.documentElement.scrollHeight - innerHeight"


def phase_label(phase: str) -> str:
    return DE["client.phase.label"].format(phase=DE[f"client.phase.{phase}"])


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def fit_to(wall: Any, size: dict[str, int]) -> None:
    """Resize the projector's window and wait until it has laid its stage out for the new size."""
    wall.set_viewport_size(size)
    expect(wall.locator("body")).to_have_attribute("data-fitted", f"{size['width']}x{size['height']}")


def shoot(page: Any, name: str, size: dict[str, int]) -> None:
    if page.locator("body.projector").count():
        fit_to(page, size)
    page.set_viewport_size(size)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"projector-{name}-{size['width']}.png"), full_page=True)


def post(page: Any, field: str, text: str) -> None:
    """Post an idea from the room page: open the form if it waits behind its button, fill, send."""
    opener = page.locator("#post-open")
    if page.locator("#post-form").is_hidden() and opener.count():
        opener.click()
    expect(page.locator("#post-form")).to_be_visible()
    page.get_by_label(DE["client.board.field"], exact=True).select_option(label=field)
    page.get_by_label(DE["client.board.text"]).fill(text)
    page.get_by_role("button", name=DE["client.board.post"]).click()
    expect(page.locator("#board .idea-text", has_text=text)).to_be_visible()  # posted: the form settled


def set_phase(page: Any, phase: str) -> None:
    page.locator("#phase-select").select_option(phase)
    page.get_by_role("button", name=DE["client.console.phase_set"]).click()
    expect(page.locator("#board-phase")).to_have_text(phase_label(phase))


def dot(page: Any, text: str) -> None:
    card = page.locator("#board li.idea", has=page.locator(".idea-text", has_text=text))
    card.get_by_role("button", name=DE["client.vote.add"]).click()


def column(wall: Any, field: str) -> Any:
    """A column of the wall: a region named after its field of action (and its count)."""
    return wall.get_by_role("region", name=re.compile(rf"^{re.escape(field)} \(\d+\)$"))


def test_the_projector_follows_the_facilitator_to_the_results(new_context: Any, make_event: Any) -> None:
    links = make_event(TITLE, FIELDS)
    fac_context, fac_watch = new_context()
    par_context, par_watch = new_context()
    fac = join(fac_context, links["facilitator"], "Moderation Fatma")
    par = join(par_context, links["participant"], "Paul")

    # Only those who run the room are offered the view; it opens in a tab of its own.
    expect(par.locator("#projector-link")).to_be_hidden()
    link = fac.get_by_role("link", name=DE["room.projector"])
    expect(link).to_have_attribute("target", "_blank")
    shoot(fac, "room-link", LAPTOP)  # where the room's header offers it
    with fac_context.expect_page() as opened:
        link.click()
    wall = opened.value
    wall.set_viewport_size(WALL)
    expect(wall).to_have_url(re.compile(r"/e/[^/]+/projector$"))
    expect(wall.locator("#pj-status")).to_have_attribute("data-state", "online")
    expect(wall.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(wall.locator("#pj-phase")).to_have_text(phase_label("collect"))

    # Collect: the participant's ideas appear on the wall in their fields' columns.
    for field, text in IDEAS:
        post(par, field, text)
    expect(column(wall, "Mobilität").locator(".pj-card")).to_have_count(2)
    expect(column(wall, "Mobilität")).to_contain_text(IDEAS[0][1])
    expect(column(wall, "Bildung")).to_contain_text(IDEAS[2][1])
    expect(wall.locator(".pj-card")).to_have_count(len(IDEAS))
    assert wall.evaluate(SMALLEST_TEXT) >= 28, "card text under 28 px on a 1920 px wall"
    assert wall.locator("button, input, select, textarea, form").count() == 0  # nothing to operate
    assert_accessible(wall, "the projector view while collecting")
    shoot(wall, "collect", WALL)
    shoot(wall, "collect", LAPTOP)
    shoot(wall, "collect", PHONE)
    wall.set_viewport_size(WALL)

    # Cluster: the phase changes on the wall and is announced.
    set_phase(fac, "cluster")
    expect(wall.locator("#pj-phase")).to_have_text(phase_label("cluster"))
    expect(wall.locator("#pj-announcer")).to_contain_text(
        DE["client.announce.phase"].format(phase=DE["client.phase.cluster"])
    )

    # The facilitator opens a new board: the wall goes with them, and comes back with them.
    fac.get_by_role("button", name=DE["client.boards.new"]).click()
    fac.get_by_label(DE["client.boards.title"]).fill("Offene Fragen")
    fac.get_by_role("button", name=DE["client.boards.create"]).click()
    expect(fac.get_by_role("tab", name="Offene Fragen")).to_have_attribute("aria-selected", "true")
    expect(wall.locator("#pj-board-title")).to_have_text("Offene Fragen")
    expect(wall.locator(".pj-card")).to_have_count(0)
    expect(wall.locator("#pj-announcer")).to_contain_text("Offene Fragen")
    fac.locator("#board-tabs [role=tab]").first.click()
    expect(wall.locator("#pj-board-title")).to_be_hidden()  # the first board is named like the event
    expect(wall.locator(".pj-card")).to_have_count(len(IDEAS))
    expect(wall.locator("#pj-phase")).to_have_text(phase_label("cluster"))

    # Vote: the round, its time left and the turnout, large; the tallies stay blind.
    set_phase(fac, "vote")
    expect(wall.locator("#pj-phase")).to_have_text(phase_label("vote"))
    fac.locator("#vote-timer").select_option("300")
    fac.locator("#vote-open-submit").click()
    expect(wall.locator("#pj-vote")).to_be_visible()
    expect(wall.locator("#pj-vote-heading")).to_have_text(DE["client.projector.vote_open"].format(round=1))
    expect(wall.locator("#pj-timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(wall.locator("#pj-turnout")).to_have_text(T_DE("client.projector.people", count=0))
    dot(par, IDEAS[0][1])
    expect(par.locator("#vote-remaining")).to_have_text(T_DE("client.vote.remaining", count=4, budget=5))
    dot(par, IDEAS[0][1])
    expect(par.locator("#vote-remaining")).to_have_text(T_DE("client.vote.remaining", count=3, budget=5))
    dot(par, IDEAS[2][1])
    expect(wall.locator("#pj-turnout")).to_have_text(T_DE("client.projector.people", count=1))
    expect(wall.locator("#pj-cast")).to_have_text(T_DE("client.results.dots_value", count=3))
    dot(par, IDEAS[3][1])  # a tie in "Umwelt und Klima": one dot each
    expect(wall.locator("#pj-cast")).to_have_text(T_DE("client.results.dots_value", count=4))
    dot(par, IDEAS[4][1])
    expect(wall.locator("#pj-cast")).to_have_text(T_DE("client.results.dots_value", count=5))
    expect(wall.locator("#pj-columns")).not_to_contain_text("Punkt")  # no tallies on the cards
    assert_accessible(wall, "the projector view during the vote")
    shoot(wall, "vote", WALL)

    # Reveal: the ranking per field of action as bars with their numbers, instead of the board.
    fac.get_by_role("button", name=DE["client.console.vote_close_reveal"]).click()
    expect(wall.locator("#pj-results")).to_be_visible()
    expect(wall.locator("#pj-results-heading")).to_have_text(DE["client.results.heading"].format(round=1))
    expect(wall.locator("#pj-vote")).to_be_hidden()
    expect(wall.locator("#pj-columns")).to_be_hidden()
    expect(wall.locator("#pj-announcer")).to_contain_text(DE["client.announce.vote_revealed"])
    mobility = wall.get_by_role("region", name="Mobilität")
    first = mobility.get_by_role("listitem").first
    expect(first).to_contain_text(IDEAS[0][1])
    expect(first).to_contain_text(T_DE("client.results.dots_value", count=2))
    expect(first.locator(".pj-bar-fill")).to_have_attribute("style", re.compile(r"width: 100%"))
    expect(mobility.get_by_role("listitem").nth(1)).to_contain_text(T_DE("client.results.dots_value", count=0))
    education = wall.get_by_role("region", name="Bildung")
    expect(education.get_by_role("listitem").first).to_contain_text(T_DE("client.results.dots_value", count=1))
    # the tie: both rank 1, "gleichauf" small under the number, clear of the ideas' text
    climate = wall.get_by_role("region", name="Umwelt und Klima").get_by_role("listitem")
    expect(climate).to_have_count(2)
    assert wall.evaluate(RANK_OVER_IDEA) == [], "a rank runs into its idea's text"
    for row in (climate.first, climate.nth(1)):
        expect(row.locator(".pj-rank")).to_have_text(
            DE["client.results.rank_value"].format(rank=1) + DE["client.projector.tie"]
        )
    assert wall.evaluate(SMALLEST_TEXT) >= 28, "result text under 28 px on a 1920 px wall"
    assert wall.locator("button, input, select, textarea, form").count() == 0
    assert_accessible(wall, "the projector view with the results")
    shoot(wall, "results", WALL)
    shoot(wall, "results", LAPTOP)
    shoot(wall, "results", PHONE)
    wall.set_viewport_size(WALL)
    set_phase(fac, "discuss")
    expect(wall.locator("#pj-phase")).to_have_text(phase_label("discuss"))
    expect(wall.locator("#pj-results")).to_be_visible()  # discussed with the results in view
    # back to sorting the cards: the board again, the results stay on the room page
    set_phase(fac, "cluster")
    expect(wall.locator("#pj-columns")).to_be_visible()
    expect(wall.locator("#pj-results")).to_be_hidden()
    expect(wall.locator(".pj-card")).to_have_count(len(IDEAS))

    for watch in (fac_watch, par_watch):
        assert watch.page_errors == [], watch.page_errors
        assert watch.console_errors == [], watch.console_errors
        assert watch.foreign() == [], watch.foreign()


def test_the_projector_asks_for_a_membership_without_one(new_context: Any, make_event: Any) -> None:
    """Opened in a browser that never joined: the server refuses, and the page says what to do."""
    links = make_event("Werkstatt ohne Zugang")
    context, _watch = new_context()
    page = join(context, links["participant"], "Paula")
    event_path = page.url.split("://", 1)[1].split("/", 1)[1]
    stranger, _watch2 = new_context()
    wall = stranger.new_page()
    wall.goto(f"/{event_path}/projector")
    expect(wall.locator("#pj-no-token")).to_be_visible()
    expect(wall.locator("#pj-no-token")).to_have_text(DE["projector.no_token"])
    expect(wall.locator("#pj-status")).to_have_attribute("data-state", "refused")
    assert_accessible(wall, "the projector view without a membership")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Any:
    """A server on the demo's data (``serve --demo`` run once on its database); its facilitator link."""
    workdir = tmp_path_factory.mktemp("werkstatt-demo")
    proc = ServerProcess(workdir)
    lines = _demo_once(workdir, proc.database)
    token = next(line.rsplit("/j/", 1)[1] for line in lines if "facilitator:" in line)
    proc.start()
    try:
        yield proc, f"{proc.base}/j/{token}"
    finally:
        proc.stop()


def assert_fits(wall: Any, size: dict[str, int], headings: str, where: str) -> None:
    """Nothing to scroll on the wall at `size`, and the heading of every field of action in view."""
    fit_to(wall, size)
    shoot(wall, f"demo-{where}", size)
    assert wall.evaluate(OVERFLOW) <= 0, f"{where} at {size}: {wall.evaluate(OVERFLOW)} px below the screen"
    for name in DEMO_FIELDS:
        expect(wall.locator(headings, has_text=name)).to_be_in_viewport(ratio=1)
    if size["width"] == 1920:
        assert wall.evaluate(SMALLEST_TEXT) >= 24, f"{where}: idea text under 24 px on a 1920 px wall"


def test_the_demo_fits_the_wall_without_scrolling(browser: Any, demo: Any) -> None:
    proc, facilitator_link = demo
    context = browser.new_context(base_url=proc.base)
    context.set_default_timeout(10_000)
    try:
        fac = join(context, facilitator_link, "Moderation Beamer")
        wall = context.new_page()
        wall.set_viewport_size(WALL)
        wall.goto(fac.url.split("#", 1)[0] + "/projector")
        expect(wall.locator("#pj-status")).to_have_attribute("data-state", "online")

        # The demo stands in the discussion after a revealed round: its results are on the wall,
        # every field with its top ideas (at least three) and how many more it has.
        expect(wall.locator("#pj-phase")).to_have_text(phase_label("discuss"))
        expect(wall.locator("#pj-results")).to_be_visible()
        for size in (WALL, SMALL_WALL):
            assert_fits(wall, size, ".pj-result-field h3", "results")
            for name in DEMO_FIELDS:
                field = wall.get_by_role("region", name=name)
                assert field.locator(".pj-result").count() >= 3, f"{name}: fewer than 3 ideas ranked at {size}"
            assert wall.evaluate(RANK_OVER_IDEA) == [], f"a rank runs into its idea's text at {size}"
        assert wall.locator(".pj-tie").count() > 0  # the demo's round has ties
        assert_accessible(wall, "the projector view with the demo's results")

        # Back to the cards: all forty ideas are on the wall or counted under their field.
        set_phase(fac, "cluster")
        expect(wall.locator("#pj-columns")).to_be_visible()
        expect(wall.locator("#pj-results")).to_be_hidden()
        for size in (WALL, SMALL_WALL):
            assert_fits(wall, size, ".pj-column-heading", "board")
            counted = wall.evaluate(
                """() => [...document.querySelectorAll(".pj-column")].reduce((sum, col) => sum
                  + col.querySelectorAll(".pj-card").length
                  + Number((col.querySelector(".pj-more")?.textContent.match(/\\d+/) || [0])[0]), 0)"""
            )
            assert counted == 40, f"{counted} of the demo's 40 ideas shown or counted at {size}"
        assert_accessible(wall, "the projector view with the demo's board")
    finally:
        context.close()
