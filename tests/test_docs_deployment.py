"""docs/deployment.md against the real programs and the code.

The guide's files are its code blocks whose first line names them (``# /etc/nginx/conf.d/werkstatt.conf``).
nginx loads its configuration (``nginx -t``), spreads werkstatt websockets over two nodes, passes a stopped
node's handshakes on to the other and sends the stopped node clients again once it is back, and keeps an
organizer's pages on one node; ``systemd-analyze verify`` accepts its units; its environment file is valid
settings; a Redis started with its settings serves two nodes (the fan-out, presence, timers, hands, the
spotlight, a space, a breakout round) for the ACL user it defines, and refuses that user anything else; its
PostgreSQL parameters exist. The figures it states (timeouts, limits, pool size, backoffs, leases) are the
code's, and its links lead to headings that exist.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
import redis.asyncio as aioredis
import redis.exceptions
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server import cli, docs_gen
from server.app import create_app
from server.i18n.catalogs import Translator
from server.keys import REALTIME
from server.live import space_nodes
from server.protocol import SERVER_EVENTS
from server.settings import ENV_PREFIX, Settings
from server.store.db import DB_THREADS, create_engine, migrate
from server.store.import_files import MAX_FILE_BYTES
from server.transport import redisfanout
from server.transport.endpoint import RealtimeServer
from server.web.http import FORM_OVERHEAD, SESSION_COOKIE
from server.web.maps import MAX_UPLOAD_BYTES
from tests.conftest import missing
from tests.integration.test_redis_fanout import Node
from tests.support import Client, GuardedTestServer, base_url, join_and_connect, make_event, start_server, until

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE = DOCS / "deployment.md"
TEXT = GUIDE.read_text(encoding="utf-8")
PROSE = " ".join(TEXT.split())  # line breaks and indentation as single spaces, for phrases that wrap
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NAMED = re.compile(r"# (/\S+|\S+\.conf)")
EXECUTABLE = "/opt/werkstatt/current/bin/werkstatt"
NGINX_CONF = "/etc/nginx/conf.d/werkstatt.conf"
UNITS = (
    "/etc/systemd/system/werkstatt@.service",
    "/etc/systemd/system/werkstatt-migrate.service",
    "/etc/systemd/system/werkstatt-purge.service",
    "/etc/systemd/system/werkstatt-purge.timer",
)
ENV_FILE = "/etc/werkstatt/werkstatt.env"
REDIS_CONF = "/etc/redis/redis.conf"
PG_CONF = "postgresql.conf"
NODE_LINES = ("server 127.0.0.1:8081", "server 127.0.0.1:8082")  # one per node, in each of the two upstreams


def files() -> dict[str, str]:
    """The guide's files: each code block whose first line is ``# NAME``, by name, without that line."""
    found: dict[str, str] = {}
    for match in FENCE.finditer(TEXT):
        first, _, rest = match["body"].partition("\n")
        named = NAMED.fullmatch(first.strip())
        if named:
            assert named[1] not in found, f"docs/deployment.md has {named[1]} twice"
            found[named[1]] = rest
    return found


FILES = files()


