"""The facilitation part of the idea store: the agenda, chat, live questions, removed members and the
audit log. Every method is one transaction.

- The agenda is stored whole with its version; a commit checks the stored version is the one the
  change was decided on (``stale_agenda`` otherwise), as a board's sequence is checked.
- Chat messages are kept for good (the domain's history holds the last 200 of a room); silencing is
  per event.
- Questions are committed one at a time; ``before`` turns the upvotes into a difference, so two
  nodes upvoting the same question at once both count. The key lets a member upvote a question once.
- A removed member keeps their row (their ideas, messages and questions stay theirs) with
  ``removed_at`` set; their token no longer authenticates (``IdeaStore.member_by_token``).
- The audit log is append-only, read newest first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.actors import Role
from boards.errors import Conflict, NotFound
from rooms.agenda import Agenda, Step, StepKind
from rooms.audit import AuditEntry
from rooms.chat import HISTORY_MAX, Chat, History, Message
from rooms.questions import Question, Questions
from server.store import tables as t
from server.store.boards import in_thread, reading, upsert
from server.store.breakouts import BreakoutStore


def _stale_agenda() -> Conflict:
    return Conflict("The agenda changed meanwhile; look again.", code="stale_agenda")


@functools.cache
def _insert_new_statement(dialect: str, table: sa.Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    keys = [c.name for c in table.primary_key.columns]
    # psycopg reports an INSERT's rowcount only when asked to keep it
    return insert(table).on_conflict_do_nothing(index_elements=keys).execution_options(preserve_rowcount=True)


@functools.cache
def _insert_messages_statement(dialect: str) -> Any:
    """Chat messages whose key is not taken yet, returning the keys of those inserted: one multi-row INSERT for
    a list of rows (SQLAlchemy's "insertmanyvalues"), where an executemany would be a statement per row."""
    m = t.chat_messages
    return _insert_new_statement(dialect, m).returning(m.c.room_id, m.c.id)


def insert_new(conn: Connection, table: sa.Table, rows: dict[str, Any] | list[dict[str, Any]]) -> int:
    """Insert rows whose key is not taken yet; return how many were inserted (the others are left as they are)."""
    if not rows:
        return 0
    return int(conn.execute(_insert_new_statement(conn.dialect.name, table), rows).rowcount)


def _thawed(value: Any) -> Any:
    """Audit details as plain JSON values (the entry holds them frozen)."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thawed(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    """Stored audit details frozen again, as ``rooms.audit.audit_entry`` makes them."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def insert_audit(conn: Connection, entry: AuditEntry) -> None:
    """Add an entry to the audit log within the caller's transaction."""
    conn.execute(
        t.audit_log.insert().values(
            event_id=entry.event_id,
            member_id=entry.member_id,
            role=entry.role.value,
            action=entry.action,
            target=entry.target,
            details=_thawed(entry.details),
            at=entry.at,
        )
    )


def _message(row: Any) -> Message:
    return Message(row.id, row.room_id, row.author_id, row.text, row.sent_at, row.hidden)


def _audit_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        event_id=row.event_id,
        member_id=row.member_id,
        role=Role(row.role),
        action=row.action,
        target=row.target,
        details=_frozen(row.details),
        at=row.at,
    )


