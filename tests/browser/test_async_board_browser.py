"""An asynchronous board used on two days (the server's clock moved) by two participants, with nobody
facilitating: the organizer opens the plenary board from 1 March to 30 June with a dot vote; before
it opens Anna reads it and cannot post; on day 1 she posts an idea; on day 2 Ben joins, sees it,
comments and places a dot; the town answers in the idea store; Anna comes back with her link and
sees Ben's comment, the dot and the town's feedback on her idea; past the end both see the board
closed and a post refused. Axe-clean in each state; screenshots at 1366×768 and 390×844 go to
``tests/browser/artifacts/`` (or ``WERKSTATT_ARTIFACTS``).

The server runs in this process, on a thread of its own, so that the test holds its clock: a
``ManualClock`` handed to ``create_app`` (``server.clock``), moved between the days."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from playwright.sync_api import expect

from boards.curation import ReviewStatus
from server.app import create_app
from server.clock import ManualClock
from server.keys import CONNECTIONS, LIVE, STORE
from server.settings import Settings
from server.transport.guard import GuardedRunner
from server.web.passwords import hash_password
from tests.browser.board_helpers import card, card_action, post_idea
from tests.browser.conftest import (
    DE,
    T_DE,
    OrganizerAccount,
    create_event,
    describe_violations,
    free_port,
    join,
    login,
    run_axe,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("WERKSTATT_ARTIFACTS") or Path(__file__).parent / "artifacts")
SIZES = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}
BEFORE = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
DAY_1 = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
DAY_2 = datetime(2026, 3, 11, 9, 15, tzinfo=UTC)
AFTER = datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
FEEDBACK = "Danke! Die Stadt plant den Radweg in der Bahnhofstraße für 2027."
T = TypeVar("T")


class ClockedServer:
    """werkstatt on a free port, on a thread with its own event loop, with a clock the test moves."""

    def __init__(self, workdir: Path) -> None:
        self.clock = ManualClock(BEFORE)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = f"sqlite:///{workdir / 'async.db'}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="werkstatt-clocked", daemon=True)
        self.app: web.Application | None = None
        self.runner: web.AppRunner | None = None

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def start(self) -> None:
        self.thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        settings = Settings.load({}, database=self.database, port=self.port, host="127.0.0.1")
        self.app = create_app(settings, clock=self.clock)
        self.runner = GuardedRunner(self.app, self.app[CONNECTIONS], access_log=None, shutdown_timeout=2.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        if self.runner is not None:
            self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def create_organizer(self, username: str, password: str) -> None:
        assert self.app is not None
        self.call(self.app[STORE].create_organizer(username, hash_password(password)))

    def answer(self, username: str, idea_id: str, status: ReviewStatus, feedback: str, event_id: str) -> None:
        """What the organizer console does: status and feedback in the idea store, then forget_event."""
        assert self.app is not None
        app = self.app

        async def run() -> None:
            organizer = await app[STORE].organizer_by_username(username)
            assert organizer is not None
            await app[STORE].set_review_status(organizer.id, [idea_id], status)
            await app[STORE].set_feedback(organizer.id, idea_id, feedback)
            app[LIVE].forget_event(event_id)

        self.call(run())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[ClockedServer]:
    """This module's own server (it overrides the session's): its clock is the test's."""
    proc = ClockedServer(tmp_path_factory.mktemp("werkstatt-async"))
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def shoot(page: Any, name: str) -> None:
    """Screenshots at a laptop's and a phone's size, for people to look at; back to the laptop's after."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # the vote panel sticks to the top of a scrolled page
        page.screenshot(path=str(ARTIFACTS / f"async-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(SIZES["1366"])


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def enter(context: Any, link: str, pseudonym: str) -> Any:
    """Join with the link (a pseudonym is enough), at a laptop's size."""
    page = join(context, link, pseudonym)
    page.set_viewport_size(SIZES["1366"])
    return page


def come_back(context: Any, link: str) -> Any:
    """Open the link again in the same browser: it knows the member and offers the way back in."""
    page = context.new_page()
    page.set_viewport_size(SIZES["1366"])
    page.goto(link)
    page.get_by_role("link", name=DE["client.join.continue"]).click()
    page.wait_for_url("**/e/*")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    return page


def window_line(page: Any) -> Any:
    return page.locator("#board-window")


