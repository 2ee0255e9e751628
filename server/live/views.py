"""What each recipient may see: change records and snapshots, projected per viewer.

A change is stored once, as a *record* with everything (the author, reports, whether the
idea is public). ``project(record, viewer)`` makes the wire form for one viewer, for the
live fan-out and for ``board.sync`` alike, so a client that resyncs sees exactly what it
would have seen live. The rules:

- an idea that is not public (pending, hidden, merged away, deleted, or in a silent
  collection) reaches only its author and facilitators; others get ``idea: null``;
- on an anonymous board the author (and a comment's author) reaches nobody but themself;
- reports reach facilitators only; dots are never in a record (see ``server.live.dots``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from boards.curation import ReviewStatus
from boards.domain_events import (
    BoardEvent,
    ClusterChanged,
    CommentChanged,
    IdeaChanged,
    SessionChanged,
    SettingsChanged,
)
from boards.model import Board, Cluster, Comment, Idea, IdeaStatus, Settings
from boards.voting import VoteSession
from rooms.members import Member
from server import protocol as p


@dataclass(frozen=True, slots=True)
class Viewer:
    member_id: str | None
    moderates: bool


PUBLIC = Viewer(None, False)
MODERATOR = Viewer(None, True)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as pydantic writes it in acknowledgements."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def member_out(member: Member) -> p.MemberOut:
    return p.MemberOut(id=member.id, pseudonym=member.pseudonym, colour=member.colour, role=member.role.value)


def _author(member: Member) -> dict[str, str]:
    return {"id": member.id, "pseudonym": member.pseudonym, "colour": member.colour}


def is_public(idea: Idea, settings: Settings, *, deleted: bool = False) -> bool:
    return not deleted and idea.live and idea.status is IdeaStatus.VISIBLE and not settings.silent_now


def idea_record(
    board_id: str, idea: Idea, author: Member, settings: Settings, *, deleted: bool = False
) -> dict[str, Any]:
    return {
        "id": idea.id,
        "board_id": board_id,
        "field_id": idea.column_id,
        "title": idea.title,
        "text": idea.text,
        "tags": list(idea.tags),
        "colour": idea.colour,
        "position": idea.position,
        "cluster_id": idea.cluster_id,
        "status": idea.status.value,
        "phase": idea.phase.value,
        "merged_from": list(idea.merged_from),
        "author": _author(author),
        "reports": len(idea.reporters),
        "reported_by_me": False,
        "review": review_out(idea),
        "created_at": timestamp(idea.created_at),
        "updated_at": timestamp(idea.updated_at),
        # for projecting only, never sent:
        "_public": is_public(idea, settings, deleted=deleted),
        "_gone": deleted or not idea.live,
        "_anonymous": settings.anonymous,
        "_reporters": sorted(idea.reporters),
    }


def review_out(idea: Idea) -> dict[str, str] | None:
    """The organizers' answer on an idea, for everyone who sees it: its status once it is not
    ``new`` any more, and the official feedback; None while there is neither."""
    if idea.review is ReviewStatus.NEW and not idea.feedback:
        return None
    return {"status": idea.review.value, "feedback": idea.feedback}


def project_idea(record: dict[str, Any], viewer: Viewer) -> dict[str, Any] | None:
    if record["_gone"]:
        return None
    author_id = record["author"]["id"]
    mine = viewer.member_id == author_id
    if not (record["_public"] or mine or viewer.moderates):
        return None
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    if record["_anonymous"] and not mine:
        out["author"] = None
    if not viewer.moderates:
        out["reports"] = 0
    out["reported_by_me"] = viewer.member_id in record["_reporters"]
    return out


def cluster_out(cluster: Cluster) -> dict[str, Any]:
    return {
        "id": cluster.id,
        "field_id": cluster.column_id,
        "heading": cluster.heading,
        "position": cluster.position,
        "parent_id": cluster.parent_id,
    }


def comment_record(
    comment: Comment, author: Member, settings: Settings, idea: Idea | None, *, deleted: bool = False
) -> dict[str, Any]:
    """A comment reaches those who may see its idea (and its own author)."""
    return {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "text": comment.text,
        "author": _author(author),
        "hidden": comment.hidden,
        "created_at": timestamp(comment.created_at),
        "_gone": deleted,
        "_anonymous": settings.anonymous,
        "_idea_public": idea is not None and is_public(idea, settings),
        "_idea_author": idea.author_id if idea is not None else None,
    }


def project_comment(record: dict[str, Any], viewer: Viewer) -> dict[str, Any] | None:
    mine = viewer.member_id == record["author"]["id"]
    sees_idea = record["_idea_public"] or viewer.moderates or viewer.member_id == record["_idea_author"]
    if record["_gone"] or not (sees_idea or mine) or (record["hidden"] and not (mine or viewer.moderates)):
        return None
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    if record["_anonymous"] and not mine:
        out["author"] = None
    return out


def settings_out(settings: Settings) -> dict[str, Any]:
    return {
        "phase": settings.phase.value,
        "silent": settings.silent,
        "revealed": settings.revealed,
        "locked": settings.locked,
        "premoderation": settings.premoderation,
        "anonymous": settings.anonymous,
        "opens_at": timestamp(settings.window.opens_at) if settings.window else None,
        "closes_at": timestamp(settings.window.closes_at) if settings.window else None,
    }


def session_out(session: VoteSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "round": session.round,
        "budget": session.budget,
        "cap": session.cap,
        "blind": session.blind,
        "scope": {"kind": session.scope.kind.value, "ids": list(session.scope.ids)},
        "opened_at": timestamp(session.opened_at),
        "ends_at": timestamp(session.ends_at) if session.ends_at else None,
        "status": session.status.value,
        "moderators_vote": session.moderators_vote,
        "results": None
        if session.results is None
        else [
            {
                "idea_id": r.idea_id,
                "field_id": r.column_id,
                "dots": r.dots,
                "voters": r.voters,
                "rank": r.rank,
                "tie": r.tie,
                "field_rank": r.column_rank,
                "field_tie": r.column_tie,
                "merged_from": list(r.merged_from),
            }
            for r in session.results
        ],
    }


def record(board: Board, event: BoardEvent, authors: dict[str, Member]) -> dict[str, Any]:
    """The stored form of one event, decided on ``board`` (its state before the event)."""
    base: dict[str, Any] = {"board_id": board.id, "seq": event.seq}
    if isinstance(event, IdeaChanged):
        idea = event.idea
        out = {
            **base,
            "type": f"idea.{event.kind}",
            "idea_id": idea.id,
            "idea": idea_record(
                board.id, idea, authors[idea.author_id], board.settings, deleted=event.kind == "deleted"
            ),
        }
        if event.kind in ("restored", "approved"):  # back in view: with the comments it had
            out["comments"] = _comments_of(board, {idea.id: idea}, authors, board.settings)
        return out
    if isinstance(event, ClusterChanged):
        gone = event.kind == "dissolved"
        return {
            **base,
            "type": f"cluster.{event.kind}",
            "cluster_id": event.cluster.id,
            "cluster": None if gone else cluster_out(event.cluster),
        }
    if isinstance(event, CommentChanged):
        comment = event.comment
        return {
            **base,
            "type": f"comment.{event.kind}",
            "comment_id": comment.id,
            "comment": comment_record(
                comment,
                authors[comment.author_id],
                board.settings,
                board.ideas.get(comment.idea_id),
                deleted=event.kind == "deleted",
            ),
        }
    if isinstance(event, SettingsChanged):
        out = {**base, "type": f"board.{event.kind}", "settings": settings_out(event.settings)}
        if event.kind == "revealed":  # every visible idea becomes public, with its comments
            shown = [i for i in board.ideas.values() if i.live and i.status is IdeaStatus.VISIBLE]
            out["ideas"] = [idea_record(board.id, i, authors[i.author_id], event.settings) for i in shown]
            out["comments"] = _comments_of(board, {i.id: i for i in shown}, authors, event.settings)
        return out
    if isinstance(event, SessionChanged):
        return {**base, "type": f"vote.{event.kind}", "session": session_out(event.session)}
    raise TypeError(event)  # pragma: no cover


_CHANGE_KEYS = tuple(p.Change.model_fields)


def _comments_of(
    board: Board, ideas: dict[str, Idea], authors: dict[str, Member], settings: Settings
) -> list[dict[str, Any]]:
    """The records of the comments on ``ideas`` (given as they are after the change)."""
    comments = [m for m in board.comments.values() if m.idea_id in ideas]
    comments.sort(key=lambda m: (m.created_at, m.id))
    return [comment_record(m, authors[m.author_id], settings, ideas[m.idea_id]) for m in comments]


def project(rec: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The wire form of a change record for one viewer (every key of ``protocol.Change``)."""
    out = dict.fromkeys(_CHANGE_KEYS)
    out.update((k, v) for k, v in rec.items() if k not in ("idea", "ideas", "comment", "comments"))
    if "comments" in rec:
        out["comments"] = [m for m in (project_comment(r, viewer) for r in rec["comments"]) if m is not None]
    if "idea" in rec:
        out["idea"] = project_idea(rec["idea"], viewer)
    if "ideas" in rec:
        out["ideas"] = [i for i in (project_idea(r, viewer) for r in rec["ideas"]) if i is not None]
    if "comment" in rec:
        out["comment"] = project_comment(rec["comment"], viewer)
    return out


