"""The organizers' work on the ideas of the idea store: a review status, official feedback,
ratings on criteria of their own with an aggregated score, and duplicates across events.

Pure rules; the store (``server.store.curation``) applies them in its transactions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from boards.errors import Conflict, InvalidInput
from boards.text import clean_text

FEEDBACK_MAX = 4000
CRITERION_NAME_MAX = 80
MAX_CRITERIA = 12
RATING_MIN = 1
RATING_MAX = 5
WEIGHT_MAX = 10
MAX_BULK = 1000  # ideas changed by one bulk action


class ReviewStatus(enum.StrEnum):
    """Where an idea stands with the organizers (adhocracy+'s moderator status, Decidim's answer)."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    SHORTLISTED = "shortlisted"
    IN_IMPLEMENTATION = "in_implementation"
    DONE = "done"
    REJECTED = "rejected"


def review_status(value: str) -> ReviewStatus:
    try:
        return ReviewStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in ReviewStatus)
        raise InvalidInput(f"Unknown status {value!r}; one of {allowed}.", code="invalid_status") from None


def clean_feedback(value: str) -> str:
    """Official feedback: any length up to FEEDBACK_MAX, several lines; empty removes it."""
    return clean_text(value, label="The feedback", min_len=0, max_len=FEEDBACK_MAX, multiline=True)


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    name: str
    weight: int = 1


def clean_criteria(entries: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Criteria as (name, weight), names trimmed and distinct (case-insensitively), weights 1–10."""
    if len(entries) > MAX_CRITERIA:
        raise InvalidInput(f"At most {MAX_CRITERIA} criteria.", code="too_many_criteria")
    cleaned: list[tuple[str, int]] = []
    seen: set[str] = set()
    for name, weight in entries:
        text = clean_text(name, label="A criterion's name", min_len=1, max_len=CRITERION_NAME_MAX)
        if text.casefold() in seen:
            raise InvalidInput(f"The criterion {text!r} is named twice.", code="duplicate_criterion")
        if not 1 <= weight <= WEIGHT_MAX:
            raise InvalidInput(f"A criterion's weight is 1–{WEIGHT_MAX} (got {weight}).", code="invalid_weight")
        seen.add(text.casefold())
        cleaned.append((text, weight))
    return cleaned


def clean_rating(values: Mapping[str, int], criteria: Iterable[Criterion]) -> dict[str, int]:
    """One rater's values per criterion id: each RATING_MIN–RATING_MAX, only the given criteria."""
    known = {c.id for c in criteria}
    cleaned: dict[str, int] = {}
    for criterion_id, value in values.items():
        if criterion_id not in known:
            raise InvalidInput("No such rating criterion.", code="not_found")
        if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
            raise InvalidInput(f"A rating is a whole number {RATING_MIN}–{RATING_MAX}.", code="invalid_rating")
        cleaned[criterion_id] = value
    return cleaned


def score(ratings: Iterable[tuple[str, int]], criteria: Iterable[Criterion]) -> float | None:
    """The aggregated score of an idea: per criterion the mean of its raters' values, then the mean
    of those weighted by the criteria's weights; None when no criterion in use has a rating.
    ``ratings`` are (criterion id, value) pairs of every rater."""
    weights = {c.id: c.weight for c in criteria}
    sums: dict[str, list[int]] = {}
    for criterion_id, value in ratings:
        if criterion_id in weights:
            sums.setdefault(criterion_id, []).append(value)
    if not sums:
        return None
    total_weight = sum(weights[c] for c in sums)
    return sum(weights[c] * sum(v) / len(v) for c, v in sums.items()) / total_weight


def check_duplicate(idea_id: str, of_id: str, duplicate_of: Mapping[str, str | None]) -> None:
    """Whether ``idea_id`` may be marked a duplicate of ``of_id``: not itself, and ``of_id`` not
    itself a duplicate (duplicates point at an original, never along a chain).
    ``duplicate_of`` holds both ideas' current marks."""
    if idea_id == of_id:
        raise Conflict("An idea cannot be a duplicate of itself.", code="invalid_duplicate")
    if duplicate_of.get(of_id) is not None:
        raise Conflict("That idea is itself marked a duplicate; choose its original.", code="invalid_duplicate")
