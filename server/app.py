"""The app factory: ``create_app(settings)`` builds the whole server, with no module globals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from importlib.resources import files

from aiohttp import web
from redis.asyncio import Redis

from server.clock import Clock, SystemClock
from server.keys import (
    ALLOWED_HOSTS,
    CLOCK,
    CONNECTIONS,
    ENGINE,
    JINJA,
    JOIN_LIMIT_ADDRESS,
    JOIN_LIMIT_LINK,
    LIVE,
    LOGIN_LIMIT,
    REALTIME,
    SETTINGS,
    STORE,
)
from server.live.breakouts import BreakoutDesk
from server.live.dots import VoteDesk
from server.live.facilitation import Facilitation
from server.live.gateway import Gateway
from server.live.handlers import registry
from server.live.space import SpaceDesk
from server.live.space_nodes import SpaceNodes
from server.live.state import LiveState
from server.ratelimit import Buckets, LoginLimit
from server.settings import Settings
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from server.transport.endpoint import RealtimeServer
from server.transport.fanout import FrameFanout
from server.transport.guard import ConnectionGuard
from server.transport.redisfanout import RedisFanout
from server.web import imports
from server.web.async_boards import routes as async_routes
from server.web.audit import routes as audit_routes
from server.web.console import routes as console_routes
from server.web.dashboard import routes as dashboard_routes
from server.web.exports import routes as export_routes
from server.web.hosts import HostCheck
from server.web.http import choose_language, security_middleware, server_header, templates
from server.web.join import routes as join_routes
from server.web.maps import routes as map_routes
from server.web.organizer import routes as organizer_routes
from server.web.participants import routes as participant_routes
from server.web.projector import routes as projector_routes
from server.web.site_pages import routes as site_page_routes

log = logging.getLogger("werkstatt")

STATIC_DIR = files("static")


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    """``clock``: the server's notion of now for boards and votes (``server.clock``); the machine's by default."""
    app = web.Application(middlewares=[security_middleware], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[CONNECTIONS] = ConnectionGuard.from_settings(settings)  # used by the runner (server.transport.guard)
    app[CONNECTIONS].attach(app)
    app[JINJA] = templates()
    app[ALLOWED_HOSTS] = HostCheck(settings)
    app[LOGIN_LIMIT] = LoginLimit(
        per_address_user=settings.login_attempts,
        per_address=settings.login_attempts_per_address,
        per_user=settings.login_attempts_per_user,
        window_s=settings.login_window_s,
    )
    app[JOIN_LIMIT_ADDRESS] = Buckets(settings.join_rate_per_address, settings.join_burst_per_address)
    app[JOIN_LIMIT_LINK] = Buckets(settings.join_rate_per_link, settings.join_burst_per_link)
    app.on_response_prepare.append(server_header)

    realtime = RealtimeServer(
        origin_allowed=_origin_check(settings),
        max_message_bytes=settings.max_message_bytes,
        send_buffer_limit=settings.send_buffer_limit,
        send_buffer_total=settings.send_buffer_total,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
    )
    realtime.attach(app)
    app[REALTIME] = realtime

    app.router.add_routes(organizer_routes())
    app.router.add_routes(audit_routes())
    app.router.add_routes(console_routes())
    app.router.add_routes(dashboard_routes())
    app.router.add_routes(export_routes())
    app.router.add_routes(async_routes())
    app.router.add_routes(map_routes())
    imports.setup(app)
    app.router.add_routes(join_routes())
    app.router.add_routes(projector_routes())
    app.router.add_routes(site_page_routes())
    app.router.add_routes(participant_routes())
    app.router.add_get("/lang/{lang}", choose_language)
    app.router.add_static("/static/", str(STATIC_DIR), append_version=False)
    app.cleanup_ctx.append(_store_ctx)
    return app


def _origin_check(settings: Settings) -> Callable[[web.Request, str], bool]:
    """Socket.IO connections from the server's own origin (as the browser reached it, or the
    configured public URL) and from the configured extra origins; a request without an
    Origin header (a program, not a browser) is not a cross-site request and passes."""
    extra = {settings.base_url, *settings.allowed_origins}

    def allowed(request: web.Request, origin: str) -> bool:
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        scheme = forwarded.split(",")[0].strip() or request.scheme  # as a reverse proxy forwards it
        return origin == f"{scheme}://{request.host}" or origin in extra

    return allowed


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database.get_secret_value())
    try:
        if settings.migrate_on_start:
            await migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    store = IdeaStore(engine)
    fanout: FrameFanout | None = None
    live: LiveState | None = None
    try:
        fanout = await _start_fanout(app)
        live = LiveState(store=store, fanout=fanout, clock=app[CLOCK])
        if settings.redis is not None:  # the live state that nodes share (presence, timers, …) beside the fan-out
            # a Redis that does not answer (a lost network, not a refused connection) fails a read in 2 s, not never
            live.redis = Redis.from_url(settings.redis.get_secret_value(), socket_timeout=2, socket_connect_timeout=2)
            await live.share_presence(settings.presence_ttl_s)
        fanout.recipient = live.recipient
        live.votes = VoteDesk(live)
        live.breakouts = BreakoutDesk(live)
        live.facilitation = Facilitation(live)
        live.space = SpaceDesk(live)
        if live.redis is not None and isinstance(fanout, RedisFanout):  # one room's space on one node at a time
            live.space.nodes = SpaceNodes(live.space, live.redis, fanout)
        live.space.set_ice_servers(server.client() for server in settings.ice_servers)
        live.disconnect = app[REALTIME].disconnect  # member.remove closes the removed member's connections
        Gateway(app[REALTIME], live, settings, registry)
        app[ENGINE] = engine
        app[STORE] = store
        app[LIVE] = live
        for board_id in await store.boards_with_open_votes():  # timers survive a restart
            board = await live.load(board_id)
            live.votes.arm(board.id, board.event_id, board.open_session(), tell=False)  # every node arms them
        await live.facilitation.start()  # with several nodes: the timers the others started fire here too
    except BaseException:
        if live is not None:
            await live.close()
        if isinstance(fanout, RedisFanout):
            await fanout.close()
        if live is not None and live.redis is not None:
            await live.redis.aclose()
        await store.close()  # its threads and connections
        raise
    yield
    await live.votes.close()
    await live.breakouts.close()
    await live.facilitation.close()
    await live.space.close()
    await live.close()
    if isinstance(fanout, RedisFanout):
        await fanout.close()
    if live.redis is not None:
        await live.redis.aclose()
    await store.close()


async def _start_fanout(app: web.Application) -> FrameFanout:
    """In-process on one node; with ``redis`` set, also to and from the other nodes through Redis
    (what nodes tell each other about their shared state too, ``Fanout.tell``)."""
    redis_url = app[SETTINGS].redis
    if redis_url is None:
        return FrameFanout(app[REALTIME])
    fanout = RedisFanout(app[REALTIME], redis_url.get_secret_value())
    try:
        await fanout.start()
    except BaseException:
        await fanout.close()
        raise
    return fanout
