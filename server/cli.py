"""The ``werkstatt`` command: serve, migrate, organizer create, export, purge."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from boards.actors import Role
from boards.errors import DomainError
from server import __version__
from server.settings import Settings
from server.store.db import create_engine, in_memory, migrate
from server.store.idea_store import IdeaStore
from server.web.passwords import hash_password

log = logging.getLogger("werkstatt")

EXPORT_FORMATS = ("csv", "xlsx", "json", "md", "html")  # server.store.exports.formats.Format


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="werkstatt", description="Online workshops for citizen participation.")
    top.add_argument("--version", action="version", version=f"werkstatt {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="Run the server.", description="Run the server.")
    serve.add_argument("--host", help="Address to bind (default 127.0.0.1).")
    serve.add_argument("--port", type=int, help="Port to listen on (default 8080).")
    serve.add_argument(
        "--database",
        metavar="URL",
        help="Idea store: sqlite:///PATH (default sqlite:///werkstatt.db) or postgresql://…",
    )
    serve.add_argument("--redis", metavar="URL", help="Redis for several nodes (optional; unused on one node).")
    serve.add_argument(
        "--demo", action="store_true", help="Create (once) a demo organizer and event, and print their links."
    )

    mig = sub.add_parser(
        "migrate",
        help="Bring the idea store's schema up to date.",
        description="Bring the idea store's schema up to date.",
    )
    mig.add_argument("--database", metavar="URL", help="Idea store URL (as for serve).")

    org = sub.add_parser("organizer", help="Manage organizer accounts.", description="Manage organizer accounts.")
    org_sub = org.add_subparsers(dest="organizer_command", required=True, metavar="ACTION")
    create = org_sub.add_parser(
        "create", help="Create an organizer account.", description="Create an organizer account."
    )
    create.add_argument("username", help="Login name (1–80 characters).")
    create.add_argument(
        "--password-stdin", action="store_true", help="Read the password from standard input instead of asking."
    )
    create.add_argument("--database", metavar="URL", help="Idea store URL (as for serve).")

    exp = sub.add_parser(
        "export",
        help="Export the ideas of an event.",
        description="Write the ideas of an event (or of several events of one organizer) as a file: "
        "internal (everything the organizer sees) or open data (no personal data, nothing hidden). "
        "docs/exports.md describes the formats.",
    )
    exp.add_argument("event_ids", nargs="+", metavar="EVENT_ID", help="The event's id (several: of one organizer).")
    exp.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="csv",
        help="The file's format: csv (default), xlsx, json, md or html.",
    )
    exp.add_argument(
        "--kind", choices=("internal", "open"), default="internal", help="Which ideas: internal (default) or open."
    )
    exp.add_argument("--separator", choices=(";", ","), default=";", help="CSV: between cells (default ;).")
    exp.add_argument("--output", metavar="FILE", help="Write to FILE (default: standard output).")
    exp.add_argument("--database", metavar="URL", help="Idea store URL (as for serve).")
    purge = sub.add_parser(
        "purge",
        help="Erase the personal data of events past the retention period.",
        description="Erase the personal data of events whose date and last activity lie further back than the "
        "retention period (the retention_days setting, or --older-than): pseudonyms, tokens, chat messages, "
        "questions, breakout placements and the audit log; ideas, fields, statuses, feedback and dots stay. "
        "Expired organizer sessions and uploaded idea files never imported and past their 24 hours go on every "
        "run. Running it again changes nothing.",
    )
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="The retention period in days for this run.")
    purge.add_argument("--dry-run", action="store_true", help="Only say what would be erased; change nothing.")
    purge.add_argument("--database", metavar="URL", help="Idea store URL (as for serve).")
    return top


def _settings(args: argparse.Namespace, env: dict[str, str]) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "database", "redis"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings.load(env, **overrides)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = _settings(args, dict(os.environ if env is None else env))
    except ValidationError as exc:
        print(f"werkstatt: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        return serve(settings, demo=args.demo)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "purge":
        from server.purge import purge

        return asyncio.run(purge(settings, args.older_than, dry_run=args.dry_run))
    if args.command == "organizer":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Repeat: ") != password:
                print("werkstatt: the passwords differ", file=sys.stderr)
                return 2
        return asyncio.run(_create_organizer(settings, args.username, password))
    if args.command == "export":
        return asyncio.run(_export(settings, args))
    return 2  # pragma: no cover - argparse refuses unknown commands


async def _migrate(settings: Settings) -> int:
    engine = create_engine(settings.database.get_secret_value())
    try:
        await migrate(engine)
    finally:
        engine.dispose()
    print("werkstatt: the idea store is up to date")
    return 0


async def _create_organizer(settings: Settings, username: str, password: str) -> int:
    username = username.strip()
    if not 1 <= len(username) <= 80:
        print("werkstatt: the user name needs 1 to 80 characters", file=sys.stderr)
        return 2
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        print(f"werkstatt: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database.get_secret_value())
    try:
        await migrate(engine)
        store = IdeaStore(engine)
        try:
            await store.create_organizer(username, password_hash)
        finally:
            await store.close()
    except DomainError as exc:
        print(f"werkstatt: {exc.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"werkstatt: organizer {username!r} created")
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from server.i18n.catalogs import LANGUAGES, Translator
    from server.store.db import head_revision, schema_revision
    from server.store.exports.formats import Format, render
    from server.store.exports.records import ExportKind

    engine = create_engine(settings.database.get_secret_value())
    store = IdeaStore(engine)
    try:
        if await schema_revision(engine) != head_revision():
            print("werkstatt: the idea store is not up to date; run werkstatt migrate first", file=sys.stderr)
            return 1
        events = [await store.event(event_id) for event_id in args.event_ids]
        if len({event.organizer_id for event in events}) != 1:
            print("werkstatt: the events belong to different organizers", file=sys.stderr)
            return 2
        export = await store.export(events[0].organizer_id, args.event_ids, ExportKind(args.kind))
        language = events[0].language if events[0].language in LANGUAGES else LANGUAGES[0]
        rendered = await asyncio.to_thread(
            render, export, Format(args.format), Translator(language), language, separator=args.separator
        )
    except DomainError as exc:
        print(f"werkstatt: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await store.close()
        engine.dispose()
    if args.output:
        await asyncio.to_thread(Path(args.output).write_bytes, rendered.body)
        print(f"werkstatt: {len(export.ideas)} ideas written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(rendered.body)
        sys.stdout.buffer.flush()
    return 0


def _migrate_in_child(settings: Settings) -> bool:
    """``werkstatt migrate`` as a child process: Alembic and what it imports (about 11 MB)
    stay out of the serving process, which holds them for as long as it runs otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKSTATT_")}  # the settings as resolved:
    env["WERKSTATT_DATABASE"] = settings.database.get_secret_value()  # not on the command line: it may hold a password
    env["WERKSTATT_LOG_LEVEL"] = settings.log_level
    done = subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, stdout=subprocess.DEVNULL, check=False)
    return done.returncode == 0


