"""The Socket.IO gateway: connecting, and one dispatch wrapper for every event.

For each event the wrapper validates the payload against its model, checks the role,
applies the connection's rate limit, calls the handler (which calls the domain and the
store), and turns the result into the acknowledgement ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``. No exception escapes a handler.
"""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from boards.actors import Role
from boards.errors import DomainError, NotFound
from rooms.members import Member
from server import protocol as p
from server.ids import token_hash
from server.live.audit import audit
from server.live.limits import Limits, kind_of
from server.live.state import Connection, LiveState
from server.settings import Settings
from server.transport.endpoint import RealtimeServer, Refused
from server.web.http import SESSION_COOKIE

log = logging.getLogger("werkstatt.gateway")

# a handler answers with its acknowledgement's model, or with the model already dumped (for
# acknowledgements too large to validate again on the way out, such as room.enter's presence)
Handler = Callable[[LiveState, Connection, Any], Awaitable[BaseModel | dict[str, Any]]]
# a volatile event's handler runs where the event is read, without a task (it must not await): its answer
# goes out only to a client that asked for one
VolatileHandler = Callable[[LiveState, Connection, Any], BaseModel | dict[str, Any]]

EVERYONE = frozenset(Role)
CONTRIBUTORS = frozenset({Role.ORGANIZER, Role.FACILITATOR, Role.PARTICIPANT})
MODERATORS = frozenset({Role.ORGANIZER, Role.FACILITATOR})
# what a projector view may send: it reads, whoever opened it
PROJECTOR_EVENTS = frozenset({"room.enter", "board.sync"})
PROJECTOR_VIEW = "projector"


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    payload: type[p.Payload]
    ack: type[p.OkAck]
    roles: frozenset[Role]
    handler: Handler | VolatileHandler
    summary: str
    audited: bool = False  # the gateway writes the audit log entry once the handler succeeded
    # sent without an acknowledgement (``space.move``): what the rate limit refuses is dropped and counted
    # (``LiveState.dropped``), not answered
    volatile: bool = False


class Registry:
    """The client→server events, in the order they are documented."""

    def __init__(self) -> None:
        self.specs: dict[str, EventSpec] = {}

    def on(
        self,
        name: str,
        *,
        payload: type[p.Payload],
        ack: type[p.OkAck],
        roles: frozenset[Role],
        audited: bool = False,
        volatile: bool = False,
    ) -> Callable[..., Handler]:
        """Register a handler. ``audited``: a facilitator's act that the gateway logs once it succeeded
        (handlers with details of their own call ``server.live.audit.audit`` themselves)."""

        def register(handler: Any, summary: str | None = None) -> Any:
            if name in self.specs:
                raise ValueError(f"event {name!r} registered twice")
            if volatile == inspect.iscoroutinefunction(handler):
                raise TypeError(
                    f"event {name!r}: a volatile event's handler is a plain function, any other a coroutine"
                )
            if volatile and audited:
                raise TypeError(f"event {name!r}: a volatile event is not audited (it is handled without a task)")
            text = summary or (handler.__doc__ or "").strip()
            if not text:
                raise ValueError(f"event {name!r} needs a summary for the protocol docs")
            self.specs[name] = EventSpec(name, payload, ack, roles, handler, text, audited, volatile)
            return handler

        return register


def _refused(message: str) -> Refused:
    """The client's ``connect_error`` gets ``message`` and ``data: {"code", "message"}``."""
    return Refused(message, {"code": "unauthenticated", "message": message})


def error_ack(code: str, message: str) -> dict[str, Any]:
    return p.ErrorAck(error=p.ErrorBody(code=code, message=message)).model_dump(mode="json")


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(x) for x in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "Invalid payload — " + "; ".join(parts)