def special_members(rec: dict[str, Any]) -> set[str]:
    """Members who may see this change differently from others: the authors of the ideas and
    comments it carries, those who reported its ideas, and the authors of the commented ideas."""
    ideas = [i for i in [rec.get("idea"), *(rec.get("ideas") or [])] if i]
    comments = [m for m in [rec.get("comment"), *(rec.get("comments") or [])] if m]
    found: set[str] = set()
    for idea in ideas:
        found.add(idea["author"]["id"])
        found.update(idea["_reporters"])
    for comment in comments:
        found.add(comment["author"]["id"])
        if comment["_idea_author"]:
            found.add(comment["_idea_author"])
    return found


def snapshot_ideas(board: Board, authors: dict[str, Member], viewer: Viewer) -> list[dict[str, Any]]:
    ideas = []
    for idea in board.ideas.values():
        projected = project_idea(idea_record(board.id, idea, authors[idea.author_id], board.settings), viewer)
        if projected is not None:
            ideas.append(projected)
    ideas.sort(key=lambda i: (i["field_id"], i["position"], i["id"]))
    return ideas


def snapshot_comments(board: Board, authors: dict[str, Member], viewer: Viewer) -> list[dict[str, Any]]:
    visible = {i["id"] for i in snapshot_ideas(board, authors, viewer)}
    out = []
    for comment in board.comments.values():
        if comment.idea_id not in visible:
            continue
        record_ = comment_record(comment, authors[comment.author_id], board.settings, board.ideas.get(comment.idea_id))
        projected = project_comment(record_, viewer)
        if projected is not None:
            out.append(projected)
    out.sort(key=lambda c: (c["created_at"], c["id"]))
    return out


