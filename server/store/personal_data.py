"""Personal data in the idea store: an event's participants, one member's data exported (Art. 15/20 GDPR) or
erased (Art. 17), and the retention period's purge. The rules are in ``rooms.erasure``; docs/personal-data.md
lists what is stored and why.

Each method is one transaction, so an erasure is wholly done (with its audit entry) or not at all. Both an
erasure and the purge drop the change records of the event's boards (they hold pseudonyms and texts as they
were) and raise each such board's sequence by one without a record: a client that asks what it missed then
gets the whole board (``BoardStore.changes_since`` answers None for a gap), and a node that decided on a cached
board meets ``stale_board`` and loads it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from boards.actors import Actor, Role
from boards.errors import Conflict, NotFound
from rooms.audit import audit_entry
from rooms.erasure import ERASED_COLOUR, Content, decide_erasure, erased_pseudonym, purge_due
from rooms.members import Member, pseudonym_key
from server.ids import new_token, token_hash
from server.store import tables as t
from server.store.boards import in_thread, reading
from server.store.curation import CurationStore
from server.store.facilitation import insert_audit

EXPORT_FORMAT = "werkstatt.personal-data/1"
ERASE_ACTION = "member.erase"


@dataclass(frozen=True, slots=True)
class Participant:
    """A member of the event as the participants list shows them."""

    member: Member
    joined_at: datetime
    removed: bool
    erased: bool
    ideas: int
    comments: int
    messages: int
    questions: int


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing one member's data did."""

    member_id: str
    pseudonym: str  # the neutral one they have now
    content: Content
    ideas: int  # their ideas (kept, or deleted)
    comments: int
    messages: int
    questions: int


@dataclass
class PurgedEvent:
    """What the purge did (or would do) to one event past the retention period."""

    event_id: str
    title: str
    date: date | None
    last_activity: datetime
    members: int = 0  # pseudonymised, their tokens void
    messages: int = 0  # chat messages removed
    questions: int = 0  # questions removed
    audit_entries: int = 0  # audit entries removed (records of erasures stay)
    boards: int = 0  # boards whose change records were dropped
    placements: int = 0  # breakout placements and topic choices removed

    @property
    def changed(self) -> bool:
        return any((self.members, self.messages, self.questions, self.audit_entries, self.boards, self.placements))


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    events: list[PurgedEvent] = field(default_factory=list)  # every event past the period, purged before or not
    sessions: int = 0  # expired organizer sessions removed
    uploads: int = 0  # uploaded import files deleted: never imported, past their 24 hours


def _event_of(conn: Connection, event_id: str, member_id: str) -> Any:
    row = conn.execute(
        sa.select(t.members).where(t.members.c.id == member_id, t.members.c.event_id == event_id)
    ).first()
    if row is None:
        raise NotFound(f"The event has no member {member_id!r}.")
    return row


def _count(conn: Connection, table: sa.Table, *where: Any) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def _prune_changes(conn: Connection, event_id: str, *, every_board: bool) -> int:
    """Drop the change records of the event's boards, raising the sequence of each board that had some (or of
    every board); how many boards were raised."""
    boards, changes = t.boards, t.board_changes
    board_ids = list(conn.execute(sa.select(boards.c.id).where(boards.c.event_id == event_id)).scalars())
    if not board_ids:
        return 0
    if every_board:
        raised = board_ids
    else:
        raised = list(
            conn.execute(sa.select(changes.c.board_id).where(changes.c.board_id.in_(board_ids)).distinct()).scalars()
        )
    if raised:
        conn.execute(changes.delete().where(changes.c.board_id.in_(raised)))
        conn.execute(boards.update().where(boards.c.id.in_(raised)).values(seq=boards.c.seq + 1))
    return len(raised)


def _forget_person(conn: Connection, event_id: str, member: Any, now: datetime) -> int:
    """The member row made neutral (pseudonym, colour, token; removed from the event), their breakout rooms, topic
    choices and chat silencing deleted. Returns how many placements and topic choices went."""
    m = t.members
    if member.erased_at is None:
        taken = set(conn.execute(sa.select(m.c.pseudonym_key).where(m.c.event_id == event_id)).scalars())
        pseudonym = erased_pseudonym(taken)
        conn.execute(
            m.update()
            .where(m.c.id == member.id)
            .values(
                pseudonym=pseudonym,
                pseudonym_key=pseudonym_key(pseudonym),
                colour=ERASED_COLOUR,
                token_hash=token_hash(new_token()),  # of a secret nobody holds
                removed_at=member.removed_at or now,
                erased_at=now,
            )
        )
    gone = 0
    for table in (t.breakout_placements, t.breakout_final_placements, t.breakout_preferences):
        gone += conn.execute(table.delete().where(table.c.member_id == member.id)).rowcount
    conn.execute(
        t.chat_silenced.delete().where(t.chat_silenced.c.event_id == event_id, t.chat_silenced.c.member_id == member.id)
    )
    return gone


