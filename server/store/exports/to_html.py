"""The HTML results report: one self-contained page (its stylesheet inside, its charts SVG drawn on the
server, nothing fetched from anywhere) with the ideas per field of action and the top ideas by dots
as charts, then every idea by field. It prints cleanly to PDF (A4, no idea split over two pages).

Served by the console, the page gets a Content-Security-Policy that allows exactly its own
stylesheet (by its hash, ``STYLE_HASH``) and no script at all. Texts are escaped by jinja2.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC
from importlib.resources import files

import jinja2

from boards.curation import ReviewStatus
from server.store.exports.charts import bar_chart
from server.store.exports.records import Export, ExportKind, IdeaRecord, iso, rounds_cell

Translate = Callable[..., str]
TOP_IDEAS = 10

STYLE = (files("server.store.exports") / "templates" / "report.css").read_text(encoding="utf-8")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()
CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("server.store.exports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV = _environment()


def write_html(export: Export, tr: Translate, language: str) -> bytes:
    by_field: dict[str, list[IdeaRecord]] = defaultdict(list)
    for idea in export.ideas:
        by_field[idea.field].append(idea)
    fields = export.fields()
    per_field = [(name, len(by_field.get(name, []))) for name in fields]
    top = sorted((i for i in export.ideas if i.dots), key=lambda i: (-i.dots, i.created_at, i.id))[:TOP_IDEAS]
    statuses = Counter(i.review_status for i in export.ideas)
    html = _ENV.get_template("report.html").render(
        _=tr,
        lang=language,
        style=STYLE,
        export=export,
        open_data=export.kind is ExportKind.OPEN,
        generated=iso(export.generated_at),
        generated_text=f"{export.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        per_field=per_field,
        per_field_chart=bar_chart(per_field, label=tr("export.chart.per_field")),
        top=top,
        top_chart=bar_chart([(_label(i), i.dots) for i in top], label=tr("export.chart.top")) if top else None,
        statuses=[(s, statuses[s]) for s in ReviewStatus],
        fields=[(name, sorted(by_field.get(name, []), key=lambda i: (-i.dots, i.created_at, i.id))) for name in fields],
        rounds=rounds_cell,
        iso=iso,
    )
    return html.encode("utf-8")


def _label(idea: IdeaRecord) -> str:
    return idea.title or idea.text.split("\n", 1)[0]
