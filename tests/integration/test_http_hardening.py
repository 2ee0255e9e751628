"""The HTTP edge as an attacker meets it: redirects, login limits, join limits, host names, the Server header.

Requests come from different client addresses through the loopback network: every address
in 127.0.0.0/8 reaches the server on 127.0.0.1, so ``request.remote`` differs as it does
for real clients (``from_address``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from boards.actors import Role
from server.keys import SETTINGS, STORE
from server.web.passwords import hash_password
from tests.support import base_url, make_event, start_server

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def from_address(address: str = "127.0.0.1") -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose connections come from ``address`` (one of the loopback network's)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=0)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield http


async def login_form(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/login") as response:
        match = CSRF.search(await response.text())
    assert match
    return match.group(1)


async def login(http: aiohttp.ClientSession, base: str, username: str = "anna", password: str = PASSWORD) -> int:
    csrf = await login_form(http, base)
    data = {"username": username, "password": password, "csrf": csrf}
    async with http.post(f"{base}/login", data=data, allow_redirects=False) as response:
        return response.status


async def join_from(
    http: aiohttp.ClientSession, base: str, link: str, pseudonym: str, forwarded: str | None = None
) -> aiohttp.ClientResponse:
    """A join; ``forwarded``: the ``X-Forwarded-For`` it carries."""
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    body = {"link": link, "pseudonym": pseudonym, "colour": "blue"}
    async with http.post(f"{base}/api/join", json=body, headers=headers) as r:
        await r.read()
        return r


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[TestServer]:
    srv = await start_server(sqlite_url)
    await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
    yield srv
    await srv.close()


# -- 1. the language switch redirects only within the site ----------------------------------


def as_a_browser_follows(base: str, location: str) -> URL:
    """Where a browser goes with this ``Location``: it drops tabs and line breaks anywhere,
    trims spaces and control characters at the ends, and reads ``\\`` as ``/`` (WHATWG URL)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00-\x20").replace("\\", "/")
    return URL(base).join(URL(cleaned))


@pytest.mark.parametrize(
    "raw_next",
    [
        "/%09/evil.example",  # tab
        "/%0a/evil.example",  # line feed
        "/%0d/evil.example",  # carriage return
        "/%0d%0a/evil.example",
        "/%09%09/evil.example/path?q=1",
        "%09//evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",  # a backslash
        "/%5C/evil.example",
        "/%09%5C/evil.example",
        "https://evil.example/",
        "https:evil.example",
        "/%E2%80%A8/evil.example",  # a line separator
        "/%00/evil.example",
    ],
)
async def test_the_language_switch_redirects_only_within_the_site(server: TestServer, raw_next: str) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession() as http:
        url = URL(f"{base}/lang/en?next={raw_next}", encoded=True)
        async with http.get(url, allow_redirects=False) as response:
            assert response.status == 303
            location = response.headers["Location"]
    target = as_a_browser_follows(base, location)
    assert (target.scheme, target.host, target.port) == ("http", "127.0.0.1", server.port), location
    assert location.startswith("/") and not location.startswith("//"), location


async def test_the_language_switch_returns_to_the_page_it_came_from(server: TestServer) -> None:
    async with aiohttp.ClientSession() as http:
        url = URL(f"{base_url(server)}/lang/en?next=/e/abc%3Fx%3D1", encoded=True)
        async with http.get(url, allow_redirects=False) as response:
            assert response.headers["Location"] == "/e/abc?x=1"


# -- 2, 3. the login limit: counted before the check, by address, never a lock-out by strangers


async def test_parallel_wrong_logins_are_checked_at_most_the_limit(server: TestServer) -> None:
    base = base_url(server)
    limit = server.app[SETTINGS].login_attempts
    async with from_address("127.0.0.2") as http:
        csrf = await login_form(http, base)

        async def wrong(i: int) -> int:
            data = {"username": "anna", "password": f"wrong password {i}", "csrf": csrf}
            async with http.post(f"{base}/login", data=data, allow_redirects=False) as response:
                return response.status

        statuses = await asyncio.gather(*(wrong(i) for i in range(30)))
    assert statuses.count(401) <= limit, statuses
    assert statuses.count(401) + statuses.count(429) == 30, statuses