# The cyclic garbage collector's thresholds for a serving node: a young collection after 20,000 new objects
# (CPython 3.11's default is 700), the older generations after 20 of the one below (its default 10). A node
# holds a large, long-lived heap (connections, boards, a space's views) and makes little cyclic garbage; with
# the defaults a space of 1,000 walking avatars spent a fifth of the node's CPU in the collector, in pauses of
# up to 85 ms (docs/benchmarks.md, "Movement in one room's space: both targets met", the collector).
COLLECTOR_THRESHOLDS = (20_000, 20, 20)


def tune_collector() -> None:
    """Once the node has started: what it loaded to start (modules, the app, the store's engine) leaves the
    collector's passes for good (``gc.freeze``), and the thresholds become ``COLLECTOR_THRESHOLDS``."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def _raise_file_limit(settings: Settings) -> None:
    """Let the process hold the connections it admits: its soft limit of open files raised to the
    hard one (a service's soft limit is often 1,024, which would refuse connections long before
    ``max_connections``)."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):  # an unlimited hard limit may not be taken as it is
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if settings.max_connections and soft < settings.max_connections + 100:
        log.warning(
            "open files are limited to %d, fewer than max_connections (%d) needs; raise the limit "
            "(ulimit -n, LimitNOFILE= in a systemd unit) or lower max_connections",
            soft,
            settings.max_connections,
        )


def serve(settings: Settings, *, demo: bool = False) -> int:
    from server.app import create_app
    from server.keys import CONNECTIONS
    from server.transport.guard import GuardedRunner

    if settings.migrate_on_start and not in_memory(settings.database.get_secret_value()):  # a child could not reach it
        if not _migrate_in_child(settings):
            print("werkstatt: migrating the idea store failed (see above)", file=sys.stderr)
            return 1
        settings = settings.model_copy(update={"migrate_on_start": False})

    try:
        import uvloop  # type: ignore[import-not-found]  # faster where installed

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:
        loop_factory = None

    _raise_file_limit(settings)

    async def run() -> None:
        app = create_app(settings)
        runner = GuardedRunner(app, app[CONNECTIONS], access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        base = settings.base_url
        if settings.port == 0 and not settings.public_url:  # a free port was picked: show the real one
            base = base.rsplit(":", 1)[0] + f":{runner.addresses[0][1]}"
        if demo:  # (the demo's code is loaded only for it)
            from server.demo import DEMO_USER, ensure_demo
            from server.keys import STORE

            password, _event_id, links = await ensure_demo(app[STORE])
            print("werkstatt demo is running:", flush=True)
            print(f"  organizer:   {base}/login   user {DEMO_USER!r}, password {password!r}")
            print(f"  facilitator: {base}/j/{links[Role.FACILITATOR]}")
            print(f"  participant: {base}/j/{links[Role.PARTICIPANT]}")
            print(f"  observer:    {base}/j/{links[Role.OBSERVER]}", flush=True)
        tune_collector()
        print(f"werkstatt {__version__} listening on {base}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(run())
    return 0
