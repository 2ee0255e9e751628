"""Browser tests: a real server in a subprocess, driven through Debian's Chromium with Playwright.

Playwright's own browser download does not work here, so the tests launch the system
``chromium``; without it they are skipped with the reason, and with ``CI=true`` they fail.

One server and one browser serve the whole session (that keeps the suite fast); each test
makes its own event, so tests do not see each other's members or ideas.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest

from server.i18n.catalogs import Translator, catalog

ROOT = Path(__file__).parents[2]
AXE_FILE = next((Path(__file__).parent / "vendor").glob("axe-core-*.min.js"))
IN_CI = os.environ.get("CI") == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

DE = catalog("de")  # events are created in German, the default language
T_DE = Translator("de")  # T_DE("client.board.count", count=2): a plural message in the form for count


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the server --------------------------------------------------------------------------


class ServerProcess:
    """``python -m server serve`` on a free port and a SQLite file; restartable on the same port and file."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.database = f"sqlite:///{workdir / 'w.db'}"
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _db_args(self) -> list[str]:
        return ["--database", self.database]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
        env["WERKSTATT_LOG_LEVEL"] = "WARNING"
        return env

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(self.port), "--database", self.database],
            cwd=ROOT,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the server exited at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)  # nothing to wait on but the port: poll briefly
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz within 30 s:\n{self.log()}")

    def stop(self, *, crash: bool = False) -> None:
        """Stop the server: SIGTERM, or SIGKILL for ``crash`` (no goodbye to the clients)."""
        if self.proc is not None:
            if self.proc.poll() is None and crash:
                self.proc.kill()
                self.proc.wait(timeout=5)
            elif self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def create_organizer(self, username: str, password: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "server", "organizer", "create", username, "--password-stdin", *self._db_args()],
            cwd=ROOT,
            env=self._env(),
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        missing("Chromium is not installed (the browser tests drive /usr/bin/chromium through Playwright)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("werkstatt-browser"))
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@dataclass(frozen=True)
class OrganizerAccount:
    username: str
    password: str


@pytest.fixture(scope="session")
def organizer(server: ServerProcess) -> OrganizerAccount:
    account = OrganizerAccount("orga-" + secrets.token_hex(3), secrets.token_urlsafe(16))
    server.create_organizer(account.username, account.password)
    return account


# -- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright's one driver for the session: a second ``sync_playwright()`` in the same thread fails
    while one runs ("Sync API inside the asyncio loop"), so every Chromium is launched from this one."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright: Any, chromium_path: str) -> Iterator[Any]:
    try:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    except Exception as exc:
        missing(f"Chromium at {chromium_path} does not start under Playwright: {exc}")
        raise
    try:
        yield instance
    finally:
        instance.close()


@dataclass
class Watch:
    """What a browser context did that a person would not want: foreign requests, errors, CSP violations."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        own = urlsplit(self.origin)
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname != own.hostname or parts.port != own.port or parts.scheme not in ("http", "ws"):
                out.append(url)
        return out


# Collects CSP violations in the page; Playwright adds it through the DevTools protocol,
# which the page's CSP does not govern.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def new_context(browser: Any, server: ServerProcess) -> Iterator[Callable[..., tuple[Any, Watch]]]:
    """Make a fresh browser context (a separate person), watched for requests and errors."""
    contexts: list[Any] = []

    def make(**options: Any) -> tuple[Any, Watch]:
        context = browser.new_context(base_url=server.base, **options)
        context.set_default_timeout(10_000)
        watch = Watch(server.base)
        context.add_init_script(CSP_LISTENER)
        context.on("request", lambda request: watch.requests.append(request.url))
        context.on(
            "response",
            lambda response: (
                response.status >= 400 and watch.failed_responses.append(f"{response.status} {response.url}")
            ),
        )

        def on_page(page: Any) -> None:
            page.on(
                "console",
                lambda msg: (
                    msg.type == "error" and watch.console_errors.append(f"{msg.text} [{msg.location.get('url')}]")
                ),
            )
            page.on("pageerror", lambda err: watch.page_errors.append(str(err)))
            page.on("websocket", lambda ws: watch.requests.append(ws.url))

        context.on("page", on_page)
        contexts.append(context)
        return context, watch

    yield make
    for context in contexts:
        context.close()


# -- helpers for tests ------------------------------------------------------------------------


def login(page: Any, account: OrganizerAccount) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label(DE["login.username"]).fill(account.username)
    page.get_by_label(DE["login.password"]).fill(account.password)
    page.get_by_role("button", name=DE["login.submit"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["events.title"])


def create_event(page: Any, title: str, fields: list[str], description: str = "") -> dict[str, str]:
    """On the organizer's events page: create an event; return its links by role."""
    from playwright.sync_api import expect

    page.get_by_label(DE["event.title"], exact=True).fill(title)
    if description:
        page.get_by_label(DE["event.description"]).fill(description)
    page.get_by_label(DE["event.fields"]).fill("\n".join(fields))
    page.get_by_role("button", name=DE["event.create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    links = {}
    for role in ("facilitator", "participant", "observer"):
        box = page.get_by_role("textbox", name=DE[f"role.{role}"], exact=True)
        links[role] = box.input_value()
    return links


@pytest.fixture
def make_event(
    new_context: Callable[..., tuple[Any, Watch]], organizer: OrganizerAccount
) -> Callable[..., dict[str, str]]:
    """Create an event through the organizer pages; returns its links by role."""
    state: dict[str, Any] = {}

    def make(title: str, fields: list[str] | None = None) -> dict[str, str]:
        if "page" not in state:
            context, _watch = new_context()
            state["page"] = context.new_page()
            login(state["page"], organizer)
        page = state["page"]
        page.goto("/organizer")
        return create_event(page, title, fields or ["Mobilität", "Bildung", "Umwelt"])

    return make


def join(context: Any, link: str, pseudonym: str, colour: str | None = None) -> Any:
    """Open the join link in a new page, join with a pseudonym, and wait until the room is online."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(link)
    page.get_by_label(DE["join.pseudonym"]).fill(pseudonym)
    if colour:
        page.get_by_label(DE[f"colour.{colour}"]).check()
    page.get_by_role("button", name=DE["join.submit"]).click()
    page.wait_for_url("**/e/*")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    return page


def column(page: Any, name: str) -> Any:
    """The board column (a region named after its field of action)."""
    return page.get_by_role("region", name=name)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page; return the violations."""
    source = AXE_FILE.read_text(encoding="utf-8")
    page.evaluate(source)  # add_script_tag would be blocked by the page's CSP
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )


def describe_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} WCAG 2.1 AA violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)


# -- keyboard ------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute("type") || "",
    text: (el.textContent || "").trim().slice(0, 40),
    label: ((el.labels && el.labels[0] && el.labels[0].textContent) || "").trim(),
    described: (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ").trim(),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page: Any) -> dict[str, Any]:
    info = focused(page)
    assert info["tag"] != "body", "focus was lost"
    assert info["outline"] not in ("none", "") and info["width"] >= 2, f"no visible focus indicator on {info}"
    return info


def tab_until(page: Any, matches: Any, limit: int = 40, *, backwards: bool = False) -> dict[str, Any]:
    """Press Tab until `matches(focused element info)`; check the focus is visible at every stop.

    Past the last element the focus leaves the page (a browser goes to its own controls) and
    the next Tab comes back to the first: that one stop on the body is allowed.
    """
    left_page = False
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if not left_page and focused(page)["tag"] == "body":
            left_page = True
            continue
        info = assert_focus_visible(page)
        if matches(info):
            return info
    raise AssertionError(f"Tab never reached the element; last focus: {focused(page)}")
