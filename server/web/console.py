"""The organizer console's idea pages (the Ideenspeicher): every idea of the organizer's events,
filtered, searched, sorted and paged, with a status for many at once; an idea whole with its
provenance and history, and the forms to curate it; the organizer's rating criteria.

Plain forms that work without script (``static/js/console-ideas.js`` adds "select all" and a
count). Every change is a POST with the CSRF token, checked on the server, all or nothing, and
followed by a redirect (reloading does not send it again); a bad value shows the form again with
its message and status 400. An idea or event of another organizer is 404; anyone without an
organizer session is sent to the login.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict
from yarl import URL

from boards.curation import FEEDBACK_MAX, MAX_CRITERIA, RATING_MAX, RATING_MIN, WEIGHT_MAX, ReviewStatus, review_status
from boards.errors import DomainError, NotFound
from server.i18n.keys import N_
from server.keys import LIVE, STORE
from server.store.curation import IdeaDetail, IdeaFilter, Sort
from server.store.idea_store import Organizer
from server.web.console_forms import (
    ListView,
    chosen_ideas,
    criteria_entries,
    message,
    original_id,
    ratings,
    read_view,
    to_filter,
)
from server.web.http import render, translator
from server.web.organizer import require_organizer

SEARCH_RESULTS = 8  # ideas offered as originals on the duplicate form

# keys the pages build from values (``_("console.status." ~ status.value)``), named for extraction
STATUS_KEYS = (
    N_("console.status.new"),
    N_("console.status.under_review"),
    N_("console.status.shortlisted"),
    N_("console.status.in_implementation"),
    N_("console.status.done"),
    N_("console.status.rejected"),
)
SORT_KEYS = (
    N_("console.sort.newest"),
    N_("console.sort.oldest"),
    N_("console.sort.votes"),
    N_("console.sort.rating"),
)
DONE_KEYS = {
    "status": N_("console.done.status"),
    "feedback": N_("console.done.feedback"),
    "rating": N_("console.done.rating"),
    "duplicate": N_("console.done.duplicate"),
    "unduplicate": N_("console.done.unduplicate"),
    "criteria": N_("console.done.criteria"),
}
SOURCE_KEYS = (N_("console.source.board"), N_("console.source.import"))
BOARD_STATUS_KEYS = (N_("console.board_status.pending"), N_("console.board_status.hidden"))


# -- the list ----------------------------------------------------------------------------------


async def ideas_page(request: web.Request) -> web.Response:
    organizer = await require_organizer(request)
    view = read_view(request.query)
    changed = request.query.get("changed", "")
    return await _list(
        request, organizer, view, changed=int(changed) if changed.isdigit() and len(changed) < 6 else None
    )


async def _list(
    request: web.Request,
    organizer: Organizer,
    view: ListView,
    *,
    error: str | None = None,
    changed: int | None = None,
    chosen: tuple[str, ...] = (),
    status: int = 200,
) -> web.Response:
    store = request.app[STORE]
    events = await store.events_of(organizer.id)
    tr = translator(request)
    page = None
    try:
        wanted = to_filter(view, {e.id for e in events})
    except DomainError as exc:
        error, status = message(tr, exc, "list"), 400
    else:
        page = await store.list_ideas(organizer.id, wanted)
    return render(
        request,
        "console_ideas.html",
        {
            "view": view,
            "page": page,
            "events": events,
            "field_names": await store.field_names_in_use(organizer.id),
            "tags": await store.tags_in_use(organizer.id),
            "statuses": list(ReviewStatus),
            "sorts": list(Sort),
            "error": error,
            "changed": changed,
            "chosen": set(chosen),
        },
        status=status,
    )


async def bulk_status(request: web.Request) -> web.StreamResponse:
    """A status for every ticked idea, all or none; then the same view of the list, saying how many changed."""
    organizer = await require_organizer(request)
    form = await request.post()
    view = read_view(_back_query(str(form.get("back", ""))))
    tr = translator(request)
    ids: list[str] = []
    try:
        ids = chosen_ideas(form)
        changed = await request.app[STORE].set_review_status(
            organizer.id, ids, review_status(str(form.get("status", "")))
        )
    except NotFound as exc:  # one of them is not this organizer's: nothing changed
        return await _list(request, organizer, view, error=message(tr, exc, "bulk"), chosen=tuple(ids), status=404)
    except DomainError as exc:
        return await _list(request, organizer, view, error=message(tr, exc, "bulk"), chosen=tuple(ids), status=400)
    await _forget_events(request, organizer)
    params = view.params()
    raise web.HTTPSeeOther(f"/organizer/ideas?{params}{'&' if params else ''}changed={changed}#results")


def _back_query(back: str) -> MultiDict[str]:
    """The list view a form came from (its query string), read like a request's query."""
    try:
        return MultiDict(URL("/organizer/ideas?" + back[:2000].lstrip("?")).query)
    except ValueError:
        return MultiDict()


