"""What the console's forms send, read and checked: the list's filters (a GET form, so a view can
be bookmarked and its page links keep it), and the values of the curation forms. A bad value is
an ``InvalidInput`` with a stable code; ``message`` turns it into the text the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from multidict import MultiMapping

from boards.curation import (
    CRITERION_NAME_MAX,
    FEEDBACK_MAX,
    MAX_BULK,
    MAX_CRITERIA,
    RATING_MAX,
    RATING_MIN,
    WEIGHT_MAX,
    review_status,
)
from boards.errors import DomainError, InvalidInput
from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.store.curation import IdeaFilter, Sort

PER_PAGE = 25
QUERY_MAX = 200
IDEA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
IDEA_LINK = re.compile(r"/organizer/ideas/([A-Za-z0-9_-]{1,64})")

# The page's text for each code the console meets, by form where the same code means different
# things ("console.error.<form>.<code>", then "console.error.<code>"); a code without a text here
# shows the domain's own message.
ERROR_KEYS = (
    N_("console.error.invalid_status"),
    N_("console.error.invalid_sort"),
    N_("console.error.invalid_page"),
    N_("console.error.invalid_round"),
    N_("console.error.unknown_event"),
    N_("console.error.query_too_long"),
    N_("console.error.nothing_chosen"),
    N_("console.error.too_many"),
    N_("console.error.not_found"),
    N_("console.error.control_characters"),
    N_("console.error.feedback.text_too_long"),
    N_("console.error.invalid_rating"),
    N_("console.error.no_criteria"),
    N_("console.error.criteria.text_too_short"),
    N_("console.error.criteria.text_too_long"),
    N_("console.error.too_many_criteria"),
    N_("console.error.duplicate_criterion"),
    N_("console.error.invalid_weight"),
    N_("console.error.invalid_duplicate"),
    N_("console.error.no_original"),
    N_("console.error.duplicate.not_found"),
)
LIMITS = {
    "feedback_max": FEEDBACK_MAX,
    "rating_min": RATING_MIN,
    "rating_max": RATING_MAX,
    "weight_max": WEIGHT_MAX,
    "criteria_max": MAX_CRITERIA,
    "name_max": CRITERION_NAME_MAX,
    "bulk_max": MAX_BULK,
    "query_max": QUERY_MAX,
}


def message(tr: Translator, exc: DomainError, form: str = "") -> str:
    """What the page says about ``exc`` on ``form``, in the page's language."""
    for key in (f"console.error.{form}.{exc.code}", f"console.error.{exc.code}"):
        if key in ERROR_KEYS:
            return tr(key, **LIMITS)
    return exc.message


@dataclass(frozen=True, slots=True)
class ListView:
    """The list's filters as the form sent them (strings, so the form shows them again)."""

    event: str = ""
    field: str = ""
    status: str = ""
    tag: str = ""
    round: str = ""
    duplicates: bool = False
    q: str = ""
    sort: str = Sort.NEWEST.value
    page: int = 1

    def params(self, **changes: Any) -> str:
        """The query string of this view (with ``changes``), defaults left out: links keep the filters."""
        view = replace(self, **changes)
        pairs: list[tuple[str, str]] = [
            (name, value)
            for name, value in (
                ("event", view.event),
                ("field", view.field),
                ("status", view.status),
                ("tag", view.tag),
                ("round", view.round),
                ("q", view.q),
            )
            if value
        ]
        if view.duplicates:
            pairs.append(("duplicates", "1"))
        if view.sort != Sort.NEWEST.value:
            pairs.append(("sort", view.sort))
        if view.page != 1:
            pairs.append(("page", str(view.page)))
        return urlencode(pairs)

    def active(self) -> bool:
        return any((self.event, self.field, self.status, self.tag, self.round, self.duplicates, self.q))


