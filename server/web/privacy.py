"""The privacy page (``/datenschutz``, ``/privacy``): what werkstatt stores, who sees it, for how long.

The join page shows a short notice (the event's own, or the default text) and links here;
this page holds the default text in full and what the browser keeps.
"""

from __future__ import annotations

from aiohttp import web

from server.web.http import render


async def privacy_page(request: web.Request) -> web.Response:
    return render(request, "privacy.html", {})


def routes() -> list[web.RouteDef]:
    return [web.get("/datenschutz", privacy_page), web.get("/privacy", privacy_page)]
