"""JSON: the export as one object, described by a JSON Schema (``docs/export.schema.json``, generated
from the models below by ``server.docs_gen``; the tests validate every export against it).

The ideas are written straight from the records (10,000 ideas in a few hundredths of a second with
orjson); the models only describe them. Open data leaves out what the internal kind has of people:
an idea's ``author`` and ``board_status``, a comment's ``author`` and ``hidden``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from boards.curation import ReviewStatus
from boards.open_data import Licence
from server.store.exports.records import FORMAT_VERSION, CommentRecord, EventRecord, Export, ExportKind, IdeaRecord, iso

FORMAT = "werkstatt-ideas"
SCHEMA_ID = "https://werkstatt.invalid/docs/export.schema.json"  # a name, not an address anyone fetches


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommentOut(_Model):
    text: str
    created_at: datetime
    author: str | None = Field(None, description="Internal only: the pseudonym; null on an anonymous board.")
    hidden: bool = Field(False, description="Internal only: hidden by a facilitator.")


class RoundDots(_Model):
    round: int = Field(ge=1, description="The vote round on the idea's board.")
    dots: int = Field(ge=0)


class IdeaOut(_Model):
    id: str
    event_id: str
    event: str = Field(description="The event's title.")
    field: str = Field(description="The field of action (Handlungsfeld), or a free board's column.")
    title: str
    text: str
    tags: list[str]
    author: str | None = Field(None, description="Internal only: the pseudonym; null on an anonymous board.")
    created_at: datetime
    room: str
    breakout_round: int | None = Field(description="The breakout round the idea's room was made for.")
    board: str
    phase: str = Field(description="The board's phase when the idea was posted.")
    source: str = Field(description="board, or import.")
    review_status: ReviewStatus
    feedback: str = Field(description="The organizers' official feedback.")
    score: float | None = Field(description="The organizers' weighted rating, 1–5; null: not rated.")
    dots: int = Field(ge=0, description="Dots everyone may see: of open votes and revealed blind ones.")
    dots_by_round: list[RoundDots]
    comments: list[CommentOut]
    duplicate_of: str | None
    board_status: Literal["visible", "pending", "hidden"] | None = Field(
        None, description="Internal only: visible, waiting for approval (pending) or hidden on its board."
    )


class LicenceOut(_Model):
    id: Licence
    title: str
    uri: str = Field(description="The licence in DCAT-AP.de's vocabulary.")
    url: str = Field(description="The licence text.")


class EventOut(_Model):
    id: str
    title: str
    description: str
    date: date | None
    language: str
    fields: list[str]
    licence: LicenceOut | None = Field(None, description="Open data: the licence the organizer chose.")
    publisher: str | None = Field(None, description="Open data: the publishing body.")


class ExportOut(_Model):
    """An export of the idea store (werkstatt)."""

    format: Literal["werkstatt-ideas"]
    version: Literal[1]
    kind: ExportKind
    generated_at: datetime
    modified_at: datetime
    events: list[EventOut]
    ideas: list[IdeaOut]


def schema() -> dict[str, Any]:
    out = ExportOut.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **out}


def schema_json() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def _comment(c: CommentRecord, internal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"text": c.text, "created_at": iso(c.created_at)}
    if internal:
        out["author"] = c.author
        out["hidden"] = c.hidden
    return out


def _idea(i: IdeaRecord, internal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.id,
        "event_id": i.event_id,
        "event": i.event,
        "field": i.field,
        "title": i.title,
        "text": i.text,
        "tags": list(i.tags),
        "created_at": iso(i.created_at),
        "room": i.room,
        "breakout_round": i.breakout_round,
        "board": i.board,
        "phase": i.phase,
        "source": i.source,
        "review_status": i.review_status.value,
        "feedback": i.feedback,
        "score": i.score,
        "dots": i.dots,
        "dots_by_round": [{"round": r, "dots": d} for r, d in i.dots_by_round],
        "comments": [_comment(c, internal) for c in i.comments],
        "duplicate_of": i.duplicate_of,
    }
    if internal:
        out["author"] = i.author
        out["board_status"] = i.board_status
    return out


def _event(e: EventRecord, kind: ExportKind) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "title": e.title,
        "description": e.description,
        "date": e.date.isoformat() if e.date else None,
        "language": e.language,
        "fields": list(e.fields),
    }
    if kind is ExportKind.OPEN:
        licence = e.open_data.licence
        out["licence"] = (
            None
            if licence is None
            else {"id": licence.value, "title": licence.label, "uri": licence.uri, "url": licence.url}
        )
        out["publisher"] = e.open_data.publisher or None
    return out


def export_document(export: Export) -> dict[str, Any]:
    internal = export.kind is ExportKind.INTERNAL
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": export.kind.value,
        "generated_at": iso(export.generated_at),
        "modified_at": iso(export.modified_at),
        "events": [_event(e, export.kind) for e in export.events],
        "ideas": [_idea(i, internal) for i in export.ideas],
    }


def write_json(export: Export) -> bytes:
    return orjson.dumps(export_document(export), option=orjson.OPT_INDENT_2) + b"\n"