def _refuse_while_dotted(conn: Connection, member_id: str) -> None:
    """Conflict "open_vote" while dots lie on the member's ideas in a vote that is still open."""
    i, v, s = t.ideas, t.votes, t.vote_sessions
    dotted = conn.execute(
        sa.select(v.c.idea_id)
        .join(s, s.c.id == v.c.session_id)
        .join(i, i.c.id == v.c.idea_id)
        .where(i.c.author_id == member_id, i.c.deleted_at.is_(None), s.c.status == "open")
        .limit(1)
    ).first()
    if dotted is not None:
        raise Conflict(
            "Dots lie on this person's ideas in a vote that is still open; close the vote first.", code="open_vote"
        )


def _remove_content(conn: Connection, event_id: str, member_id: str, by: str, now: datetime) -> None:
    """Their ideas and comments deleted as a moderator deletes them, with their texts blanked; their chat
    messages and questions deleted. Refused (Conflict "open_vote") while dots lie on their ideas in an open vote."""
    i, c = t.ideas, t.comments
    _refuse_while_dotted(conn, member_id)
    conn.execute(
        i.update()
        .where(i.c.author_id == member_id, i.c.event_id == event_id)
        .values(
            deleted_at=sa.func.coalesce(i.c.deleted_at, now),
            deleted_by=sa.func.coalesce(i.c.deleted_by, by),
            title="",
            text="",
            tags=[],
            client_id=None,
        )
    )
    conn.execute(
        c.update().where(c.c.author_id == member_id).values(deleted_at=sa.func.coalesce(c.c.deleted_at, now), text="")
    )
    conn.execute(t.chat_messages.delete().where(t.chat_messages.c.author_id == member_id))
    conn.execute(t.questions.delete().where(t.questions.c.author_id == member_id))


def _contributions(conn: Connection, member_ids: Iterable[str]) -> dict[str, tuple[int, int, int, int]]:
    """(ideas, comments, chat messages, questions) per member, ideas and comments not deleted."""
    ids = list(member_ids)
    out: dict[str, list[int]] = {m: [0, 0, 0, 0] for m in ids}
    if not ids:
        return {}
    queries = (
        (t.ideas.c.author_id, t.ideas.c.deleted_at.is_(None)),
        (t.comments.c.author_id, t.comments.c.deleted_at.is_(None)),
        (t.chat_messages.c.author_id, sa.true()),
        (t.questions.c.author_id, sa.true()),
    )
    for n, (author, live) in enumerate(queries):
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                sa.select(author, sa.func.count()).where(author.in_(ids[start : start + 500]), live).group_by(author)
            )
            for member_id, count in rows:
                out[member_id][n] = count
    return {m: (a, b, c, d) for m, (a, b, c, d) in out.items()}


