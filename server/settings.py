"""One validated, frozen settings object, read once at start.

Sources, later ones winning: defaults, ``WERKSTATT_*`` environment variables, CLI flags.
Nothing else in the code base reads ``os.environ``; the CLI hands it in.
Secrets (database and Redis URLs may carry passwords) are ``SecretStr`` and never appear
in reprs or logs.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from yarl import URL

from server.i18n.catalogs import SOURCE_LANGUAGE, Catalogs, catalog_path

ENV_PREFIX = "WERKSTATT_"

ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


class IceServer(BaseModel):
    """A STUN or TURN server for the browsers' WebRTC connections; the credential is a secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    urls: tuple[str, ...] = Field(min_length=1, max_length=8)
    username: str | None = Field(None, max_length=256)
    credential: SecretStr | None = Field(None, max_length=256)

    @field_validator("urls", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("urls")
    @classmethod
    def _ice_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith(ICE_SCHEMES) or len(url) > 512 or any(c.isspace() for c in url):
                raise ValueError(f"not a stun:, stuns:, turn: or turns: URL: {url[:80]!r}")
        return value

    def client(self) -> dict[str, Any]:
        """As the browser's ``RTCPeerConnection`` takes it (``iceServers``), the credential included."""
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential.get_secret_value()
        return out


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port of the HTTP server (0 picks a free one).")
    database: SecretStr = Field(
        SecretStr("sqlite:///werkstatt.db"),
        description="Idea store URL: `sqlite:///PATH` (default: `werkstatt.db` in the working directory) "
        "or `postgresql://user@host/db`.",
    )
    redis: SecretStr | None = Field(None, description="Redis URL for running several nodes (unused on one node).")
    presence_ttl_s: float = Field(
        10.0,
        ge=0.5,
        le=300,
        description="With `redis`: seconds a node's presence (who is in which room, who views which board) "
        "outlives its last heartbeat, which it sends every third of this. When a node stops without "
        "removing its presence, the other nodes announce its members as gone after at most this and a third.",
    )
    public_url: str | None = Field(
        None,
        description="Base URL printed in links, e.g. `https://werkstatt.example.org`; defaults to http://HOST:PORT.",
    )
    privacy_url: str | None = Field(
        None,
        description="Where the privacy link of the join pages points: the operator's own privacy policy "
        "(`https://…` or a path on this server); unset: werkstatt's `/datenschutz` page with the default text.",
    )
    allowed_origins: tuple[str, ...] = Field(
        (),
        description="Extra origins allowed to open a Socket.IO connection or call the JSON API (comma-separated); "
        "the server's own is always allowed.",
    )
    locales: Path | None = Field(
        None,
        description="Folder of the message catalogs, one `<language>/LC_MESSAGES/messages.po` each "
        "(not set: the catalogs werkstatt ships, `server/i18n/locales/`); each catalog there is a language "
        "the pages, the language switch and the event form offer.",
    )
    default_language: str = Field(
        "de",
        description="Language of pages when neither the person nor the event chose one "
        "(one with a catalog in the `locales` folder).",
    )
    max_message_bytes: int = Field(
        65536,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest Socket.IO message accepted (bytes); a larger one closes the connection.",
    )
    send_buffer_limit: int = Field(
        256 * 1024,
        ge=64 * 1024,
        description="Bytes a connection may have unsent before it is dropped as not reading (it reconnects and resyncs).",
    )
    send_buffer_total: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        description="Bytes the node lets wait, in all, for connections that fell behind (more than 16 KB unsent each); "
        "past it, the connection being written to is dropped (it reconnects and resyncs). What a node holds for its "
        "readers is at most this plus 16 KB for each connection that keeps up.",
    )
    ping_interval_s: float = Field(
        25.0, gt=0, le=300, description="Seconds between the Engine.IO pings the server sends every connection."
    )
    ping_timeout_s: float = Field(
        20.0, gt=0, le=300, description="Seconds a client has to answer a ping before its connection is closed."
    )
    request_timeout_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="Seconds a client has to send a request whole (headers and body): the first one from the "
        "moment it connects, each later one on the connection from its first byte; a connection still short of "
        "it is closed. Websockets have no such deadline.",
    )
    keepalive_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a keep-alive connection may stay idle between two requests before it is closed. "
        "Websockets are not affected (they are pinged).",
    )
    max_connections: int = Field(
        10_000,
        ge=0,
        description="Connections (HTTP and websockets) the node holds open at once; a further one is answered "
        "`503` and closed (0: no cap). Each needs a file descriptor: `serve` raises its soft limit to the hard one.",
    )
    max_connections_per_address: int = Field(
        2_000,
        ge=0,
        description="Connections open at once from one address (an IPv6 client: from its /64, and 4 times as many "
        "from its /56, 16 times from its /48); a further one is answered `429` and closed (0: no cap). Behind a "
        "reverse proxy every connection comes from the proxy: see [running](running.md#limits).",
    )
    rate_per_second: float = Field(10.0, gt=0, description="Sustained Socket.IO events per connection and second.")
    rate_burst: int = Field(
        40, ge=1, description="Socket.IO events a connection may send at once before the rate limit applies."
    )
    max_in_flight: int = Field(
        32,
        ge=1,
        description="Socket.IO events one connection may have waiting for their answer at once; more are "
        "answered with `too_many_in_flight` at once.",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (),
        description="Host names the server answers to besides IP addresses, `localhost` and the hosts of "
        "`public_url` and `allowed_origins` (comma-separated; `.example.org` includes its subdomains, `*` allows "
        "any); a request for another `Host` gets 400 (against DNS rebinding).",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        le=10,
        description="Reverse proxies in front of the server that append the client's address to "
        "`X-Forwarded-For`; for a request that arrives from one of `trusted_proxy_addresses`, the per-address "
        "limits take the address from there (0: always the connection's peer).",
    )
    trusted_proxy_addresses: tuple[str, ...] = Field(
        ("127.0.0.1", "::1"),
        description="Addresses (or networks such as `10.0.0.0/8`, comma-separated) of the reverse proxy that "
        "connects to werkstatt: only a request from one of them has its `X-Forwarded-For` read (with "
        "`trusted_proxies` above 0); any other client is counted by its own address, whatever it sends.",
    )
    login_attempts: int = Field(
        5, ge=1, description="Failed organizer logins per address and user name within `login_window_s`."
    )
    login_attempts_per_address: int = Field(
        20, ge=1, description="Failed organizer logins per address (any user names) within `login_window_s`."
    )
    login_attempts_per_user: int = Field(
        50,
        ge=1,
        description="Failed logins per user name (from any address) within `login_window_s` above which only "
        "addresses without a failure for it may still try it.",
    )
    login_window_s: int = Field(300, ge=1, description="Window of the login rate limit, in seconds.")
    join_burst_per_address: int = Field(
        100, ge=1, description="Joins (`POST /api/join`) one address may make at once (a town hall behind one NAT)."
    )
    join_rate_per_address: float = Field(
        1.0, gt=0, description="Joins per second one address may make after its burst is used up."
    )
    join_burst_per_link: int = Field(1000, ge=1, description="Joins one invitation link may take at once.")
    join_rate_per_link: float = Field(
        20.0, gt=0, description="Joins per second one invitation link may take after its burst is used up."
    )
    session_hours: int = Field(12, ge=1, description="Lifetime of an organizer session.")
    retention_days: int | None = Field(
        None,
        ge=1,
        le=36_500,
        description="Days after an event (its date and its last activity) until `werkstatt purge` erases its "
        "personal data: pseudonyms, tokens, chat messages and questions (ideas, fields, statuses, feedback and dots "
        "stay; see [personal data](personal-data.md)). Unset: nothing is purged unless `--older-than` is given.",
    )
    secure_cookies: bool = Field(False, description="Mark cookies `Secure` (turn on behind HTTPS).")
    migrate_on_start: bool = Field(
        True, description="`serve` brings the idea store's schema up to date before it starts."
    )
    ice_servers: tuple[IceServer, ...] = Field(
        (),
        max_length=16,
        description="STUN/TURN servers the browsers use for audio and video in the space (sent to each client "
        "that enters a room's space): a JSON array such as "
        '`[{"urls": ["turn:turn.example.org:3478"], "username": "werkstatt", "credential": "…"}]`, or '
        "comma-separated `stun:`/`turn:` URLs without credentials. Empty: browsers connect directly, which works "
        "only where no NAT or firewall stands between them. Credentials are secrets: never logged.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    @field_validator("locales")
    @classmethod
    def _catalogs_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not catalog_path(value, SOURCE_LANGUAGE).is_file():
            raise ValueError(f"{value} holds no {SOURCE_LANGUAGE}/LC_MESSAGES/messages.po")
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str, info: ValidationInfo) -> str:
        languages = Catalogs.at(info.data.get("locales")).languages
        if value not in languages:
            raise ValueError(f"no catalog for {value!r}: one of {', '.join(languages)}")
        return value

    @field_validator("privacy_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        text = (value or "").strip()
        if not text:
            return None
        url = URL(text)
        if url.scheme in ("http", "https") and url.host:
            return str(url)
        if not url.scheme and not url.raw_authority and text.startswith("/") and not text.startswith("//"):
            return str(url)
        raise ValueError(f"not an http(s) address or a path starting with /: {text!r}")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @field_validator("ice_servers", mode="before")
    @classmethod
    def _parse_ice_servers(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return tuple({"urls": (url.strip(),)} for url in text.split(",") if url.strip())
        return value

    @field_validator("trusted_proxy_addresses", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [n.strip() for n in value.split(",") if n.strip()]
        return tuple(str(ipaddress.ip_network(n, strict=False)) for n in value)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "::", "127.0.0.1") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @classmethod
    def load(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``WERKSTATT_*`` variables in ``env`` and explicit overrides (CLI flags)."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)


def sqlalchemy_url(url: str) -> str:
    """Map a user-facing database URL to the driver SQLAlchemy uses (sqlite3, psycopg)."""
    if url.startswith("sqlite:///") or url == "sqlite://":
        return url
    if url.startswith("sqlite+aiosqlite:"):  # accepted before the store ran on threads
        return "sqlite:" + url[len("sqlite+aiosqlite:") :]
    if url.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg:"):
        return url
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]!r} (use sqlite:/// or postgresql://)")


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return None