def environment() -> dict[str, str]:
    lines = [line.strip() for line in FILES[ENV_FILE].splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def directive(config: str, name: str) -> list[str]:
    """The values of an nginx or systemd directive, in order (``name value;`` or ``Name=value``)."""
    return [m[1] for m in re.finditer(rf"^\s*{re.escape(name)}[ =]\s*(.*?);?\s*$", config, re.MULTILINE)]


def upstreams(config: str) -> dict[str, str]:
    """nginx's ``upstream NAME { … }`` blocks: their bodies by name."""
    return {m[1]: m[2] for m in re.finditer(r"^upstream (\S+) \{\n(.*?)^\}", config, re.MULTILINE | re.DOTALL)}


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([sm]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def program(name: str) -> str:
    """The path of a program (Debian keeps nginx in /usr/sbin, outside a user's PATH); missing: skip or fail."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        missing(f"{name} is not installed (Debian: .ci/run installs it)")
        raise AssertionError("unreachable")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def replace(text: str, old: str, new: str, count: int = 1) -> str:
    """``text`` with ``old`` replaced, which the guide must hold ``count`` times (else the test no longer tests
    what it says)."""
    assert text.count(old) == count, f"docs/deployment.md: expected {old!r} {count} times"
    return text.replace(old, new)


@contextmanager
def listening(command: list[str], port: int, log: Path) -> Iterator[None]:
    """A program of this test's own, from the moment it listens on ``port`` until the block ends; its output
    goes to ``log``, which a failure to start shows."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):  # up to 10 s
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.05):
                break
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
        else:
            raise AssertionError(f"{command[0]} did not listen on {port}: {log.read_text(encoding='utf-8')}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    headings = {slug(m[1]) for m in re.finditer(r"^#+ (.+)$", text, re.MULTILINE)}
    return headings | set(re.findall(r'<a id="([^"]+)"></a>', text))


# -- what the guide is and where it is linked ---------------------------------------------


def test_the_guide_holds_its_files_and_is_linked() -> None:
    assert set(FILES) == {NGINX_CONF, *UNITS, ENV_FILE, REDIS_CONF, PG_CONF}
    assert "(docs/deployment.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(deployment.md)" in (ROOT / "docs" / "running.md").read_text(encoding="utf-8")


def test_the_guides_links_lead_to_headings_that_exist() -> None:
    outside_code = FENCE.sub("", TEXT)
    links = re.findall(r"\]\(([^)\s#]*)#([^)\s]+)\)", outside_code)
    assert len(links) >= 10
    for page, anchor in links:
        target = TEXT if page == "" else (DOCS / page).read_text(encoding="utf-8")
        assert anchor in anchors(target), f"docs/deployment.md links to {page}#{anchor}, which is not there"


def test_the_environment_file_is_valid_settings_for_nodes_behind_nginx() -> None:
    settings = Settings.load(environment())
    assert settings.database.get_secret_value().startswith("postgresql://")
    assert settings.redis is not None and settings.redis.get_secret_value().startswith("redis://")
    assert settings.public_url is not None and settings.public_url.startswith("https://")
    assert settings.secure_cookies
    assert settings.trusted_proxies == 1  # nginx, which appends to X-Forwarded-For
    nginx = ipaddress.ip_address("127.0.0.1")  # on the nodes' machine: its X-Forwarded-For is read
    assert any(nginx in ipaddress.ip_network(trusted) for trusted in settings.trusted_proxy_addresses)
    assert settings.max_connections_per_address == 0  # nginx's limit_conn instead
    assert not settings.migrate_on_start
    (unit,) = [FILES[u] for u in UNITS if u.endswith("@.service")]
    (files_limit,) = directive(unit, "LimitNOFILE")
    assert int(files_limit) >= settings.max_connections + 100  # what `serve` warns below


def test_the_guide_names_only_real_settings_and_commands() -> None:
    for variable in set(re.findall(rf"\b{ENV_PREFIX}[A-Z_]+", TEXT)):
        assert variable.removeprefix(ENV_PREFIX).lower() in Settings.model_fields, f"no setting {variable}"
    named = (
        "public_url secure_cookies trusted_proxies trusted_proxy_addresses max_connections_per_address "
        "max_connections migrate_on_start keepalive_timeout_s ping_interval_s ping_timeout_s request_timeout_s "
        "send_buffer_total allowed_origins presence_ttl_s join_burst_per_address login_attempts_per_address"
    ).split()
    for name in named:
        assert name in Settings.model_fields and re.search(rf"`{name}[`=]", TEXT), name
    invocations = re.findall(rf"{re.escape(EXECUTABLE)} ([^'\n]+)", TEXT)
    assert len(invocations) >= 4
    for arguments in invocations:
        cli.parser().parse_args(shlex.split(arguments.replace("%i", "8081")))  # exits on what it does not know
    commands = {words[0] for words, _parser in docs_gen.walk(cli.parser()) if words}
    for mention in re.findall(r"`werkstatt ([^`]+)`", TEXT):
        first = mention.split()[0]
        assert first in commands or first == "--version", f"`werkstatt {mention}` is not a command"


def test_the_guides_figures_are_the_codes() -> None:
    defaults = Settings.load({})
    assert f"opens at most {DB_THREADS} connections" in PROSE
    assert f"every {defaults.ping_interval_s:g} seconds (`ping_interval_s`)" in PROSE
    assert f"after {defaults.ping_interval_s + defaults.ping_timeout_s:g} seconds" in PROSE
    assert f"`keepalive_timeout_s` ({defaults.keepalive_timeout_s:g} s)" in PROSE
    assert f"`request_timeout_s` ({defaults.request_timeout_s:g} s for a whole request)" in PROSE
    assert f"up to {defaults.send_buffer_total // 2**20} MB wait" in PROSE
    assert f"`max_connections` ({defaults.max_connections:,})" in PROSE

    # the browser's reconnection, as static/js/connection.js does it
    client = (ROOT / "static" / "js" / "connection.js").read_text(encoding="utf-8")
    option = {
        k: float(v)
        for k, v in re.findall(r"(reconnectionDelay|reconnectionDelayMax|randomizationFactor): ([\d.]+)", client)
    }
    first, jitter = option["reconnectionDelay"] / 1000, option["randomizationFactor"]
    assert f"{first * (1 - jitter):g}–{first * (1 + jitter):g} s" in PROSE
    assert f"up to {option['reconnectionDelayMax'] / 1000:g} s" in PROSE

    # a node's reconnection to Redis and what it keeps meanwhile
    assert f"({redisfanout.BACKOFF_FIRST:g} s, doubling, at most {redisfanout.BACKOFF_MAX:g} s)" in PROSE
    assert f"up to {redisfanout.OUTBOX_LIMIT:,} messages" in PROSE

    # what the other nodes take over from one that died: its presence, its rooms' spaces
    ttl = defaults.presence_ttl_s
    assert f"`presence_ttl_s` and a third ({ttl * 4 / 3:.1f} s with the default {ttl:g} s)" in PROSE
    assert f"once its lease runs out ({space_nodes.LEASE_S:g} s)" in PROSE
    assert f"positions are kept in Redis for {space_nodes.POSITIONS_S:g} s" in PROSE
    assert f"space's lease ({space_nodes.LEASE_S:g} s after its last renewal)" in PROSE

    # what the room page says while its node has no link to the others (the German catalog's text)
    said = Translator("de")("client.conn.reconnecting")
    assert f"the room page says *{said}*" in PROSE
    assert f"(in English: *{Translator('en')('client.conn.reconnecting')}*)" in PROSE

    # nginx against the node: the websocket's path, its idle time, uploads, kept-alive connections
    nginx = FILES[NGINX_CONF]
    realtime_path = RealtimeServer(origin_allowed=lambda _r, _o: True, max_message_bytes=1024, send_buffer_limit=1).path
    assert f"location {realtime_path} {{" in nginx
    for timeout in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = directive(nginx, timeout)
        assert seconds(value) > 2 * (defaults.ping_interval_s + defaults.ping_timeout_s)
    (body,) = directive(nginx, "client_max_body_size")
    assert body.endswith("m") and int(body[:-1]) * 2**20 >= max(MAX_FILE_BYTES, MAX_UPLOAD_BYTES) + FORM_OVERHEAD
    assert f"files of up to {max(MAX_FILE_BYTES, MAX_UPLOAD_BYTES) // 2**20} MB" in PROSE
    for idle in directive(nginx, "keepalive_timeout"):
        assert seconds(idle) < defaults.keepalive_timeout_s

    # the upstreams: every node in both; a failed node out for fail_timeout, which a restarted node outlasts
    blocks = upstreams(nginx)
    assert set(blocks) == {"werkstatt", "werkstatt_organizer"}
    servers = {name: directive(block, "server") for name, block in blocks.items()}
    assert servers["werkstatt"] == servers["werkstatt_organizer"] and len(servers["werkstatt"]) == 2
    (method,) = directive(blocks["werkstatt_organizer"], "hash")
    assert method == f"$cookie_{SESSION_COOKIE} consistent"  # the organizer's login session
    failing = {re.search(r"fail_timeout=(\S+)", line)[1] for line in servers["werkstatt"]}  # type: ignore[index]
    (fail_timeout,) = failing
    (restart,) = directive(FILES[UNITS[0]], "RestartSec")
    assert f"`fail_timeout` ({seconds(fail_timeout):g} s; nginx counts whole seconds" in PROSE
    assert f"after {restart} s (`RestartSec`)" in PROSE and int(restart) < seconds(fail_timeout)
    (connect,) = directive(nginx, "proxy_connect_timeout")
    assert f"`proxy_connect_timeout`, {seconds(connect):g} s" in PROSE


# -- nginx ---------------------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [program("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_config(folder: Path, nodes: tuple[int, int], https: int, http: int, cert: Path, key: Path) -> Path:
    """The guide's configuration in an nginx.conf of its own: nodes, ports and certificate of this test, the
    rest as written (nginx as this user, in the foreground, with its files in ``folder``)."""
    conf = FILES[NGINX_CONF]
    for line, port in zip(NODE_LINES, nodes, strict=True):
        conf = replace(conf, f"{line} ", f"server 127.0.0.1:{port} ", count=2)
    conf = replace(conf, "listen 80;", f"listen 127.0.0.1:{http};")
    conf = replace(conf, "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    conf = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", conf, flags=re.MULTILINE)  # IPv6 may be off here
    conf = replace(conf, "/etc/letsencrypt/live/werkstatt.example.org/fullchain.pem", str(cert))
    conf = replace(conf, "/etc/letsencrypt/live/werkstatt.example.org/privkey.pem", str(key))
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    path = folder / "nginx.conf"
    path.write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        f"events {{\n    worker_connections 256;\n}}\nhttp {{\n    access_log off;\n{temp}\n{conf}}}\n",
        encoding="utf-8",
    )
    return path


def nginx_command(folder: Path, conf: Path, *extra: str) -> list[str]:
    return [program("nginx"), "-p", f"{folder}/", "-e", str(folder / "error.log"), "-c", str(conf), *extra]


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    conf = nginx_config(tmp_path, (8081, 8082), free_port(), free_port(), cert, key)
    checked = subprocess.run(nginx_command(tmp_path, conf, "-t"), capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


async def start_node(
    env: dict[str, str], served: Counter[str], name: str, port: int = 0, **overrides: Any
) -> TestServer:
    """A node with the guide's settings (the database, Redis and public URL of this test); ``served`` counts the
    responses it prepares, under ``name``."""
    app = create_app(Settings.load(env, **overrides))

    async def count(_request: web.Request, _response: web.StreamResponse) -> None:
        served[name] += 1

    app.on_response_prepare.append(count)
    server = GuardedTestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    return server


def trusting(cafile: Path) -> aiohttp.TCPConnector:
    """Connections over TLS that check the server's certificate against the test's own."""
    return aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=str(cafile)))


