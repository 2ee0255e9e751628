"""HTTP plumbing shared by all pages: the host check, security headers, CSRF, language, rendering,
the client's address."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
from aiohttp import web
from yarl import URL

from server.i18n.catalogs import Catalogs, Translator
from server.ids import new_token
from server.keys import ALLOWED_HOSTS, CSRF, CSRF_NEW, JINJA, LANGUAGE, ORGANIZER, SETTINGS

CSRF_COOKIE = "werkstatt_csrf"
SESSION_COOKIE = "werkstatt_session"
LANG_COOKIE = "werkstatt_lang"
CSRF_FIELD = "csrf"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # join links carry tokens: never leak them
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The room page asks for the camera and the microphone (the space's audio and video, docs/space.md);
# for this origin only, and only there.
ROOM_PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=()"

SERVER_HEADER = "werkstatt"  # no versions of Python or aiohttp for scanners to match

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UPLOAD_LIMIT = "upload_limit"  # the attribute ``accepts_upload`` sets on a handler
FORM_OVERHEAD = 64 * 1024  # a multipart form's other fields and boundaries, beside its file


def accepts_upload(max_bytes: int) -> Callable[[Handler], Handler]:
    """Mark a handler whose form carries a file of up to ``max_bytes``: its POST body may be that
    large (every other form keeps the app's ``client_max_size``); larger is refused with 413."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, UPLOAD_LIMIT, max_bytes)
        return handler

    return mark


def client_address(request: web.Request) -> str:
    """The address of the client, for every per-address limit.

    The peer of the connection, unless ``trusted_proxies`` reverse proxies stand in front and
    the peer is one of them (in ``trusted_proxy_addresses``): then the address the outermost
    of them saw, which is the ``trusted_proxies``-th entry of ``X-Forwarded-For`` from the
    right (each proxy appends the address it was reached from; entries further left are
    whatever the client sent, and are ignored). A client that reaches the port directly is
    counted by its own address, whatever ``X-Forwarded-For`` it sends (as uvicorn's
    ``forwarded_allow_ips`` and gunicorn's do).
    """
    peer = request.remote or ""
    settings = request.app[SETTINGS]
    hops = settings.trusted_proxies
    if hops == 0 or not _trusted(peer, settings.trusted_proxy_addresses):
        return peer
    forwarded = [a.strip() for h in request.headers.getall("X-Forwarded-For", ()) for a in h.split(",")]
    if len(forwarded) < hops:
        return peer  # not through all the proxies
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return peer


@functools.cache
def _networks(addresses: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(a, strict=False) for a in addresses)


def _trusted(peer: str, addresses: tuple[str, ...]) -> bool:
    """Whether ``peer`` is one of the trusted proxies' ``addresses`` (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(addresses))


def site_url(request: web.Request) -> str:
    """The base of links shown on pages: the configured public URL, else what the browser used."""
    public = request.app[SETTINGS].public_url
    return public.rstrip("/") if public else f"{request.scheme}://{request.host}"


def own_origins(request: web.Request) -> set[str]:
    settings = request.app[SETTINGS]
    return {f"{request.scheme}://{request.host}", settings.base_url, *settings.allowed_origins}


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The host check first; security headers on every response; a CSRF check on every form POST."""
    host = request.headers.get("Host")
    if host is not None and not request.app[ALLOWED_HOSTS].allows(host):
        # no browser reaches this server by that name unless it was pointed at it (DNS rebinding)
        refused = web.Response(status=400, text="Unknown host name (see the allowed_hosts setting).\n")
        refused.headers.update(SECURITY_HEADERS)
        return refused
    token = request.cookies.get(CSRF_COOKIE, "")
    request[CSRF_NEW] = len(token) < 20
    request[CSRF] = new_token() if request[CSRF_NEW] else token
    if request.method == "POST" and not request.path.startswith(("/api/", "/socket.io/")):
        upload_limit = getattr(request.match_info.handler, UPLOAD_LIMIT, None)
        if upload_limit is not None:  # a form with a file: larger than the app's limit for forms
            request = request.clone(client_max_size=upload_limit + FORM_OVERHEAD)
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            if upload_limit is None:
                raise
            too_large = translator(request)("error.too_large", count=upload_limit // (1024 * 1024))
            return _finish(request, render(request, "error.html", {"message": too_large}, status=413))
        try:
            sent = form.get(CSRF_FIELD)
            if request[CSRF_NEW] or not isinstance(sent, str) or not hmac.compare_digest(sent, request[CSRF]):
                response: web.StreamResponse = render(
                    request, "error.html", {"message": translator(request)("csrf.failed")}, status=403
                )
                return _finish(request, response)
            return await _handle(request, handler)
        finally:  # an uploaded file waits in a temporary file until here
            for value in form.values():
                if isinstance(value, web.FileField):
                    value.file.close()
    return await _handle(request, handler)


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json" and not request.path.startswith("/socket.io/"):
            key = {404: "error.not_found", 403: "error.forbidden"}.get(exc.status, "error.invalid")
            response = render(request, "error.html", {"message": translator(request)(key)}, status=exc.status)
        else:
            exc.headers.update(SECURITY_HEADERS)
            raise
    return _finish(request, response)


def _finish(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():  # a page with a stricter policy of its own keeps it
            response.headers.setdefault(name, value)
        if request[CSRF_NEW]:
            response.set_cookie(
                CSRF_COOKIE,
                request[CSRF],
                httponly=True,
                samesite="Strict",
                secure=request.app[SETTINGS].secure_cookies,
                path="/",
            )
    return response


def catalogs(request: web.Request) -> Catalogs:
    """The message catalogs this app serves (the ``locales`` setting's folder)."""
    return Catalogs.at(request.app[SETTINGS].locales)


def language(request: web.Request, event_language: str | None = None) -> str:
    languages = catalogs(request).languages
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen  # type: ignore[return-value]
    if event_language in languages:
        return event_language  # type: ignore[return-value]
    return request.app[SETTINGS].default_language


def translator(request: web.Request) -> Translator:
    return Translator(request.get(LANGUAGE) or language(request), catalogs(request))


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    tr = translator(request)
    env: jinja2.Environment = request.app[JINJA]
    html = env.get_template(template).render(
        _=tr,
        lang=tr.language,
        languages=catalogs(request).names(),
        csrf=request[CSRF],
        path=request.path_qs,
        organizer=request.get(ORGANIZER),
        **{"privacy_url": request.app[SETTINGS].privacy_url or "/datenschutz", **context},  # the footer links it
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def safe_next(target: str | None) -> str:
    """A same-site path to redirect to, checked as it will be sent and as a browser reads it.

    The ``Location`` header is ``str(URL(target))`` (aiohttp builds it so), and yarl, like
    browsers, drops tabs and line breaks: ``next=/%09/evil.example`` (a tab) would go out as
    ``//evil.example``, another site. So control characters and backslashes (which browsers
    read as ``/``) are refused outright, and what is sent must be a path without scheme or host
    that does not start with ``//``.
    """
    if not target or "\\" in target or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return "/"
    try:
        url = URL(target)
    except ValueError:
        return "/"
    sent = str(url)
    if url.scheme or url.raw_authority or not sent.startswith("/") or sent.startswith("//") or "\\" in sent:
        return "/"
    return sent


async def choose_language(request: web.Request) -> web.Response:
    lang = request.match_info["lang"]
    if lang not in catalogs(request).languages:
        raise web.HTTPNotFound()
    response = web.HTTPSeeOther(safe_next(request.query.get("next")))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        path="/",
        secure=request.app[SETTINGS].secure_cookies,
    )
    raise response


async def server_header(_request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response the app sends names the server without versions."""
    response.headers["Server"] = SERVER_HEADER


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("server.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