async def test_the_right_password_from_another_address_after_a_strangers_failures(server: TestServer) -> None:
    base = base_url(server)
    async with from_address("127.0.0.2") as stranger:
        statuses = [await login(stranger, base, password=f"guess {i}") for i in range(8)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        assert await login(stranger, base) == 429  # from here, even the right one waits
    async with from_address("127.0.0.3") as anna:
        assert await login(anna, base) == 303
        async with anna.get(f"{base}/organizer", allow_redirects=False) as response:
            assert response.status == 200


async def test_a_refused_login_says_when_to_retry(server: TestServer) -> None:
    base = base_url(server)
    async with from_address("127.0.0.2") as http:
        for i in range(5):
            assert await login(http, base, password=f"guess {i}") == 401
        csrf = await login_form(http, base)
        data = {"username": "anna", "password": "guess", "csrf": csrf}
        async with http.post(f"{base}/login", data=data, allow_redirects=False) as response:
            assert response.status == 429
            assert 1 <= int(response.headers["Retry-After"]) <= 300
            assert 'role="alert"' in await response.text()


async def test_one_address_trying_many_user_names_is_limited(sqlite_url: str) -> None:
    srv = await start_server(sqlite_url, login_attempts_per_address=4)
    try:
        await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
        base = base_url(srv)
        async with from_address("127.0.0.2") as sprayer:
            assert [await login(sprayer, base, f"user{i}", "Passwort123") for i in range(5)] == [401] * 4 + [429]
            assert await login(sprayer, base) == 429
        async with from_address("127.0.0.3") as anna:
            assert await login(anna, base) == 303
    finally:
        await srv.close()


async def test_guessing_one_name_from_many_addresses_leaves_a_fresh_address_in(sqlite_url: str) -> None:
    srv = await start_server(sqlite_url, login_attempts=2, login_attempts_per_user=4)
    try:
        await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
        base = base_url(srv)
        for host in (2, 3):  # four failures for anna, two from each of two addresses
            async with from_address(f"127.0.0.{host}") as guesser:
                assert [await login(guesser, base, password=f"guess {i}") for i in range(2)] == [401, 401]
        async with from_address("127.0.0.4") as guesser:  # a fresh address: one guess, no more
            assert [await login(guesser, base, password=f"guess {i}") for i in range(3)] == [401, 429, 429]
            assert await login(guesser, base) == 429
        async with from_address("127.0.0.5") as anna:  # the organizer from a fresh address
            assert await login(anna, base) == 303
    finally:
        await srv.close()


# -- 4. joins per address and per link --------------------------------------------------------


async def test_one_address_cannot_join_without_bound(server: TestServer) -> None:
    """150 joins at once from one address, with the default limits (100 at once, then 1 a second)."""
    base = base_url(server)
    _event, links = await make_event(server.app)
    async with from_address("127.0.0.2") as crowd:
        answers = await asyncio.gather(
            *(join_from(crowd, base, links[Role.PARTICIPANT], f"Gast {i}") for i in range(150))
        )
    statuses = [answer.status for answer in answers]
    assert statuses.count(201) < 150 and statuses.count(201) + statuses.count(429) == 150, statuses
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status == 429)


async def test_joins_over_the_limit_get_429_with_retry_after(sqlite_url: str) -> None:
    srv = await start_server(
        sqlite_url,
        join_burst_per_address=3,
        join_rate_per_address=0.01,
        join_burst_per_link=5,
        join_rate_per_link=0.01,
    )
    try:
        base = base_url(srv)
        _event, links = await make_event(srv.app)
        participant = links[Role.PARTICIPANT]
        async with from_address("127.0.0.2") as crowd:
            for i in range(3):
                assert (await join_from(crowd, base, participant, f"Gast {i}")).status == 201
            async with crowd.post(
                f"{base}/api/join", json={"link": participant, "pseudonym": "Gast 3", "colour": "blue"}
            ) as refused:
                body: dict[str, Any] = await refused.json()
                assert refused.status == 429
                assert 1 <= int(refused.headers["Retry-After"]) <= 100  # one join per 100 s
            assert body == {"ok": False, "error": {"code": "rate_limited", "message": body["error"]["message"]}}
            assert body["error"]["message"]
        async with from_address("127.0.0.3") as other:  # another address still joins
            assert (await join_from(other, base, participant, "Nachbarin")).status == 201
            assert (await join_from(other, base, participant, "Nachbar")).status == 201
        async with from_address("127.0.0.4") as late:
            # the participant link took its five joins: refused for everyone now
            refused_link = await join_from(late, base, participant, "Spät")
            assert refused_link.status == 429 and int(refused_link.headers["Retry-After"]) >= 1
            # the observer link of the same event has its own limit
            assert (await join_from(late, base, links[Role.OBSERVER], "Beobachterin")).status == 201
    finally:
        await srv.close()