def _member(row: Any) -> Member:
    return Member(id=row.id, event_id=row.event_id, role=Role(row.role), pseudonym=row.pseudonym, colour=row.colour)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class PersonalDataStore(CurationStore):
    """Participants, one member's export and erasure, and the purge; ``IdeaStore`` inherits it."""

    @reading
    def participants(self, event_id: str) -> list[Participant]:
        """Everyone who joined the event, in the order they joined, with what they contributed."""
        m = t.members
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(m).where(m.c.event_id == event_id).order_by(m.c.created_at, m.c.id)).all()
            counts = _contributions(conn, (row.id for row in rows))
        return [
            Participant(
                _member(row), row.created_at, row.removed_at is not None, row.erased_at is not None, *counts[row.id]
            )
            for row in rows
        ]

    @reading
    def check_erasure(self, event_id: str, member_id: str, choice: Content) -> None:
        """Raise what ``erase_member`` would refuse with, before the live side shuts the member out."""
        with self.engine.connect() as conn:
            member = _event_of(conn, event_id, member_id)
            decide_erasure(Role(member.role))
            if choice is Content.REMOVE:
                _refuse_while_dotted(conn, member_id)

    @in_thread
    def erase_member(self, event_id: str, member_id: str, choice: Content, by: Actor, now: datetime) -> Erasure:
        """Erase a member's personal data (``rooms.erasure``), their content kept or removed as ``choice`` says,
        and record it in the audit log; erasing again keeps the neutral pseudonym (and removes what is left, when
        asked to). The live side (disconnecting them, forgetting the cached event) is the caller's."""
        with self.engine.begin() as conn:
            member = _event_of(conn, event_id, member_id)
            decide_erasure(Role(member.role))
            ideas, comments, messages, questions = _contributions(conn, [member_id])[member_id]
            _forget_person(conn, event_id, member, now)
            if choice is Content.REMOVE:
                _remove_content(conn, event_id, member_id, by.member_id, now)
            _prune_changes(conn, event_id, every_board=True)
            pseudonym = conn.execute(sa.select(t.members.c.pseudonym).where(t.members.c.id == member_id)).scalar_one()
            erasure = Erasure(member_id, pseudonym, choice, ideas, comments, messages, questions)
            details = {
                "content": choice.value,
                "ideas": ideas,
                "comments": comments,
                "messages": messages,
                "questions": questions,
            }
            insert_audit(conn, audit_entry(event_id, by, ERASE_ACTION, now, member_id, details))
        return erasure

    @reading
    def export_member(self, event_id: str, member_id: str, now: datetime) -> dict[str, Any]:
        """Everything stored about one member of the event, as JSON values (see docs/personal-data.md); nothing of
        other people: no other member's id or pseudonym, and of the audit log only what was done to them (by whom:
        the role) and which acts they did."""
        with self.engine.connect() as conn:
            member = _event_of(conn, event_id, member_id)
            event = conn.execute(sa.select(t.events).where(t.events.c.id == event_id)).one()
            return {
                "format": EXPORT_FORMAT,
                "exported_at": now.isoformat(),
                "event": {"id": event.id, "title": event.title, "date": _date(event.date)},
                "member": {
                    "id": member.id,
                    "role": member.role,
                    "pseudonym": member.pseudonym,
                    "colour": member.colour,
                    "joined_at": _time(member.created_at),
                    "removed_at": _time(member.removed_at),
                    "erased_at": _time(member.erased_at),
                    "token": "stored only as a SHA-256 hash, which is not exported",
                },
                **_exported_content(conn, event_id, member_id),
            }

    @in_thread
    def purge(self, cutoff: datetime, now: datetime, *, dry_run: bool = False) -> PurgeReport:
        """Erase the personal data of every event past the retention period (``rooms.erasure.purge_due``): members
        pseudonymised and their tokens void (organizers' own memberships stay: they go with the account), chat
        messages and questions removed, breakout placements and topic choices removed, the audit log removed but
        for the records of erasures, the boards' change records dropped; ideas, comments, fields, statuses,
        feedback, ratings and dots stay. Expired organizer sessions are removed, and, whatever the events' age,
        uploaded import files that were never imported and are past their 24 hours (``server.store.imports``;
        they hold authors' names; an import's own transaction removes its file). Running it again changes
        nothing; ``dry_run`` reports the same and rolls everything back."""
        report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
        with self.engine.connect() as conn:
            with conn.begin() as transaction:
                activity = _last_activity(conn)
                events = conn.execute(sa.select(t.events).order_by(t.events.c.created_at, t.events.c.id)).all()
                for event in events:
                    last = activity.get(event.id, event.updated_at)
                    if purge_due(event.date, last, cutoff):
                        report.events.append(_purge_event(conn, event, last, now))
                report.sessions = conn.execute(t.sessions.delete().where(t.sessions.c.expires_at < now)).rowcount
                uploads = t.idea_imports
                report.uploads = conn.execute(
                    uploads.delete().where(uploads.c.imported_at.is_(None), uploads.c.expires_at < now)
                ).rowcount
                if dry_run:
                    transaction.rollback()
        return report


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _last_activity(conn: Connection) -> dict[str, datetime]:
    """Each event's latest moment of anyone's activity: its last change by the organizer, someone joining, an
    idea, comment, chat message, question, a vote or breakout round, or a board change."""
    b = t.boards
    sources = (
        sa.select(t.events.c.id, t.events.c.updated_at),
        sa.select(t.members.c.event_id, sa.func.max(t.members.c.created_at)).group_by(t.members.c.event_id),
        sa.select(t.ideas.c.event_id, sa.func.max(t.ideas.c.updated_at)).group_by(t.ideas.c.event_id),
        sa.select(b.c.event_id, sa.func.max(t.comments.c.created_at))
        .join(b, b.c.id == t.comments.c.board_id)
        .group_by(b.c.event_id),
        sa.select(t.chat_messages.c.event_id, sa.func.max(t.chat_messages.c.sent_at)).group_by(
            t.chat_messages.c.event_id
        ),
        sa.select(t.questions.c.event_id, sa.func.max(t.questions.c.asked_at)).group_by(t.questions.c.event_id),
        sa.select(b.c.event_id, sa.func.max(t.vote_sessions.c.opened_at))
        .join(b, b.c.id == t.vote_sessions.c.board_id)
        .group_by(b.c.event_id),
        sa.select(t.breakout_rounds.c.event_id, sa.func.max(t.breakout_rounds.c.created_at)).group_by(
            t.breakout_rounds.c.event_id
        ),
        sa.select(t.breakout_rounds.c.event_id, sa.func.max(t.breakout_rounds.c.closed_at)).group_by(
            t.breakout_rounds.c.event_id
        ),
        sa.select(b.c.event_id, sa.func.max(t.board_changes.c.created_at))
        .join(b, b.c.id == t.board_changes.c.board_id)
        .group_by(b.c.event_id),
    )
    latest: dict[str, datetime] = {}
    for query in sources:
        for event_id, at in conn.execute(query):  # max() keeps its column's type: aware UTC datetimes
            if at is not None and (event_id not in latest or at > latest[event_id]):
                latest[event_id] = at
    return latest


