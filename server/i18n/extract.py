"""Babel extractors for werkstatt's message keys (named in ``babel.cfg``, run by ``scripts/i18n``).

They follow Babel's extractor interface (``fileobj, keywords, comment_tags, options`` →
``(lineno, funcname, message, comments)``) and read each language with its own parser:
Python with :mod:`ast`, templates with jinja2's parser, the ES modules with Babel's JavaScript
lexer. Babel's stock extractors were not enough for two habits of this code:

- a key chosen by a condition, ``t(locked ? "console.unlock" : "console.lock")``: Babel's
  JavaScript extractor keeps one of the two strings; these extractors yield every key of the
  first argument;
- plural messages: a call that passes a ``count`` value (``_("board.count", count=n)``,
  ``t("board.count", { count })``) makes its message a plural entry (``msgid`` and
  ``msgid_plural`` both the key), so every language gets as many forms as its CLDR plural
  rules have, even where German and English read the same for every number.

Keys built at run time (``t(`conn.${state}`)``, ``_("role." ~ role.value)``) cannot be found
in the code; they are named with ``N_()`` in :mod:`server.i18n.keys`.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from server.i18n import catalogs as i18n

# (lineno, funcname, message or (singular, plural), comments)
Result = tuple[int, str, str | tuple[str, str], list[str]]

KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+|[a-z][a-z0-9_]*")
COUNT = "count"
PLURAL = "ngettext"  # one of Babel's default keywords, with the spec (1, 2)


def _result(lineno: int, funcname: str, keys: list[str], plural: bool, prefix: str = "") -> Iterator[Result]:
    """One result per key; a plural one as Babel's ``ngettext`` keyword (arguments 1 and 2)."""
    for key in keys:
        if KEY.fullmatch(key):
            if plural:
                yield lineno, PLURAL, (prefix + key, prefix + key), []
            else:
                yield lineno, funcname, prefix + key, []


# --- Python ------------------------------------------------------------------------------------


def _python_keys(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _python_keys(node.body) + _python_keys(node.orelse)
    return []


def _python_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Call):  # translator(request)("key")
        return _python_name(func.func)
    return None


def extract_python(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Result]:
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = _python_name(node.func)
        if name is None or name not in keywords:
            continue
        plural = any(k.arg == COUNT for k in node.keywords)
        yield from _result(node.lineno, name, _python_keys(node.args[0]), plural)


# --- jinja2 templates --------------------------------------------------------------------------


def _jinja_keys(node: Any) -> list[str]:
    from jinja2 import nodes

    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, nodes.CondExpr):
        return _jinja_keys(node.expr1) + _jinja_keys(node.expr2)
    return []


def extract_jinja2(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Result]:
    from jinja2 import Environment, nodes

    tree = Environment(autoescape=True).parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for node in tree.find_all(nodes.Call):
        if not isinstance(node.node, nodes.Name) or node.node.name not in keywords or not node.args:
            continue
        plural = any(k.key == COUNT for k in node.kwargs)
        yield from _result(node.lineno, node.node.name, _jinja_keys(node.args[0]), plural)


# --- ES modules --------------------------------------------------------------------------------