def recorder(client: Client, name: str) -> Any:
    async def record(data: Any) -> None:
        await client.record(name, data)

    return record


@asynccontextmanager
async def through_nginx(base: str, cafile: Path, token: str, origin: str) -> AsyncIterator[Client]:
    """A participant's live connection through nginx, over TLS checked against the test's certificate, with
    the ``Origin`` a browser sends; it records what the server pushes. Raises socketio's ConnectionError when
    the handshake fails (nginx's 502 among it)."""
    http = aiohttp.ClientSession(connector=trusting(cafile))
    sio = socketio.AsyncClient(reconnection=False, http_session=http)
    client = Client(sio=sio, member_id="", token=token)
    for name in SERVER_EVENTS:
        sio.on(name, recorder(client, name))
    try:
        await sio.connect(
            base, auth={"token": token}, transports=["websocket"], headers={"Origin": origin}, wait_timeout=10
        )
        yield client
    finally:
        await sio.disconnect()
        await http.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form(size: int) -> io.BytesIO:
    """A form of about ``size`` bytes, without a valid CSRF token."""
    return io.BytesIO(b"csrf=x&file=" + b"a" * size)


def sockets(node: TestServer) -> int:
    return len(node.app[REALTIME].sockets)


async def test_nginx_spreads_the_nodes_clients_and_passes_a_stopped_nodes_handshakes_on(
    tmp_path: Path, redis_url: str
) -> None:
    cert, key = self_signed(tmp_path)
    https, http_port = free_port(), free_port()
    base = f"https://localhost:{https}"
    site = "https://localhost"  # the browser's Origin: the site as nginx forwards it (Host, X-Forwarded-Proto)
    env = environment()
    node = {"database": f"sqlite:///{tmp_path / 'werkstatt.db'}", "redis": redis_url, "public_url": base}
    engine = create_engine(node["database"])  # the nodes do not migrate (migrate_on_start=false): its unit does
    await migrate(engine)
    engine.dispose()
    served: Counter[str] = Counter()
    nodes = {name: await start_node(env, served, name, **node) for name in ("first", "second")}
    port_of = {name: server.port or 0 for name, server in nodes.items()}
    conf = nginx_config(tmp_path, (port_of["first"], port_of["second"]), https, http_port, cert, key)
    try:
        with listening(nginx_command(tmp_path, conf), https, tmp_path / "nginx.out"):
            async with aiohttp.ClientSession(connector=trusting(cert)) as http:
                async with http.get(f"{base}/healthz") as response:
                    assert response.status == 200 and (await response.json())["status"] == "ok"
                    assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
                    assert response.headers["Server"] == "nginx"  # no version
                async with http.get(f"http://127.0.0.1:{http_port}/j/abc", allow_redirects=False) as response:
                    assert (response.status, response.headers["Location"]) == (301, "https://127.0.0.1/j/abc")

                event, links = await make_event(nodes["first"].app)
                tokens = []
                for name in ("Anna", "Bert"):
                    join = {"link": links[Role.PARTICIPANT], "pseudonym": name, "colour": "teal"}
                    async with http.post(f"{base}/api/join", json=join, headers={"Origin": base}) as response:
                        assert response.status == 201, await response.text()
                        tokens.append((await response.json())["token"])

                # an import's 2 MB reach werkstatt (which refuses them without a CSRF token); 12 MB do not
                upload = f"{base}/organizer/events/{event.id}/import"
                async with http.post(upload, data=form(2_000_000), headers=FORM) as response:
                    assert response.status == 403 and "Content-Security-Policy" in response.headers
                async with http.post(upload, data=form(12_000_000), headers=FORM) as response:
                    assert response.status == 413 and "Content-Security-Policy" not in response.headers

                # any request may go to either node; an organizer's pages go to one node per login session
                served.clear()
                for _ in range(10):
                    async with http.get(f"{base}/healthz") as response:
                        assert response.status == 200
                assert served["first"] > 0 and served["second"] > 0
                progress = f"{base}/organizer/events/{event.id}/import/imp_x/progress"
                for session in ("session-one", "session-two"):
                    served.clear()
                    for _ in range(10):
                        cookie = {"Cookie": f"{SESSION_COOKIE}={session}"}
                        async with http.get(progress, headers=cookie, allow_redirects=False) as response:
                            assert response.status == 303  # to the login: not a real session
                    assert sorted(served.values()) == [10], served

            async with AsyncExitStack() as clients:
                # each node gets a websocket: least_conn gives the second to the node without one
                anna = await clients.enter_async_context(through_nginx(base, cert, tokens[0], origin=site))
                (annas,) = [name for name, server in nodes.items() if sockets(server) == 1]
                bert = await clients.enter_async_context(through_nginx(base, cert, tokens[1], origin=site))
                (berts,) = set(nodes) - {annas}
                assert sockets(nodes[annas]) == sockets(nodes[berts]) == 1
                entered = await anna.call("room.enter")
                assert entered["ok"], entered
                assert (await bert.call("room.enter"))["ok"]
                board = entered["boards"][0]["id"]
                idea = {"board_id": board, "field_id": event.fields[0].id, "text": "Mehr Bänke"}
                posted = await anna.call("board.idea.create", idea)
                assert posted["ok"], posted
                await bert.wait_for("board.changed", lambda c: c["seq"] == posted["seq"])  # from the other node

                # Anna's node stops: her next handshake goes to the other node at once, no 502 on the way
                await nodes.pop(annas).close()
                assert await until(lambda: not anna.sio.connected)
                again = await clients.enter_async_context(through_nginx(base, cert, tokens[0], origin=site))
                assert sockets(nodes[berts]) == 2
                synced = await again.call("board.sync", {"board_id": board, "since": None})
                assert [i["text"] for i in synced["snapshot"]["ideas"]] == ["Mehr Bänke"]
                async with aiohttp.ClientSession(connector=trusting(cert)) as http:
                    for _ in range(6):
                        async with http.get(f"{base}/healthz") as response:
                            assert response.status == 200
                refused = "connect() failed (111: Connection refused) while connecting to upstream"
                log = (tmp_path / "error.log").read_text(encoding="utf-8")
                assert refused in log and f"127.0.0.1:{port_of[annas]}" in log  # nginx tried it, and passed it on

                # it starts again: once fail_timeout has passed, nginx tries it with a request, which it answers;
                # from then on new websockets go to it until it holds as many as the other node (least_conn)
                nodes[annas] = await start_node(env, served, annas, port=port_of[annas], **node)
                began = time.monotonic()
                served.clear()
                async with aiohttp.ClientSession(connector=trusting(cert)) as http:
                    while served[annas] == 0:
                        assert time.monotonic() - began < 15, "nginx did not try the restarted node again"
                        async with http.get(f"{base}/healthz") as response:
                            assert response.status == 200
                        await asyncio.sleep(0.25)
                while sockets(nodes[annas]) < sockets(nodes[berts]):
                    before = sockets(nodes[annas])
                    await clients.enter_async_context(through_nginx(base, cert, tokens[0], origin=site))
                    assert sockets(nodes[annas]) == before + 1

            with pytest.raises(socketio.exceptions.ConnectionError):  # another site's page: refused
                async with through_nginx(base, cert, tokens[0], origin="https://elsewhere.example"):
                    pass
    finally:
        for server in nodes.values():
            await server.close()