async def test_a_trusted_proxy_names_the_client_address(sqlite_url: str) -> None:
    srv = await start_server(sqlite_url, trusted_proxies=1, join_burst_per_address=1, join_rate_per_address=0.01)
    try:
        base = base_url(srv)
        _event, links = await make_event(srv.app)
        link = links[Role.PARTICIPANT]

        async def join_as(forwarded: str, pseudonym: str) -> int:
            async with aiohttp.ClientSession() as http:
                async with http.post(
                    f"{base}/api/join",
                    json={"link": link, "pseudonym": pseudonym, "colour": "blue"},
                    headers={"X-Forwarded-For": forwarded},
                ) as response:
                    return response.status

        assert await join_as("198.51.100.7", "Erste") == 201
        assert await join_as("198.51.100.7", "Zweite") == 429
        # what the client itself put in front of the proxy's entry does not count
        assert await join_as("203.0.113.1, 198.51.100.7", "Dritte") == 429
        assert await join_as("198.51.100.7, 203.0.113.1", "Vierte") == 201
        # an IPv6 client is counted by its /64: another address in it is the same client
        assert await join_as("2001:db8:1:2::1", "Fünfte") == 201
        assert await join_as("2001:db8:1:2:ffff::9", "Sechste") == 429
        assert await join_as("2001:db8:1:3::1", "Siebte") == 201
    finally:
        await srv.close()


async def test_a_client_that_reaches_the_port_directly_cannot_name_its_own_address(sqlite_url: str) -> None:
    """``X-Forwarded-For`` is read only from the proxy's own address (``trusted_proxy_addresses``,
    by default 127.0.0.1 and ::1): a client that reaches werkstatt directly is counted by its
    real address, whatever it writes there."""
    srv = await start_server(sqlite_url, trusted_proxies=1, join_burst_per_address=1, join_rate_per_address=0.01)
    try:
        base = base_url(srv)
        _event, links = await make_event(srv.app)
        link = links[Role.PARTICIPANT]
        async with from_address("127.0.0.2") as direct:  # a fresh address in every request, it claims
            answers = [await join_from(direct, base, link, f"Gast {i}", f"198.51.100.{i}") for i in range(3)]
        assert [a.status for a in answers] == [201, 429, 429]
        async with from_address("127.0.0.1") as proxy:  # through the proxy: the address it forwards counts
            assert (await join_from(proxy, base, link, "Erste", "198.51.100.1")).status == 201
            assert (await join_from(proxy, base, link, "Zweite", "198.51.100.1")).status == 429
            assert (await join_from(proxy, base, link, "Dritte", "198.51.100.2")).status == 201
    finally:
        await srv.close()


async def test_the_trusted_proxy_addresses_may_be_networks(sqlite_url: str) -> None:
    srv = await start_server(
        sqlite_url,
        trusted_proxies=1,
        trusted_proxy_addresses="127.0.0.4/31",
        join_burst_per_address=1,
        join_rate_per_address=0.01,
    )
    try:
        base = base_url(srv)
        _event, links = await make_event(srv.app)
        link = links[Role.PARTICIPANT]
        async with from_address("127.0.0.5") as proxy:
            answers = [await join_from(proxy, base, link, f"Gast {i}", f"198.51.100.{i}") for i in range(3)]
            assert [a.status for a in answers] == [201, 201, 201]
        async with from_address("127.0.0.1") as direct:  # not in 127.0.0.4/31 now: its own address counts
            answers = [await join_from(direct, base, link, f"Nah {i}", f"203.0.113.{i}") for i in range(2)]
            assert [a.status for a in answers] == [201, 429]
    finally:
        await srv.close()


async def test_an_ipv6_line_gains_little_by_changing_its_64(sqlite_url: str) -> None:
    """A home line holds a /56 (256 /64s): a fresh /64 for each join gives it 4 times one /64's
    joins, not 256 times (server.ratelimit.NETWORK_SHARES)."""
    srv = await start_server(sqlite_url, trusted_proxies=1, join_burst_per_address=1, join_rate_per_address=0.01)
    try:
        base = base_url(srv)
        _event, links = await make_event(srv.app)
        link = links[Role.PARTICIPANT]
        async with from_address("127.0.0.1") as proxy:
            answers = [await join_from(proxy, base, link, f"Gast {n}", f"2001:db8:1:{n:x}::1") for n in range(6)]
            assert [a.status for a in answers] == [201] * 4 + [429] * 2
            assert (await join_from(proxy, base, link, "Nachbarin", "2001:db8:1:100::1")).status == 201  # next /56
    finally:
        await srv.close()


