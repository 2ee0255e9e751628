"""``werkstatt purge``: the retention period's erasure of personal data (``IdeaStore.purge``), with what it did
(or, with ``--dry-run``, would do) printed per event; expired sessions and uploads of idea files that were never
imported go on every run."""

from __future__ import annotations

import sys

from boards.errors import DomainError
from rooms.erasure import purge_cutoff
from server.ids import utcnow
from server.settings import Settings
from server.store.db import create_engine, migrate
from server.store.idea_store import IdeaStore
from server.store.personal_data import PurgeReport


async def purge(settings: Settings, older_than: int | None, *, dry_run: bool = False) -> int:
    days = older_than if older_than is not None else settings.retention_days
    if days is None:
        print(
            "werkstatt: no retention period: set retention_days (WERKSTATT_RETENTION_DAYS) or pass --older-than DAYS",
            file=sys.stderr,
        )
        return 2
    now = utcnow()
    try:
        cutoff = purge_cutoff(now, days)
    except DomainError as exc:
        print(f"werkstatt: {exc.message}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database.get_secret_value())
    try:
        await migrate(engine)
        store = IdeaStore(engine)
        try:
            report = await store.purge(cutoff, now, dry_run=dry_run)
        finally:
            await store.close()
    finally:
        engine.dispose()
    print(describe(report, days))
    return 0


def describe(report: PurgeReport, days: int) -> str:
    """What the purge did or would do, a line per event with personal data left and a summary."""
    verb = "would erase" if report.dry_run else "erased"
    lines = [
        f"werkstatt purge{' (dry run: nothing changed)' if report.dry_run else ''}: events whose date and last "
        f"activity lie more than {days} days back (before {report.cutoff:%Y-%m-%d %H:%M} UTC)"
    ]
    pending = [e for e in report.events if e.changed]
    for e in pending:
        when = e.date.isoformat() if e.date else "no date"
        lines.append(
            f"  {e.title!r} ({e.event_id}, {when}, last activity {e.last_activity:%Y-%m-%d}): {verb} "
            f"{e.members} member(s)' pseudonyms and tokens, {e.messages} chat message(s), {e.questions} question(s), "
            f"{e.placements} breakout placement(s) and choice(s), {e.audit_entries} audit entr(y/ies), "
            f"the change records of {e.boards} board(s)"
        )
    lines.append(
        f"{len(report.events)} event(s) past the retention period, {len(pending)} with personal data "
        f"{'to erase' if report.dry_run else 'erased now'}; {report.sessions} expired organizer session(s) "
        f"{'to remove' if report.dry_run else 'removed'}; {report.uploads} uploaded idea file(s) never imported "
        f"and past their 24 hours {'to delete' if report.dry_run else 'deleted'}"
    )
    return "\n".join(lines)
