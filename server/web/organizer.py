"""The organizer's pages: login, events, invitation links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from boards.actors import Role
from boards.errors import DomainError
from rooms.event_settings import clean_event
from server.ids import new_token, token_hash, utcnow
from server.keys import LIVE, LOGIN_LIMIT, ORGANIZER, SETTINGS, STORE
from server.ratelimit import LimitReached, retry_after_header
from server.store.idea_store import LINK_ROLES, Event, Organizer
from server.web.http import SESSION_COOKIE, catalogs, client_address, render, site_url, translator
from server.web.passwords import verify_password


async def current_organizer(request: web.Request) -> Organizer | None:
    if ORGANIZER not in request:
        token = request.cookies.get(SESSION_COOKIE)
        request[ORGANIZER] = await request.app[STORE].organizer_by_session(token_hash(token)) if token else None
    return request[ORGANIZER]


async def require_organizer(request: web.Request) -> Organizer:
    organizer = await current_organizer(request)
    if organizer is None:
        raise web.HTTPSeeOther("/login")
    return organizer


async def own_event(request: web.Request) -> tuple[Organizer, Event]:
    organizer = await require_organizer(request)
    try:
        event = await request.app[STORE].event(request.match_info["event_id"])
    except DomainError:
        raise web.HTTPNotFound() from None
    if event.organizer_id != organizer.id:
        raise web.HTTPNotFound()  # another organizer's event does not exist for this one
    return organizer, event


async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/organizer" if await current_organizer(request) else "/login")


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", {"error": None, "username": ""})


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", ""))[:80].strip()
    password = str(form.get("password", ""))[:1024]
    tr = translator(request)
    try:  # counted before the password is checked, so parallel requests cannot pass the limit
        attempt = request.app[LOGIN_LIMIT].attempt(client_address(request), username)
    except LimitReached as exc:
        blocked = render(request, "login.html", {"error": tr("login.blocked"), "username": username}, status=429)
        blocked.headers["Retry-After"] = retry_after_header(exc.retry_after)
        return blocked
    organizer = await request.app[STORE].organizer_by_username(username) if username else None
    if not await verify_password(organizer.password_hash if organizer else None, password) or organizer is None:
        return render(request, "login.html", {"error": tr("login.failed"), "username": username}, status=401)
    attempt.succeeded()
    settings = request.app[SETTINGS]
    token = new_token()
    await request.app[STORE].create_session(
        organizer.id, token_hash(token), utcnow() + timedelta(hours=settings.session_hours)
    )
    response = web.HTTPSeeOther("/organizer")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_hours * 3600,
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await request.app[STORE].delete_session(token_hash(token))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def events_page(request: web.Request) -> web.Response:
    organizer = await require_organizer(request)
    events = await request.app[STORE].events_of(organizer.id)
    return render(request, "events.html", {"events": events, "form": _blank_form(request), "error": None})


def _blank_form(request: web.Request) -> dict[str, str]:
    return {
        "title": "",
        "description": "",
        "date": "",
        "language": request.app[SETTINGS].default_language,
        "fields": "",
        "privacy_notice": "",
    }


FORM_FIELDS = ("title", "description", "date", "language", "fields", "privacy_notice")


def _form_values(form: Any) -> dict[str, str]:
    return {key: str(form.get(key, "")) for key in FORM_FIELDS}


def _draft(request: web.Request, values: dict[str, str]) -> Any:
    return clean_event(
        title=values["title"],
        description=values["description"],
        date_text=values["date"],
        language=values["language"],
        fields_text=values["fields"],
        languages=catalogs(request).languages,
        privacy_notice=values["privacy_notice"],
    )


async def create_event(request: web.Request) -> web.StreamResponse:
    organizer = await require_organizer(request)
    values = _form_values(await request.post())
    try:
        draft = _draft(request, values)
    except DomainError as exc:
        events = await request.app[STORE].events_of(organizer.id)
        return render(request, "events.html", {"events": events, "form": values, "error": exc.message}, status=400)
    event = await request.app[STORE].create_event(
        organizer.id,
        title=draft.title,
        description=draft.description,
        date=draft.date,
        language=draft.language,
        field_names=draft.fields,
        privacy_notice=draft.privacy_notice,
    )
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}")


async def _event_page(
    request: web.Request,
    event: Event,
    form: dict[str, str],
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    **extra: Any,
) -> web.Response:
    from server.web.exports import exports_context  # it imports own_event from here
    from server.web.maps import maps_context  # the same

    links = await request.app[STORE].links(event.id)
    base = site_url(request)
    return render(
        request,
        "event.html",
        {
            "event": event,
            "form": form,
            "error": error,
            "notice": notice,
            "links": [(role, f"{base}/j/{links[role]}") for role in LINK_ROLES],
            "event_languages": catalogs(request).names(),
            **await exports_context(request, event),
            **await maps_context(request, event),
            **extra,
        },
        status=status,
    )


async def event_page_with(request: web.Request, event: Event, *, status: int = 200, **extra: Any) -> web.Response:
    """The event page with its form as stored and ``extra`` for a section of it (``server.web.exports``)."""
    return await _event_page(request, event, _event_form(event), status=status, **extra)


def _event_form(event: Event) -> dict[str, str]:
    return {
        "title": event.title,
        "description": event.description,
        "date": event.date.isoformat() if event.date else "",
        "language": event.language,
        "fields": "\n".join(f.name for f in event.fields),
        "privacy_notice": event.privacy_notice,
    }


async def event_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    tr = translator(request)
    done = {
        "saved": tr("event.saved"),
        "rotated": tr("event.rotated"),
        "open_data": tr("exports.saved"),
        "maps": tr("maps.chosen"),
    }
    notice = done.get(request.query.get("done", ""))
    return await _event_page(request, event, _event_form(event), notice=notice)


async def update_event(request: web.Request) -> web.StreamResponse:
    _organizer, event = await own_event(request)
    values = _form_values(await request.post())
    try:
        draft = _draft(request, values)
        await request.app[STORE].update_event(
            event.id,
            title=draft.title,
            description=draft.description,
            date=draft.date,
            language=draft.language,
            field_names=draft.fields,
            privacy_notice=draft.privacy_notice,
        )
    except DomainError as exc:
        return await _event_page(request, event, values, error=exc.message, status=400)
    request.app[LIVE].forget_event(event.id)  # boards take the new fields as their columns
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}?done=saved")


def _link_role(request: web.Request) -> Role:
    try:
        role = Role(request.match_info["role"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if role not in LINK_ROLES:
        raise web.HTTPNotFound()
    return role


async def rotate_confirm_page(request: web.Request) -> web.Response:
    """The step before a link is replaced: what happens to the old one, then a POST that confirms."""
    _organizer, event = await own_event(request)
    return render(request, "rotate_link.html", {"event": event, "role": _link_role(request).value})


async def rotate_link(request: web.Request) -> web.StreamResponse:
    """Replace a link, only when the confirmation form sent ``confirm=yes``; any other POST
    (the first click, a form of an older page) shows the confirmation instead."""
    _organizer, event = await own_event(request)
    role = _link_role(request)
    if (await request.post()).get("confirm") != "yes":
        return render(request, "rotate_link.html", {"event": event, "role": role.value})
    try:
        await request.app[STORE].rotate_link(event.id, role)
    except DomainError:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}?done=rotated#links")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", index),
        web.get("/login", login_page),
        web.post("/login", login),
        web.post("/logout", logout),
        web.get("/organizer", events_page),
        web.post("/organizer/events", create_event),
        web.get("/organizer/events/{event_id}", event_page),
        web.post("/organizer/events/{event_id}", update_event),
        web.get("/organizer/events/{event_id}/links/{role}/rotate", rotate_confirm_page),
        web.post("/organizer/events/{event_id}/links/{role}/rotate", rotate_link),
    ]
