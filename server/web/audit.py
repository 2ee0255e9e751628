"""The organizer's audit page: what the facilitators and organizers of an event did (``server.live.audit``
writes it), newest first, a page at a time. Only the event's own organizer sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import STORE
from server.web.http import render, translator
from server.web.organizer import own_event

PAGE_SIZE = 50

# what each action is called on the page; an action without a name here (a newer one) shows as it is stored
ACTION_NAMES = {
    "breakout.create": N_("audit.action.breakout.create"),
    "breakout.assign": N_("audit.action.breakout.assign"),
    "breakout.move": N_("audit.action.breakout.move"),
    "breakout.open": N_("audit.action.breakout.open"),
    "breakout.close": N_("audit.action.breakout.close"),
    "breakout.extend": N_("audit.action.breakout.extend"),
    "breakout.help.answer": N_("audit.action.breakout.help.answer"),
    "breakout.visit": N_("audit.action.breakout.visit"),
    "breakout.rotate": N_("audit.action.breakout.rotate"),
    "board.create": N_("audit.action.board.create"),
    "board.present": N_("audit.action.board.present"),
    "board.idea.moderate": N_("audit.action.board.idea.moderate"),
    "board.idea.merge": N_("audit.action.board.idea.merge"),
    "board.comment.moderate": N_("audit.action.board.comment.moderate"),
    "board.phase": N_("audit.action.board.phase"),
    "board.reveal": N_("audit.action.board.reveal"),
    "board.lock": N_("audit.action.board.lock"),
    "board.premoderation": N_("audit.action.board.premoderation"),
    "vote.open": N_("audit.action.vote.open"),
    "vote.change": N_("audit.action.vote.change"),
    "vote.extend": N_("audit.action.vote.extend"),
    "vote.close": N_("audit.action.vote.close"),
    "vote.reveal": N_("audit.action.vote.reveal"),
    "broadcast.send": N_("audit.action.broadcast.send"),
    "board.spotlight": N_("audit.action.board.spotlight"),
    "member.remove": N_("audit.action.member.remove"),
    "member.erase": N_("audit.action.member.erase"),
    "member.export": N_("audit.action.member.export"),
    "timer.start": N_("audit.action.timer.start"),
    "timer.pause": N_("audit.action.timer.pause"),
    "timer.resume": N_("audit.action.timer.resume"),
    "timer.extend": N_("audit.action.timer.extend"),
    "timer.reset": N_("audit.action.timer.reset"),
    "agenda.add": N_("audit.action.agenda.add"),
    "agenda.edit": N_("audit.action.agenda.edit"),
    "agenda.remove": N_("audit.action.agenda.remove"),
    "agenda.move": N_("audit.action.agenda.move"),
    "agenda.set_current": N_("audit.action.agenda.set_current"),
    "agenda.next": N_("audit.action.agenda.next"),
    "agenda.previous": N_("audit.action.agenda.previous"),
    "agenda.finish": N_("audit.action.agenda.finish"),
    "hand.lower": N_("audit.action.hand.lower"),
    "hand.next": N_("audit.action.hand.next"),
    "hand.clear": N_("audit.action.hand.clear"),
    "chat.hide": N_("audit.action.chat.hide"),
    "chat.silence": N_("audit.action.chat.silence"),
    "question.answer": N_("audit.action.question.answer"),
    "question.hide": N_("audit.action.question.hide"),
    "question.pin": N_("audit.action.question.pin"),
}


@dataclass(frozen=True, slots=True)
class Row:
    at: datetime
    who: str
    role: str
    action: str  # as stored
    action_name: str  # as people read it
    target: str | None
    details: list[tuple[str, str]]


def _before(value: str | None) -> datetime | None:
    """The ``before=`` of a page link: an ISO time (UTC when it names no zone); 400 when it is not one."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value[:40])
    except ValueError:
        raise web.HTTPBadRequest() from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "—"
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


async def audit_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    before = _before(request.query.get("before"))
    store = request.app[STORE]
    entries = await store.audit_log(event.id, limit=PAGE_SIZE, before=before)
    members = await store.members_of(event.id)
    tr: Translator = translator(request)

    def name(member_id: str | None) -> str | None:
        member = members.get(member_id) if member_id is not None else None
        return member.pseudonym if member is not None else member_id

    rows = [
        Row(
            at=entry.at,
            who=name(entry.member_id) or entry.member_id,
            role=entry.role.value,
            action=entry.action,
            action_name=tr(ACTION_NAMES[entry.action]) if entry.action in ACTION_NAMES else entry.action,
            target=name(entry.target),
            details=[(key, _value(value)) for key, value in entry.details.items()],
        )
        for entry in entries
    ]
    # the next page: entries before the last one's time, in UTC with "Z" (a "+" would need escaping in the link)
    older = entries[-1].at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if len(entries) >= PAGE_SIZE else None
    return render(request, "audit.html", {"event": event, "rows": rows, "older": older, "paged": before is not None})


def routes() -> list[web.RouteDef]:
    return [web.get("/organizer/events/{event_id}/audit", audit_page)]
