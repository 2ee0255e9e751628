"""An event's dashboard for its organizer: participants over time, ideas per field of action and
the top ideas of each vote round, as charts drawn on the server (``server.web.charts``) with the
same numbers as tables."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from markupsafe import Markup

from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import STORE
from server.store.dashboard import VoteRound
from server.web.charts import bar_chart, column_chart
from server.web.http import render, translator
from server.web.organizer import own_event

HOURLY_UP_TO = timedelta(hours=48)  # a workshop (and the evening before): per hour
DAILY_UP_TO = timedelta(days=120)  # an asynchronous collection over weeks: per day; longer: per week


UNIT_KEYS = (  # by the unit of time: _(f"console.dashboard.per.{unit}") …
    N_("console.dashboard.joined_desc.hour", count=...),
    N_("console.dashboard.joined_desc.day", count=...),
    N_("console.dashboard.joined_desc.week", count=...),
    N_("console.dashboard.per.hour"),
    N_("console.dashboard.per.day"),
    N_("console.dashboard.per.week"),
    N_("console.dashboard.time.hour"),
    N_("console.dashboard.time.day"),
    N_("console.dashboard.time.week"),
)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    label: str
    new: int  # joined in this hour, day or week
    total: int  # joined until its end


def joined_over_time(joined: Sequence[datetime], tr: Translator) -> tuple[str, list[Bucket]]:
    """Participants by when they joined: per hour over a day or two, per day over weeks, per week
    beyond; every bucket from the first to the last, empty ones too (times in UTC)."""
    if not joined:
        return "hour", []
    times = sorted(t.astimezone(UTC) for t in joined)
    first, last = times[0], times[-1]
    if last - first <= HOURLY_UP_TO:
        unit, step = "hour", timedelta(hours=1)
        start = first.replace(minute=0, second=0, microsecond=0)
        same_day = first.date() == last.date()
        fmt = tr("console.hour_format") if same_day else tr("console.day_hour_format")
    else:
        start = first.replace(hour=0, minute=0, second=0, microsecond=0)
        if last - first <= DAILY_UP_TO:
            unit, step = "day", timedelta(days=1)
        else:
            unit, step = "week", timedelta(days=7)
            start -= timedelta(days=start.weekday())  # from Monday
        fmt = tr("console.day_format")
    buckets = []
    moment = start
    while moment <= last:
        end = moment + step
        total = bisect.bisect_left(times, end)
        before = bisect.bisect_left(times, moment)
        buckets.append(Bucket(moment, moment.strftime(fmt), total - before, total))
        moment = end
    return unit, buckets


def _round_title(tr: Translator, vote_round: VoteRound) -> str:
    if vote_round.room_kind == "breakout":
        return tr(
            "console.dashboard.round_in_room", board=vote_round.board, room=vote_round.room, round=vote_round.round
        )
    return tr("console.dashboard.round", board=vote_round.board, round=vote_round.round)


async def dashboard_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    numbers = await request.app[STORE].event_numbers(event.id)
    tr = translator(request)
    unit, buckets = joined_over_time(numbers.joined, tr)
    joined_chart: Markup | None = None
    if buckets:
        joined_chart = column_chart(
            "chart-joined",
            title=tr("console.dashboard.joined"),
            desc=tr(
                f"console.dashboard.joined_desc.{unit}",
                count=len(numbers.joined),
                first=buckets[0].label,
                last=buckets[-1].label,
            ),
            points=[(b.label, b.total) for b in buckets],
        )
    fields_chart = bar_chart(
        "chart-fields",
        title=tr("console.dashboard.fields"),
        desc=tr("console.dashboard.fields_desc", count=numbers.ideas),
        rows=numbers.ideas_per_field,
    )
    rounds = []
    for index, vote_round in enumerate(numbers.rounds, start=1):
        title = _round_title(tr, vote_round)
        chart = bar_chart(
            f"chart-round-{index}",
            title=title,
            desc=tr("console.dashboard.round_desc", count=vote_round.total_dots),
            rows=[(r.label, r.dots) for r in vote_round.top],
        )
        rounds.append((title, chart, [(r.label, r.dots) for r in vote_round.top]))
    return render(
        request,
        "console_dashboard.html",
        {
            "event": event,
            "numbers": numbers,
            "unit": unit,
            "joined_rows": [(b.label, b.new, b.total) for b in buckets],
            "joined_chart": joined_chart,
            "fields_chart": fields_chart,
            "rounds": rounds,
        },
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/organizer/events/{event_id}/dashboard", dashboard_page)]
