"""The projector view (Beamer-Ansicht): the room's presented board for a wall, read only.

The page is static; ``static/js/projector.js`` connects as the member of this browser (or the
event's organizer) with ``auth.view = "projector"``, which the gateway lets only read and sends
only what everyone may see (see "Connecting" in docs/protocol.md).
"""

from __future__ import annotations

from aiohttp import web

from boards.errors import NotFound
from server.keys import LANGUAGE, STORE
from server.web.http import language, render, translator


async def projector_page(request: web.Request) -> web.Response:
    try:
        event = await request.app[STORE].event(request.match_info["event_id"])
    except NotFound:
        raise web.HTTPNotFound() from None
    request[LANGUAGE] = language(request, event.language)
    return render(request, "projector.html", {"event": event, "client_messages": translator(request).client_messages()})


def routes() -> list[web.RouteDef]:
    return [web.get("/e/{event_id}/projector", projector_page)]