def read_view(query: MultiMapping[str]) -> ListView:
    """The filters as sent, bounded in length, not yet checked (``to_filter`` checks them)."""

    def one(name: str, limit: int = 120) -> str:
        return str(query.get(name, "")).strip()[:limit]

    page_text = one("page", 12) or "1"
    try:
        page = int(page_text)
    except ValueError:
        page = 0
    return ListView(
        event=one("event"),
        field=one("field"),
        status=one("status"),
        tag=one("tag"),
        round=one("round", 12),
        duplicates=query.get("duplicates") in ("1", "on"),
        q=str(query.get("q", ""))[: QUERY_MAX + 1],
        sort=one("sort") or Sort.NEWEST.value,
        page=page,
    )


def to_filter(view: ListView, own_events: Collection[str]) -> IdeaFilter:
    """The store's filter for ``view``; InvalidInput naming the first value that is not allowed."""
    if view.event and view.event not in own_events:
        raise InvalidInput("No such event.", code="unknown_event")
    statuses = (review_status(view.status),) if view.status else ()
    try:
        sort = Sort(view.sort)
    except ValueError:
        raise InvalidInput(f"Unknown sort order {view.sort!r}.", code="invalid_sort") from None
    if view.page < 1:
        raise InvalidInput("A page is a whole number from 1.", code="invalid_page")
    vote_round = None
    if view.round:
        if not view.round.isdigit() or not 1 <= int(view.round) <= 999:
            raise InvalidInput("A vote round is a whole number from 1.", code="invalid_round")
        vote_round = int(view.round)
    if len(view.q) > QUERY_MAX:
        raise InvalidInput(f"A search has at most {QUERY_MAX} characters.", code="query_too_long")
    return IdeaFilter(
        event_ids=(view.event,) if view.event else (),
        field_names=(view.field,) if view.field else (),
        statuses=statuses,
        tag=view.tag or None,
        vote_round=vote_round,
        query=view.q,
        include_duplicates=view.duplicates,
        sort=sort,
        page=view.page,
        per_page=PER_PAGE,
    )


def chosen_ideas(form: MultiMapping[Any]) -> list[str]:
    """The ideas ticked in the list (``idea`` fields); a value that cannot be an id is not one of the organizer's."""
    ids = [str(value) for value in form.getall("idea", [])]
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} ideas at once.", code="too_many")
    for idea_id in ids:
        if not IDEA_ID.fullmatch(idea_id):
            raise InvalidInput("No such idea.", code="not_found")
    return ids


def ratings(form: Mapping[str, Any], criterion_ids: Collection[str]) -> dict[str, int]:
    """The rating form's values per criterion (``c_<id>``); a criterion left unchosen is not rated."""
    if not criterion_ids:
        raise InvalidInput("Define rating criteria first.", code="no_criteria")
    values: dict[str, int] = {}
    for criterion_id in criterion_ids:
        raw = str(form.get(f"c_{criterion_id}", "")).strip()
        if not raw:
            continue
        if not raw.isdigit() or len(raw) > 3:
            raise InvalidInput(f"A rating is a whole number {RATING_MIN}–{RATING_MAX}.", code="invalid_rating")
        values[criterion_id] = int(raw)
    return values


def criteria_entries(names: list[str], weights: list[str]) -> list[tuple[str, int]]:
    """The criteria form's rows as (name, weight); rows left wholly empty are skipped."""
    entries: list[tuple[str, int]] = []
    for name, weight in zip(names, weights, strict=False):
        if not name.strip() and not weight.strip():
            continue
        weight_text = weight.strip() or "1"
        if not weight_text.isdigit() or len(weight_text) > 3:
            raise InvalidInput(f"A criterion's weight is 1–{WEIGHT_MAX}.", code="invalid_weight")
        entries.append((name, int(weight_text)))
    return entries


def original_id(chosen: str, typed: str) -> str:
    """The idea an idea duplicates: one picked from the search, or a pasted link or id."""
    if chosen.strip():
        value = chosen.strip()
    else:
        text = typed.strip()
        if not text:
            raise InvalidInput("Choose the original idea.", code="no_original")
        found = IDEA_LINK.search(text)
        value = found.group(1) if found else text
    if not IDEA_ID.fullmatch(value):
        raise InvalidInput("No such idea.", code="not_found")
    return value
