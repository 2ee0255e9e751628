"""The audit log of facilitators' and organizers' acts: ``await audit(live, conn, "timer.start", target, details)``.

Every facilitation handler calls it once its act took effect (committed, or applied where the state is only in
memory, as timers are), so the log holds what happened and nothing that was refused. The breakout rounds' handlers
use it alike. Entries are built by ``rooms.audit.audit_entry`` (an ``area.verb`` action, JSON details) and kept by
the store; organizers read them on ``/organizer/events/{event_id}/audit``.

Writing the entry is the act's last step: when the store fails then, the act stands (it was committed, fanned out,
maybe seen) and is answered as done; the failure is logged with what the entry would have held.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rooms.audit import audit_entry
from server.ids import utcnow
from server.live.state import Connection, LiveState

log = logging.getLogger("werkstatt.audit")


async def audit(
    live: LiveState,
    conn: Connection,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record that the connection's member did ``action`` to ``target`` (a member, room, step … id)."""
    entry = audit_entry(conn.event_id, conn.actor, action, utcnow(), target, details)
    try:
        await live.store.add_audit(entry)
    except Exception:
        log.exception(
            "storing the audit entry failed: %s by %s in %s on %s %s",
            action,
            conn.member.id,
            conn.event_id,
            target,
            dict(details or {}),
        )
