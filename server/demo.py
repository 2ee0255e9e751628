"""The demo: an organizer and a Smart City strategy workshop modelled on the seeds, made once."""

from __future__ import annotations

import secrets
from datetime import date

from boards.actors import Role
from server.passwords import hash_password
from server.store import IdeaStore

DEMO_USER = "demo"
DEMO_TITLE = "Smart-City-Strategie: Ideenwerkstatt"
DEMO_DESCRIPTION = (
    "Wie soll unsere Stadt digitaler, nachhaltiger und lebenswerter werden? Sammeln Sie Ideen zu den "
    "Handlungsfeldern der Smart-City-Strategie und bewerten Sie sie gemeinsam."
)
DEMO_FIELDS = (
    "Mobilität",
    "Bildung",
    "Digitale Verwaltung",
    "Umwelt und Klima",
    "Energie",
    "Gesundheit und Pflege",
    "Wirtschaft und Arbeit",
    "Kultur und Zusammenleben",
)


async def ensure_demo(store: IdeaStore) -> tuple[str, str, dict[Role, str]]:
    """Create the demo organizer and event if missing; give the organizer a fresh password.

    Returns the password, the event id and the event's link tokens.
    """
    password = secrets.token_urlsafe(12)
    organizer = await store.organizer_by_username(DEMO_USER)
    if organizer is None:
        organizer = await store.create_organizer(DEMO_USER, hash_password(password))
    else:
        await store.set_password(organizer.id, hash_password(password))
    events = [e for e in await store.events_of(organizer.id) if e.title == DEMO_TITLE]
    if events:
        event = events[-1]
    else:
        event = await store.create_event(
            organizer.id,
            title=DEMO_TITLE,
            description=DEMO_DESCRIPTION,
            date=date(2026, 12, 3),
            language="de",
            field_names=DEMO_FIELDS,
        )
    return password, event.id, await store.links(event.id)
