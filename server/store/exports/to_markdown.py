"""Markdown: the results to paste into a strategy paper or a wiki — a heading per field of action, the
ideas by dots, each with its tags, status, official feedback and comments.

People's texts are escaped so that a Markdown renderer shows them as typed: every character
CommonMark gives a meaning (``*``, ``_``, ``<``, ``[``, ``#`` …) inside a line (``*``, ``_``, ``<``, ``[``, ``&`` …) gets a backslash, and so does a mark that
would start a block at the start of a line (``#``, ``>``, ``-``, ``1.`` …): ``<script>`` stays
text and a ``# `` at the start of an idea makes no heading.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from server.store.exports.records import Export, ExportKind, IdeaRecord, iso, rounds_cell

Translate = Callable[..., str]

_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")


def escape(text: str) -> str:
    """``text`` as Markdown that renders as exactly that text (lines kept as lines)."""
    lines = [_LINE_START.sub(_line_start, _INLINE.sub(r"\\\1", line)) for line in text.split("\n")]
    return "  \n".join(lines)  # a hard line break where the text had one


def _line_start(match: re.Match[str]) -> str:
    space, mark = match.groups()
    if mark[0].isdigit():  # "1. " would start a numbered list: escape its point
        return f"{space}{mark}\\"
    return f"{space}\\{mark}"


def write_markdown(export: Export, tr: Translate) -> bytes:
    out: list[str] = [f"# {escape(export.title)}", ""]
    kind = tr("export.kind.open") if export.kind is ExportKind.OPEN else tr("export.kind.internal")
    out += [f"- {tr('export.kind')}: {kind}", f"- {tr('export.generated')}: {iso(export.generated_at)}"]
    out.append(f"- {tr('export.ideas_total')}: {len(export.ideas)}")
    if export.kind is ExportKind.OPEN:
        for event in export.events:
            licence = event.open_data.licence
            text = f"[{escape(licence.label)}]({licence.url})" if licence else tr("export.no_licence")
            out.append(f"- {tr('export.licence')}: {text}")
            if event.open_data.publisher:
                out.append(f"- {tr('export.publisher')}: {escape(event.open_data.publisher)}")
    out.append("")
    by_field: dict[str, list[IdeaRecord]] = defaultdict(list)
    for idea in export.ideas:
        by_field[idea.field].append(idea)
    for name in export.fields():
        ideas = sorted(by_field.get(name, []), key=lambda i: (-i.dots, i.created_at, i.id))
        out += [f"## {escape(name)}", ""]
        if not ideas:
            out += [f"_{tr('export.no_ideas')}_", ""]
        for idea in ideas:
            out += _idea(idea, tr)
    return "\n".join(out).encode("utf-8")


def _idea(idea: IdeaRecord, tr: Translate) -> list[str]:
    heading = idea.title or idea.text.split("\n", 1)[0][:80]
    out = [f"### {escape(heading)}", ""]
    if idea.title:
        out += [escape(idea.text), ""]
    facts = [f"{tr('export.dots')}: {idea.dots}"]
    if idea.dots_by_round:
        facts[0] += f" ({tr('export.by_round')} {rounds_cell(idea.dots_by_round)})"
    facts.append(f"{tr('export.review_status')}: {tr('export.status.' + idea.review_status.value)}")
    if idea.tags:
        facts.append(f"{tr('export.tags')}: {escape(', '.join(idea.tags))}")
    if idea.author:
        facts.append(f"{tr('export.author')}: {escape(idea.author)}")
    if idea.board_status != "visible":
        facts.append(f"{tr('export.board_status')}: {tr('export.board_status.' + idea.board_status)}")
    if idea.score is not None:
        facts.append(f"{tr('export.score')}: {idea.score:.1f}")
    facts.append(f"{tr('export.provenance')}: {escape(' / '.join(p for p in (idea.room, idea.board) if p))}")
    out += [f"- {fact}" for fact in facts] + [""]
    if idea.feedback:
        out += [f"**{tr('export.feedback')}:**", "", *(f"> {line}" for line in escape(idea.feedback).split("\n")), ""]
    if idea.comments:
        out += [f"**{tr('export.comments')}:**", ""]
        for c in idea.comments:
            who = f"{escape(c.author)}: " if c.author else ""
            flag = f"({tr('export.hidden')}) " if c.hidden else ""
            out.append(f"- {flag}{who}{escape(c.text)}")
        out.append("")
    return out
