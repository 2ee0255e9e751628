"""The space in the browser (docs/space.md), in Chromium with fake camera and microphone: two
participants walk with the arrow keys to the same table of the plenary's map, their WebRTC
connection reaches "connected", one walks away and it closes; then the same by keyboard only in
the list view (the table's "join" button, then another table's; "show" someone; follow someone who
then leaves). axe-core finds nothing in either view; screenshots at 1366×768 and 390×844 go to ``tests/browser/artifacts/`` (or
``WERKSTATT_ARTIFACTS``).

The tests read where an avatar stands from the map's ``data-x``/``data-y`` and a connection's state
from its video tile's ``data-state`` (``static/js/space.js``); the way to the table comes from the
server's own rules (``rooms.space.grid.find_path`` on the shipped map).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rooms.space.grid import find_path, tile_center, tile_of
from rooms.space.maps import builtin
from rooms.space.model import TILE, SpaceMap, Zone, ZoneKind
from tests.browser.conftest import CHROMIUM_ARGS, DE, T_DE, Watch, assert_focus_visible, join, tab_until
from tests.browser.test_breakouts_browser import assert_accessible
from tests.browser.test_breakouts_browser import assert_no_page_faults as breakout_page_faults

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("WERKSTATT_ARTIFACTS") or Path(__file__).parent / "artifacts")
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
NUMBER = re.compile(r"^\d+$")
KEYS = {(1, 0): "ArrowRight", (-1, 0): "ArrowLeft", (0, 1): "ArrowDown", (0, -1): "ArrowUp"}


@pytest.fixture(scope="module")
def browser(playwright: Any, chromium_path: str) -> Iterator[Any]:
    """Chromium with a fake camera and microphone, and their permission granted (this module's own,
    launched from the session's Playwright)."""
    instance = playwright.chromium.launch(executable_path=chromium_path, args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
    try:
        yield instance
    finally:
        instance.close()


def shoot_both(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    own = page.viewport_size
    for label, size in (("1366", LAPTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"space-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(own)


def assert_no_page_faults(watch: Watch, who: str) -> None:
    breakout_page_faults(watch, who)
    assert watch.foreign() == [], watch.foreign()


def position(page: Any) -> tuple[int, int]:
    stage = page.locator("#space-stage")
    return int(stage.get_attribute("data-x") or -1), int(stage.get_attribute("data-y") or -1)


def tables(space: SpaceMap) -> list[Zone]:
    return [zone for zone in space.zones if zone.kind is ZoneKind.TABLE]


def shown_name(zone: Zone, space: SpaceMap) -> str:
    """A zone's name as the German page shows it (static/js/space-model.js ``zoneName``): its own from the map,
    else its kind, numbered when the map has several of that kind ("Tisch 2")."""
    if zone.name:
        return zone.name
    same = [z for z in space.zones if z.kind is zone.kind]
    if len(same) > 1:
        return DE[f"client.space.zone_numbered.{zone.kind.value}"].replace("{index}", str(same.index(zone) + 1))
    return DE[f"client.space.zone.{zone.kind.value}"]


def inside(zone: Zone, space: SpaceMap) -> list[tuple[int, int]]:
    """The walkable tiles whose centre lies in the zone."""
    out = []
    for row in range(zone.rect.y // TILE, (zone.rect.y + zone.rect.h) // TILE + 1):
        for col in range(zone.rect.x // TILE, (zone.rect.x + zone.rect.w) // TILE + 1):
            cx, cy = tile_center((col, row))
            if space.walkable(col, row) and zone.rect.contains(cx, cy):
                out.append((col, row))
    return out


def steps(path: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A path of 8-direction steps as tiles one straight step apart (a diagonal step of the server's
    path has both tiles beside it walkable, so going round by one of them is on free tiles too)."""
    out = [path[0]]
    for col, row in path[1:]:
        last_col, last_row = out[-1]
        if col != last_col and row != last_row:
            out.append((col, last_row))
        out.append((col, row))
    return out


RELEASE_WHEN_THERE = """([axis, sign, target, key]) => {
  const stage = document.getElementById("space-stage");
  const at = Number(stage.dataset[axis]);
  if ((target - at) * sign > 4) return false;
  stage.dispatchEvent(new KeyboardEvent("keyup", { key, bubbles: true }));
  return true;
}"""


def walk_by_keys(page: Any, space: SpaceMap, goal: tuple[int, int]) -> None:
    """Hold the arrow keys, tile by tile, until the avatar stands on `goal` (a tile)."""
    page.locator("#space-stage").focus()
    x, y = position(page)
    path = find_path(space, tile_of(x, y), goal)
    assert path is not None, f"no way from {(x, y)} to {goal}"
    for col, row in steps(path)[1:]:
        tx, ty = tile_center((col, row))
        x, y = position(page)
        dx = (tx > x) - (tx < x) if abs(tx - x) > 4 else 0
        dy = (ty > y) - (ty < y) if abs(ty - y) > 4 else 0
        for axis, sign in (("x", dx), ("y", dy)):
            if sign == 0:
                continue
            key = KEYS[(sign, 0) if axis == "x" else (0, sign)]
            page.keyboard.down(key)
            try:
                # released from inside the page, in the animation frame the avatar comes within 4 px of the
                # tile's centre: a poll from here would take a round trip or two, and a loaded machine's
                # round trips let the avatar walk on past the tile
                page.wait_for_function(
                    RELEASE_WHEN_THERE, arg=[axis, sign, tx if axis == "x" else ty, key], polling="raf"
                )
            finally:
                page.keyboard.up(key)
    x, y = position(page)
    assert tile_of(x, y) == goal, f"stood at {(x, y)}, not on {goal}"


def click_tile(page: Any, tile: tuple[int, int]) -> None:
    """Click the middle of a tile on the map, where the camera shows it (the frame's ``data-view``)."""
    stage = page.locator("#space-stage")
    left, top, scale = (float(v) for v in (stage.get_attribute("data-view") or "").split())
    x, y = tile_center(tile)
    page.locator("#space-canvas").click(position={"x": (x - left) * scale, "y": (y - top) * scale})


def tile_of_peer(page: Any, peer: str) -> Any:
    return page.locator(f'.space-tile[data-peer="{peer}"]')


def open_space(context: Any, link: str, pseudonym: str) -> Any:
    page = join(context, link, pseudonym)
    expect(page.locator("#space")).to_be_visible()
    details = page.locator("#space-details")
    if details.get_attribute("open") is None:  # a phone: the space starts folded, its heading the summary
        page.locator("#space-details > summary").focus()
        page.keyboard.press("Enter")
        expect(details).to_have_attribute("open", "")
    expect(page.locator("#space-stage")).to_have_attribute("data-x", NUMBER)
    return page


def self_id(page: Any) -> str:
    value = page.locator("#space").get_attribute("data-self")
    assert value
    return str(value)


def test_two_walk_to_a_table_by_keys_connect_and_hang_up_when_one_walks_away(new_context: Any, make_event: Any) -> None:
    links = make_event("Raum zu Fuß")
    space = builtin("plenary").space
    (ctx_a, watch_a), (ctx_b, watch_b) = new_context(viewport=LAPTOP), new_context(viewport=LAPTOP)
    ada = open_space(ctx_a, links["participant"], "Ada")
    bert = open_space(ctx_b, links["participant"], "Bert")
    expect(ada.get_by_role("button", name=DE["client.space.show_map"], exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_accessible(ada, "the space's map")

    # a click on the map walks there, around what is in the way
    start = tile_of(*position(ada))
    target = next(
        (c, r)
        for r in range(space.height)
        for c in range(space.width)
        if space.walkable(c, r)
        and abs(c - start[0]) <= 5
        and abs(r - start[1]) <= 3  # on the screen around her
        and abs(c - start[0]) + abs(r - start[1]) >= 4
        and (path := find_path(space, start, (c, r))) is not None
        and len(path) <= 10
    )
    click_tile(ada, target)
    expect(ada.locator("#space-stage")).to_have_attribute("data-x", str(tile_center(target)[0]))
    expect(ada.locator("#space-stage")).to_have_attribute("data-y", str(tile_center(target)[1]))

    table = tables(space)[0]
    seats = inside(table, space)
    assert len(seats) >= 2
    walk_by_keys(ada, space, seats[0])
    walk_by_keys(bert, space, seats[-1])

    a_id, b_id = self_id(ada), self_id(bert)
    expect(tile_of_peer(ada, b_id)).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(tile_of_peer(bert, a_id)).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(ada.locator("#space-conversation-members")).to_contain_text("Bert")
    expect(ada.locator("#announcer")).to_contain_text("Bert")
    assert_accessible(ada, "the map with a conversation")
    shoot_both(ada, "map-table")

    # Bert walks away, out of the table, far enough to be in no bubble with Ada
    away = next(
        tile
        for tile in sorted(
            ((c, r) for r in range(space.height) for c in range(space.width) if space.walkable(c, r)),
            key=lambda t: abs(t[0] - seats[-1][0]) + abs(t[1] - seats[-1][1]),
        )
        if not any(z.rect.contains(*tile_center(tile)) for z in space.zones if z.kind is not ZoneKind.SPAWN)
        and max(abs(tile[0] - s[0]) + abs(tile[1] - s[1]) for s in seats) >= 5
        and find_path(space, seats[-1], tile) is not None
    )
    walk_by_keys(bert, space, away)
    expect(tile_of_peer(ada, b_id)).to_have_count(0, timeout=10_000)
    expect(tile_of_peer(bert, a_id)).to_have_count(0, timeout=10_000)
    # Ada sits at the table on her own now: still its conversation, with nobody else in it
    expect(ada.locator("#space-conversation-members")).to_be_hidden()
    expect(ada.locator("#announcer")).to_contain_text(DE["client.space.announce.left"].replace("{name}", "Bert"))
    assert_no_page_faults(watch_a, "Ada")
    assert_no_page_faults(watch_b, "Bert")


def test_the_list_view_by_keyboard_only_joins_a_table_and_leaves_it(new_context: Any, make_event: Any) -> None:
    links = make_event("Raum als Liste")
    space = builtin("plenary").space
    (ctx_a, watch_a), (ctx_b, watch_b) = new_context(viewport=LAPTOP), new_context(viewport=PHONE)
    cleo = open_space(ctx_a, links["participant"], "Cleo")
    dora = open_space(ctx_b, links["participant"], "Dora")
    for page in (cleo, dora):
        toggle = page.get_by_role("button", name=DE["client.space.show_list"], exact=True)
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#space-list-heading")).to_be_focused()
        expect(page.locator("#space-stage")).to_be_hidden()
    # the list view as the default, remembered by the browser
    default = cleo.get_by_label(DE["client.space.list_default"])
    default.focus()
    cleo.keyboard.press("Space")
    expect(default).to_be_checked()
    assert cleo.evaluate("() => localStorage.getItem('werkstatt.space.view')") == "list"
    assert_accessible(cleo, "the space's list view")

    first, second = (shown_name(zone, space) for zone in tables(space)[:2])
    join_first = DE["client.space.join_zone"].replace("{name}", first)
    join_second = DE["client.space.join_zone"].replace("{name}", second)
    for page in (cleo, dora):
        button = page.get_by_role("button", name=join_first)
        button.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("region", name=first)).to_contain_text(DE["client.space.you_are_here"])

    c_id, d_id = self_id(cleo), self_id(dora)
    expect(tile_of_peer(cleo, d_id)).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(tile_of_peer(dora, c_id)).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(cleo.locator("#announcer")).to_contain_text("Dora")
    expect(cleo.get_by_role("region", name=first)).to_contain_text("Dora")
    assert_accessible(cleo, "the list view with a conversation")
    assert_accessible(dora, "the list view on a phone")
    shoot_both(cleo, "list-table")

    # bubble chat, by keyboard
    field = dora.get_by_label(DE["client.space.chat_label"])
    field.focus()
    dora.keyboard.type("Hallo Tisch")
    dora.keyboard.press("Enter")
    expect(cleo.locator("#space-chat-log")).to_contain_text("Hallo Tisch")

    # Dora goes to the other table: the connection closes, Cleo hears she left
    button = dora.get_by_role("button", name=join_second)
    button.focus()
    dora.keyboard.press("Enter")
    expect(tile_of_peer(cleo, d_id)).to_have_count(0, timeout=10_000)
    expect(tile_of_peer(dora, c_id)).to_have_count(0, timeout=10_000)
    expect(cleo.locator("#announcer")).to_contain_text(DE["client.space.announce.left"].replace("{name}", "Dora"))
    expect(cleo.get_by_role("region", name=second)).to_contain_text("Dora")

    # "show" Dora, by keyboard: the list stays, the live region says where she is and how far, the map points her out
    (cx, cy), (dx, dy) = position(cleo), position(dora)
    tiles = math.floor(math.hypot(cx - dx, cy - dy) / TILE + 0.5)  # as Math.round
    show = cleo.get_by_role("button", name=DE["client.space.locate.button"].replace("{name}", "Dora"), exact=True)
    show.focus()
    cleo.keyboard.press("Enter")
    said = T_DE("client.space.locate.in_zone", name="Dora", zone=second, count=tiles)
    expect(cleo.locator("#announcer")).to_contain_text(said)
    expect(cleo.locator("#space-stage")).to_have_attribute("data-spot", d_id)
    expect(cleo.locator("#space-list-panel")).to_be_visible()
    expect(show).to_be_focused()
    assert_accessible(cleo, "the list view after showing someone")

    # Cleo follows Dora; Dora leaves (her page reloads): Cleo hears it, and when Dora is back, "follow" is up
    follow = cleo.get_by_role("button", name=DE["client.space.follow"].replace("{name}", "Dora"), exact=True)
    follow.focus()
    cleo.keyboard.press("Enter")
    expect(follow).to_have_attribute("aria-pressed", "true")
    dora.reload()
    expect(cleo.locator("#announcer")).to_contain_text(DE["client.space.announce.not_following"])
    expect(dora.locator("#space-stage")).to_have_attribute("data-x", NUMBER)
    expect(cleo.get_by_role("region", name=DE["client.space.elsewhere"])).to_contain_text("Dora")
    expect(follow).to_have_attribute("aria-pressed", "false")

    # the default holds on the next visit
    cleo.reload()
    expect(cleo.get_by_role("button", name=DE["client.space.show_list"], exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_no_page_faults(watch_a, "Cleo")
    assert_no_page_faults(watch_b, "Dora")


def test_whoever_stands_on_the_stage_is_received_by_the_room(new_context: Any, make_event: Any) -> None:
    links = make_event("Bühne")
    space = builtin("plenary").space
    stage = next(zone for zone in space.zones if zone.kind is ZoneKind.STAGE)
    (ctx_a, watch_a), (ctx_b, watch_b) = new_context(viewport=LAPTOP), new_context(viewport=LAPTOP)
    eva = open_space(ctx_a, links["participant"], "Eva")
    finn = open_space(ctx_b, links["participant"], "Finn")
    toggle = eva.get_by_role("button", name=DE["client.space.show_list"], exact=True)
    toggle.focus()
    eva.keyboard.press("Enter")
    join_stage = eva.get_by_role(
        "button", name=DE["client.space.join_zone"].replace("{name}", shown_name(stage, space))
    )
    join_stage.focus()
    eva.keyboard.press("Enter")
    expect(eva.get_by_role("region", name=shown_name(stage, space))).to_contain_text(DE["client.space.you_are_here"])

    e_id, f_id = self_id(eva), self_id(finn)
    # one-to-many: Eva sends to Finn, who only receives (he is in no conversation with her)
    expect(tile_of_peer(finn, e_id)).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(tile_of_peer(finn, e_id)).to_have_attribute("data-mode", "receive")
    expect(tile_of_peer(eva, f_id)).to_have_attribute("data-mode", "send")
    expect(finn.locator("#space-stage-line")).to_have_text(DE["client.space.from_stage"].replace("{names}", "Eva"))
    # Eva's microphone and camera (the fake devices) go to Finn
    for name in ("client.space.mic", "client.space.camera"):
        button = eva.get_by_role("button", name=DE[name], exact=True)
        button.focus()
        eva.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-pressed", "true")
    finn.wait_for_function(
        """(peer) => {
            const video = document.querySelector(`.space-tile[data-peer="${peer}"] video`);
            return !!video && video.videoWidth > 0;
        }""",
        arg=e_id,
        timeout=20_000,
    )
    assert_accessible(finn, "the map with the stage received")
    shoot_both(finn, "stage-received")

    # off the stage: the room stops receiving her
    leave = eva.get_by_role(
        "button", name=DE["client.space.join_zone"].replace("{name}", shown_name(tables(space)[0], space))
    )
    leave.focus()
    eva.keyboard.press("Enter")
    expect(tile_of_peer(finn, e_id)).to_have_count(0, timeout=10_000)
    assert_no_page_faults(watch_a, "Eva")
    assert_no_page_faults(watch_b, "Finn")


def test_going_to_someone_makes_a_bubble_which_its_members_lock(new_context: Any, make_event: Any) -> None:
    links = make_event("Blase")
    pages = []
    for name in ("Gustav", "Hanna", "Ida"):
        context, _watch = new_context(viewport=PHONE)
        page = open_space(context, links["participant"], name)
        toggle = page.get_by_role("button", name=DE["client.space.show_list"], exact=True)
        toggle.focus()
        page.keyboard.press("Enter")
        pages.append(page)
    gustav, hanna, ida = pages
    # Ida waits at a table (people arriving at once may stand close enough for a bubble)
    space = builtin("plenary").space
    far = shown_name(tables(space)[-1], space)
    wait = ida.get_by_role("button", name=DE["client.space.join_zone"].replace("{name}", far))
    wait.focus()
    ida.keyboard.press("Enter")
    expect(ida.get_by_role("region", name=far)).to_contain_text(DE["client.space.you_are_here"])
    go = hanna.get_by_role("button", name=DE["client.space.goto_person"].replace("{name}", "Gustav"))
    go.focus()
    hanna.keyboard.press("Enter")
    expect(hanna.locator("#space-conversation-members")).to_contain_text("Gustav")
    expect(gustav.locator("#space-conversation-members")).to_contain_text("Hanna")

    lock = gustav.get_by_role("button", name=DE["client.space.lock"])
    lock.focus()
    gustav.keyboard.press("Enter")
    expect(gustav.locator("#space-lock")).to_have_attribute("aria-pressed", "true")
    expect(hanna.locator("#space-lock")).to_have_attribute("aria-pressed", "true")
    assert_accessible(gustav, "a locked bubble on a phone")

    # Ida goes to them: next to them, but not into the locked bubble
    before = position(ida)
    go = ida.get_by_role("button", name=DE["client.space.goto_person"].replace("{name}", "Hanna"))
    go.focus()
    ida.keyboard.press("Enter")
    expect(ida.locator("#space-stage")).not_to_have_attribute("data-x", str(before[0]))
    expect(ida.locator("#space-conversation-summary")).to_have_text(DE["client.space.no_conversation"])
    expect(gustav.locator("#space-conversation-members")).not_to_contain_text("Ida")


def test_a_keyboard_user_skips_the_space_to_the_ideas_board(new_context: Any, make_event: Any) -> None:
    """The space's controls come before the board; its first stop is a link past them (laptop and phone)."""
    links = make_event("Raum überspringen")
    for viewport, name in ((LAPTOP, "Greta"), (PHONE, "Hanna")):
        context, watch = new_context(viewport=viewport)
        page = join(context, links["participant"], name)
        expect(page.locator("#space")).to_be_visible()
        page.locator("#room-heading").focus()
        skip = tab_until(page, lambda info: info["id"] == "space-skip")
        assert skip["text"] == DE["client.space.skip"]
        expect(page.locator("#space-skip")).to_be_in_viewport()  # shown where it is, not off the page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"space-skip-link-{viewport['width']}.png"))
        page.keyboard.press("Enter")
        expect(page.locator("#board-heading")).to_be_focused()
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        assert page.evaluate("() => document.activeElement.closest('.board-section') !== null")
        assert_no_page_faults(watch, name)