async def _forget_events(request: web.Request, organizer: Organizer, event_id: str | None = None) -> None:
    """Live boards reload what curation changed (the feedback they show): the idea's event, or
    after a change to many every event of the organizer (a handful; forgetting is cheap)."""
    live = request.app[LIVE]
    if event_id is not None:
        live.forget_event(event_id)
        return
    for event in await request.app[STORE].events_of(organizer.id):
        live.forget_event(event.id)


# -- one idea ----------------------------------------------------------------------------------


async def idea_page(request: web.Request) -> web.Response:
    organizer = await require_organizer(request)
    detail = await _own_idea(request, organizer)
    tr = translator(request)
    done = request.query.get("done", "")
    notice_key = DONE_KEYS.get(done)
    return await _detail(request, organizer, detail, notice=tr(notice_key) if notice_key else None, done=done)


async def _own_idea(request: web.Request, organizer: Organizer) -> IdeaDetail:
    try:
        return await request.app[STORE].idea(organizer.id, request.match_info["idea_id"])
    except DomainError:
        raise web.HTTPNotFound() from None  # another organizer's idea does not exist for this one


async def _detail(
    request: web.Request,
    organizer: Organizer,
    detail: IdeaDetail,
    *,
    notice: str | None = None,
    done: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    store = request.app[STORE]
    search = str(request.query.get("dup_q", ""))[:200].strip()
    found = []
    if search and detail.summary.duplicate_of is None:
        page = await store.list_ideas(organizer.id, IdeaFilter(query=search, per_page=SEARCH_RESULTS + 1))
        found = [i for i in page.items if i.id != detail.summary.id][:SEARCH_RESULTS]
    original = None
    if detail.summary.duplicate_of is not None:
        try:
            original = (await store.idea(organizer.id, detail.summary.duplicate_of)).summary
        except DomainError:
            original = None
    return render(
        request,
        "console_idea.html",
        {
            "idea": detail.summary,
            "detail": detail,
            "original": original,
            "statuses": list(ReviewStatus),
            "rating_values": range(RATING_MIN, RATING_MAX + 1),
            "feedback_max": FEEDBACK_MAX,
            "search": search,
            "found": found,
            "notice": notice,
            "done": done,
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


async def _change(request: web.Request, form_name: str, apply: Any) -> web.StreamResponse:
    """Run one curation change of the idea in the path; a bad value shows the page again with the message."""
    organizer = await require_organizer(request)
    detail = await _own_idea(request, organizer)
    form = await request.post()
    try:
        done = await apply(organizer, detail, form)
    except DomainError as exc:
        errors = {form_name: message(translator(request), exc, form_name)}
        values = {key: str(value) for key, value in form.items() if key != "csrf"}
        return await _detail(request, organizer, detail, errors=errors, values=values, status=400)
    request.app[LIVE].forget_event(detail.provenance.event_id)  # live boards show the curation
    raise web.HTTPSeeOther(f"/organizer/ideas/{detail.summary.id}?done={done}#{form_name}")


async def set_status(request: web.Request) -> web.StreamResponse:
    async def apply(organizer: Organizer, detail: IdeaDetail, form: Any) -> str:
        status = review_status(str(form.get("status", "")))
        await request.app[STORE].set_review_status(organizer.id, [detail.summary.id], status)
        return "status"

    return await _change(request, "status", apply)


async def set_feedback(request: web.Request) -> web.StreamResponse:
    async def apply(organizer: Organizer, detail: IdeaDetail, form: Any) -> str:
        await request.app[STORE].set_feedback(organizer.id, detail.summary.id, str(form.get("feedback", "")))
        return "feedback"

    return await _change(request, "feedback", apply)


async def rate(request: web.Request) -> web.StreamResponse:
    async def apply(organizer: Organizer, detail: IdeaDetail, form: Any) -> str:
        values = ratings(form, [c.id for c in detail.criteria])
        await request.app[STORE].rate(organizer.id, detail.summary.id, values)
        return "rating"

    return await _change(request, "rating", apply)


async def mark_duplicate(request: web.Request) -> web.StreamResponse:
    async def apply(organizer: Organizer, detail: IdeaDetail, form: Any) -> str:
        of_id = original_id(str(form.get("of", "")), str(form.get("of_text", ""))[:500])
        await request.app[STORE].mark_duplicate(organizer.id, detail.summary.id, of_id)
        return "duplicate"

    return await _change(request, "duplicate", apply)


async def unmark_duplicate(request: web.Request) -> web.StreamResponse:
    async def apply(organizer: Organizer, detail: IdeaDetail, _form: Any) -> str:
        await request.app[STORE].mark_duplicate(organizer.id, detail.summary.id, None)
        return "unduplicate"

    return await _change(request, "duplicate", apply)


# -- rating criteria ---------------------------------------------------------------------------


async def criteria_page(request: web.Request) -> web.Response:
    organizer = await require_organizer(request)
    criteria = await request.app[STORE].criteria(organizer.id)
    rows = [(c.name, str(c.weight)) for c in criteria]
    notice = translator(request)(DONE_KEYS["criteria"]) if request.query.get("done") == "criteria" else None
    return _criteria_page(request, rows, notice=notice)


def _criteria_page(
    request: web.Request,
    rows: list[tuple[str, str]],
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    blank = max(0, min(3, MAX_CRITERIA - len(rows)))  # room to add some
    return render(
        request,
        "console_criteria.html",
        {
            "rows": rows + [("", "")] * blank,
            "notice": notice,
            "error": error,
            "weight_max": WEIGHT_MAX,
            "criteria_max": MAX_CRITERIA,
        },
        status=status,
    )


async def save_criteria(request: web.Request) -> web.StreamResponse:
    organizer = await require_organizer(request)
    form = await request.post()
    names = [str(v) for v in form.getall("name", [])][: MAX_CRITERIA * 4]
    weights = [str(v) for v in form.getall("weight", [])][: MAX_CRITERIA * 4]
    try:
        entries = criteria_entries(names, weights)
        await request.app[STORE].set_criteria(organizer.id, entries)
    except DomainError as exc:
        rows = [(n, w) for n, w in zip(names, weights, strict=False) if n.strip() or w.strip()]
        return _criteria_page(request, rows, error=message(translator(request), exc, "criteria"), status=400)
    await _forget_events(request, organizer)  # scores changed
    raise web.HTTPSeeOther("/organizer/criteria?done=criteria")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/organizer/ideas", ideas_page),
        web.post("/organizer/ideas/status", bulk_status),
        web.get("/organizer/ideas/{idea_id}", idea_page),
        web.post("/organizer/ideas/{idea_id}/status", set_status),
        web.post("/organizer/ideas/{idea_id}/feedback", set_feedback),
        web.post("/organizer/ideas/{idea_id}/rating", rate),
        web.post("/organizer/ideas/{idea_id}/duplicate", mark_duplicate),
        web.post("/organizer/ideas/{idea_id}/duplicate/remove", unmark_duplicate),
        web.get("/organizer/criteria", criteria_page),
        web.post("/organizer/criteria", save_criteria),
    ]
