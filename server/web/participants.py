"""The organizer's participants page: everyone who joined an event, each one's data to download (Art. 15/20
GDPR) or to delete (Art. 17), with a confirmation first. Only the event's own organizer reaches it.

Deleting is ``rooms.erasure``: the person is removed from the event as a facilitator removes someone
(``Facilitation.shut_out``: disconnected, their link void), then the store erases their data in one transaction
with its audit entry, then the node forgets what it cached of the event.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.audit import audit_entry
from rooms.erasure import Content, content, decide_erasure
from rooms.members import Member
from server.ids import utcnow
from server.keys import LIVE, STORE
from server.store.idea_store import Event, Organizer
from server.web.http import render, translator
from server.web.organizer import own_event


async def participants_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    people = await request.app[STORE].participants(event.id)
    notice = translator(request)("participants.erased") if request.query.get("done") == "erased" else None
    return render(request, "participants.html", {"event": event, "people": people, "notice": notice})


async def _member(request: web.Request) -> tuple[Organizer, Event, Member]:
    organizer, event = await own_event(request)
    member = (await request.app[STORE].members_of(event.id)).get(request.match_info["member_id"])
    if member is None:
        raise web.HTTPNotFound()
    return organizer, event, member


async def _acting(request: web.Request, event: Event, organizer: Organizer) -> Actor:
    me = await request.app[STORE].organizer_member(event.id, organizer)
    return Actor(me.id, Role.ORGANIZER)


def _filename(event: Event, member: Member) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", event.title).strip("-")[:40] or "event"
    return f"werkstatt-{slug}-{member.id}.json"


async def export_member(request: web.Request) -> web.Response:
    """Everything stored about the member, as a JSON download; the export is recorded in the audit log."""
    organizer, event, member = await _member(request)
    store = request.app[STORE]
    now = utcnow()
    data = await store.export_member(event.id, member.id, now)
    await store.add_audit(
        audit_entry(event.id, await _acting(request, event, organizer), "member.export", now, member.id)
    )
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(event, member)}"',
            "Cache-Control": "no-store",
        },
    )


def _confirmation(
    request: web.Request, event: Event, member: Member, *, choice: str = "", error: str | None = None, status: int = 200
) -> web.Response:
    context = {"event": event, "member": member, "choice": choice or Content.KEEP.value, "error": error}
    return render(request, "erase_member.html", context, status=status)


async def erase_confirm_page(request: web.Request) -> web.Response:
    """The step before a member's data are deleted: what happens, what becomes of their contributions."""
    _organizer, event, member = await _member(request)
    if member.role is Role.ORGANIZER:
        raise web.HTTPNotFound()  # an organizer's own membership is not erased here
    return _confirmation(request, event, member)


async def erase_member(request: web.Request) -> web.StreamResponse:
    """Delete a member's personal data, only when the confirmation form sent ``confirm=yes`` and a choice for
    their contributions; any other POST shows the confirmation (again)."""
    organizer, event, member = await _member(request)
    form = await request.post()
    choice_text = str(form.get("content", ""))[:20]
    try:
        decide_erasure(member.role)
    except DomainError:
        raise web.HTTPNotFound() from None
    if form.get("confirm") != "yes":
        return _confirmation(request, event, member, choice=choice_text)
    tr = translator(request)
    try:
        choice = content(choice_text)
    except DomainError:
        return _confirmation(request, event, member, error=tr("erase.choose"), status=400)
    by = await _acting(request, event, organizer)
    live = request.app[LIVE]
    now = utcnow()
    try:
        # what the erasure would refuse, refused before the member is shut out (a vote opened in between
        # still makes erase_member refuse, and then they are shut out with their data kept: say so)
        await request.app[STORE].check_erasure(event.id, member.id, choice)
    except DomainError as exc:
        message = tr("erase.open_vote") if exc.code == "open_vote" else exc.message
        return _confirmation(request, event, member, choice=choice.value, error=message, status=409)
    await live.facilitation.shut_out(event.id, member.id, by, now)  # nothing new of theirs arrives from now on
    try:
        await request.app[STORE].erase_member(event.id, member.id, choice, by, now)
    except DomainError as exc:
        message = tr("erase.open_vote") if exc.code == "open_vote" else exc.message
        return _confirmation(request, event, member, choice=choice.value, error=message, status=409)
    finally:
        live.forget_event(event.id)
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}/participants?done=erased")


def routes() -> list[web.RouteDef]:
    base = "/organizer/events/{event_id}/participants"
    return [
        web.get(base, participants_page),
        web.get(base + "/{member_id}/export", export_member),
        web.get(base + "/{member_id}/erase", erase_confirm_page),
        web.post(base + "/{member_id}/erase", erase_member),
    ]