# -- 5. host names (DNS rebinding) --------------------------------------------------------------


async def upgrade(server: TestServer, host: str, origin: str) -> int:
    """The status of a websocket upgrade on /socket.io/ that names ``host`` and ``origin``."""
    url = f"{base_url(server)}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, headers={"Host": host, "Origin": origin}) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def get_with_host(server: TestServer, path: str, host: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url(server)}{path}", headers={"Host": host}, allow_redirects=False) as response:
            return response.status, await response.text()


async def test_a_foreign_host_is_refused_on_the_websocket_and_on_pages(server: TestServer) -> None:
    port = server.port
    assert await upgrade(server, "evil.example", "http://evil.example") == 400
    assert await upgrade(server, f"evil.example:{port}", f"http://evil.example:{port}") == 400
    status, text = await get_with_host(server, "/login", "evil.example")
    assert status == 400 and "host" in text.lower()
    assert (await get_with_host(server, "/healthz", f"evil.example:{port}"))[0] == 400
    assert (await get_with_host(server, "/static/css/app.css", "localhost.evil.example"))[0] == 400
    assert (await get_with_host(server, "/login", "a b"))[0] == 400
    # the server's own names and addresses
    assert await upgrade(server, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 101
    assert await upgrade(server, f"localhost:{port}", f"http://localhost:{port}") == 101
    for host in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", "[::1]", f"[::1]:{port}"):
        assert (await get_with_host(server, "/login", host))[0] == 200, host


async def test_configured_host_names_are_served(sqlite_url: str) -> None:
    srv = await start_server(
        sqlite_url,
        public_url="https://werkstatt.example.org",
        allowed_origins="https://portal.example.net",
        allowed_hosts="intern.example.com, .stadt.example",
    )
    try:
        for host in (
            "werkstatt.example.org",
            "portal.example.net:443",
            "intern.example.com",
            "stadt.example",
            "beteiligung.stadt.example",
        ):
            assert (await get_with_host(srv, "/login", host))[0] == 200, host
        for host in ("example.org", "evil.example", "stadt.example.evil.example", "xstadt.example"):
            assert (await get_with_host(srv, "/login", host))[0] == 400, host
    finally:
        await srv.close()


async def status_of(server: TestServer, request: bytes) -> int:
    """The status of a raw ``request`` (as a client that leaves out headers sends it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(request)
        return int((await asyncio.wait_for(reader.readline(), 10)).split()[1])
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_an_http_1_1_request_without_host_is_refused(server: TestServer) -> None:
    """RFC 9112 (3.2): a server answers 400 to an HTTP/1.1 request without ``Host`` (aiohttp's
    parser does; the host check lets a request without one through, see docs/running.md)."""
    assert await status_of(server, b"GET /healthz HTTP/1.1\r\n\r\n") == 400
    upgrade = (
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    assert await status_of(server, upgrade) == 400
    assert await status_of(server, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") == 200
    assert await status_of(server, b"GET /healthz HTTP/1.0\r\n\r\n") == 200  # HTTP/1.0 had no Host yet


# -- 6. the Server header names no versions --------------------------------------------------------


async def test_every_response_names_the_server_without_versions(server: TestServer) -> None:
    base = base_url(server)
    async with aiohttp.ClientSession() as http:
        requests = [
            http.get(f"{base}/login"),
            http.get(f"{base}/static/css/app.css"),
            http.get(f"{base}/nope"),
            http.get(f"{base}/lang/en?next=/login", allow_redirects=False),
            http.post(f"{base}/api/join", data="x"),
            http.post(f"{base}/login", data={"username": "anna"}),
            http.get(f"{base}/socket.io/?EIO=3&transport=websocket"),
            http.get(f"{base}/healthz", headers={"Host": "evil.example"}),
            http.request("TRACE", f"{base}/login"),
        ]
        for request in requests:
            async with request as response:
                assert response.headers.get("Server") == "werkstatt", (response.url, response.status)