# -- what an acknowledgement shows --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AckOf:
    """What an acknowledgement shows of the board right after its command, for one viewer: data
    that the board's serializer reads (``shown``) once the command is applied, before the next one
    is decided — the board may have moved on by the time the sender is answered."""

    kind: Literal["idea", "cluster", "comment", "session"]
    id: str
    viewer: Viewer
    client_id: str | None = None  # an idea posted again with its client_id: the one stored the first time


def shown(board: Board, authors: dict[str, Member], ack: AckOf) -> dict[str, Any]:
    """The wire form of what ``ack`` names, as its viewer may see it."""
    if ack.kind == "idea":
        idea = board.ideas.get(ack.id)
        if idea is None and ack.client_id and ack.viewer.member_id is not None:
            idea = board.idea_by_client_id(ack.viewer.member_id, ack.client_id)
        if idea is None:
            raise LookupError(f"no idea {ack.id!r} on the board after its command")
        shown_idea = project_idea(idea_record(board.id, idea, authors[idea.author_id], board.settings), ack.viewer)
        if shown_idea is None:
            raise LookupError(f"idea {ack.id!r} is not for its acknowledgement's viewer to see")
        return shown_idea
    if ack.kind == "cluster":
        return cluster_out(board.clusters[ack.id])
    if ack.kind == "comment":
        comment = board.comments[ack.id]
        record = comment_record(comment, authors[comment.author_id], board.settings, board.ideas.get(comment.idea_id))
        shown_comment = project_comment(record, ack.viewer)
        if shown_comment is None:
            raise LookupError(f"comment {ack.id!r} is not for its own author to see")
        return shown_comment
    return session_out(board.sessions[ack.id])
