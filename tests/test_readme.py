"""The README's two commands: they are the first code blocks, CI runs the second, and the first
one works on a fresh copy of the working tree as it would on a fresh machine."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from server.demo import DEMO_TITLE, DEMO_USER

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INSTALL_TIMEOUT_S = 240  # a fresh virtual environment and `pip install .`
HTTP_TIMEOUT_S = 10


def code_blocks(text: str) -> list[tuple[str, str]]:
    return [(m["lang"].strip(), m["body"].strip()) for m in FENCE.finditer(text)]


def readme_commands() -> tuple[str, str]:
    blocks = code_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2, "the README must start with two code blocks: the try-it command and the test command"
    (lang1, first), (lang2, second) = blocks[:2]
    assert (lang1, lang2) == ("sh", "sh"), "both commands are ```sh blocks"
    return first, second


# -- the commands, the scripts and CI agree ---------------------------------------------


def test_readme_starts_with_exactly_the_two_commands() -> None:
    first, second = readme_commands()
    assert "\n" not in first, "the first command is one line"
    assert first.startswith("python3 -m venv .venv && ")
    assert "pip install . " in first + " "
    assert first.endswith("werkstatt serve --demo")
    assert second == "scripts/test"


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _first, second = readme_commands()
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "set -euo pipefail" in lines
    assert "export CI=true" in lines
    assert lines[-1] == second, ".ci/run must end by running the README's test command, unchanged"
    assert lines.index("export CI=true") < lines.index(second)
    assert "scripts/check" in lines and lines.index("scripts/check") < lines.index(second), "checks before tests"


@pytest.mark.parametrize("path", ["scripts/install", "scripts/test", "scripts/check", "scripts/docs", ".ci/run"])
def test_scripts_are_executable_bash(path: str) -> None:
    script = ROOT / path
    assert script.stat().st_mode & stat.S_IXUSR, f"{path} is not executable"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.mark.slow
@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="runs scripts/test against the current virtual environment")
def test_scripts_test_fails_when_no_test_is_collected(tmp_path: Path) -> None:
    """pytest's exit code 5 ("no tests collected") must not pass as success."""
    env = {**os.environ, "VENV": sys.prefix, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("CI", None)
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "test"),
            "tests/test_readme.py",
            "-k",
            "no_test_has_this_name",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "collected no tests" in result.stderr


# -- the first command on a fresh copy ----------------------------------------------------


def fresh_copy(target: Path) -> Path:
    """The working tree's tracked and untracked-but-not-ignored files, as a clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for raw in filter(None, listed.split(b"\0")):
        name = os.fsdecode(raw)
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree but still tracked
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    assert not (target / ".venv").exists()
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    seen: list[str]

    def wait_for(self, pattern: str, deadline: float) -> re.Match[str]:
        while True:
            for line in self.seen:
                if found := re.search(pattern, line):
                    return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no line matching {pattern!r} in time; output so far:\n" + "".join(self.seen[-60:]))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(
                    f"the command ended (exit {self.process.wait()}) before printing {pattern!r}:\n"
                    + "".join(self.seen[-60:])
                )
            self.seen.append(line)


@pytest.fixture
def readme_demo(tmp_path: Path) -> Iterator[tuple[Running, int]]:
    first, _second = readme_commands()
    copy = fresh_copy(tmp_path / "werkstatt")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WERKSTATT_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))
    }
    env.update({"WERKSTATT_PORT": str(port), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen(
        ["sh", "-c", first],
        cwd=copy,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: pip, the venv's python, werkstatt
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield Running(process, lines, []), port
    finally:
        _stop_group(process)
        reader.join(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def _stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the whole process group (shell, pip, werkstatt), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        if _group_gone(process, timeout=20):
            break
    process.wait(timeout=10)


def _group_gone(process: subprocess.Popen[str], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        process.poll()  # reap the shell, or it stays in the group as a zombie
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def request(
    port: int, method: str, path: str, *, body: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8")
    finally:
        conn.close()


def cookie(headers: http.client.HTTPMessage, name: str) -> str:
    for header in headers.get_all("Set-Cookie") or []:
        key, _, rest = header.partition("=")
        if key.strip() == name:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {headers.get_all('Set-Cookie')}")


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_S + 120)
def test_the_first_command_installs_and_serves_the_demo(readme_demo: tuple[Running, int]) -> None:
    running, port = readme_demo
    started = time.monotonic()
    organizer = running.wait_for(
        r"organizer:\s+(\S+)\s+user '([^']+)', password '([^']+)'", started + INSTALL_TIMEOUT_S
    )
    participant = running.wait_for(r"participant:\s+(http://\S+/j/\S+)", started + INSTALL_TIMEOUT_S)
    print(f"fresh install and start took {time.monotonic() - started:.0f} s")

    link = urlsplit(participant[1])
    assert link.port == port, "the printed links must use WERKSTATT_PORT"
    assert urlsplit(organizer[1]).path == "/login"
    assert organizer[2] == DEMO_USER

    status, headers, body = request(port, "GET", "/healthz")
    assert status == 200
    assert headers.get_content_type() == "application/json"
    assert json.loads(body)["status"] == "ok"

    status, headers, body = request(port, "GET", link.path)
    assert status == 200, body
    assert headers.get_content_type() == "text/html"
    assert DEMO_TITLE in body

    status, headers, body = request(port, "GET", "/login")
    assert status == 200
    csrf_cookie = cookie(headers, "werkstatt_csrf")
    match = re.search(r'name="csrf" value="([^"]+)"', body)
    assert match, "the login form carries its CSRF token"
    form = urlencode({"csrf": match[1], "username": organizer[2], "password": organizer[3]})
    status, headers, body = request(
        port,
        "POST",
        "/login",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"werkstatt_csrf={csrf_cookie}"},
    )
    assert status == 303, body
    assert headers["Location"] == "/organizer"
    session = cookie(headers, "werkstatt_session")

    status, _headers, body = request(
        port, "GET", "/organizer", headers={"Cookie": f"werkstatt_csrf={csrf_cookie}; werkstatt_session={session}"}
    )
    assert status == 200
    assert DEMO_TITLE in body
