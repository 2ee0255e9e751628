"""Workload ``store``: the idea store at the size of a whole programme — 100,000 ideas across events.

It fills a fresh database (``--database sqlite``, the default, in a temporary file; or
``--database postgresql``, a fresh database on the PostgreSQL at 127.0.0.1:5432, dropped
afterwards; or a ``postgresql://…`` URL of an empty database) with ``--ideas`` ideas in
``--events`` events of one organizer: German texts of a Smart City programme drawn from a
vocabulary, eight fields of action per event, tags, review statuses, and dot-voting rounds
(some blind and never revealed, which the console must not count). Then it measures, on the
store's own threads as the server runs them:

- ``search_p95_ms``: the console's full-text search (German word forms) over all ideas,
- ``list_p95_ms``: the console's list — a page of 50 with the filters and sortings people use,
- ``export_csv_s`` and ``export_xlsx_s``: exporting one event of ``--export-ideas`` ideas, as the
  console's download does: its records read, then the file written.

The figures are wall time per call, percentiles by the nearest rank.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.process import fresh_postgres
from bench.stats import latency_figures
from boards.curation import ReviewStatus
from server.i18n.catalogs import Translator
from server.store import tables as t
from server.store.curation import SEARCH_COUNT_MAX, IdeaFilter, Sort
from server.store.db import create_engine, migrate
from server.store.exports.formats import Format, render
from server.store.exports.records import ExportKind
from server.store.idea_store import IdeaStore
from server.store.search import stems

FIELDS = (
    "Mobilität",
    "Bildung",
    "Umwelt und Klima",
    "Digitale Verwaltung",
    "Gesundheit und Pflege",
    "Wirtschaft und Arbeit",
    "Kultur und Freizeit",
    "Wohnen und Quartier",
)
SUBJECTS = (
    "Radwege",
    "Busverbindungen",
    "Ladesäulen",
    "Carsharing",
    "Bäume",
    "Spielplätze",
    "Schulen",
    "Tablets",
    "Bürgerbüros",
    "Formulare",
    "Sensoren",
    "Parkplätze",
    "Straßenlaternen",
    "Bibliotheken",
    "Sportplätze",
    "Wochenmärkte",
    "Arztpraxen",
    "Pflegedienste",
    "Radabstellanlagen",
    "Haltestellen",
    "Grünflächen",
    "Solaranlagen",
    "Glasfaseranschlüsse",
    "Mitfahrbänke",
    "Apps",
    "Stadtteilzentren",
    "Jugendtreffs",
)
VERBS = (
    "ausbauen",
    "digitalisieren",
    "vernetzen",
    "sicherer machen",
    "barrierefrei gestalten",
    "begrünen",
    "besser beleuchten",
    "günstiger anbieten",
    "länger öffnen",
    "gemeinsam planen",
    "erneuern",
    "messen",
)
PLACES = (
    "in der Innenstadt",
    "am Bahnhof",
    "im Quartier Nord",
    "an den Schulen",
    "entlang des Kochers",
    "in den Ortsteilen",
    "auf dem Marktplatz",
    "im Gewerbegebiet",
    "am Rathaus",
    "für Senioren",
    "für Familien",
    "für Pendler",
)
TAGS = ("Kinder", "Senioren", "Klima", "Sicherheit", "Ehrenamt", "Barrierefreiheit", "Innenstadt", "Ortsteile")
SEARCHES = (
    "Radweg",
    "Bäume",
    "Schule",
    "digitale Formulare",
    "Haltestelle",
    "Ladesäule Bahnhof",
    "sicherer Radwege",
    "Bibliothek",
    "Spielplatz Quartier",
    "barrierefrei",
    "Glasfaser",
    "Parkplätzen",
)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BATCH = 5000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ideas", type=int, default=100_000, help="ideas in the store (default 100,000)")
    parser.add_argument("--events", type=int, default=10, help="events they are spread over (default 10)")
    parser.add_argument(
        "--export-ideas", type=int, default=10_000, help="ideas of the one event that is exported (default 10,000)"
    )
    parser.add_argument("--queries", type=int, default=200, help="searches and list pages measured (default 200)")
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (default: a temporary file), postgresql (a fresh database at 127.0.0.1:5432) "
        "or the URL of an empty database",
    )


def _text(rng: random.Random) -> tuple[str, str]:
    subject, verb, place = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(PLACES)
    title = f"{subject} {verb}"
    more = " ".join(rng.choice(SUBJECTS) for _ in range(rng.randint(0, 3)))
    return title[:120], f"{subject} {place} {verb}. {more}".strip()


def seed(engine: sa.Engine, ideas: int, events: int, export_ideas: int, rng: random.Random) -> dict[str, Any]:
    """Fill the store in bulk (the idea store's tables, as the board path writes them): returns the
    organizer id and the id of the event holding ``export_ideas`` ideas."""
    now = T0
    org = "org_bench"
    with engine.begin() as conn:
        conn.execute(t.organizers.insert().values(id=org, username="bench", password_hash="x", created_at=now))
    # the first event holds export_ideas ideas, the others share the rest
    rest = max(0, ideas - export_ideas)
    sizes = [min(ideas, export_ideas)] + [
        rest // max(1, events - 1) + (1 if i < rest % max(1, events - 1) else 0) for i in range(events - 1)
    ]
    event_ids: list[str] = []
    for e, size in enumerate(sizes):
        event_id, room_id, board_id = f"ev_{e}", f"rm_{e}", f"bd_{e}"
        event_ids.append(event_id)
        field_ids = [f"fld_{e}_{i}" for i in range(len(FIELDS))]
        members = [f"mb_{e}_{i}" for i in range(max(1, size // 20))]
        with engine.begin() as conn:
            conn.execute(
                t.events.insert().values(
                    id=event_id,
                    organizer_id=org,
                    title=f"Werkstatt {e + 1}",
                    description="",
                    date=None,
                    language="de",
                    created_at=now,
                    updated_at=now,
                    privacy_notice="",
                )
            )
            conn.execute(
                t.fields.insert(),
                [
                    {"id": f, "event_id": event_id, "position": i, "name": FIELDS[i], "archived": False}
                    for i, f in enumerate(field_ids)
                ],
            )
            conn.execute(t.rooms.insert().values(id=room_id, event_id=event_id, kind="plenary", name="Plenum"))
            conn.execute(
                t.boards.insert().values(
                    id=board_id, room_id=room_id, event_id=event_id, title="Ideen", seq=size, created_at=now
                )
            )
            for start in range(0, len(members), BATCH):
                conn.execute(
                    t.members.insert(),
                    [
                        {
                            "id": m,
                            "event_id": event_id,
                            "role": "participant",
                            "pseudonym": f"Person {m}",
                            "pseudonym_key": f"person {m}",
                            "colour": "blue",
                            "token_hash": f"h_{m}",
                            "created_at": now,
                        }
                        for m in members[start : start + BATCH]
                    ],
                )
        idea_ids = [f"idea_{e}_{i}" for i in range(size)]
        for start in range(0, size, BATCH):
            rows = []
            for i in range(start, min(size, start + BATCH)):
                title, text = _text(rng)
                rows.append(
                    {
                        "id": idea_ids[i],
                        "board_id": board_id,
                        "room_id": room_id,
                        "event_id": event_id,
                        "field_id": rng.choice(field_ids),
                        "author_id": rng.choice(members),
                        "text": text,
                        "client_id": None,
                        "created_at": now + timedelta(seconds=i * 7),
                        "updated_at": now,
                        "title": title,
                        "tags": rng.sample(TAGS, rng.randint(0, 2)),
                        "colour": None,
                        "position": f"V{i:08d}",
                        "cluster_id": None,
                        "status": "visible",
                        "phase": "collect",
                        "review_status": rng.choice(list(ReviewStatus)).value,
                        "feedback": "",
                        "source": "board",
                        "score": None if rng.random() < 0.7 else round(rng.uniform(1, 5), 2),
                    }
                )
            with engine.begin() as conn:
                conn.execute(t.ideas.insert(), rows)
        # two vote rounds: an open one, and a blind one never revealed (its dots must not count)
        with engine.begin() as conn:
            for n, (blind, status) in enumerate(((False, "closed"), (True, "closed")), start=1):
                session_id = f"vs_{e}_{n}"
                conn.execute(
                    t.vote_sessions.insert().values(
                        id=session_id,
                        board_id=board_id,
                        round=n,
                        budget=5,
                        cap=3,
                        blind=blind,
                        scope_kind="board",
                        scope_ids=[],
                        opened_by=members[0],
                        opened_at=now,
                        ends_at=None,
                        status=status,
                        cast=0,
                        results=None,
                        moderators_vote=False,
                    )
                )
                votes = {}
                for m in members:
                    for idea in rng.sample(idea_ids, min(3, len(idea_ids))):
                        votes[(m, idea)] = rng.randint(1, 3)
                rows_v = [
                    {"session_id": session_id, "member_id": m, "idea_id": i, "dots": d} for (m, i), d in votes.items()
                ]
                for start in range(0, len(rows_v), BATCH):
                    conn.execute(t.votes.insert(), rows_v[start : start + BATCH])
        print(f"  event {e + 1}/{len(sizes)}: {size} ideas, {len(members)} participants", flush=True)
    return {"organizer_id": org, "export_event": event_ids[0]}


def _expected_hits(engine: sa.Engine) -> list[int]:
    """What each of SEARCHES must find, by the oracle: the Snowball German stems of every idea's title
    and text, compared here in Python (counted up to the console's SEARCH_COUNT_MAX)."""
    with engine.connect() as conn:
        texts = [
            set(stems(f"{r.title} {r.text}").split()) for r in conn.execute(sa.select(t.ideas.c.title, t.ideas.c.text))
        ]
    found = []
    for query in SEARCHES:
        wanted = set(stems(query).split())
        found.append(min(SEARCH_COUNT_MAX, sum(1 for words in texts if wanted <= words)))
    return found


async def _time(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    seconds = []
    for call in calls:
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _list_filters(rng: random.Random, n: int) -> list[IdeaFilter]:
    kinds = [
        lambda: IdeaFilter(),
        lambda: IdeaFilter(page=rng.randint(2, 40)),
        lambda: IdeaFilter(field_names=(rng.choice(FIELDS),)),
        lambda: IdeaFilter(statuses=(ReviewStatus.SHORTLISTED,), sort=Sort.RATING),
        lambda: IdeaFilter(sort=Sort.VOTES),
        lambda: IdeaFilter(event_ids=(f"ev_{rng.randint(0, 3)}",), sort=Sort.VOTES),
        lambda: IdeaFilter(tag=rng.choice(TAGS)),
        lambda: IdeaFilter(vote_round=1, field_names=(rng.choice(FIELDS),)),
    ]
    return [kinds[i % len(kinds)]() for i in range(n)]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    tmp = None
    if args.database == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="werkstatt-bench-store-")
        url = f"sqlite:///{Path(tmp.name) / 'store.db'}"
    elif args.database == "postgresql":
        url, cleanup = fresh_postgres()
    else:
        url = args.database
    engine = create_engine(url)
    store = IdeaStore(engine)
    try:
        await migrate(engine)
        print(f"filling the store: {args.ideas} ideas in {args.events} events ({engine.dialect.name})", flush=True)
        started = time.perf_counter()
        seeded = await asyncio.to_thread(seed, engine, args.ideas, args.events, args.export_ideas, rng)
        if engine.dialect.name == "postgresql":  # what autovacuum does to a table that grew so
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        fill_s = time.perf_counter() - started
        org = seeded["organizer_id"]
        print(f"  filled in {fill_s:.1f} s", flush=True)

        searches = [
            IdeaFilter(query=SEARCHES[i % len(SEARCHES)], page=1 + (i // len(SEARCHES)) % 2)
            for i in range(args.queries)
        ]
        await store.list_ideas(org, searches[0])  # warm the caches once, as a running server has them
        search_s = await _time([functools.partial(store.list_ideas, org, f) for f in searches])
        hits = [(await store.list_ideas(org, IdeaFilter(query=q))).total for q in SEARCHES]
        expected = await asyncio.to_thread(_expected_hits, engine)
        errors = [
            f"{q!r}: {got} found, {want} expected"
            for q, got, want in zip(SEARCHES, hits, expected, strict=True)
            if got != want
        ]
        for error in errors:
            print(f"  search mismatch {error}", flush=True)
        lists = _list_filters(rng, args.queries)
        list_s = await _time([functools.partial(store.list_ideas, org, f) for f in lists])

        export_s = {}
        for fmt in (Format.CSV, Format.XLSX):
            # as the console's download: the records read on the store's threads, then the file written
            started = time.perf_counter()
            export = await store.export(org, [seeded["export_event"]], ExportKind.INTERNAL)
            rendered = await asyncio.to_thread(render, export, fmt, Translator("de"), "de")
            export_s[fmt.value] = time.perf_counter() - started
            print(f"  export {fmt.value}: {len(export.ideas)} ideas, {len(rendered.body) / 1e6:.1f} MB", flush=True)
            if len(export.ideas) != args.export_ideas:
                errors.append(f"the export held {len(export.ideas)} ideas, not {args.export_ideas}")

        result: dict[str, Any] = {
            "workload": "store",
            "database": engine.dialect.name,
            "ideas": args.ideas,
            "events": args.events,
            "fill_s": round(fill_s, 1),
            "search_hits_median": sorted(hits)[len(hits) // 2],
            "errors": len(errors),  # searches whose count differs from Snowball's stems compared in Python
            "export_ideas": args.export_ideas,
            "export_csv_s": round(export_s["csv"], 3),
            "export_xlsx_s": round(export_s["xlsx"], 3),
            **{
                k.replace("p", "search_p", 1) if k.startswith("p") else f"search_{k}": v
                for k, v in latency_figures(search_s).items()
            },
            **{
                k.replace("p", "list_p", 1) if k.startswith("p") else f"list_{k}": v
                for k, v in latency_figures(list_s).items()
            },
        }
        return result
    finally:
        await store.close()
        cleanup()
        if tmp is not None:
            tmp.cleanup()