def _purge_event(conn: Connection, event: Any, last: datetime, now: datetime) -> PurgedEvent:
    done = PurgedEvent(event.id, event.title, event.date, last)
    m = t.members
    people = conn.execute(sa.select(m).where(m.c.event_id == event.id, m.c.role != Role.ORGANIZER.value)).all()
    for member in people:
        done.members += member.erased_at is None
        done.placements += _forget_person(conn, event.id, member, now)
    done.messages = conn.execute(t.chat_messages.delete().where(t.chat_messages.c.event_id == event.id)).rowcount
    done.questions = conn.execute(t.questions.delete().where(t.questions.c.event_id == event.id)).rowcount
    log = t.audit_log
    done.audit_entries = conn.execute(
        log.delete().where(log.c.event_id == event.id, log.c.action != ERASE_ACTION)
    ).rowcount
    rounds = t.breakout_rounds
    conn.execute(rounds.update().where(rounds.c.event_id == event.id, rounds.c.help_queue != "").values(help_queue=""))
    done.boards = _prune_changes(conn, event.id, every_board=False)
    return done


def _exported_content(conn: Connection, event_id: str, member_id: str) -> dict[str, Any]:
    i, c, b, f = t.ideas, t.comments, t.boards, t.fields
    ideas = conn.execute(
        sa.select(i, b.c.title.label("board_title"), b.c.anonymous, f.c.name.label("field_name"))
        .join(b, b.c.id == i.c.board_id)
        .join(f, f.c.id == i.c.field_id)
        .where(i.c.author_id == member_id, i.c.event_id == event_id)
        .order_by(i.c.created_at, i.c.id)
    ).all()
    comments = conn.execute(sa.select(c).where(c.c.author_id == member_id).order_by(c.c.created_at, c.c.id)).all()
    v, s = t.votes, t.vote_sessions
    dots = conn.execute(
        sa.select(v.c.session_id, v.c.idea_id, v.c.dots, s.c.round, s.c.board_id, i.c.title)
        .join(s, s.c.id == v.c.session_id)
        .join(i, i.c.id == v.c.idea_id)
        .where(v.c.member_id == member_id)
        .order_by(s.c.board_id, s.c.round, v.c.idea_id)
    ).all()
    ballots = conn.execute(
        sa.select(t.ballots.c.session_id, t.ballots.c.used).where(t.ballots.c.member_id == member_id)
    ).all()
    r = t.rooms
    messages = conn.execute(
        sa.select(t.chat_messages, r.c.name.label("room_name"))
        .join(r, r.c.id == t.chat_messages.c.room_id)
        .where(t.chat_messages.c.author_id == member_id)
        .order_by(t.chat_messages.c.sent_at, t.chat_messages.c.id)
    ).all()
    q = t.questions
    questions = conn.execute(sa.select(q).where(q.c.author_id == member_id).order_by(q.c.asked_at, q.c.id)).all()
    upvotes = conn.execute(
        sa.select(q.c.id, q.c.asked_at)
        .join(t.question_upvotes, t.question_upvotes.c.question_id == q.c.id)
        .where(t.question_upvotes.c.member_id == member_id)
        .order_by(q.c.asked_at, q.c.id)
    ).all()
    reported = [
        row.id
        for row in conn.execute(
            sa.select(i.c.id, i.c.reporters).where(i.c.event_id == event_id, i.c.reporters.is_not(None))
        )
        if member_id in (row.reporters or ())
    ]
    silenced = _count(
        conn, t.chat_silenced, t.chat_silenced.c.event_id == event_id, t.chat_silenced.c.member_id == member_id
    )
    return {
        "ideas": [
            {
                "id": row.id,
                "board": row.board_title,
                "board_anonymous": row.anonymous,
                "field": row.field_name,
                "title": row.title,
                "text": row.text,
                "tags": list(row.tags or ()),
                "created_at": _time(row.created_at),
                "updated_at": _time(row.updated_at),
                "deleted_at": _time(row.deleted_at),
                "review_status": row.review_status,
                "feedback": row.feedback,
            }
            for row in ideas
        ],
        "comments": [
            {
                "id": row.id,
                "idea_id": row.idea_id,
                "text": row.text,
                "created_at": _time(row.created_at),
                "hidden": row.hidden,
                "deleted_at": _time(row.deleted_at),
            }
            for row in comments
        ],
        "dots": [
            {
                "vote_round": row.session_id,
                "round": row.round,
                "board_id": row.board_id,
                "idea_id": row.idea_id,
                "idea_title": row.title,
                "dots": row.dots,
            }
            for row in dots
        ],
        "dots_used": [{"vote_round": row.session_id, "used": row.used} for row in ballots],
        "chat_messages": [
            {
                "id": row.id,
                "room": row.room_name,
                "text": row.text,
                "sent_at": _time(row.sent_at),
                "hidden": row.hidden,
            }
            for row in messages
        ],
        "questions": [
            {
                "id": row.id,
                "text": row.text,
                "asked_at": _time(row.asked_at),
                "anonymous": row.anonymous,
                "answered": row.answered,
                "hidden": row.hidden,
            }
            for row in questions
        ],
        "question_upvotes": [row.id for row in upvotes],
        "ideas_reported": reported,
        "chat_silenced": bool(silenced),
        **_exported_breakouts(conn, member_id),
        "audit_log": _exported_audit(conn, event_id, member_id),
    }