# -- systemd -------------------------------------------------------------------------------


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = program("systemd-analyze")
    stub = tmp_path / "bin" / "werkstatt"  # verify wants ExecStart's program to exist
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\n", encoding="utf-8")
    stub.chmod(0o755)
    names = []
    for unit in UNITS:
        text = FILES[unit]
        if "[Service]" in text:
            text = replace(text, EXECUTABLE, str(stub))
        name = Path(unit).name
        (tmp_path / name).write_text(text, encoding="utf-8")
        names.append(str(tmp_path / name.replace("@.", "@8081.")))
    verified = subprocess.run([analyze, "verify", "--man=no", *names], capture_output=True, text=True, check=False)
    ours = [line for line in (verified.stdout + verified.stderr).splitlines() if "werkstatt" in line]
    assert verified.returncode == 0 and not ours, verified.stdout + verified.stderr


# -- Redis and PostgreSQL ------------------------------------------------------------------


@contextmanager
def redis_server(folder: Path) -> Iterator[tuple[int, str]]:
    """A Redis of this test's own, with the guide's settings; its port and the default user's password."""
    port = free_port()
    conf = replace(FILES[REDIS_CONF], "bind 127.0.0.1 -::1", "bind 127.0.0.1")
    conf = replace(conf, "port 6379", f"port {port}")
    (admin_password,) = directive(conf, "requirepass")
    path = folder / "redis.conf"
    path.write_text(f'{conf}dir {folder}\ndaemonize no\nlogfile ""\n', encoding="utf-8")  # the log to stdout
    with listening([program("redis-server"), str(path)], port, folder / "redis.out"):
        yield port, admin_password


