"""The demo: an organizer and a Smart City strategy workshop modelled on the seeds, made once.

The event's plenary board holds a workshop in progress, as the participation teams of Aalen and
Heidenheim, Jena or the "5 für Südwestfalen" ran theirs: a dozen citizens posted forty ideas
across the eight fields of action, commented on some, the facilitator grouped a few, and a first
dot-vote round was held and revealed, so the ranking per field shows. The board now stands in
the discuss phase.

Everything is made by the same commands the live server runs (``boards.rules.decide`` and
``decide_vote``), committed through the store's own API with their change records, so a client
that syncs sees a board as if the workshop had happened live. The workshop is seeded only on a
board nothing has happened on yet: starting the demo again changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from boards import commands as c
from boards.actors import Actor, Role
from boards.domain_events import BoardEvent, DotsChanged
from boards.model import Board, Phase
from boards.rules import apply, apply_vote, decide, decide_vote
from rooms.members import Member
from server.ids import new_id, new_token, token_hash, utcnow
from server.live.views import record
from server.store.idea_store import Event, IdeaStore
from server.web.passwords import hash_password

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
MOB, EDU, GOV, ENV, NRG, HEALTH, ECON, CULT = range(len(DEMO_FIELDS))

FACILITATOR = ("Moderation Stadtverwaltung", "slate")
# pseudonym, avatar colour, the colour of their cards
PEOPLE = {
    "Anna": ("teal", "yellow"),
    "Mehmet": ("blue", "green"),
    "Sabine R.": ("purple", "pink"),
    "Jonas": ("green", "blue"),
    "Lena": ("magenta", "yellow"),
    "Klaus-Dieter": ("orange", "orange"),
    "Fatma": ("red", "purple"),
    "Tobias": ("blue", "green"),
    "Heike": ("teal", "yellow"),
    "Piotr": ("slate", "blue"),
    "Marie": ("purple", "pink"),
    "Radlerin Jule": ("green", "green"),
}


@dataclass(frozen=True, slots=True)
class DemoIdea:
    field: int
    author: str
    title: str
    text: str
    tags: tuple[str, ...] = ()


# fmt: off
IDEAS = (
    # Mobilität
    DemoIdea(MOB, "Radlerin Jule", "Sichere Radwege zum Bahnhof",
             "Eine durchgehende, vom Autoverkehr getrennte Radroute aus den Stadtteilen zum Bahnhof, "
             "mit überdachten Fahrradbügeln am Bahnhof.", ("Radverkehr",)),
    DemoIdea(MOB, "Tobias", "Eine App für Bus, Bahn und Leihrad",
             "Bus, Regionalbahn, Leihräder und Carsharing in einer App planen und mit einem Ticket bezahlen."),
    DemoIdea(MOB, "Heike", "Echtzeitanzeigen an allen Haltestellen",
             "Anzeigen, die sagen, wann der Bus wirklich kommt – auf Knopfdruck auch vorgelesen.",
             ("Barrierefreiheit",)),
    DemoIdea(MOB, "Klaus-Dieter", "Rufbus für die Ortsteile am Abend",
             "Ein Kleinbus, den man per App oder Telefon bestellt, wenn abends kein Linienbus mehr fährt."),
    DemoIdea(MOB, "Piotr", "Freie Parkplätze digital anzeigen",
             "Sensoren in Parkhäusern zeigen freie Plätze online und an den Einfallstraßen an. "
             "Das spart Suchverkehr in der Innenstadt."),
    DemoIdea(MOB, "Marie", "Lastenräder zum Ausleihen",
             "Lastenräder an den Stadtteiltreffs, online zu reservieren und für Kurzstrecken kostenlos."),
    # Bildung
    DemoIdea(EDU, "Jonas", "WLAN und Tablets für alle Schulen",
             "Schnelles WLAN in jedem Klassenzimmer und genug Leihgeräte, damit kein Kind ohne Gerät lernt."),
    DemoIdea(EDU, "Lena", "Jugendliche erklären Älteren das Smartphone",
             "Einmal pro Woche in der Stadtbibliothek: Schülerinnen und Schüler helfen bei Videotelefonie, "
             "Online-Banking und Apps.", ("Teilhabe",)),
    DemoIdea(EDU, "Mehmet", "Makerspace in der Stadtbibliothek",
             "3D-Drucker, Lötstation und Programmierkurse für Kinder und Erwachsene, betreut von Ehrenamtlichen."),
    DemoIdea(EDU, "Sabine R.", "Eine Lernplattform für Schulen und Volkshochschule",
             "Eine gemeinsame, datenschutzfreundliche Plattform statt vieler einzelner Lösungen.",
             ("Open Source",)),
    DemoIdea(EDU, "Fatma", "Programmier-AGs an Grundschulen",
             "Spielerisch programmieren lernen, zum Beispiel mit Calliope-Minicomputern."),
    # Digitale Verwaltung
    DemoIdea(GOV, "Anna", "Termine im Bürgeramt online buchen",
             "Freie Termine sehen und buchen, mit Erinnerung per E-Mail oder SMS."),
    DemoIdea(GOV, "Tobias", "Anträge komplett digital",
             "Ummelden, Anwohnerparkausweis, Hundesteuer: alles online, ohne Ausdruck und Unterschrift auf Papier."),
    DemoIdea(GOV, "Klaus-Dieter", "Mängelmelder mit Foto und Standort",
             "Schlaglöcher, kaputte Laternen und wilden Müll melden und verfolgen, wann es erledigt ist."),
    DemoIdea(GOV, "Piotr", "Offene Daten der Stadt",
             "Ein Open-Data-Portal mit Haushalt, Verkehrszählungen und Umweltmessungen, frei nutzbar.",
             ("Open Data",)),
    DemoIdea(GOV, "Marie", "Gemeinderat live und in einfacher Sprache",
             "Sitzungen als Livestream, die Beschlüsse kurz und verständlich zusammengefasst."),
    DemoIdea(GOV, "Heike", "Videosprechstunde im Bürgeramt",
             "Für alle, die nicht ins Rathaus kommen können: Beratung per Video, auch am Abend."),
    # Umwelt und Klima
    DemoIdea(ENV, "Jonas", "Messnetz für saubere Luft",
             "Günstige Sensoren für Feinstaub und Stickoxide an Schulen und Kreuzungen, die Werte auf einer "
             "öffentlichen Karte."),
    DemoIdea(ENV, "Radlerin Jule", "Stadtbäume melden, wenn sie Durst haben",
             "Bodenfeuchtesensoren zeigen, welche Bäume gegossen werden müssen; Baumpatenschaften für "
             "Nachbarschaften."),
    DemoIdea(ENV, "Lena", "Hitzekarte mit kühlen Orten",
             "Schattige Plätze, Trinkbrunnen und kühle öffentliche Räume für heiße Sommertage auf einer Karte."),
    DemoIdea(ENV, "Mehmet", "Mülleimer, die melden, wenn sie voll sind",
             "Die Leerungsfahrten werden danach geplant: weniger Fahrten, keine überquellenden Eimer."),
    DemoIdea(ENV, "Fatma", "Frühwarnung bei Starkregen",
             "Pegel- und Regensensoren an den Bächen; Anwohnende werden per App und Sirene gewarnt."),
    DemoIdea(ENV, "Sabine R.", "Mehr Grün auf Dächern",
             "Ein Gründachkataster und eine Förderung für begrünte Dächer und Fassaden."),
    # Energie
    DemoIdea(NRG, "Tobias", "Solarkataster für jedes Dach",
             "Online sehen, ob sich eine Photovoltaikanlage auf dem eigenen Dach lohnt, mit Ansprechpartnern "
             "vor Ort."),
    DemoIdea(NRG, "Piotr", "Straßenlaternen, die mitdenken",
             "LED-Laternen, die nachts gedimmt werden und heller werden, wenn jemand kommt."),
    DemoIdea(NRG, "Anna", "Energieverbrauch städtischer Gebäude zeigen",
             "Schulen und Rathaus zeigen ihren Verbrauch; was eine Schule einspart, darf sie zur Hälfte behalten."),
    DemoIdea(NRG, "Klaus-Dieter", "Bürgerenergiegenossenschaft",
             "Solarparks und Windräder, an denen sich alle mit kleinen Beträgen beteiligen können."),
    # Gesundheit und Pflege
    DemoIdea(HEALTH, "Heike", "Telemedizin in den Ortsteilen",
             "Eine Videosprechstunde in der Apotheke oder im Gemeindehaus, wo es keine Hausarztpraxis mehr gibt."),
    DemoIdea(HEALTH, "Fatma", "Digitale Nachbarschaftshilfe",
             "Eine Plattform, auf der Ältere Hilfe beim Einkaufen oder eine Mitfahrt zum Arzt finden."),
    DemoIdea(HEALTH, "Marie", "Defibrillatoren auf der Karte",
             "Alle öffentlich zugänglichen Defibrillatoren in einer App, mit Ersthelfer-Alarmierung."),
    DemoIdea(HEALTH, "Lena", "Freie Pflegeplätze auf einen Blick",
             "Ein Portal zeigt tagesaktuell freie Kurzzeit- und Tagespflegeplätze in der Region."),
    # Wirtschaft und Arbeit
    DemoIdea(ECON, "Jonas", "Coworking im leeren Ladenlokal",
             "Arbeitsplätze in der Innenstadt, damit Pendler nicht jeden Tag fahren müssen – und die "
             "Innenstadt belebt wird."),
    DemoIdea(ECON, "Sabine R.", "Online-Marktplatz für den lokalen Handel",
             "Bei den Geschäften der Innenstadt bestellen, am selben Tag per Lastenrad geliefert."),
    DemoIdea(ECON, "Mehmet", "Glasfaser für alle Gewerbegebiete", "Ohne schnelles Netz siedelt sich niemand an."),
    DemoIdea(ECON, "Tobias", "Digitale Leerstandsbörse",
             "Leere Läden und Büros mit Grundriss und Miete online, für Gründerinnen und Zwischennutzungen."),
    # Kultur und Zusammenleben
    DemoIdea(CULT, "Klaus-Dieter", "Stadtgeschichte per App",
             "QR-Codes an historischen Gebäuden mit Bildern, Tonaufnahmen und Geschichten von Zeitzeugen."),
    DemoIdea(CULT, "Anna", "Ein Veranstaltungskalender für alle Vereine",
             "Jeder Verein trägt seine Termine selbst ein; die Stadt zeigt sie auf der Website und an Info-Stelen."),
    DemoIdea(CULT, "Piotr", "Freies WLAN in Innenstadt und Parks",
             "Offenes WLAN auf den Plätzen, im Freibad und in den Parks."),
    DemoIdea(CULT, "Heike", "Räume für Vereine online buchen",
             "Turnhallen, Gemeinschaftsräume und Bürgerhäuser mit freien Zeiten sehen und direkt buchen."),
    DemoIdea(CULT, "Fatma", "Mehrsprachige Willkommens-App",
             "Neu Zugezogene finden Ämter, Sprachkurse, Vereine und Ärztinnen in ihrer Sprache."),
)
# fmt: on

# (idea index, author, text): before the vote
COMMENTS = (
    (0, "Anna", "Ja! Vor allem die Kreuzung an der Bahnhofstraße ist für Kinder gefährlich."),
    (0, "Klaus-Dieter", "Dann aber bitte auch mit Beleuchtung, im Winter ist es um sechs dunkel."),
    (1, "Heike", "Wichtig: Es muss auch ohne Smartphone gehen, zum Beispiel mit einer Chipkarte."),
    (13, "Piotr", "Gibt es in anderen Städten schon als Open-Source-Lösung, das muss man nicht neu bauen."),
    (17, "Mehmet", "Die Schulen könnten die Sensoren im Unterricht selbst bauen."),
    (27, "Marie", "Der Datenschutz muss stimmen, aber für meine Mutter wäre das eine große Hilfe."),
    (19, "Fatma", "Bitte auch barrierefreie Toiletten eintragen."),
    (7, "Tobias", "Mache ich gern mit, wenn es einen festen Termin gibt."),
)
# after the reveal, in the discussion
LATE_COMMENTS = (
    (
        0,
        "Radlerin Jule",
        "Danke für die vielen Punkte! Die Route über die Gartenstraße wäre am schnellsten umzusetzen.",
    ),
    (12, "Sabine R.", "Welche Anträge zuerst? Ich würde mit dem Ummelden anfangen, das betrifft alle."),
)

# heading, ideas: grouped by the facilitator in the cluster phase
CLUSTERS = (
    ("Bus und Bahn digital", (1, 2, 3)),
    ("Service ohne Wartezimmer", (11, 12, 16)),
    ("Sensoren für das Stadtklima", (17, 18, 21)),
)

# each person's five dots in the first round (at most three on one idea)
DOTS = {
    "Anna": (0, 0, 12, 27, 36),
    "Mehmet": (17, 17, 8, 32, 0),
    "Sabine R.": (12, 12, 9, 22, 28),
    "Jonas": (6, 6, 6, 17, 31),
    "Lena": (7, 7, 19, 30, 0),
    "Klaus-Dieter": (3, 3, 13, 26, 35),
    "Fatma": (27, 28, 39, 21, 12),
    "Tobias": (1, 1, 12, 23, 33),
    "Heike": (27, 27, 2, 16, 38),
    "Piotr": (14, 14, 24, 0, 37),
    "Marie": (0, 0, 29, 15, 5),
    "Radlerin Jule": (0, 18, 18, 5, 23),
}


async def ensure_demo(store: IdeaStore) -> tuple[str, str, dict[Role, str]]:
    """Create the demo organizer and event if missing; give the organizer a fresh password.

    The event's plenary board gets its workshop in progress when nothing has happened on it yet.
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
    await seed_workshop(store, event)
    return password, event.id, await store.links(event.id)


