"""docs/deployment.md against the real programs and the code.

The guide's files are its code blocks whose first line names them (``# /etc/nginx/conf.d/werkstatt.conf``).
nginx loads its configuration (``nginx -t``) and carries a werkstatt websocket through it to the serving
node; ``systemd-analyze verify`` accepts its units; its environment file is valid settings; a Redis
started with its settings carries the fan-out between two nodes for the ACL user it defines, and nothing
else; its PostgreSQL parameters exist. The figures it states (timeouts, limits, pool size, backoffs) are
the code's.
"""

from __future__ import annotations

import io
import ipaddress
import re
import shlex
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
import redis.asyncio as aioredis
import redis.exceptions
import socketio
from aiohttp.test_utils import TestServer

from boards.actors import Role
from server import cli, docs_gen
from server.app import create_app
from server.keys import REALTIME
from server.settings import ENV_PREFIX, Settings
from server.store.db import DB_THREADS, create_engine, migrate
from server.store.import_files import MAX_FILE_BYTES
from server.transport import redisfanout
from server.transport.endpoint import RealtimeServer
from server.web.http import FORM_OVERHEAD
from server.web.maps import MAX_UPLOAD_BYTES
from tests.conftest import missing
from tests.integration.test_redis_fanout import Node
from tests.support import Client, GuardedTestServer, make_event, until

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deployment.md"
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


def replace(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced, which the guide must hold once (else the test no longer tests what it says)."""
    assert text.count(old) == 1, f"docs/deployment.md: expected {old!r} once"
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


# -- what the guide is and where it is linked ---------------------------------------------


def test_the_guide_holds_its_files_and_is_linked() -> None:
    assert set(FILES) == {NGINX_CONF, *UNITS, ENV_FILE, REDIS_CONF, PG_CONF}
    assert "(docs/deployment.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(deployment.md)" in (ROOT / "docs" / "running.md").read_text(encoding="utf-8")


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
        "send_buffer_total allowed_origins"
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

    # the browser's reconnection, as static/js/connection.js asks socket.io-client for it
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
    (idle,) = directive(nginx, "keepalive_timeout")
    assert seconds(idle) < defaults.keepalive_timeout_s


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
    conf = replace(conf, "server 127.0.0.1:8081", f"server 127.0.0.1:{nodes[0]}")
    conf = replace(conf, "server 127.0.0.1:8082", f"server 127.0.0.1:{nodes[1]}")
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


async def start_node(env: dict[str, str], port: int = 0, **overrides: Any) -> TestServer:
    """A node with the guide's settings (the database, Redis and public URL of this test)."""
    server = GuardedTestServer(create_app(Settings.load(env, **overrides)), host="127.0.0.1", port=port)
    await server.start_server()
    return server


def trusting(cafile: Path) -> aiohttp.TCPConnector:
    """Connections over TLS that check the server's certificate against the test's own."""
    return aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=str(cafile)))


@asynccontextmanager
async def through_nginx(base: str, cafile: Path, token: str, origin: str) -> AsyncIterator[Client]:
    """A participant's live connection through nginx, over TLS checked against the test's certificate, with
    the ``Origin`` a browser sends."""
    http = aiohttp.ClientSession(connector=trusting(cafile))
    sio = socketio.AsyncClient(reconnection=False, http_session=http)
    try:
        await sio.connect(
            base, auth={"token": token}, transports=["websocket"], headers={"Origin": origin}, wait_timeout=10
        )
        yield Client(sio=sio, member_id="", token=token)
    finally:
        await sio.disconnect()
        await http.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form(size: int) -> io.BytesIO:
    """A form of about ``size`` bytes, without a valid CSRF token."""
    return io.BytesIO(b"csrf=x&file=" + b"a" * size)


def sockets(node: TestServer) -> int:
    return len(node.app[REALTIME].sockets)