def test_an_asynchronous_board_used_on_two_days_by_two_participants(server: ClockedServer, new_context: Any) -> None:
    account = OrganizerAccount("orga-" + secrets.token_hex(3), secrets.token_urlsafe(16))
    server.create_organizer(account.username, account.password)
    org_context, org_watch = new_context()
    org = org_context.new_page()
    org.set_viewport_size(SIZES["1366"])
    login(org, account)
    links = create_event(org, "Ideen für Jena bis Juni", ["Mobilität", "Umwelt"])
    event_id = org.url.rsplit("/", 1)[-1]

    # The organizer opens the plenary board for asynchronous participation, with a dot vote.
    org.get_by_role("link", name=DE["event.async"]).click()
    expect(org.get_by_role("heading", level=1)).to_have_text(DE["async.title"].format(event="Ideen für Jena bis Juni"))
    org.get_by_label(DE["async.opens"]).fill("2026-06-30")
    org.get_by_label(DE["async.closes"]).fill("2026-03-01")
    org.get_by_role("button", name=DE["async.submit"]).click()
    expect(org.get_by_role("alert")).to_have_text(DE["async.error.window_end_before_start"])
    assert_accessible(org, "the asynchronous participation page with an error")
    org.get_by_label(DE["async.opens"]).fill("2026-03-01")
    org.get_by_label(DE["async.closes"]).fill("2026-06-30")
    org.get_by_label(DE["async.budget"]).fill("3")
    org.get_by_role("button", name=DE["async.submit"]).click()
    expect(org.get_by_role("status")).to_have_text(DE["async.saved"])
    listed = org.locator(".async-boards li")
    expect(listed).to_contain_text("1. März 2026")
    expect(listed).to_contain_text("30. Juni 2026")
    expect(listed).to_contain_text(DE["async.state.not_open_yet"])
    expect(listed).to_contain_text(DE["async.voting"])
    assert_accessible(org, "the asynchronous participation page")
    shoot(org, "organizer")

    # Before the window: Anna reads the board, and is told from when she can post.
    anna_context, anna_watch = new_context()
    anna = enter(anna_context, links["participant"], "Anna")
    expect(window_line(anna)).to_have_text(
        DE["client.window.not_open_yet"].format(first="1. März 2026", last="30. Juni 2026")
    )
    expect(anna.locator("#post-closed")).to_have_text(DE["client.post.not_open_yet"].format(first="1. März 2026"))
    expect(anna.get_by_role("button", name=DE["client.board.new_idea"])).to_be_hidden()
    assert_accessible(anna, "the board before its window")
    shoot(anna, "before")
    anna.close()

    # Day 1: Anna comes back with her link and posts an idea; nobody facilitates.
    server.clock.set(DAY_1)
    anna = come_back(anna_context, links["participant"])
    expect(window_line(anna)).to_have_text(DE["client.window.open"].format(last="30. Juni 2026"))
    post_idea(anna, "Mobilität", "Ein Radweg durch die Bahnhofstraße")
    idea = card(anna, "Ein Radweg durch die Bahnhofstraße")
    expect(idea).to_be_visible()
    idea_id = idea.get_attribute("data-idea-id")
    assert idea_id
    assert_accessible(anna, "the open board on day 1")
    shoot(anna, "day1")
    anna.close()

    # Day 2: Ben joins, sees Anna's idea, comments on it and places a dot.
    server.clock.set(DAY_2)
    ben_context, ben_watch = new_context()
    ben = enter(ben_context, links["participant"], "Ben")
    bens_view = card(ben, "Ein Radweg durch die Bahnhofstraße")
    expect(bens_view).to_be_visible()
    card_action(bens_view, T_DE("client.comments.show", count=0))
    bens_view.get_by_label(DE["client.comments.label"]).fill("Unbedingt, mit Beleuchtung!")
    bens_view.get_by_role("button", name=DE["client.comments.post"]).click()
    expect(bens_view.locator(".idea-counts")).to_have_text(T_DE("client.card.comments", count=1))
    ben.keyboard.press("Escape")
    bens_view.get_by_role("button", name=DE["client.vote.add"]).click()
    expect(bens_view.locator(".tally")).to_have_text(T_DE("client.vote.tally", count=1))
    assert_accessible(ben, "the open board on day 2")
    shoot(ben, "day2")

    # The town answers in the idea store (the console's part), then forgets the cached boards.
    server.answer(account.username, idea_id, ReviewStatus.IN_IMPLEMENTATION, FEEDBACK, event_id)

    # Anna comes back with her link: Ben's comment, his dot, and the town's answer on her idea.
    anna = come_back(anna_context, links["participant"])
    mine = card(anna, "Ein Radweg durch die Bahnhofstraße")
    expect(mine.locator(".tally")).to_have_text(T_DE("client.vote.tally", count=1))
    expect(mine.locator(".idea-counts")).to_have_text(T_DE("client.card.comments", count=1))
    status = DE["client.review.status"].format(status=DE["client.review.status.in_implementation"])
    expect(mine.locator(".review-status")).to_have_text(status)
    expect(mine.locator(".review-feedback")).to_have_text(f"{DE['client.review.feedback']} {FEEDBACK}")
    card_action(mine, T_DE("client.comments.show", count=1))
    expect(mine.locator(".comments")).to_contain_text("Unbedingt, mit Beleuchtung!")
    assert_accessible(anna, "the board with the town's feedback")
    shoot(anna, "feedback")
    anna.keyboard.press("Escape")

    # Past the end: Ben, still on the page, is refused and sees the board closed; Anna, coming back, too.
    server.clock.set(AFTER)
    ben.get_by_role("button", name=DE["client.board.new_idea"]).click()
    ben.get_by_label(DE["client.board.text"]).fill("Noch eine Idee")
    ben.get_by_role("button", name=DE["client.board.post"]).click()
    expect(window_line(ben)).to_have_text(DE["client.window.closed"].format(last="30. Juni 2026"))
    expect(ben.locator("#post-closed")).to_have_text(DE["client.post.board_closed"])
    expect(ben.get_by_role("button", name=DE["client.board.new_idea"])).to_be_hidden()
    expect(
        card(ben, "Ein Radweg durch die Bahnhofstraße").get_by_role("button", name=DE["client.vote.add"])
    ).to_be_hidden()
    expect(card(ben, "Noch eine Idee")).to_have_count(0)
    assert_accessible(ben, "the closed board after a refused post")
    anna.close()
    anna = come_back(anna_context, links["participant"])
    expect(window_line(anna)).to_have_text(DE["client.window.closed"].format(last="30. Juni 2026"))
    expect(anna.locator("#post-closed")).to_have_text(DE["client.post.board_closed"])
    expect(card(anna, "Ein Radweg durch die Bahnhofstraße").locator(".review-feedback")).to_contain_text(FEEDBACK)
    assert_accessible(anna, "the closed board")
    shoot(anna, "closed")

    for watch in (org_watch, anna_watch, ben_watch):
        assert watch.foreign() == [] and watch.page_errors == []
