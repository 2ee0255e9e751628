"""Which ``Host`` a request may name: the check against DNS rebinding."""

from __future__ import annotations

import ipaddress
import re

from yarl import URL

from server.settings import Settings

_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::[0-9]{1,5})?")


def host_name(host: str) -> str | None:
    """The name or address in a ``Host`` header, without port and final dot; None if malformed."""
    match = _HOST.fullmatch(host.strip().lower())
    if match is None:
        return None
    return match["v6"] or match["name"].rstrip(".")


class HostCheck:
    """Which ``Host`` a request may name (like Django's ``ALLOWED_HOSTS``), against DNS rebinding.

    A page on ``evil.example`` whose name an attacker re-points to this server's address is
    same-origin with it for the browser; only the ``Host`` header tells the two apart. Allowed
    are IP literals, ``localhost``, the host of ``public_url`` (or of the bind address when it
    is a name), the hosts of ``allowed_origins`` and the ``allowed_hosts`` (``.example.org``
    also allows its subdomains; ``*`` allows every host).
    """

    def __init__(self, settings: Settings) -> None:
        names = {"localhost", URL(settings.base_url).host or ""}
        names |= {URL(origin).host or "" for origin in settings.allowed_origins}
        names |= {host_name(h) or "" for h in settings.allowed_hosts if h != "*" and not h.startswith(".")}
        self.names = frozenset(n.rstrip(".") for n in names if n)
        self.suffixes = tuple(h.lower().rstrip(".") for h in settings.allowed_hosts if h.startswith("."))
        self.any = "*" in settings.allowed_hosts

    def allows(self, host: str) -> bool:
        name = host_name(host)
        if name is None:
            return False
        if self.any or name in self.names:
            return True
        if any(name == s[1:] or name.endswith(s) for s in self.suffixes):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