async def test_nginx_carries_a_werkstatt_websocket_to_the_serving_node(tmp_path: Path, redis_url: str) -> None:
    cert, key = self_signed(tmp_path)
    https, http_port = free_port(), free_port()
    base = f"https://localhost:{https}"
    env = environment()
    node = {"database": f"sqlite:///{tmp_path / 'werkstatt.db'}", "redis": redis_url, "public_url": base}
    engine = create_engine(node["database"])  # the nodes do not migrate (migrate_on_start=false): its unit does
    await migrate(engine)
    engine.dispose()
    serving, standby = await start_node(env, **node), await start_node(env, **node)
    nodes = [serving, standby]
    ports = (serving.port or 0, standby.port or 0)
    conf = nginx_config(tmp_path, ports, https, http_port, cert, key)
    try:
        with listening(nginx_command(tmp_path, conf), https, tmp_path / "nginx.out"):
            async with aiohttp.ClientSession(connector=trusting(cert)) as http:
                async with http.get(f"{base}/healthz") as response:
                    assert response.status == 200 and (await response.json())["status"] == "ok"
                    assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
                    assert response.headers["Server"] == "nginx"  # no version
                async with http.get(f"http://127.0.0.1:{http_port}/j/abc", allow_redirects=False) as response:
                    assert (response.status, response.headers["Location"]) == (301, "https://127.0.0.1/j/abc")

                event, links = await make_event(serving.app)
                join = {"link": links[Role.PARTICIPANT], "pseudonym": "Anna", "colour": "teal"}
                async with http.post(f"{base}/api/join", json=join, headers={"Origin": base}) as response:
                    assert response.status == 201, await response.text()
                    token = (await response.json())["token"]

                # an import's 2 MB reach werkstatt (which refuses them without a CSRF token); 12 MB do not
                upload = f"{base}/organizer/events/{event.id}/import"
                async with http.post(upload, data=form(2_000_000), headers=FORM) as response:
                    assert response.status == 403 and "Content-Security-Policy" in response.headers
                async with http.post(upload, data=form(12_000_000), headers=FORM) as response:
                    assert response.status == 413 and "Content-Security-Policy" not in response.headers

            # The browser's Origin is the site as nginx forwards it (Host, X-Forwarded-Proto): accepted
            async with through_nginx(base, cert, token, origin="https://localhost") as anna:
                entered = await anna.call("room.enter")
                assert entered["ok"], entered
                idea = {"board_id": entered["boards"][0]["id"], "field_id": event.fields[0].id, "text": "Mehr Bänke"}
                assert (await anna.call("board.idea.create", idea))["ok"]
                assert (sockets(serving), sockets(standby)) == (1, 0)  # the standby is down in the upstream

                # the serving node restarts: nginx answers 502 meanwhile, and the next attempt reaches it at once
                await serving.close()
                nodes.remove(serving)
                assert await until(lambda: not anna.sio.connected)
            async with aiohttp.ClientSession(connector=trusting(cert)) as http:
                async with http.get(f"{base}/healthz") as response:
                    assert response.status == 502
            restarted = await start_node(env, port=ports[0], **node)
            nodes.append(restarted)
            async with through_nginx(base, cert, token, origin="https://localhost") as anna:
                board = (await anna.call("room.enter"))["boards"][0]["id"]
                synced = await anna.call("board.sync", {"board_id": board, "since": None})
                assert [i["text"] for i in synced["snapshot"]["ideas"]] == ["Mehr Bänke"]
                assert (sockets(restarted), sockets(standby)) == (1, 0)

            with pytest.raises(socketio.exceptions.ConnectionError):  # another site's page: refused
                async with through_nginx(base, cert, token, origin="https://elsewhere.example"):
                    pass
    finally:
        for server in nodes:
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


async def test_redis_with_the_guides_settings_carries_the_fanout_and_nothing_else(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, admin_password):
        url = replace(environment()[f"{ENV_PREFIX}REDIS"], "@127.0.0.1:6379/", f"@127.0.0.1:{port}/")
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

        werkstatt = aioredis.Redis.from_url(url)
        admin = aioredis.Redis(port=port, password=admin_password, decode_responses=True)
        try:
            assert await admin.acl_log() == []  # the nodes were refused nothing (CLIENT REPLY OFF among it)
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.get("anything")
            with pytest.raises(redis.exceptions.NoPermissionError):
                await werkstatt.publish("elsewhere", b"x")
            assert await werkstatt.publish("werkstatt:room:r2", b"x") == 0
            with pytest.raises(redis.exceptions.AuthenticationError):
                await aioredis.Redis(port=port).ping()
            assert await admin.config_get("save") == {"save": ""}
            assert await admin.config_get("appendonly") == {"appendonly": "no"}
            assert await admin.dbsize() == 0  # werkstatt kept no keys
        finally:
            await werkstatt.aclose()
            await admin.aclose()


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
