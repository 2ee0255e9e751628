"""Set up a workshop on a fresh server the way an organizer does, and tear it down.

An organizer account is made with the CLI, then the organizer logs in over HTTP (the
CSRF cookie and hidden field of ``/login``), creates an event with the form, and reads its
invitation links (``/j/<token>``) off the event page.

By default the server keeps its idea store in an SQLite file of its own. ``workshop`` can
also start several nodes (``werkstatt serve`` processes) on one database and one Redis, as a
deployment of several nodes runs: the event is made on the first; every node serves it.
"""

from __future__ import annotations

import html
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.process import ServerProcess, fresh_postgres, raise_file_limit

FIELDS = ("Mobilität", "Bildung", "Digitale Verwaltung", "Umwelt und Klima")
ORGANIZER = "bench"

_CSRF = re.compile(r'name="csrf"\s+value="([^"]+)"')
_LINK = re.compile(r'value="([^"]*/j/[A-Za-z0-9_-]+)"[^>]*data-role="([a-z]+)"')
_LINK_ANY = re.compile(r"/j/([A-Za-z0-9_-]{20,})")


@dataclass(frozen=True)
class Workshop:
    server: ServerProcess
    event_id: str
    links: dict[str, str]  # role → the join link's token
    nodes: tuple[ServerProcess, ...] = field(default=())  # every node, the first is ``server``

    @property
    def base(self) -> str:
        return self.server.base


def _csrf(page: str) -> str:
    found = _CSRF.search(page)
    if found is None:
        raise RuntimeError("no CSRF field on the page")
    return html.unescape(found.group(1))


async def create_event(base: str, password: str, title: str = "Bench-Werkstatt") -> tuple[str, dict[str, str]]:
    """Log in, create an event, return its id and the join link token of each role."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/login") as response:
            csrf = _csrf(await response.text())
        form = {"csrf": csrf, "username": ORGANIZER, "password": password}
        async with http.post(f"{base}/login", data=form) as response:
            if response.status != 200 or "/login" in str(response.url):
                raise RuntimeError(f"login failed: {response.status} {response.url}")
            csrf = _csrf(await response.text())
        form = {
            "csrf": csrf,
            "title": title,
            "description": "Lasttest",
            "date": "",
            "language": "de",
            "fields": "\n".join(FIELDS),
        }
        async with http.post(f"{base}/organizer/events", data=form) as response:
            page = await response.text()
            if response.status != 200 or "/organizer/events/" not in str(response.url):
                raise RuntimeError(f"creating the event failed: {response.status} {response.url}")
            event_id = str(response.url).rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    links = {role: url.rsplit("/", 1)[-1] for url, role in _LINK.findall(page)}
    if not {"facilitator", "participant"} <= links.keys():
        tokens = _LINK_ANY.findall(page)  # the page changed its markup: the documented order
        links = dict(zip(("facilitator", "participant", "observer"), tokens, strict=False))
    if not {"facilitator", "participant"} <= links.keys():
        raise RuntimeError("no facilitator and participant links on the event page")
    return event_id, links


@asynccontextmanager
async def workshop(
    *,
    keep: bool = False,
    env: dict[str, str] | None = None,
    nodes: int = 1,
    database: str | None = None,
    redis: str | None = None,
) -> AsyncIterator[Workshop]:
    """Fresh server nodes with one event; stopped afterwards.

    ``database``: None for an SQLite file of the (single) node's own, ``postgresql`` for a fresh
    database on 127.0.0.1:5432 (dropped afterwards), or any database URL. ``redis``: the URL every
    node is started with (``--redis``). Several nodes need a database they can share."""
    raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="werkstatt-bench-"))
    # the crowd joins from one address at hundreds a second, and holds thousands of connections from it:
    # the join limits and the per-address connection cap are not what is measured
    unlimited = {
        "WERKSTATT_JOIN_BURST_PER_ADDRESS": "1000000",
        "WERKSTATT_JOIN_BURST_PER_LINK": "1000000",
        "WERKSTATT_MAX_CONNECTIONS_PER_ADDRESS": "0",
    }
    drop: Callable[[], None] = lambda: None  # noqa: E731
    url = database
    if database == "postgresql":
        url, drop = fresh_postgres()
    if nodes > 1 and url is None:
        raise ValueError("several nodes need a database they share (PostgreSQL)")
    if nodes > 1:  # as several nodes are run: the schema brought up to date once (organizer create does)
        unlimited["WERKSTATT_MIGRATE_ON_START"] = "false"
    servers = []
    for n in range(nodes):
        node_dir = workdir if n == 0 else workdir / f"node{n + 1}"
        node_dir.mkdir(exist_ok=True)
        servers.append(ServerProcess(node_dir, env={**unlimited, **(env or {})}, database_url=url, redis=redis))
    password = secrets.token_urlsafe(16)
    try:
        await servers[0].create_organizer(ORGANIZER, password)
        for server in servers:
            await server.start()
        event_id, links = await create_event(servers[0].base, password)
        yield Workshop(server=servers[0], event_id=event_id, links=links, nodes=tuple(servers))
    finally:
        for server in servers:
            await server.stop()
        if keep:
            print(f"kept {workdir} (server.log, bench.db)" + (f" and the database {url}" if url else ""), flush=True)
        else:
            drop()
            shutil.rmtree(workdir, ignore_errors=True)