async def _members(store: IdeaStore, event_id: str) -> dict[str, Member]:
    """The demo's people (and its facilitator) by pseudonym, made if missing."""
    have = {m.pseudonym: m for m in (await store.members_of(event_id)).values()}
    wanted = {FACILITATOR[0]: (Role.FACILITATOR, FACILITATOR[1])}
    wanted.update({name: (Role.PARTICIPANT, avatar) for name, (avatar, _card) in PEOPLE.items()})
    for name, (role, colour) in wanted.items():
        if name not in have:  # a token nobody holds: these members never connect
            have[name] = await store.create_member(event_id, role, name, colour, token_hash(new_token()))
    return have


class _Workshop:
    """Runs commands on the board as the live server does: decided, recorded, applied, committed."""

    def __init__(self, store: IdeaStore, board: Board, members: dict[str, Member], start: datetime) -> None:
        self.store, self.board, self.members = store, board, members
        self.authors = {m.id: m for m in members.values()}
        self.now = start
        self.events: list[BoardEvent] = []
        self.records: list[dict[str, Any]] = []
        self.dots: list[DotsChanged] = []

    def actor(self, name: str) -> Actor:
        member = self.members[name]
        return Actor(member.id, member.role)

    def tick(self, seconds: int) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def run(self, name: str, command: c.Command) -> None:
        events = decide(self.board, self.actor(name), command)
        self.records += [record(self.board, event, self.authors) for event in events]
        for event in events:
            apply(self.board, event)
        self.events += events

    def dot(self, name: str, command: c.CastDot) -> None:
        event = decide_vote(self.board, self.actor(name), command)
        apply_vote(self.board, event)
        self.dots.append(event)

    async def commit(self) -> None:
        """Commit what was run since the last commit, as one transaction (dots in one more)."""
        await self.store.commit_board_events(self.board, self.events, self.records)
        self.events, self.records = [], []
        if self.dots:
            session = self.board.sessions[self.dots[0].session_id]
            await self.store.commit_dots(self.dots, budget=session.budget, cap=session.cap)
            self.dots = []


