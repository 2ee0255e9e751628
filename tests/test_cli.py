"""The ``werkstatt`` command, run as a person would: in a subprocess, with exit codes and messages."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from server.cli import COLLECTOR_THRESHOLDS


def werkstatt(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m server ARGS`` with no ``WERKSTATT_*`` variables from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = werkstatt("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "organizer"):
        assert command in result.stdout


def test_serve_help_lists_its_options(tmp_path: Path) -> None:
    result = werkstatt("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for option in ("--host", "--port", "--database", "--redis", "--demo"):
        assert option in result.stdout


def test_version(tmp_path: Path) -> None:
    from server import __version__

    result = werkstatt("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"werkstatt {__version__}"


def test_an_unknown_command_is_refused(tmp_path: Path) -> None:
    result = werkstatt("frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_migrate_is_idempotent(tmp_path: Path, db: str) -> None:
    revisions = []
    for _ in range(2):
        result = werkstatt("migrate", "--database", db, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
        with closing(sqlite3.connect(tmp_path / "cli.db")) as conn:
            revisions.append(conn.execute("SELECT version_num FROM alembic_version").fetchall())
    assert revisions[0] == revisions[1]
    assert len(revisions[0]) == 1
    assert not (tmp_path / "werkstatt.db").exists(), "--database must win over the default"


def test_migrate_takes_the_database_from_the_environment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
    env["WERKSTATT_DATABASE"] = f"sqlite:///{tmp_path / 'from-env.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").exists()


def test_invalid_settings_are_refused_with_the_setting_named(tmp_path: Path) -> None:
    result = werkstatt("migrate", "--database", "mysql://nope", cwd=tmp_path)
    assert result.returncode != 0
    assert "mysql" in result.stderr
    env_result = subprocess.run(
        [sys.executable, "-m", "server", "migrate"],
        cwd=tmp_path,
        env={**os.environ, "WERKSTATT_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert env_result.returncode == 2
    assert "port" in env_result.stderr


def test_organizer_create(tmp_path: Path, db: str) -> None:
    created = werkstatt(
        "organizer",
        "create",
        "anna",
        "--password-stdin",
        "--database",
        db,
        cwd=tmp_path,
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "anna" in created.stdout
    with closing(sqlite3.connect(tmp_path / "cli.db")) as conn:
        rows = conn.execute("SELECT username, password_hash FROM organizers").fetchall()
    assert [name for name, _ in rows] == ["anna"]
    assert "a long enough password" not in rows[0][1], "the password must be stored hashed"

    again = werkstatt(
        "organizer",
        "create",
        "anna",
        "--password-stdin",
        "--database",
        db,
        cwd=tmp_path,
        stdin="another long password\n",
    )
    assert again.returncode != 0
    assert "exists already" in again.stderr
    assert "Traceback" not in again.stderr


def test_organizer_create_refuses_a_short_password(tmp_path: Path, db: str) -> None:
    result = werkstatt(
        "organizer", "create", "bert", "--password-stdin", "--database", db, cwd=tmp_path, stdin="short\n"
    )
    assert result.returncode != 0
    assert "at least 10 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists() or not _organizers(tmp_path / "cli.db")


def test_organizer_create_refuses_an_empty_name(tmp_path: Path, db: str) -> None:
    result = werkstatt(
        "organizer",
        "create",
        "  ",
        "--password-stdin",
        "--database",
        db,
        cwd=tmp_path,
        stdin="a long enough password\n",
    )
    assert result.returncode != 0
    assert "1 to 80 characters" in result.stderr


def _organizers(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        try:
            return [row[0] for row in conn.execute("SELECT username FROM organizers")]
        except sqlite3.OperationalError:
            return []


def _demo_once(tmp_path: Path, db: str) -> list[str]:
    """Run `serve --demo` on a free port until it prints its links, then stop it; its lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--demo", "--port", "0", "--database", db],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            if "listening on" in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    return lines


def test_the_demo_is_made_once_and_prints_every_link(tmp_path: Path, db: str) -> None:
    first = _demo_once(tmp_path, db)
    second = _demo_once(tmp_path, db)
    for lines in (first, second):
        text = "\n".join(lines)
        for role in ("organizer:", "facilitator:", "participant:", "observer:"):
            assert role in text, text
        assert "/j/" in text and ":0/" not in text  # the real port, not 0
    tokens = [line.rsplit("/j/", 1)[1] for line in first if "/j/" in line]
    assert tokens == [line.rsplit("/j/", 1)[1] for line in second if "/j/" in line]  # the same event again
    with closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as conn:
        assert conn.execute("select count(*) from events").fetchone() == (1,)
        assert conn.execute("select count(*) from organizers").fetchone() == (1,)


def test_serve_stops_when_migrating_fails(tmp_path: Path) -> None:
    """The migration runs in a child process; when it fails, serve says so and exits 1
    instead of serving a database without its schema."""
    unreachable = "postgresql://nobody@127.0.0.1:1/werkstatt"  # nothing listens on port 1
    result = werkstatt("serve", "--port", "0", "--database", unreachable, cwd=tmp_path)
    assert result.returncode == 1
    assert "migrating the idea store failed" in result.stderr
    assert "listening" not in result.stdout


def test_a_serving_node_tunes_the_collector(tmp_path: Path, db: str) -> None:
    """``werkstatt serve`` freezes what it loaded and sets ``COLLECTOR_THRESHOLDS`` once it listens: here
    a real ``serve`` in a fresh interpreter, which reports the collector's state from inside its running
    loop and then stops itself as a service manager would (SIGTERM)."""
    code = f"""
import asyncio, gc, json, os, signal, sys
import server.cli as cli
tuned = cli.tune_collector
def report():
    tuned()
    print("collector", json.dumps([gc.get_threshold(), gc.get_freeze_count()]), flush=True)
    asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)  # once it waits for signals
cli.tune_collector = report
sys.exit(cli.main(["serve", "--port", "0", "--database", {db!r}]))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("collector ")]
    thresholds, frozen = json.loads(line.removeprefix("collector "))
    assert tuple(thresholds) == COLLECTOR_THRESHOLDS == (20_000, 20, 20)
    assert frozen > 10_000  # what the node made to start (modules, app, engine) is out of the collector's passes
    assert "listening on" in result.stdout  # it reported from a node that had started
