"""Joining an event from a link, and the room page that follows."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from boards.errors import DomainError, NotFound
from rooms.members import AVATAR_COLOURS, check_colour, clean_pseudonym
from server import __version__
from server.ids import new_token, token_hash
from server.keys import JOIN_LIMIT_ADDRESS, JOIN_LIMIT_LINK, LANGUAGE, LIVE, SETTINGS, STORE
from server.ratelimit import address_keys, retry_after_header
from server.web.http import ROOM_PERMISSIONS_POLICY, client_address, language, own_origins, render, translator
from server.web.organizer import current_organizer


class JoinRequest(BaseModel):
    """``POST /api/join``: exchange a join link's token for a member token."""

    model_config = ConfigDict(extra="forbid", strict=True)

    link: Annotated[str, StringConstraints(min_length=20, max_length=100)]
    pseudonym: Annotated[str, StringConstraints(max_length=200)]
    colour: Annotated[str, StringConstraints(max_length=20)]


class JoinResponse(BaseModel):
    ok: bool = True
    token: str
    member_id: str
    event_id: str
    role: str
    pseudonym: str


def api_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": code, "message": message}}, status=status)


def rate_limited(wait: float, message: str) -> web.Response:
    """429 with the seconds to wait in ``Retry-After`` (joins: per address, per link)."""
    response = api_error(429, "rate_limited", message)
    response.headers["Retry-After"] = retry_after_header(wait)
    return response


async def join_page(request: web.Request) -> web.Response:
    store = request.app[STORE]
    resolved = await store.resolve_link(request.match_info["token"])
    if resolved is None:
        return render(request, "error.html", {"message": translator(request)("join.invalid")}, status=404)
    event_id, role = resolved
    event = await store.event(event_id)
    request[LANGUAGE] = language(request, event.language)
    notice = event.privacy_notice or translator(request)("privacy.default")  # shown before the pseudonym field
    context = {
        "event": event,
        "role": role.value,
        "colours": AVATAR_COLOURS,
        "privacy_notice": notice,
        "privacy_url": request.app[SETTINGS].privacy_url or "/datenschutz",
    }
    return render(request, "join.html", context)


async def join_api(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if origin is not None and origin not in own_origins(request):
        return api_error(403, "foreign_origin", "Requests from other origins are refused.")
    if request.content_type != "application/json":
        return api_error(415, "invalid_payload", "Send JSON (Content-Type: application/json).")
    try:
        body = JoinRequest.model_validate_json(await request.read())
    except ValidationError as exc:
        first = exc.errors()[0]
        return api_error(400, "invalid_payload", f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}")
    wait = request.app[JOIN_LIMIT_ADDRESS].take_all(address_keys(client_address(request)))
    if wait:
        return rate_limited(wait, "Too many joins from this address; retry later.")
    store = request.app[STORE]
    resolved = await store.resolve_link(body.link)
    if resolved is None:
        return api_error(404, "invalid_link", "This link is invalid or has been replaced.")
    event_id, role = resolved
    wait = request.app[JOIN_LIMIT_LINK].take(f"{event_id}:{role.value}")
    if wait:
        return rate_limited(wait, "Too many joins with this link just now; retry later.")
    try:
        pseudonym = clean_pseudonym(body.pseudonym)
        colour = check_colour(body.colour)
        token = new_token()
        member = await store.create_member(event_id, role, pseudonym, colour, token_hash(token))
    except DomainError as exc:
        return api_error(409 if exc.code == "pseudonym_taken" else 400, exc.code, exc.message)
    request.app[LIVE].remember(member)
    response = JoinResponse(
        token=token, member_id=member.id, event_id=event_id, role=role.value, pseudonym=member.pseudonym
    )
    return web.json_response(response.model_dump(), status=201)


async def room_page(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        event = await store.event(request.match_info["event_id"])
    except NotFound:
        raise web.HTTPNotFound() from None
    request[LANGUAGE] = language(request, event.language)
    tr = translator(request)
    await current_organizer(request)  # an organizer's session puts the way back and the logout in the header
    response = render(request, "room.html", {"event": event, "client_messages": tr.client_messages()})
    response.headers["Permissions-Policy"] = ROOM_PERMISSIONS_POLICY
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/j/{token}", join_page),
        web.post("/api/join", join_api),
        web.get("/e/{event_id}", room_page),
        web.get("/healthz", healthz),
    ]
