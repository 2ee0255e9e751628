"""Set up a workshop on a fresh server the way an organizer does, and tear it down.

An organizer account is made with the CLI, then the organizer logs in over HTTP (the
CSRF cookie and hidden field of ``/login``), creates an event with the form, and reads its
invitation links (``/j/<token>``) off the event page.
"""

from __future__ import annotations

import html
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.process import ServerProcess, raise_file_limit

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
async def workshop(*, keep: bool = False, env: dict[str, str] | None = None) -> AsyncIterator[Workshop]:
    """A fresh server (own SQLite file) with one event; stopped afterwards."""
    raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="werkstatt-bench-"))
    # the crowd joins from one address at hundreds a second, and holds thousands of connections from it:
    # the join limits and the per-address connection cap are not what is measured
    unlimited = {
        "WERKSTATT_JOIN_BURST_PER_ADDRESS": "1000000",
        "WERKSTATT_JOIN_BURST_PER_LINK": "1000000",
        "WERKSTATT_MAX_CONNECTIONS_PER_ADDRESS": "0",
    }
    server = ServerProcess(workdir, env={**unlimited, **(env or {})})
    password = secrets.token_urlsafe(16)
    try:
        await server.create_organizer(ORGANIZER, password)
        await server.start()
        event_id, links = await create_event(server.base, password)
        yield Workshop(server=server, event_id=event_id, links=links)
    finally:
        await server.stop()
        if keep:
            print(f"kept {workdir} (server.log, bench.db)", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
