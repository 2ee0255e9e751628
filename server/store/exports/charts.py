"""Bar charts as SVG drawn on the server: no script, no library, no other origin; they print as
sharply as the text around them. Labels are escaped; a label too long for its place is shortened
and the whole of it is the bar's tooltip (``<title>``)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 48
BAR_HEIGHT = 22
GAP = 8
LABEL_CHARS = 34
COLOUR = "#1d5f8a"  # 7.0:1 against white: the bars' values are written beside them in text colour


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(rows: Sequence[tuple[str, int]], *, label: str) -> Markup:
    """Horizontal bars, one per (label, value), longest value the full width; ``label`` names the chart."""
    top = max((value for _name, value in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}">'
    ]
    for n, (name, value) in enumerate(rows):
        y = n * (BAR_HEIGHT + GAP)
        width = round(span * value / top) if value else 0
        middle = y + BAR_HEIGHT / 2
        parts.append(
            f"<g><title>{escape(name)}: {value}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" dominant-baseline="central">'
            f"{escape(_short(name))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="{COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{middle}" dominant-baseline="central">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above
