"""The app factory: ``create_app(settings)`` builds the whole server, with no module globals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from importlib.resources import files
from typing import Any

import socketio
from aiohttp import web

from server import events, jsoncodec
from server.db import create_engine, migrate
from server.fanout import FrameFanout
from server.gateway import Gateway
from server.join import routes as join_routes
from server.keys import ENGINE, JINJA, LIVE, LOGIN_LIMIT, SETTINGS, SIO, STORE
from server.live import LiveState
from server.organizer import routes as organizer_routes
from server.ratelimit import FailureWindow
from server.settings import Settings
from server.store import IdeaStore
from server.votes import VoteDesk
from server.web import choose_language, security_middleware, templates
from server.websocket import websocket_factory

log = logging.getLogger("werkstatt")

STATIC_DIR = files("static")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[security_middleware], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[JINJA] = templates()
    app[LOGIN_LIMIT] = FailureWindow(settings.login_attempts, settings.login_window_s)

    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        transports=["websocket"],
        cors_allowed_origins=_origin_check(settings),
        max_http_buffer_size=settings.max_message_bytes,
        logger=False,
        engineio_logger=False,
        json=jsoncodec,
    )
    # Engine.IO picks its websocket class from its driver table; ours configures compression
    # and keeps the response where the fan-out can write to it.
    sio.eio._async = {**sio.eio._async, "websocket": websocket_factory(compress=settings.websocket_compression)}
    sio.attach(app)
    app[SIO] = sio

    app.router.add_routes(organizer_routes())
    app.router.add_routes(join_routes())
    app.router.add_get("/lang/{lang}", choose_language)
    app.router.add_static("/static/", str(STATIC_DIR), append_version=False)
    app.on_shutdown.append(_disconnect_clients)
    app.cleanup_ctx.append(_store_ctx)
    return app


async def _disconnect_clients(app: web.Application) -> None:
    """Close every Socket.IO connection so that shutting down does not wait for them."""
    # every client's socket (python-socketio's shutdown() does not); without waiting for a
    # send queue to drain, which a dead peer never does
    for socket in list(app[SIO].eio.sockets.values()):
        await socket.close(wait=False)
    await app[SIO].shutdown()


def _origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """Socket.IO connections from the server's own origin (as the browser reached it, or the
    configured public URL) and from the configured extra origins; no Origin header (a
    non-browser client) is not a cross-site request and passes."""
    extra = {settings.base_url, *settings.allowed_origins}

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in extra

    return allowed


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database.get_secret_value())
    if settings.migrate_on_start:
        await migrate(engine)
    store = IdeaStore(engine)
    live = LiveState(store=store, fanout=FrameFanout(app[SIO], send_buffer_limit=settings.send_buffer_limit))
    live.votes = VoteDesk(live)
    Gateway(app[SIO], live, settings, events.registry)
    app[ENGINE] = engine
    app[STORE] = store
    app[LIVE] = live
    for board_id in await store.boards_with_open_votes():  # timers survive a restart
        live.votes.arm(await live.load(board_id))
    yield
    await live.votes.close()
    await live.close()
    await engine.dispose()