# Enough of JavaScript's lexical grammar to find calls and their string arguments: comments,
# strings and template literals are read whole, so a "t(" inside them is not a call. (Babel's
# own JavaScript lexer drops "?" and is deprecated as an interface.)
JS_TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<template>`(?:[^`\\]|\\.)*`)
    |(?P<name>[A-Za-z_$][\w$]*)
    |(?P<op>===|!==|==|!=|<=|>=|=>|&&|\|\||\?\?|\?\.|\.\.\.|[^\s\w])
    |(?P<other>\w+|\s+)
    """,
    re.S | re.X,
)


def _js_tokens(source: str) -> list[tuple[str, str, int]]:
    tokens, lineno = [], 1
    for match in JS_TOKEN.finditer(source):
        kind, value = match.lastgroup or "other", match.group()
        if kind not in ("comment", "other"):
            tokens.append((kind, value, lineno))
        lineno += value.count("\n")
    return tokens


def extract_javascript(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Result]:
    """Calls ``t("key", …)``, also as a method (``this.t(…)``, ``board.t(…)``): the key, or both keys of a condition
    (``t(a ? "x" : "y")``); plural when the values name ``count``. Options from ``babel.cfg``:
    ``prefix`` put before every key, ``functions`` more names of local helpers taking a key."""
    tokens = _js_tokens(fileobj.read().decode(options.get("encoding", "utf-8")))
    prefix = options.get("prefix", "")
    helpers = set(options.get("functions", "").split())
    for i, (kind, value, lineno) in enumerate(tokens[:-1]):
        if kind != "name" or not (value in keywords or value in helpers) or tokens[i + 1][1] != "(":
            continue
        depth, argument, keys, plural = 0, 0, [], False
        for j in range(i + 1, len(tokens)):
            kind_j, value_j, _line = tokens[j]
            previous, following = tokens[j - 1][1], tokens[j + 1][1] if j + 1 < len(tokens) else ""
            if value_j in ("(", "[", "{"):
                depth += 1
            elif value_j in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    break
            elif value_j == "," and depth == 1:
                argument += 1
            elif kind_j == "string" and depth == 1 and argument == 0:
                # the whole argument or a branch of a condition, not a value it is compared with
                if previous in ("(", "?", ":") and following in (",", ")", ":"):
                    keys.append(ast.literal_eval(value_j))
            elif kind_j == "name" and value_j == COUNT and depth == 2 and argument >= 1:
                plural = plural or (previous in ("{", ",") and following in (":", ",", "}"))
        yield from _result(lineno, value if value in keywords else "t", keys, plural, prefix)


# --- the steps of scripts/i18n around pybabel ----------------------------------------------------


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def same_template(first: Path, second: Path, *, keys_only: bool = False) -> bool:
    """Whether two templates hold the same messages, whatever their header dates say: the same
    keys, each plural or not, and unless ``keys_only`` the same locations and notes. Prints
    what differs."""

    def entries(path: Path) -> dict[object, tuple[str, ...]]:
        return {
            m.id: () if keys_only else (*(p for p, _n in m.locations), *m.auto_comments) for m in _read(path) if m.id
        }

    a, b = entries(first), entries(second)
    for key in sorted(map(str, a.keys() - b.keys())):
        print(f"  no longer in the code: {key}", file=sys.stderr)
    for key in sorted(map(str, b.keys() - a.keys())):
        print(f"  new in the code: {key}", file=sys.stderr)
    for moved in sorted((k for k in a.keys() & b.keys() if a[k] != b[k]), key=str):
        print(f"  used elsewhere now: {moved} ({', '.join(b[moved])})", file=sys.stderr)
    return a == b


def annotate(locales: Path, source: str = "de", width: int = 100) -> None:
    """Put the German text beside each key of the other languages' catalogs as a ``#.`` note,
    for tools that show the msgid (a symbolic key) rather than a base-language file."""
    german = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in _read(_po(locales, source)) if m.id}
    for path in sorted(locales.glob("*/LC_MESSAGES/messages.po")):
        if path.parts[-3] == source:
            continue
        catalog = _read(path)
        for message in catalog:
            if not message.id:
                continue
            text = german.get(message.id if isinstance(message.id, str) else message.id[0])
            if isinstance(text, str) and text:
                message.auto_comments = [f"Deutsch: {text}"]
            elif isinstance(text, (tuple, list)) and all(text):
                message.auto_comments = [f"Deutsch [{n}]: {form}" for n, form in enumerate(text)]
        with path.open("wb") as file:
            write_po(file, catalog, width=width, ignore_obsolete=True, include_previous=False)


def note_language_facts(locales: Path, width: int = 100) -> None:
    """Write into each catalog's header comment what the server would otherwise take from CLDR:
    ``# Plural categories: one=0 other=1`` and ``# Language name: Deutsch`` (server.i18n.catalogs)."""
    for path in sorted(locales.glob("*/LC_MESSAGES/messages.po")):
        catalog = _read(path)
        language = path.parts[-3]
        categories = i18n.plural_categories(language, catalog.plural_expr, catalog.num_plurals)
        lines = [line for line in (catalog.header_comment or "").splitlines() if not _is_note(line)]
        tail = [lines.pop()] if lines and lines[-1].strip() == "#" else []
        facts = [
            f"# {i18n.CATEGORIES_NOTE} " + " ".join(f"{c}={n}" for c, n in categories.items()),
            f"# {i18n.NAME_NOTE} {i18n.language_name(language)}",
        ]
        header = "\n".join([*lines, *facts, *tail])
        if header != catalog.header_comment:
            catalog.header_comment = header
            with path.open("wb") as file:
                write_po(file, catalog, width=width, ignore_obsolete=True, include_previous=False)


def _is_note(line: str) -> bool:
    text = line.lstrip("#").strip()
    return text.startswith((i18n.CATEGORIES_NOTE, i18n.NAME_NOTE))


def _po(locales: Path, language: str) -> Path:
    return locales / language / "LC_MESSAGES" / "messages.po"


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] in ("same-template", "same-keys"):
        return 0 if same_template(Path(argv[1]), Path(argv[2]), keys_only=argv[0] == "same-keys") else 1
    if len(argv) == 2 and argv[0] == "annotate":
        annotate(Path(argv[1]))
        note_language_facts(Path(argv[1]))
        return 0
    print(
        "usage: python -m server.i18n.extract same-template|same-keys A.pot B.pot | annotate LOCALES_DIR",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