async def seed_workshop(store: IdeaStore, event: Event) -> bool:
    """Give the event's plenary board its workshop in progress, if nothing happened on it yet.

    Whether it did. Made in three transactions: ideas, comments and clusters up to the opened vote;
    the dots; the reveal and the discussion. The board's ``seq`` marks it as used after the first.
    """
    room = await store.plenary(event.id)
    board = await store.load_board((await store.board_ids(room.id))[0])
    if board.seq != 0:
        return False
    fields = [f.id for f in event.fields]
    moderator = FACILITATOR[0]
    w = _Workshop(store, board, await _members(store, event.id), utcnow() - timedelta(minutes=95))

    ideas = []
    for idea in IDEAS:
        idea_id = new_id("idea")
        card = PEOPLE[idea.author][1]
        post = c.PostIdea(
            idea_id, fields[idea.field], idea.text, w.tick(70), title=idea.title, tags=idea.tags, colour=card
        )
        w.run(idea.author, post)
        ideas.append(idea_id)
    for index, author, text in COMMENTS:
        w.run(author, c.AddComment(new_id("cm"), ideas[index], text, w.tick(40)))

    w.run(moderator, c.SetPhase(Phase.CLUSTER, w.tick(120)))
    for heading, members in CLUSTERS:
        w.run(moderator, c.GroupIdeas(new_id("cl"), heading, tuple(ideas[i] for i in members), w.tick(45)))

    w.run(moderator, c.SetPhase(Phase.VOTE, w.tick(300)))
    session_id = new_id("vs")
    w.run(moderator, c.OpenVote(session_id, w.tick(20), budget=5, cap=3, blind=True))
    await w.commit()

    for name, picks in DOTS.items():
        for index in picks:
            w.dot(name, c.CastDot(session_id, ideas[index], w.tick(5)))
    await w.commit()

    w.run(moderator, c.CloseVote(session_id, w.tick(60), reveal=True))
    w.run(moderator, c.SetPhase(Phase.DISCUSS, w.tick(30)))
    for index, author, text in LATE_COMMENTS:
        w.run(author, c.AddComment(new_id("cm"), ideas[index], text, w.tick(90)))
    await w.commit()
    return True
