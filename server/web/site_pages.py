"""The site's own pages: the privacy page (``/datenschutz``, ``/privacy``) and the accessibility statement
(``/barrierefreiheit``, ``/accessibility``, the "Erklärung zur Barrierefreiheit" BITV 2.0 asks for), and their
editors for organizers (``/organizer/site/privacy``, ``/organizer/site/accessibility``).

Each page shows the organizers' text in the page's language (``rooms.site_texts``: plain text, paragraphs and
``# `` headings, never HTML), or the default text of the translations until one is written. Any organizer of the
installation edits them: they speak for whoever runs the server, not for one event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from boards.errors import DomainError
from rooms.site_texts import Page, blocks, clean_site_text, page, same_text
from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import SETTINGS, STORE
from server.web.http import catalogs, render, translator
from server.web.organizer import current_organizer, require_organizer

TITLES = {Page.PRIVACY: N_("privacy.title"), Page.ACCESSIBILITY: N_("accessibility.title")}
PATHS = {Page.PRIVACY: "/datenschutz", Page.ACCESSIBILITY: "/barrierefreiheit"}


def default_text(which: Page, tr: Translator) -> str:
    """The page's default text in the translator's language, as an organizer would write it."""
    if which is Page.ACCESSIBILITY:
        return tr("accessibility.default")
    return "\n\n".join(
        (
            tr("privacy.default"),
            "# " + tr("privacy.browser.heading"),
            tr("privacy.browser"),
            "# " + tr("privacy.rights.heading"),
            tr("privacy.rights"),
        )
    )


async def _text(request: web.Request, which: Page, tr: Translator) -> tuple[str, bool]:
    """The page's text in the translator's language, and whether it is an organizer's own."""
    own = await request.app[STORE].site_text(which, tr.language)
    return (own, True) if own else (default_text(which, tr), False)


def _show(which: Page) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def show(request: web.Request) -> web.Response:
        tr = translator(request)
        text, _own = await _text(request, which, tr)
        await current_organizer(request)  # organizers see a link to the editor
        context: dict[str, object] = {"page": which.value, "title": tr(TITLES[which]), "blocks": blocks(text)}
        return render(request, "site_page.html", context)

    return show


def _editor_page(
    request: web.Request, which: Page, texts: dict[str, str], *, error: str | None = None, status: int = 200
) -> web.Response:
    tr = translator(request)
    context = {
        "page": which.value,
        "title": tr(TITLES[which]),
        "page_path": PATHS[which],
        "texts": texts,
        "error": error,
        "saved": request.query.get("done") == "saved",
        "operator_privacy_url": request.app[SETTINGS].privacy_url if which is Page.PRIVACY else None,
    }
    return render(request, "site_page_edit.html", context, status=status)


def _page(request: web.Request) -> Page:
    try:
        return page(request.match_info["page"])
    except DomainError:
        raise web.HTTPNotFound() from None


async def edit_page(request: web.Request) -> web.Response:
    await require_organizer(request)
    which = _page(request)
    cats = catalogs(request)
    texts = {code: (await _text(request, which, Translator(code, cats)))[0] for code in cats.languages}
    return _editor_page(request, which, texts)


async def save_page(request: web.Request) -> web.StreamResponse:
    """Store each language's text; one that is empty or the default unchanged goes back to the default. An invalid
    text (too long, control characters) saves nothing."""
    organizer = await require_organizer(request)
    which = _page(request)
    form = await request.post()
    cats = catalogs(request)
    sent = {code: str(form.get(f"text_{code}", "")) for code in cats.languages}
    cleaned: dict[str, str | None] = {}
    for code, text in sent.items():
        try:
            clean = clean_site_text(text)
        except DomainError as exc:
            name = cats.names()[code]
            return _editor_page(request, which, sent, error=f"{name}: {exc.message}", status=400)
        cleaned[code] = None if not clean or same_text(clean, default_text(which, Translator(code, cats))) else clean
    for code, own in cleaned.items():
        await request.app[STORE].set_site_text(which, code, own, organizer.id)
    raise web.HTTPSeeOther(f"/organizer/site/{which.value}?done=saved")


def routes() -> list[web.RouteDef]:
    privacy, accessibility = _show(Page.PRIVACY), _show(Page.ACCESSIBILITY)
    return [
        web.get("/datenschutz", privacy),
        web.get("/privacy", privacy),
        web.get("/barrierefreiheit", accessibility),
        web.get("/accessibility", accessibility),
        web.get("/organizer/site/{page}", edit_page),
        web.post("/organizer/site/{page}", save_page),
    ]
