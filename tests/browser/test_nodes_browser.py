"""Two nodes of one workshop, one PostgreSQL and one Redis, two people's pages on different nodes: they see each
other's ideas; while Redis is away both pages say so and each node goes on serving its own page; when Redis is
back, both pages are in step again."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from playwright.sync_api import expect

from tests.browser.board_helpers import open_post_form
from tests.browser.conftest import (
    DE,
    OrganizerAccount,
    ServerProcess,
    column,
    create_event,
    free_port,
    join,
    login,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"


class RedisServer:
    """``redis-server`` of the test's own, on a free port, nothing persisted: stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except (redis.RedisError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=5)
            self.proc = None


class Node(ServerProcess):
    """``werkstatt serve`` on PostgreSQL with the test's Redis."""

    def __init__(self, workdir: Path, database: str, redis_url: str) -> None:
        super().__init__(workdir)
        self.database = database
        self.redis_url = redis_url
        self.log_path = workdir / f"node-{self.port}.log"

    def _env(self) -> dict[str, str]:
        return {**super()._env(), "WERKSTATT_REDIS": self.redis_url}


@pytest.fixture(scope="module")
def two_nodes(
    pg_server: str, tmp_path_factory: pytest.TempPathFactory, chromium_path: str
) -> Iterator[tuple[RedisServer, Node, Node]]:
    name = f"werkstatt_browser_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = f"{pg_server.rsplit('/', 1)[0]}/{name}"
    workdir = tmp_path_factory.mktemp("nodes")
    store = RedisServer()
    store.start()
    first, second = Node(workdir, database, store.url), Node(workdir, database, store.url)
    try:
        first.start()
        second.start()
        yield store, first, second
    finally:
        first.stop()
        second.stop()
        store.stop()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def page_on(browser: Any, node: Node, **options: Any) -> Any:
    context = browser.new_context(base_url=node.base, **options)
    context.set_default_timeout(15_000)
    return context


def test_two_pages_on_two_nodes_show_a_redis_outage_and_are_in_step_again_after_it(
    browser: Any, two_nodes: tuple[RedisServer, Node, Node]
) -> None:
    store, first, second = two_nodes
    account = OrganizerAccount("orga-" + secrets.token_hex(3), secrets.token_urlsafe(16))
    first.create_organizer(account.username, account.password)
    organizer = page_on(browser, first).new_page()
    login(organizer, account)
    links = create_event(organizer, "Zwei Knoten", ["Mobilität", "Bildung"])
    path = urlsplit(links["participant"]).path
    ada = join(page_on(browser, first), f"{first.base}{path}", "Ada")
    bo = join(page_on(browser, second, viewport={"width": 390, "height": 844}), f"{second.base}{path}", "Bo")
    for page in (ada, bo):  # each page lists both, whichever node the other is on
        expect(page.locator("#presence-count")).to_have_text("2")
        open_post_form(page)

    ada.get_by_label(DE["client.board.text"]).fill("Vor der Störung")
    ada.get_by_role("button", name=DE["client.board.post"]).click()
    expect(column(bo, "Mobilität").get_by_text("Vor der Störung")).to_be_visible()

    store.stop()
    for page in (ada, bo):  # the socket stays open; the page says what is missing
        status = page.locator("#conn-status")
        expect(status).to_have_attribute("data-state", "reconnecting")
        expect(status).to_have_text(DE["client.conn.reconnecting"])
    ARTIFACTS.mkdir(exist_ok=True)
    ada.screenshot(path=str(ARTIFACTS / "nodes-reconnecting-1366.png"))
    bo.screenshot(path=str(ARTIFACTS / "nodes-reconnecting-390.png"))

    # each node goes on serving its own page: Ada's idea is stored and shown to her
    ada.get_by_label(DE["client.board.text"]).fill("Während der Störung")
    ada.get_by_role("button", name=DE["client.board.post"]).click()
    expect(column(ada, "Mobilität").get_by_text("Während der Störung")).to_be_visible()
    expect(column(bo, "Mobilität").get_by_text("Während der Störung")).to_have_count(0)  # not across: Redis is away
    store.start()  # on the same port: both nodes connect again
    for page in (ada, bo):
        expect(page.locator("#conn-status")).to_have_attribute("data-state", "online", timeout=25_000)
    expect(column(bo, "Mobilität").get_by_text("Während der Störung")).to_be_visible()  # resynced
    bo.get_by_label(DE["client.board.text"]).fill("Nach der Störung")
    bo.get_by_role("button", name=DE["client.board.post"]).click()
    expect(column(ada, "Mobilität").get_by_text("Nach der Störung")).to_be_visible()
    for page in (ada, bo):
        expect(column(page, "Mobilität").get_by_role("listitem")).to_have_count(3)
    assert "Traceback" not in first.log() + second.log()