def _exported_breakouts(conn: Connection, member_id: str) -> dict[str, Any]:
    rounds, rr = t.breakout_rounds, t.breakout_round_rooms

    def placements(table: sa.Table) -> list[dict[str, Any]]:
        rows = conn.execute(
            sa.select(rounds.c.number, rr.c.name)
            .select_from(table)
            .join(rounds, rounds.c.id == table.c.round_id)
            .join(rr, sa.and_(rr.c.round_id == table.c.round_id, rr.c.room_id == table.c.room_id))
            .where(table.c.member_id == member_id)
            .order_by(rounds.c.number)
        )
        return [{"round": number, "room": name} for number, name in rows]

    p = t.breakout_preferences
    preferences = conn.execute(
        sa.select(rounds.c.number, p.c.rank, rr.c.name)
        .select_from(p)
        .join(rounds, rounds.c.id == p.c.round_id)
        .join(rr, sa.and_(rr.c.round_id == p.c.round_id, rr.c.room_id == p.c.room_id))
        .where(p.c.member_id == member_id)
        .order_by(rounds.c.number, p.c.rank)
    )
    return {
        "breakout_rooms": placements(t.breakout_placements),
        "breakout_rooms_at_close": placements(t.breakout_final_placements),
        "breakout_choices": [{"round": n, "choice": rank + 1, "room": name} for n, rank, name in preferences],
    }


def _exported_audit(conn: Connection, event_id: str, member_id: str) -> list[dict[str, Any]]:
    """What moderators did to the member (who: only their role) and which acts the member did (only their names)."""
    log = t.audit_log
    rows = conn.execute(
        sa.select(log)
        .where(log.c.event_id == event_id, sa.or_(log.c.target == member_id, log.c.member_id == member_id))
        .order_by(log.c.at, log.c.id)
    ).all()
    out = []
    for row in rows:
        if row.target == member_id and row.member_id != member_id:
            out.append({"at": _time(row.at), "action": row.action, "by_role": row.role, "details": row.details})
        else:
            out.append({"at": _time(row.at), "action": row.action, "by": "this member"})
    return out