def acl_allowed() -> set[str]:
    """The commands the guide's ACL user may run (``+get``, ``+client|setname`` …), in upper case."""
    (user,) = directive(FILES[REDIS_CONF], "user")
    return {word[1:].upper() for word in user.split() if word.startswith("+")}


def test_the_acl_user_may_run_every_command_of_werkstatts_scripts() -> None:
    called = set()
    for path in (ROOT / "server").rglob("*.py"):
        called |= set(re.findall(r"redis\.call\('([A-Z]+)'", path.read_text(encoding="utf-8")))
    assert {"GET", "HSET", "SMEMBERS", "PEXPIRE"} <= called  # the scripts were found
    assert called <= acl_allowed(), called - acl_allowed()


async def ok(client: Client, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ack = await client.call(event, payload)
    assert ack["ok"] is True, (event, ack)
    return ack


async def commands_run(admin: aioredis.Redis) -> set[str]:
    """The commands Redis has run since it started (``INFO commandstats``), in upper case."""
    stats = await admin.info("commandstats")
    return {name.removeprefix("cmdstat_").upper() for name in stats}


async def test_redis_with_the_guides_settings_serves_two_nodes_and_nothing_else(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, admin_password):
        url = replace(environment()[f"{ENV_PREFIX}REDIS"], "@127.0.0.1:6379/", f"@127.0.0.1:{port}/")
        werkstatt = aioredis.Redis.from_url(url)
        admin = aioredis.Redis(port=port, password=admin_password, decode_responses=True)
        try:
            a, b = Node(url), Node(url)
            await a.fanout.start()
            await b.fanout.start()
            try:
                here, there = a.connect("a1"), b.connect("b1")
                await a.fanout.subscribe(here.sid, "room:r1")
                await b.fanout.subscribe(there.sid, "room:r1")
                await a.fanout.publish("room:r1", "board.changed", {"seq": 1})
                assert await until(lambda: there.events == [["board.changed", {"seq": 1}]])
                assert a.fanout.dropped == 0
            finally:
                await a.fanout.close()
                await b.fanout.close()

            await serve_a_workshop_on_two_nodes(url, admin, tmp_path)

            # the user may run what the nodes ran and nothing else, and the nodes were refused nothing (CLIENT
            # REPLY OFF among it)
            ran = await commands_run(admin) - {"AUTH", "HELLO", "INFO"}  # (INFO: this test's own)
            assert ran == acl_allowed(), (ran - acl_allowed(), acl_allowed() - ran)
            assert await admin.acl_log() == []
            kept = [key async for key in admin.scan_iter()]
            assert kept and all(key.startswith("werkstatt:") for key in kept)  # its shared state, under its prefix
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.get("anything")
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.publish("elsewhere", b"x")
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.keys("*")
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.flushall()
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.config_get("save")
            assert await werkstatt.publish("werkstatt:room:r2", b"x") == 0
            with pytest.raises(redis.exceptions.AuthenticationError):
                await aioredis.Redis(port=port).ping()
            assert await admin.config_get("save") == {"save": ""}
            assert await admin.config_get("appendonly") == {"appendonly": "no"}
            assert await admin.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        finally:
            await werkstatt.aclose()
            await admin.aclose()


async def serve_a_workshop_on_two_nodes(url: str, admin: aioredis.Redis, folder: Path) -> None:
    """Two werkstatt nodes share a workshop through the Redis at ``url``: presence, the presented board, a
    timer, raised hands, the spotlight, a room's space and a breakout round; then one stops and a third starts."""
    database = f"sqlite:///{folder / 'werkstatt.db'}"
    first = await start_server(database, redis=url)
    second = await start_server(database, redis=url)
    running = [first, second]
    clients: list[Client] = []
    try:
        _event, links = await make_event(first.app)
        fac = await join_and_connect(base_url(first), links[Role.FACILITATOR], "Fatma")
        paul = await join_and_connect(base_url(second), links[Role.PARTICIPANT], "Paul")
        clients += [fac, paul]
        board = (await ok(fac, "room.enter"))["boards"][0]["id"]
        entered = await ok(paul, "room.enter")
        assert {m["id"] for m in entered["presence"]} == {fac.member_id, paul.member_id}
        await ok(fac, "board.present", {"board_id": board})
        await paul.wait_for("board.presented", lambda d: d["board_id"] == board)
        await ok(fac, "timer.start", {"duration_s": 600})
        await paul.wait_for("timer.changed", lambda d: d["kind"] == "started")
        await ok(paul, "hand.raise")
        await fac.wait_for("hands.changed", lambda d: [h["member_id"] for h in d["queue"]] == [paul.member_id])
        await ok(fac, "board.spotlight", {"board_id": board})
        for client in clients:  # viewers of a board on both nodes
            await ok(client, "board.view", {"board_id": board})
        await fac.wait_for(
            "board.presence", lambda d: {v["member_id"] for v in d["viewers"]} == {fac.member_id, paul.member_id}
        )

        # the space: one node runs it, the other follows; both renew what they hold once a second
        everyone = {fac.member_id, paul.member_id}
        for client in clients:
            await ok(client, "space.enter")

        async def sees_everyone(client: Client) -> bool:
            for _ in range(100):
                if {a["id"] for a in (await ok(client, "space.enter"))["avatars"]} == everyone:
                    return True
                await asyncio.sleep(0.05)
            return False

        assert await sees_everyone(fac) and await sees_everyone(paul)
        renewed = {"MGET", "SCRIPT|EXISTS"}  # the follower reads the lease; the owner's pipeline renews it
        for _ in range(500):  # (every RENEW_S, 1 s)
            if renewed <= await commands_run(admin):
                break
            await asyncio.sleep(0.02)

        created = await ok(fac, "breakout.create", {"rooms": [{"name": "Tisch 1"}], "mode": "automatic"})
        await ok(fac, "breakout.open", {"round_id": created["round"]["id"]})
        await paul.wait_for("room.moved", lambda d: d["reason"] == "breakout_open")
        await ok(fac, "breakout.close", {"round_id": created["round"]["id"], "now": True})
        await paul.wait_for("room.moved", lambda d: d["reason"] == "breakout_close")
        await paul.disconnect()
        await second.close()  # removes its presence, gives its leases up
        running.remove(second)
        running.append(await start_server(database, redis=url))  # looks for the timers in Redis
        assert (await ok(fac, "timer.state", {}))["timer"]["status"] == "running"
    finally:
        for client in clients:
            if client.sio.connected:
                await client.disconnect()
        for server in running:
            await server.close()


@pytest.mark.postgres
def test_the_postgresql_parameters_exist(pg_server: str) -> None:
    wanted = dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in FILES[PG_CONF].splitlines() if "=" in line)
    )
    with psycopg.connect(pg_server) as conn:
        known = dict(conn.execute("SELECT name, vartype FROM pg_settings").fetchall())
    for name, value in wanted.items():
        assert name in known, f"PostgreSQL has no parameter {name}"
        if known[name] == "bool":
            assert value in ("on", "off"), (name, value)
    # "enough for up to eight nodes": theirs, the superusers' reserve, a migration and a purge at once
    assert "enough for up to eight nodes" in PROSE
    assert int(wanted["max_connections"]) >= 8 * DB_THREADS + 3 + 1 + DB_THREADS
