"""Typed keys for what the app shares: ``app[SETTINGS]``, ``app[STORE]`` …"""

from __future__ import annotations

import jinja2
import sqlalchemy as sa
from aiohttp import web

from server.clock import Clock
from server.live.state import LiveState
from server.ratelimit import Buckets, LoginLimit
from server.settings import Settings
from server.store.idea_store import IdeaStore, Organizer
from server.transport.endpoint import RealtimeServer
from server.transport.guard import ConnectionGuard
from server.web.hosts import HostCheck

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", sa.Engine)
STORE = web.AppKey("store", IdeaStore)
LIVE = web.AppKey("live", LiveState)
REALTIME = web.AppKey("realtime", RealtimeServer)
JINJA = web.AppKey("jinja", jinja2.Environment)
CONNECTIONS = web.AppKey("connections", ConnectionGuard)
LOGIN_LIMIT = web.AppKey("login_limit", LoginLimit)
JOIN_LIMIT_ADDRESS = web.AppKey("join_limit_address", Buckets)
JOIN_LIMIT_LINK = web.AppKey("join_limit_link", Buckets)
ALLOWED_HOSTS = web.AppKey("allowed_hosts", HostCheck)

# per request
CSRF = web.RequestKey("csrf", str)
CSRF_NEW = web.RequestKey("csrf_new", bool)
LANGUAGE = web.RequestKey("language", str)
ORGANIZER: web.RequestKey[Organizer | None] = web.RequestKey("organizer")