class FacilitationStore(BreakoutStore):
    """The agenda, chat, questions, removals and the audit log; ``IdeaStore`` adds events and members."""

    # -- agenda -----------------------------------------------------------------------------------

    @reading
    def load_agenda(self, event_id: str) -> Agenda:
        """The event's agenda as committed; an empty one (version 0) when none was made."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.agendas).where(t.agendas.c.event_id == event_id)).first()
            if row is None:
                return Agenda(event_id)
            steps = conn.execute(
                sa.select(t.agenda_steps)
                .where(t.agenda_steps.c.event_id == event_id)
                .order_by(t.agenda_steps.c.position)
            ).all()
        return Agenda(
            event_id=event_id,
            steps=tuple(Step(s.id, s.title, StepKind(s.kind), s.duration_s, s.note) for s in steps),
            version=row.version,
            current=row.current_step_id,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    @in_thread
    def commit_agenda(self, before: Agenda, after: Agenda) -> None:
        """Store ``after`` (decided on ``before``), or raise ``stale_agenda`` when the stored version is
        no longer ``before``'s."""
        if after == before:
            return
        if after.event_id != before.event_id or after.version <= before.version:
            raise ValueError("commit_agenda: `after` is not a later version of `before`")
        values = {
            "version": after.version,
            "current_step_id": after.current,
            "started_at": after.started_at,
            "finished_at": after.finished_at,
        }
        agendas, steps = t.agendas, t.agenda_steps
        with self.engine.begin() as conn:
            if before.version == 0:
                if insert_new(conn, agendas, {"event_id": after.event_id, **values}) != 1:
                    raise _stale_agenda()  # another node stored the first version meanwhile
            else:
                result = conn.execute(
                    agendas.update()
                    .where(agendas.c.event_id == after.event_id, agendas.c.version == before.version)
                    .values(**values)
                )
                if result.rowcount != 1:
                    raise _stale_agenda()
            conn.execute(steps.delete().where(steps.c.event_id == after.event_id))
            if after.steps:
                conn.execute(
                    steps.insert(),
                    [
                        {
                            "event_id": after.event_id,
                            "id": s.id,
                            "position": n,
                            "title": s.title,
                            "kind": s.kind.value,
                            "duration_s": s.duration_s,
                            "note": s.note,
                        }
                        for n, s in enumerate(after.steps)
                    ],
                )

    # -- chat -------------------------------------------------------------------------------------

    @in_thread
    def add_message(self, message: Message) -> None:
        """Store a posted message in its room (whose event it takes); an id the room has is a Conflict."""
        self._add_messages([message], None)

    @in_thread
    def add_messages(self, messages: Sequence[Message], unless_silenced_in: str | None = None) -> frozenset[str] | None:
        """Store posted messages in one transaction, all or none, each in its room (whose event it takes): a room
        that is gone is NotFound, an id its room has already (or twice among them) a Conflict.

        With ``unless_silenced_in`` (the messages' event), who is silenced there is read first in the same
        transaction and their messages are left out (another node may have silenced them since they were decided);
        it returns who is silenced then. Without, it returns None.

        Two statements for the lot (the rooms, then one INSERT of every row), three with who is silenced: each is a
        round trip, and each waits for the GIL on its database thread while the event loop is busy.
        """
        return self._add_messages(messages, unless_silenced_in)

    def _add_messages(self, messages: Sequence[Message], unless_silenced_in: str | None) -> frozenset[str] | None:
        if not messages:
            return None
        with self.engine.begin() as conn:
            room_ids = {m.room_id for m in messages}
            rooms = sa.select(t.rooms.c.id, t.rooms.c.event_id).where(t.rooms.c.id.in_(room_ids))
            events: dict[str, str] = {row.id: row.event_id for row in conn.execute(rooms)}
            for message in messages:
                if message.room_id not in events:
                    raise NotFound(f"There is no room {message.room_id!r}.", code="no_such_room")
            silenced: frozenset[str] | None = None
            if unless_silenced_in is not None:
                s = t.chat_silenced
                silenced = frozenset(
                    conn.execute(sa.select(s.c.member_id).where(s.c.event_id == unless_silenced_in)).scalars()
                )
            kept = [m for m in messages if silenced is None or m.author_id not in silenced]
            rows = [
                {
                    "room_id": m.room_id,
                    "id": m.id,
                    "event_id": events[m.room_id],
                    "author_id": m.author_id,
                    "text": m.text,
                    "sent_at": m.sent_at,
                    "hidden": m.hidden,
                }
                for m in kept
            ]
            if rows:
                stored = {(r.room_id, r.id) for r in conn.execute(_insert_messages_statement(conn.dialect.name), rows)}
                seen: set[tuple[str, str]] = set()
                for m in kept:  # not inserted: the room had it, or had it from a row before
                    if (m.room_id, m.id) not in stored or (m.room_id, m.id) in seen:
                        raise Conflict(f"The room's chat has a message {m.id!r} already.")
                    seen.add((m.room_id, m.id))
        return silenced

    @in_thread
    def set_message_hidden(self, room_id: str, message_id: str, hidden: bool) -> None:
        m = t.chat_messages
        with self.engine.begin() as conn:
            result = conn.execute(m.update().where(m.c.room_id == room_id, m.c.id == message_id).values(hidden=hidden))
            if result.rowcount != 1:
                raise NotFound(f"The room's chat has no message {message_id!r}.")

    @reading
    def messages(self, room_id: str, limit: int = HISTORY_MAX) -> list[Message]:
        """The room's last ``limit`` messages, hidden ones too, oldest first."""
        m = t.chat_messages
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(m).where(m.c.room_id == room_id).order_by(m.c.sent_at.desc(), m.c.id.desc()).limit(limit)
            ).all()
        return [_message(row) for row in reversed(rows)]

    @in_thread
    def set_silenced(self, event_id: str, member_id: str, silenced: bool) -> None:
        s = t.chat_silenced
        with self.engine.begin() as conn:
            if silenced:
                insert_new(conn, s, {"event_id": event_id, "member_id": member_id})
            else:
                conn.execute(s.delete().where(s.c.event_id == event_id, s.c.member_id == member_id))

    @reading
    def silenced(self, event_id: str) -> frozenset[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.chat_silenced.c.member_id).where(t.chat_silenced.c.event_id == event_id))
            return frozenset(rows.scalars())

    @reading
    def load_chat(self, event_id: str) -> Chat:
        """The event's chat as the domain holds it: each room's last ``HISTORY_MAX`` messages (rooms
        in the order of their latest message), and who is silenced."""
        m = t.chat_messages
        recent = (
            sa.select(
                m,
                sa.func.row_number()
                .over(partition_by=m.c.room_id, order_by=(m.c.sent_at.desc(), m.c.id.desc()))
                .label("age"),
            )
            .where(m.c.event_id == event_id)
            .subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(recent).where(recent.c.age <= HISTORY_MAX).order_by(recent.c.sent_at, recent.c.id)
            ).all()
            silenced = conn.execute(
                sa.select(t.chat_silenced.c.member_id).where(t.chat_silenced.c.event_id == event_id)
            )
            silenced_ids = frozenset(silenced.scalars())
        histories: dict[str, list[Message]] = {}
        for row in rows:
            histories.setdefault(row.room_id, []).append(_message(row))
        ordered = sorted(histories.items(), key=lambda item: (item[1][-1].sent_at, item[1][-1].id))
        return Chat(
            event_id=event_id,
            rooms=tuple(History(room_id, tuple(messages)) for room_id, messages in ordered),
            silenced=silenced_ids,
        )

    # -- questions --------------------------------------------------------------------------------

    @reading
    def load_questions(self, event_id: str) -> Questions:
        """The event's questions in the order asked, with their upvoters, and the pinned one."""
        q, up = t.questions, t.question_upvotes
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(q).where(q.c.event_id == event_id).order_by(q.c.asked_at, q.c.id)).all()
            votes = conn.execute(
                sa.select(up.c.question_id, up.c.member_id)
                .join(q, q.c.id == up.c.question_id)
                .where(q.c.event_id == event_id)
            ).all()
            pinned = conn.execute(
                sa.select(t.question_pins.c.question_id).where(t.question_pins.c.event_id == event_id)
            ).scalar_one_or_none()
        upvoters: dict[str, set[str]] = {}
        for question_id, member_id in votes:
            upvoters.setdefault(question_id, set()).add(member_id)
        return Questions(
            event_id=event_id,
            items=tuple(
                Question(
                    id=row.id,
                    author_id=row.author_id,
                    text=row.text,
                    asked_at=row.asked_at,
                    anonymous=row.anonymous,
                    upvoters=frozenset(upvoters.get(row.id, ())),
                    answered=row.answered,
                    hidden=row.hidden,
                )
                for row in rows
            ),
            pinned=pinned,
        )

    @in_thread
    def commit_question(self, event_id: str, question: Question, before: Question | None = None) -> None:
        """Store a question of the event as it is now (asked, answered, hidden, upvoted).

        With ``before`` (the question the change was decided on) only the upvotes that the change
        adds or withdraws are written, so upvotes that another node committed meanwhile stay;
        without it the stored upvoters are made ``question.upvoters``. An upvote stored already is
        left as it is (the key holds one per member).
        """
        q, up = t.questions, t.question_upvotes
        with self.engine.begin() as conn:
            stored = conn.execute(sa.select(q.c.event_id).where(q.c.id == question.id)).scalar_one_or_none()
            if stored is not None and stored != event_id:
                raise NotFound(f"There is no question {question.id!r}.")
            upsert(
                conn,
                q,
                {
                    "id": question.id,
                    "event_id": event_id,
                    "author_id": question.author_id,
                    "text": question.text,
                    "asked_at": question.asked_at,
                    "anonymous": question.anonymous,
                    "answered": question.answered,
                    "hidden": question.hidden,
                },
            )
            if before is None:
                current = frozenset(
                    conn.execute(sa.select(up.c.member_id).where(up.c.question_id == question.id)).scalars()
                )
                added, withdrawn = question.upvoters - current, current - question.upvoters
            else:
                added, withdrawn = question.upvoters - before.upvoters, before.upvoters - question.upvoters
            insert_new(conn, up, [{"question_id": question.id, "member_id": m} for m in sorted(added)])
            if withdrawn:
                conn.execute(up.delete().where(up.c.question_id == question.id, up.c.member_id.in_(withdrawn)))

    @in_thread
    def set_pinned(self, event_id: str, question_id: str | None) -> None:
        """Pin a question of the event as the one being answered now; None unpins."""
        pins = t.question_pins
        with self.engine.begin() as conn:
            if question_id is None:
                conn.execute(pins.delete().where(pins.c.event_id == event_id))
                return
            found = conn.execute(
                sa.select(t.questions.c.id).where(t.questions.c.id == question_id, t.questions.c.event_id == event_id)
            ).first()
            if found is None:
                raise NotFound(f"There is no question {question_id!r}.")
            upsert(conn, pins, {"event_id": event_id, "question_id": question_id})

    # -- removed members --------------------------------------------------------------------------

    @in_thread
    def remove_member(self, event_id: str, member_id: str, at: datetime) -> None:
        """Remove a member from the event: their token stops working. What they wrote stays theirs.
        Removing a removed member again keeps the first time."""
        members = t.members
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(members.c.removed_at).where(members.c.id == member_id, members.c.event_id == event_id)
            ).first()
            if found is None:
                raise NotFound(f"The event has no member {member_id!r}.")
            if found.removed_at is None:
                conn.execute(members.update().where(members.c.id == member_id).values(removed_at=at))

    @reading
    def is_removed(self, member_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(t.members.c.removed_at).where(t.members.c.id == member_id)).first()
        if found is None:
            raise NotFound(f"There is no member {member_id!r}.")
        return found.removed_at is not None

    # -- audit log --------------------------------------------------------------------------------

    @in_thread
    def add_audit(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            insert_audit(conn, entry)

    @reading
    def audit_log(self, event_id: str, limit: int = 500, before: datetime | None = None) -> list[AuditEntry]:
        """The event's audit entries, newest first (entries of the same time in the order they were
        added, the last first), at most ``limit`` of them, older than ``before`` if given.

        A page never ends inside a group of entries of the same time: it takes the whole group, even
        beyond ``limit``. So ``before=page[-1].at`` gives the next page, and nothing is skipped.
        """
        if limit < 1:
            return []
        log = t.audit_log
        newest_first = (log.c.at.desc(), log.c.id.desc())
        query = sa.select(log).where(log.c.event_id == event_id)
        if before is not None:
            query = query.where(log.c.at < before)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query.order_by(*newest_first).limit(limit)).all())
            if len(rows) == limit:
                last = rows[-1]
                rows += conn.execute(
                    sa.select(log)
                    .where(log.c.event_id == event_id, log.c.at == last.at, log.c.id < last.id)
                    .order_by(*newest_first)
                ).all()
        return [_audit_entry(row) for row in rows]
