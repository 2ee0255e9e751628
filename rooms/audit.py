"""Entries of an event's audit log: who did what to what, when. Building them is pure; the store keeps them.

- ``action`` is a stable name in the protocol's ``area.verb`` style (``"breakout.open"``,
  ``"member.remove"``, ``"chat.hide"``): lower-case words of letters, digits and ``_`` joined by dots, at
  least two of them. A malformed one is a programming error (ValueError), not a person's.
- ``target`` names what it was done to (a member, room, message or step id), or None.
- ``details`` holds JSON values only (str, int, float, bool, None, lists and string-keyed dicts of them),
  copied and frozen, so the entry can be stored and exported as it is; anything else is a TypeError.
- Audit entries record moderators' acts, so they keep member ids: the log is for organizers, never sent to
  participants.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from boards.actors import Actor, Role

ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    event_id: str
    member_id: str
    role: Role
    action: str
    target: str | None
    details: Mapping[str, Any]
    at: datetime


def _frozen(value: Any, path: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"audit details {path}: {value} is not a JSON number")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return tuple(_frozen(v, f"{path}[{n}]") for n, v in enumerate(value))
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"audit details {path}: keys must be strings")
        return MappingProxyType({k: _frozen(v, f"{path}.{k}") for k, v in value.items()})
    raise TypeError(f"audit details {path}: {type(value).__name__} is not a JSON value")


def audit_entry(
    event_id: str,
    actor: Actor,
    action: str,
    at: datetime,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An audit entry for ``actor`` doing ``action`` to ``target`` at ``at``."""
    if not ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not of the form area.verb")
    frozen = _frozen(dict(details or {}), "details")
    return AuditEntry(event_id, actor.member_id, actor.role, action, target, frozen, at)
