"""Charts drawn on the server as SVG: no script, no library, no other origin, and readable where
the page is read — a projector or a phone (the drawing scales with the width it gets; the text is
sized for the narrowest).

Each chart is an image with a name (``role="img"``, ``<title>`` and ``<desc>``); the page shows
the same numbers as a table beside it for screen readers and for people who want the figures.
Labels come from people (fields of action, ideas) and are escaped like any text on a page.
Colours are classes (``static/css/console.css``), never inline styles (the CSP forbids them).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

WIDTH = 400  # the drawing's own units: about a phone's width, so its text is near its size there
ROW = 46  # a horizontal bar with its label above it
LABEL_CHARS = 44  # a label longer than this is cut (the table has it whole)


def _cut(label: str, length: int = LABEL_CHARS) -> str:
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def _frame(chart_id: str, title: str, desc: str, height: int, body: list[Markup]) -> Markup:
    """The chart whole; every value goes through ``Markup.format``, which escapes it."""
    return Markup(
        '<svg class="chart" id="{id}" role="img" viewBox="0 0 {width} {height}" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
    ).format(id=chart_id, width=WIDTH, height=height, title=title, desc=desc, body=Markup("").join(body))


def bar_chart(chart_id: str, *, title: str, desc: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per row, each with its label above it and its number after it:
    long labels (ideas, fields of action) stay readable on a phone."""
    top = max((value for _label, value in rows), default=0) or 1
    room = WIDTH - 56  # the number after the longest bar
    body = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW
        length = round(room * value / top)
        body.append(Markup('<text class="chart-label" x="0" y="{}">{}</text>').format(y + 17, _cut(label)))
        body.append(
            Markup('<rect class="chart-bar" x="0" y="{}" width="{}" height="16" rx="2"/>').format(
                y + 24, max(length, 2)
            )
        )
        body.append(
            Markup('<text class="chart-value" x="{}" y="{}">{}</text>').format(max(length, 2) + 6, y + 38, value)
        )
    return _frame(chart_id, title, desc, max(len(rows), 1) * ROW, body)


def column_chart(chart_id: str, *, title: str, desc: str, points: Sequence[tuple[str, int]]) -> Markup:
    """Columns over time, left to right, with the highest value on the axis and at most
    six labels under them (every n-th, the last always)."""
    height, axis, top_gap, left = 250, 210, 26, 36
    top = max((value for _label, value in points), default=0) or 1
    count = max(len(points), 1)
    slot = (WIDTH - left) / count
    gap = min(slot * 0.2, 8)
    step = max(1, -(-count // 5))
    body = [
        Markup('<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(left, axis, WIDTH, axis),
        Markup('<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(left, top_gap, WIDTH, top_gap),
        Markup('<text class="chart-value" x="{}" y="{}" text-anchor="end">{}</text>').format(
            left - 6, top_gap + 5, top
        ),
        Markup('<text class="chart-value" x="{}" y="{}" text-anchor="end">0</text>').format(left - 6, axis + 5),
    ]
    for index, (label, value) in enumerate(points):
        x = left + index * slot + gap / 2
        bar = (axis - top_gap) * value / top
        body.append(
            Markup('<rect class="chart-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"/>').format(
                x, axis - bar, slot - gap, bar
            )
        )
        if index % step == 0 or index == count - 1:
            anchor = "end" if index == count - 1 and count > 1 else "middle" if count > 1 else "start"
            lx = x + (slot - gap) if anchor == "end" else x + (slot - gap) / 2 if anchor == "middle" else x
            if anchor == "middle" and index == 0:
                anchor, lx = "start", x
            if index != count - 1 and count - 1 - index < step:
                continue  # too near the last label, which is always shown
            body.append(
                Markup('<text class="chart-tick" x="{:.1f}" y="{}" text-anchor="{}">{}</text>').format(
                    lx, axis + 24, anchor, label
                )
            )
    return _frame(chart_id, title, desc, height, body)
