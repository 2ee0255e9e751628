"""A Smart City town's idea store for the console's tests: Aalen's future workshop (an evening
in May with four fields of action, a vote and comments) and Heidenheim's idea collection over
weeks, both one organizer's, posted through the board rules as participants would post them.

The ideas are of the kind Aalen and Heidenheim gathered in their Ideenspeicher (see
/work/shared/seeds/): cycling, digital town hall services, schools, trees and sensors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from boards import commands as c
from boards.actors import Actor, Role
from boards.model import Board, Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from boards.voting import Scope, ScopeKind
from rooms.members import Member
from server.ids import token_hash
from server.live.views import record
from server.store import tables as t
from server.store.idea_store import IdeaStore

EVENING = datetime(2026, 5, 6, 16, 30, tzinfo=UTC)  # 18:30 in Aalen

AALEN_FIELDS = ("Mobilität", "Bildung", "Digitale Verwaltung", "Umwelt und Klima")
HEIDENHEIM_FIELDS = ("Mobilität", "Wirtschaft und Handel", "Umwelt und Klima")

# (id suffix, field, title, text, tags)
AALEN_IDEAS = (
    (
        "rad",
        "Mobilität",
        "Mehr Radwege",
        "Sichere Radwege zwischen Bahnhof, Innenstadt und Hochschule.",
        ("Radverkehr",),
    ),
    ("bus", "Mobilität", "", "Busse am Sonntag öfter fahren lassen und die Abfahrten live in einer App zeigen.", ()),
    (
        "park",
        "Mobilität",
        "Freie Parkplätze anzeigen",
        "Sensoren melden freie Parkplätze in den Parkhäusern.",
        ("Sensorik",),
    ),
    (
        "tablet",
        "Bildung",
        "Tablets für alle Schulen",
        "Jede Klasse bekommt Tablets und WLAN, mit Fortbildung für Lehrkräfte.",
        ("Schule",),
    ),
    ("kurs", "Bildung", "", "Digitalkurse für Seniorinnen und Senioren in der Stadtbibliothek.", ("Teilhabe",)),
    (
        "antrag",
        "Digitale Verwaltung",
        "Anträge online stellen",
        "Bewohnerparkausweis, Ummeldung und Hundesteuer ohne Gang ins Rathaus.",
        (),
    ),
    ("termin", "Digitale Verwaltung", "", "Termine im Bürgerbüro online buchen.", ()),
    (
        "baum",
        "Umwelt und Klima",
        "Bäume mit Sensoren gießen",
        "Bodenfeuchte-Sensoren zeigen, welcher Stadtbaum Wasser braucht.",
        ("Sensorik",),
    ),
    ("licht", "Umwelt und Klima", "", "Straßenbeleuchtung, die nur bei Bedarf hell wird, spart Strom.", ()),
)
HEIDENHEIM_IDEAS = (
    (
        "radweg",
        "Mobilität",
        "Radweg an der Brenz",
        "Ein durchgehender Radweg entlang der Brenz bis zum Bahnhof.",
        ("Radverkehr",),
    ),
    (
        "laden",
        "Wirtschaft und Handel",
        "Lokaler Online-Marktplatz",
        "Die Läden der Innenstadt verkaufen gemeinsam online.",
        (),
    ),
    ("wlan", "Wirtschaft und Handel", "", "Freies WLAN in der Fußgängerzone.", ()),
    (
        "klima",
        "Umwelt und Klima",
        "Klimadaten offen zeigen",
        "Messwerte zu Hitze und Luft auf einer offenen Karte.",
        ("Sensorik",),
    ),
)


@dataclass
class TownEvent:
    """One event of the town: its plenary board and the members who post and vote."""

    store: IdeaStore
    event_id: str
    title: str
    board: Board
    facilitator: Member
    participants: list[Member] = field(default_factory=list)
    ideas: dict[str, str] = field(default_factory=dict)  # suffix -> idea id

    def column(self, name: str) -> str:
        return next(col.id for col in self.board.columns if col.name == name)

    async def run(self, actor: Member, command: object) -> None:
        events = decide(self.board, Actor(actor.id, actor.role), command)  # type: ignore[arg-type]
        authors = {m.id: m for m in (self.facilitator, *self.participants)}
        await self.store.commit_board_events(self.board, events, [record(self.board, e, authors) for e in events])
        for event in events:
            apply(self.board, event)

    async def vote(self, session_id: str, dots: dict[int, list[str]], *, blind: bool = False) -> None:
        """A vote round: each participant (by index) places dots on ideas (by suffix); closed and revealed."""
        now = EVENING + timedelta(hours=2)
        if self.board.settings.phase is not Phase.VOTE:
            await self.run(self.facilitator, c.SetPhase(Phase.VOTE, now))
        scope = Scope(ScopeKind.BOARD, ())
        await self.run(self.facilitator, c.OpenVote(session_id, now, budget=5, cap=3, blind=blind, scope=scope))
        cast = []
        for index, suffixes in dots.items():
            voter = self.participants[index]
            for suffix in suffixes:
                event = decide_vote(
                    self.board, Actor(voter.id, voter.role), c.CastDot(session_id, self.ideas[suffix], now)
                )
                apply_vote(self.board, event)
                cast.append(event)
        await self.store.commit_dots(cast, budget=5, cap=3)
        await self.run(self.facilitator, c.CloseVote(session_id, now, reveal=True))


async def _event(
    store: IdeaStore, organizer_id: str, title: str, day: date, fields: tuple[str, ...], tag: str
) -> TownEvent:
    event = await store.create_event(
        organizer_id, title=title, description="", date=day, language="de", field_names=fields
    )
    facilitator = await store.create_member(
        event.id, Role.FACILITATOR, "Moderation", "red", token_hash(event.id + "fac")
    )
    [board_id] = await store.board_ids((await store.plenary(event.id)).id)
    return TownEvent(store, event.id, title, await store.load_board(board_id), facilitator)


async def _join(town: TownEvent, names: list[str], times: list[datetime]) -> None:
    for name, when in zip(names, times, strict=True):
        member = await town.store.create_member(
            town.event_id, Role.PARTICIPANT, name, "blue", token_hash(town.event_id + name)
        )
        town.participants.append(member)

        def backdate(member_id: str = member.id, moment: datetime = when) -> None:
            with town.store.engine.begin() as conn:
                conn.execute(t.members.update().where(t.members.c.id == member_id).values(created_at=moment))

        await asyncio.to_thread(backdate)


async def _post(
    town: TownEvent, ideas: tuple[tuple[str, str, str, str, tuple[str, ...]], ...], start: datetime, key: str
) -> None:
    for n, (suffix, field_name, title, text, tags) in enumerate(ideas):
        idea_id = f"ide_{key}{suffix}"
        author = town.participants[n % len(town.participants)]
        when = start + timedelta(minutes=5 * n)
        await town.run(author, c.PostIdea(idea_id, town.column(field_name), text, when, title=title, tags=tags))
        town.ideas[suffix] = idea_id


@dataclass
class Town:
    organizer_id: str
    aalen: TownEvent
    heidenheim: TownEvent

    @property
    def idea_count(self) -> int:
        return len(self.aalen.ideas) + len(self.heidenheim.ideas)


async def seed_town(store: IdeaStore, organizer_id: str, key: str = "") -> Town:
    """The town's two events for ``organizer_id``; idea ids are ``ide_<key><suffix>`` (``key``
    keeps several towns in one database apart)."""
    aalen = await _event(store, organizer_id, "Zukunftswerkstatt Smart City Aalen", EVENING.date(), AALEN_FIELDS, key)
    names = ["Anna", "Bülent", "Clara", "Dieter", "Elif", "Frank", "Greta"]
    # the evening: most join before 18:30 local time, latecomers after
    minutes = [-25, -20, -12, -5, 10, 40, 75]
    await _join(aalen, names, [EVENING + timedelta(minutes=m) for m in minutes])
    await _post(aalen, AALEN_IDEAS, EVENING + timedelta(minutes=20), key)
    await aalen.run(
        aalen.participants[1],
        c.AddComment(f"com_{key}1", aalen.ideas["rad"], "Auch nach Unterkochen!", EVENING + timedelta(minutes=70)),
    )
    await aalen.vote(
        f"vos_{key}1",
        {0: ["rad", "rad", "tablet"], 1: ["rad", "baum"], 2: ["antrag", "antrag", "baum"], 3: ["tablet"]},
    )

    heidenheim = await _event(
        store, organizer_id, "Ideensammlung Heidenheim digital", date(2026, 3, 1), HEIDENHEIM_FIELDS, key
    )
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    await _join(heidenheim, ["Hanna", "Ismail", "Jana"], [start, start + timedelta(days=9), start + timedelta(days=30)])
    await _post(heidenheim, HEIDENHEIM_IDEAS, start + timedelta(hours=1), key)
    return Town(organizer_id, aalen, heidenheim)
