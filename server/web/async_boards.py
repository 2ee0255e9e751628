"""The organizer's page for asynchronous participation: which boards of the event's plenary are open to
participants from when to when, and a form to open one (or a new board) for a window, with a dot vote
over it if wanted.

The form's dates are days in German time: a window "from 1 March to 30 June" opens at midnight at the
start of 1 March and closes at midnight at the end of 30 June (Europe/Berlin), as people read it. The
rules are the board's (``boards.window``, ``boards.rules``): the window is set by a board command, so it
is committed with the board's sequence and reaches everyone who has the board open (``board.window``).
Every value is checked before anything is written: bad input shows its message and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date

from boards import commands as c
from boards.actors import Actor, Role
from boards.errors import Conflict, DomainError, InvalidInput, NotFound
from boards.model import Phase
from boards.text import clean_text
from boards.voting import BUDGET_MAX
from boards.window import Window, clean_window
from server import protocol as p
from server.i18n.keys import N_
from server.ids import new_id
from server.keys import LIVE, STORE
from server.store.idea_store import Event, Organizer
from server.transport.fanout import room_channel
from server.web.http import render, translator
from server.web.organizer import own_event

LOCAL_TIME = ZoneInfo("Europe/Berlin")  # the towns werkstatt is made for
NEW_BOARD = "new"
DEFAULT_CAP = 3  # dots one person may put on one idea (at most the budget)

# what the page says for each refusal (the domain's message, in English, when a code has no text here)
ERRORS = {
    "invalid_date": N_("async.error.invalid_date"),
    "window_end_before_start": N_("async.error.window_end_before_start"),
    "window_too_short": N_("async.error.window_too_short"),
    "window_too_long": N_("async.error.window_too_long"),
    "window_past": N_("async.error.window_past"),
    "invalid_budget": N_("async.error.invalid_budget"),
    "no_board": N_("async.error.no_board"),
    "text_too_short": N_("async.error.title"),
    "text_too_long": N_("async.error.title"),
    "control_characters": N_("async.error.title"),
    "conflict": N_("async.error.unchanged"),
    "no_window": N_("async.error.no_window"),
    "wrong_phase": N_("async.error.wrong_phase"),
}


@dataclass(frozen=True, slots=True)
class BoardLine:
    """A board of the plenary as the page lists it."""

    id: str
    title: str
    opens: str  # the first and last day, formatted; "" without a window
    last_day: str
    state: str  # "", not_open_yet, open, closed
    voting: bool  # a vote round is open on it


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIME)


def window_of_days(first: date, last: date) -> tuple[datetime, datetime]:
    """The moments a window from the day ``first`` through the day ``last`` (both included) opens and closes."""
    return local_day_start(first), local_day_start(last + timedelta(days=1))


def _day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"The {label} must be a date such as 2026-06-30.", code="invalid_date") from None


def _budget(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        budget = int(value.strip())
    except ValueError:
        budget = 0
    if not 1 <= budget <= BUDGET_MAX:
        raise InvalidInput(f"Dots per participant must be 1 to {BUDGET_MAX}.", code="invalid_budget")
    return budget


def last_day(window: Window) -> date:
    """The last day of a window, in local time (it closes at the start of the next)."""
    return (window.closes_at.astimezone(LOCAL_TIME) - timedelta(microseconds=1)).date()


async def _lines(request: web.Request, event: Event) -> list[BoardLine]:
    live = request.app[LIVE]
    plenary = await live.plenary(event.id)
    language = translator(request).language
    now = live.clock.now()
    lines = []
    for board_id in await live.board_ids(plenary.id):
        board = await live.load(board_id)
        window = board.settings.window
        lines.append(
            BoardLine(
                id=board.id,
                title=board.title,
                opens=format_date(window.opens_at.astimezone(LOCAL_TIME).date(), "long", locale=language)
                if window
                else "",
                last_day=format_date(last_day(window), "long", locale=language) if window else "",
                state=window.state(now).value if window else "",
                voting=board.open_session() is not None,
            )
        )
    return lines


def _blank_form(lines: list[BoardLine]) -> dict[str, str]:
    return {
        "board": lines[0].id if lines else NEW_BOARD,
        "title": "",
        "opens": "",
        "closes": "",
        "budget": "",
        "blind": "",
    }


async def _page(
    request: web.Request,
    event: Event,
    form: dict[str, Any],
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> web.Response:
    lines = await _lines(request, event)
    context = {
        "event": event,
        "boards": lines,
        "form": form or _blank_form(lines),
        "error": error,
        "notice": notice,
        "new_board": NEW_BOARD,
        "budget_max": BUDGET_MAX,
    }
    return render(request, "async_boards.html", context, status=status)


async def async_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    tr = translator(request)
    notice = {"saved": tr("async.saved"), "removed": tr("async.removed")}.get(request.query.get("done", ""))
    return await _page(request, event, {}, notice=notice)


FORM_FIELDS = ("board", "title", "opens", "closes", "budget", "blind", "action")


async def set_window(request: web.Request) -> web.StreamResponse:
    organizer, event = await own_event(request)
    form = await request.post()
    values = {key: str(form.get(key, ""))[:300] for key in FORM_FIELDS}
    try:
        if values["action"] == "remove":
            await _remove_window(request, organizer, event, values["board"])
        else:
            await _open_for_async(request, organizer, event, values)
    except DomainError as exc:
        key = ERRORS.get(exc.code)
        message = translator(request)(key) if key else exc.message
        return await _page(request, event, values, error=message, status=400)
    done = "removed" if values["action"] == "remove" else "saved"
    raise web.HTTPSeeOther(f"/organizer/events/{event.id}/async?done={done}")


async def _organizer_actor(request: web.Request, organizer: Organizer, event: Event) -> Actor:
    member = await request.app[STORE].organizer_member(event.id, organizer)
    return Actor(member.id, Role.ORGANIZER)


async def _plenary_board(request: web.Request, event: Event, board_id: str) -> str:
    live = request.app[LIVE]
    if board_id not in await live.board_ids((await live.plenary(event.id)).id):
        raise NotFound("Choose one of the event's boards.", code="no_board")
    return board_id


async def _remove_window(request: web.Request, organizer: Organizer, event: Event, board_id: str) -> None:
    """The board goes back to live use only; what was posted stays, and an open vote runs on."""
    live = request.app[LIVE]
    board_id = await _plenary_board(request, event, board_id)
    actor = await _organizer_actor(request, organizer, event)
    try:
        await live.run(board_id, actor, event.id, c.SetWindow(None, None, live.clock.now()))
    except Conflict:
        raise Conflict("The board has no window.", code="no_window") from None


async def _open_for_async(request: web.Request, organizer: Organizer, event: Event, values: dict[str, str]) -> None:
    """Check everything first, then (if asked) make the board, set its window, and open a vote over it."""
    live, store = request.app[LIVE], request.app[STORE]
    plenary = await live.plenary(event.id)
    new = values["board"] == NEW_BOARD
    if not new:
        await _plenary_board(request, event, values["board"])
    title = clean_text(values["title"], label="The title", min_len=1, max_len=200) if new else ""
    opens_at, closes_at = window_of_days(_day(values["opens"], "start"), _day(values["closes"], "end"))
    now = live.clock.now()
    clean_window(opens_at, closes_at, now)  # the board command checks it again; here before a new board is made
    budget = _budget(values["budget"])
    actor = await _organizer_actor(request, organizer, event)
    if new:
        board_id = await store.create_board(event.id, plenary.id, title)
        live.board_added(plenary.id)
        summary = p.BoardSummary(id=board_id, title=title, seq=0)  # as board.create tells the room
        await live.fanout.publish(room_channel(plenary.id), "room.board", summary.model_dump())
    else:
        board_id = values["board"]
    board = await live.load(board_id)
    vote_wanted = budget is not None and board.open_session() is None
    if board.settings.window == Window(opens_at, closes_at) and not vote_wanted:
        raise Conflict("The board is so already.")
    if vote_wanted and (board.settings.read_only or board.settings.phase not in (Phase.COLLECT, Phase.VOTE)):
        raise Conflict("A vote opens on a board that collects or votes, and is not locked.", code="wrong_phase")
    if board.settings.window != Window(opens_at, closes_at):
        await live.run(board_id, actor, event.id, c.SetWindow(opens_at, closes_at, now))
    if vote_wanted and budget is not None:
        vote = c.OpenVote(
            session_id=new_id("vs"),
            now=now,
            budget=budget,
            cap=min(DEFAULT_CAP, budget),
            blind=values["blind"] == "on",
        )
        await live.run(board_id, actor, event.id, vote)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/organizer/events/{event_id}/async", async_page),
        web.post("/organizer/events/{event_id}/async", set_window),
    ]
