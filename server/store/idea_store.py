"""The idea store: everything durable, over SQLite or PostgreSQL.

Every method is one transaction. A board change is committed together with the board's
new sequence number and the change record that ``sync`` replays, so a change is either
wholly in the store or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from boards.actors import Role
from boards.errors import Conflict, InvalidInput, NotFound
from rooms.members import Member, pseudonym_key
from server.ids import new_id, new_token, utcnow
from server.ids import token_hash as hash_secret
from server.store import tables as t
from server.store.boards import in_thread, reading
from server.store.breakouts import Room
from server.store.dashboard import DashboardStore
from server.store.exports.records import ExportStore
from server.store.maps import MapStore
from server.store.personal_data import PersonalDataStore
from server.store.site_texts import SiteTextStore

LINK_ROLES = (Role.FACILITATOR, Role.PARTICIPANT, Role.OBSERVER)


@dataclass(frozen=True, slots=True)
class Organizer:
    id: str
    username: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    organizer_id: str
    title: str
    description: str
    date: date | None
    language: str
    fields: tuple[Field, ...]
    privacy_notice: str = ""  # the organizer's text for the join page; empty: the default one


def _read_event(conn: sa.Connection, event_id: str) -> Event:
    row = conn.execute(sa.select(t.events).where(t.events.c.id == event_id)).first()
    if row is None:
        raise NotFound("No such event.")
    field_rows = conn.execute(
        sa.select(t.fields)
        .where(t.fields.c.event_id == event_id, t.fields.c.archived.is_(False), t.fields.c.board_id.is_(None))
        .order_by(t.fields.c.position)
    ).all()
    return Event(
        id=row.id,
        organizer_id=row.organizer_id,
        title=row.title,
        description=row.description,
        date=row.date,
        language=row.language,
        fields=tuple(Field(f.id, f.name, f.position) for f in field_rows),
        privacy_notice=row.privacy_notice,
    )


class IdeaStore(ExportStore, DashboardStore, PersonalDataStore, SiteTextStore, MapStore):
    """The whole idea store: organizers, events, links and members here; boards, breakouts,
    facilitation (agenda, chat, questions, removals, audit log), curation, exports, the dashboard,
    personal data, the site's pages and the space's maps from the classes it inherits."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)

    # -- organizers and sessions ----------------------------------------------------

    @in_thread
    def create_organizer(self, username: str, password_hash: str) -> Organizer:
        organizer = Organizer(id=new_id("org"), username=username, password_hash=password_hash)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.organizers.insert().values(
                        id=organizer.id, username=username, password_hash=password_hash, created_at=utcnow()
                    )
                )
        except sa.exc.IntegrityError:
            raise Conflict(f"An organizer named {username!r} exists already.", code="username_taken") from None
        return organizer

    @reading
    def organizer_by_username(self, username: str) -> Organizer | None:
        with self.engine.connect() as conn:
            row = (conn.execute(sa.select(t.organizers).where(t.organizers.c.username == username))).first()
        return None if row is None else Organizer(row.id, row.username, row.password_hash)

    @in_thread
    def set_password(self, organizer_id: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.organizers.update().where(t.organizers.c.id == organizer_id).values(password_hash=password_hash)
            )

    @in_thread
    def create_session(self, organizer_id: str, token_hash: str, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.sessions.delete().where(t.sessions.c.expires_at < utcnow()))
            conn.execute(
                t.sessions.insert().values(token_hash=token_hash, organizer_id=organizer_id, expires_at=expires_at)
            )

    @reading
    def organizer_by_session(self, token_hash: str) -> Organizer | None:
        query = (
            sa.select(t.organizers)
            .join(t.sessions, t.sessions.c.organizer_id == t.organizers.c.id)
            .where(t.sessions.c.token_hash == token_hash, t.sessions.c.expires_at > utcnow())
        )
        with self.engine.connect() as conn:
            row = (conn.execute(query)).first()
        return None if row is None else Organizer(row.id, row.username, row.password_hash)

    @in_thread
    def delete_session(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.sessions.delete().where(t.sessions.c.token_hash == token_hash))

    # -- events -----------------------------------------------------------------------

    @in_thread
    def create_event(
        self,
        organizer_id: str,
        *,
        title: str,
        description: str,
        date: date | None,
        language: str,
        field_names: Sequence[str],
        privacy_notice: str = "",
    ) -> Event:
        """Create an event with its fields, its plenary room and board, and its three links."""
        now = utcnow()
        event_id = new_id("ev")
        room_id = new_id("rm")
        with self.engine.begin() as conn:
            conn.execute(
                t.events.insert().values(
                    id=event_id,
                    organizer_id=organizer_id,
                    title=title,
                    description=description,
                    date=date,
                    language=language,
                    privacy_notice=privacy_notice,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                t.fields.insert(),
                [
                    {"id": new_id("fld"), "event_id": event_id, "position": i, "name": name, "archived": False}
                    for i, name in enumerate(field_names)
                ],
            )
            conn.execute(t.rooms.insert().values(id=room_id, event_id=event_id, kind="plenary", name="Plenum"))
            conn.execute(
                t.boards.insert().values(
                    id=new_id("bd"), room_id=room_id, event_id=event_id, title=title, seq=0, created_at=now
                )
            )
            conn.execute(
                t.event_links.insert(),
                [
                    {"event_id": event_id, "role": role.value, "token": new_token(), "created_at": now}
                    for role in LINK_ROLES
                ],
            )
            return _read_event(conn, event_id)

    @in_thread
    def update_event(
        self,
        event_id: str,
        *,
        title: str,
        description: str,
        date: date | None,
        language: str,
        field_names: Sequence[str],
        privacy_notice: str | None = None,
    ) -> Event:
        """Change an event. Fields are matched by name: kept ones keep their id (and ideas),
        new ones are added, and removed ones are archived — unless ideas sit in them.
        ``privacy_notice`` None keeps the event's notice; "" goes back to the default text."""
        with self.engine.begin() as conn:
            current = (
                conn.execute(
                    sa.select(t.fields).where(
                        t.fields.c.event_id == event_id, t.fields.c.archived.is_(False), t.fields.c.board_id.is_(None)
                    )
                )
            ).all()
            by_name = {row.name: row for row in current}
            removed = [row for row in current if row.name not in field_names]
            for row in removed:
                used = (
                    conn.execute(
                        sa.select(sa.func.count())
                        .select_from(t.ideas)
                        .where(t.ideas.c.field_id == row.id, t.ideas.c.deleted_at.is_(None))
                    )
                ).scalar_one()
                if used:
                    raise Conflict(
                        f"The field {row.name!r} still holds {used} idea(s); it cannot be removed.", code="field_in_use"
                    )
                conn.execute(t.fields.update().where(t.fields.c.id == row.id).values(archived=True))
            for position, name in enumerate(field_names):
                if name in by_name:
                    conn.execute(t.fields.update().where(t.fields.c.id == by_name[name].id).values(position=position))
                else:
                    conn.execute(
                        t.fields.insert().values(
                            id=new_id("fld"), event_id=event_id, position=position, name=name, archived=False
                        )
                    )
            conn.execute(
                t.events.update()
                .where(t.events.c.id == event_id)
                .values(
                    title=title,
                    description=description,
                    date=date,
                    language=language,
                    updated_at=utcnow(),
                    **({} if privacy_notice is None else {"privacy_notice": privacy_notice}),
                )
            )
            return _read_event(conn, event_id)

    @reading
    def event(self, event_id: str) -> Event:
        with self.engine.connect() as conn:
            return _read_event(conn, event_id)

    @reading
    def events_of(self, organizer_id: str) -> list[Event]:
        with self.engine.connect() as conn:
            ids = (
                (
                    conn.execute(
                        sa.select(t.events.c.id)
                        .where(t.events.c.organizer_id == organizer_id)
                        .order_by(t.events.c.created_at.desc())
                    )
                )
                .scalars()
                .all()
            )
            return [_read_event(conn, event_id) for event_id in ids]

    @reading
    def links(self, event_id: str) -> dict[Role, str]:
        with self.engine.connect() as conn:
            rows = (conn.execute(sa.select(t.event_links).where(t.event_links.c.event_id == event_id))).all()
        return {Role(row.role): row.token for row in rows}

    @in_thread
    def rotate_link(self, event_id: str, role: Role) -> str:
        """Give the role's link a new token; the old link stops working at once."""
        if role not in LINK_ROLES:
            raise InvalidInput(f"There is no {role.value} link.")
        token = new_token()
        with self.engine.begin() as conn:
            conn.execute(
                t.event_links.update()
                .where(t.event_links.c.event_id == event_id, t.event_links.c.role == role.value)
                .values(token=token, created_at=utcnow())
            )
        return token

    @reading
    def resolve_link(self, token: str) -> tuple[str, Role] | None:
        with self.engine.connect() as conn:
            row = (conn.execute(sa.select(t.event_links).where(t.event_links.c.token == token))).first()
        return None if row is None else (row.event_id, Role(row.role))

    # -- members ----------------------------------------------------------------------

    @in_thread
    def create_member(self, event_id: str, role: Role, pseudonym: str, colour: str, token_hash: str) -> Member:
        member = Member(id=new_id("mb"), event_id=event_id, role=role, pseudonym=pseudonym, colour=colour)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.members.insert().values(
                        id=member.id,
                        event_id=event_id,
                        role=role.value,
                        pseudonym=pseudonym,
                        pseudonym_key=pseudonym_key(pseudonym),
                        colour=colour,
                        token_hash=token_hash,
                        created_at=utcnow(),
                    )
                )
        except sa.exc.IntegrityError:
            raise Conflict(
                f"The pseudonym {pseudonym!r} is taken in this event; choose another.", code="pseudonym_taken"
            ) from None
        return member

    @in_thread
    def organizer_member(self, event_id: str, organizer: Organizer) -> Member:
        """The organizer's own membership in their event, made on first use.

        It has no usable token (its hash is of a secret nobody holds): organizers connect
        with their session instead. The pseudonym is the user name, or a variant when a
        participant already took that.
        """
        query = sa.select(t.members).where(t.members.c.event_id == event_id, t.members.c.organizer_id == organizer.id)
        with self.engine.connect() as conn:
            row = (conn.execute(query)).first()
        if row is not None:
            return _member(row)
        for n in range(10):
            pseudonym = organizer.username[:40] if n == 0 else f"{organizer.username[:28]} (Orga {n})"
            member = Member(
                id=new_id("mb"), event_id=event_id, role=Role.ORGANIZER, pseudonym=pseudonym, colour="slate"
            )
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        t.members.insert().values(
                            id=member.id,
                            event_id=event_id,
                            role=Role.ORGANIZER.value,
                            pseudonym=pseudonym,
                            pseudonym_key=pseudonym_key(pseudonym),
                            colour=member.colour,
                            token_hash=hash_secret(new_token()),
                            created_at=utcnow(),
                            organizer_id=organizer.id,
                        )
                    )
                return member
            except sa.exc.IntegrityError:
                with self.engine.connect() as conn:
                    row = (conn.execute(query)).first()
                if row is not None:  # made meanwhile by another connection
                    return _member(row)
        raise Conflict("No free pseudonym for the organizer in this event.", code="pseudonym_taken")

    @reading
    def member_by_token(self, token_hash: str) -> Member | None:
        """The member whose token this is; None for an unknown token or a member removed from the event."""
        query = sa.select(t.members).where(t.members.c.token_hash == token_hash, t.members.c.removed_at.is_(None))
        with self.engine.connect() as conn:
            row = (conn.execute(query)).first()
        return None if row is None else _member(row)

    @reading
    def members_of(self, event_id: str) -> dict[str, Member]:
        with self.engine.connect() as conn:
            rows = (conn.execute(sa.select(t.members).where(t.members.c.event_id == event_id))).all()
        return {row.id: _member(row) for row in rows}

    # -- rooms and boards -------------------------------------------------------------

    @reading
    def plenary(self, event_id: str) -> Room:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(t.rooms).where(t.rooms.c.event_id == event_id, t.rooms.c.kind == "plenary"))
            ).first()
        if row is None:
            raise NotFound("The event has no plenary room.")
        return Room(row.id, row.event_id, row.kind, row.name)

    @reading
    def board_ids(self, room_id: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                (
                    conn.execute(
                        sa.select(t.boards.c.id)
                        .where(t.boards.c.room_id == room_id)
                        .order_by(t.boards.c.position, t.boards.c.id)
                    )
                ).scalars()
            )

    @in_thread
    def create_board(
        self, event_id: str, room_id: str, title: str, *, anonymous: bool = False, columns: Sequence[str] = ()
    ) -> str:
        """Add a board to a room: its columns are the event's fields of action, or ``columns`` of its own."""
        board_id = new_id("bd")
        with self.engine.begin() as conn:
            position = (
                conn.execute(sa.select(sa.func.count()).select_from(t.boards).where(t.boards.c.room_id == room_id))
            ).scalar_one()
            conn.execute(
                t.boards.insert().values(
                    id=board_id,
                    room_id=room_id,
                    event_id=event_id,
                    title=title,
                    seq=0,
                    created_at=utcnow(),
                    position=position,
                    anonymous=anonymous,
                    free=bool(columns),
                )
            )
            if columns:
                conn.execute(
                    t.fields.insert(),
                    [
                        {
                            "id": new_id("fld"),
                            "event_id": event_id,
                            "position": i,
                            "name": name,
                            "archived": False,
                            "board_id": board_id,
                        }
                        for i, name in enumerate(columns)
                    ],
                )
        return board_id

    @reading
    def idea_rows(self, event_id: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Ideas of an event as the idea store keeps them, with their provenance."""
        query = sa.select(t.ideas).where(t.ideas.c.event_id == event_id).order_by(t.ideas.c.created_at, t.ideas.c.id)
        if not include_deleted:
            query = query.where(t.ideas.c.deleted_at.is_(None))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in (conn.execute(query)).all()]


def _member(row: Any) -> Member:
    return Member(id=row.id, event_id=row.event_id, role=Role(row.role), pseudonym=row.pseudonym, colour=row.colour)