class Gateway:
    def __init__(self, realtime: RealtimeServer, live: LiveState, settings: Settings, registry: Registry) -> None:
        self.live = live
        self.settings = settings
        self.registry = registry
        # a member's limits, shared by their connections on this node (another tab is no fresh budget). A
        # connection takes them with its first event, not when it connects: most connections of a workshop
        # sit idle, and an idle one then holds none. They are gone with the last connection that holds them.
        self._limits: weakref.WeakValueDictionary[str, Limits] = weakref.WeakValueDictionary()
        realtime.bind(self.connect, self.disconnect, self.event, self.event_now)

    # -- connecting ------------------------------------------------------------------------

    async def connect(self, sid: str, cookies: Mapping[str, str], auth: Any) -> None:
        """Authenticate (see ``_authenticate``), join the event's channels; the arrival is announced.

        A rule that refuses (no such event, a pseudonym taken) refuses the connection, for good;
        a fault below the rules escapes, and the endpoint drops the transport so that the
        client tries again.
        """
        view = auth.get("view") if isinstance(auth, dict) else None
        if view is not None and view != PROJECTOR_VIEW:
            raise _refused(f'Unknown view {str(view)[:40]!r}; the only one is "{PROJECTOR_VIEW}".')
        try:
            member = await self._authenticate(cookies, auth)
            room = await self.live.breakouts.room_for(member)
        except DomainError as exc:
            raise Refused(exc.message, {"code": exc.code, "message": exc.message}) from None
        self.live.remember(member)
        conn = Connection(sid=sid, member=member, room_id=room.id, projector=view == PROJECTOR_VIEW)
        try:
            await self.live.attach(conn)
        except BaseException:
            await self.disconnect(sid)  # half attached: undo, the endpoint never counts it connected
            raise

    async def _authenticate(self, cookies: Mapping[str, str], auth: Any) -> Member:
        """A member by their token, or an organizer by their session cookie for one of their events."""
        store = self.live.store
        auth = auth if isinstance(auth, dict) else {}
        token = auth.get("token")
        if isinstance(token, str) and 20 <= len(token) <= 100:
            member = await store.member_by_token(token_hash(token))
            if member is not None:
                return member
            raise _refused("Unknown member token; join the event again.")
        event_id = auth.get("event_id")
        session = cookies.get(SESSION_COOKIE)
        if isinstance(event_id, str) and len(event_id) <= 40 and session:
            organizer = await store.organizer_by_session(token_hash(session))
            if organizer is not None:
                try:
                    event = await store.event(event_id)
                except NotFound:
                    event = None
                if event is not None and event.organizer_id == organizer.id:
                    return await store.organizer_member(event.id, organizer)
            raise _refused("Not logged in as the organizer of this event.")
        raise _refused(
            'Connect with auth {"token": <member token from POST /api/join>}, or as an organizer with your '
            'session cookie and auth {"event_id": ...}.'
        )

    async def disconnect(self, sid: str) -> None:
        self.live.detach(sid)  # (a removed member's connections were detached already)

    def _limits_of(self, conn: Connection) -> Limits:
        """The connection's limits: its member's on this node, taken on its first event."""
        limits = conn.limits
        if limits is None:
            limits = self._limits.get(conn.member.id)
            if limits is None:
                settings = self.settings
                limits = Limits(settings.rate_per_second, settings.rate_burst, settings.max_in_flight)
                self._limits[conn.member.id] = limits
            conn.limits = limits
        return limits

    # -- dispatch ----------------------------------------------------------------------------

    async def event(self, sid: str, name: str, args: list[Any]) -> dict[str, Any]:
        spec = self.registry.specs.get(name)
        if spec is None:
            conn = self.live.connections.get(sid)
            if conn is not None and not self._limits_of(conn).take("unknown"):
                return error_ack("rate_limited", "Too many events; slow down and retry.")
            return error_ack("unknown_event", f"There is no event {name[:60]!r}.")
        return await self.dispatch(spec, sid, tuple(args))

    def event_now(self, sid: str, name: str, args: list[Any]) -> bool:
        """A volatile event sent without asking for an acknowledgement (``space.move``), handled at once where
        it is read: no task for each of the thousands a second a full space sends. False for any other event
        (the endpoint then runs ``event``)."""
        spec = self.registry.specs.get(name)
        if spec is None or not spec.volatile:
            return False
        self._volatile(spec, sid, tuple(args))
        return True

    def _volatile(self, spec: EventSpec, sid: str, args: tuple[Any, ...]) -> dict[str, Any]:
        conn = self.live.connections.get(sid)
        if conn is None:
            return error_ack("unauthenticated", "The connection is not authenticated.")
        if not self._limits_of(conn).take(kind_of(spec.name)):
            self.live.dropped[spec.name] += 1
            return error_ack("rate_limited", "Too many events; slow down and retry.")
        checked = self._checked(spec, conn, args)
        if isinstance(checked, dict):
            return checked
        try:
            result = spec.handler(self.live, conn, checked)
        except DomainError as exc:
            return error_ack(exc.code, exc.message)
        except Exception:
            log.exception("event %s from %s failed", spec.name, conn.sid)
            return error_ack("internal", "The server failed to handle this event; the cause is logged.")
        assert not inspect.isawaitable(result)
        return result if isinstance(result, dict) else result.model_dump(mode="json")

    async def dispatch(self, spec: EventSpec, sid: str, args: tuple[Any, ...]) -> dict[str, Any]:
        if spec.volatile:  # (a client that asks for an answer to one gets it)
            return self._volatile(spec, sid, args)
        conn = self.live.connections.get(sid)
        if conn is None:
            return error_ack("unauthenticated", "The connection is not authenticated.")
        limits = self._limits_of(conn)
        if not limits.take(kind_of(spec.name)):
            return error_ack("rate_limited", "Too many events; slow down and retry.")
        if not limits.enter():
            return error_ack("too_many_in_flight", "Too many events wait for their answer; wait for them and retry.")
        try:
            return await self._dispatch(spec, conn, args)
        finally:
            limits.leave()

    def _checked(self, spec: EventSpec, conn: Connection, args: tuple[Any, ...]) -> p.Payload | dict[str, Any]:
        """The payload, validated, if the connection may send the event; else the error to answer."""
        if len(args) > 1:
            return error_ack("invalid_payload", "Send exactly one JSON object as the payload.")
        raw = args[0] if args else {}
        if not isinstance(raw, dict):
            return error_ack("invalid_payload", "The payload must be a JSON object.")
        try:
            payload = spec.payload.model_validate(raw)
        except ValidationError as exc:
            return error_ack("invalid_payload", _validation_message(exc))
        if conn.role not in spec.roles:
            return error_ack("forbidden", f"A {conn.role.value} may not send {spec.name}.")
        if conn.projector and spec.name not in PROJECTOR_EVENTS:
            return error_ack("forbidden", f"A projector view only reads; it may not send {spec.name}.")
        return payload

    async def _dispatch(self, spec: EventSpec, conn: Connection, args: tuple[Any, ...]) -> dict[str, Any]:
        checked = self._checked(spec, conn, args)
        if isinstance(checked, dict):
            return checked
        payload = checked
        try:
            result = await spec.handler(self.live, conn, payload)  # type: ignore[misc]  # not volatile: a coroutine
        except DomainError as exc:
            return error_ack(exc.code, exc.message)
        except Exception:
            log.exception("event %s from %s failed", spec.name, conn.sid)
            return error_ack("internal", "The server failed to handle this event; the cause is logged.")
        if spec.audited:
            details = payload.model_dump(mode="json", exclude={"board_id"})
            await audit(self.live, conn, spec.name, getattr(payload, "board_id", None), details)
        return result if isinstance(result, dict) else result.model_dump(mode="json")
