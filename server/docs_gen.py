"""Generates every document in ``docs/`` that is derived from the code, and checks them.

    python -m server.docs_gen            rewrite docs/protocol.md, protocol.json, settings.md, cli.md
    python -m server.docs_gen --check    exit 1 and name the documents that are out of date

``scripts/docs`` runs it. ``docs/settings.md`` comes from the ``Settings`` model (each field's
description, default and environment variable) and the CLI flags that set a field;
``docs/cli.md`` from the argparse parser; the protocol documents from ``server.protocol.docs``.
The output depends only on the code, never on the machine (no terminal widths, no dates).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from server import cli
from server.protocol import docs as protocol_docs
from server.settings import ENV_PREFIX, Settings
from server.store.exports.to_json import schema_json as export_schema_json

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"
NOTE = protocol_docs.GENERATED_NOTE


# -- the command line ---------------------------------------------------------------------


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (sub)command as (words after ``werkstatt``, its parser), depth first in declaration order."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, (*path, name))


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    result = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            result += [(choice.dest, choice.help or "") for choice in action._choices_actions]
    return result


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _metavar(action: argparse.Action) -> str:
    if isinstance(action.metavar, str):
        return action.metavar
    return action.dest if not action.option_strings else action.dest.upper()


def usage(words: tuple[str, ...], parser: argparse.ArgumentParser) -> str:
    """A synopsis built from the actions (argparse's own depends on the Python version and terminal)."""
    options, positionals = [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            positionals.append(f"{_metavar(action)} ...")
        elif action.option_strings:
            flag = action.option_strings[0]
            options.append(f"[{flag} {_metavar(action)}]" if _takes_value(action) else f"[{flag}]")
        else:
            positionals.append(_metavar(action))
    return " ".join(["werkstatt", *words, *options, *positionals])


def _option_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        if action.option_strings:
            name = ", ".join(f"`{flag}`" for flag in action.option_strings)
            value = f"`{_metavar(action)}`" if _takes_value(action) else ""
        else:
            name, value = f"`{_metavar(action)}`", "(required)"
        help_text = (action.help or "").replace("%(prog)s", "werkstatt")
        help_text = help_text[:1].upper() + help_text[1:]
        if help_text and not help_text.endswith((".", "…")):
            help_text += "."
        if action.option_strings and action.dest in Settings.model_fields:
            help_text += f" Sets [`{action.dest}`](settings.md#{action.dest})."
        rows.append(f"| {name} | {value} | {protocol_docs._cell(help_text)} |")
    return rows


def cli_markdown() -> str:
    top = cli.parser()
    lines = [
        "# The `werkstatt` command",
        "",
        f"> {NOTE}",
        "",
        "Installing werkstatt installs the `werkstatt` command; `python -m server` is the same. "
        "Settings that have no flag are set with `WERKSTATT_*` environment variables, see "
        "[settings](settings.md); a flag wins over the environment.",
        "",
        "Commands:",
        "",
    ]
    commands = list(walk(top))
    for words, _parser in commands:
        if words:
            lines.append(f"- [`werkstatt {' '.join(words)}`](#{'-'.join(('werkstatt', *words))})")
    for words, parser in commands:
        anchor = "-".join(("werkstatt", *words))
        lines += ["", f'<a id="{anchor}"></a>', f"## `{' '.join(('werkstatt', *words))}`", ""]
        if parser.description:
            lines += [parser.description, ""]
        lines += ["```text", usage(words, parser), "```", ""]
        lines += ["| option | value | meaning |", "|---|---|---|", *_option_rows(parser)]
        subcommands = _subcommands(parser)
        if subcommands:
            lines += ["", "| command | what it does |", "|---|---|"]
            lines += [f"| [`{name}`](#{anchor}-{name}) | {protocol_docs._cell(text)} |" for name, text in subcommands]
    return "\n".join(lines) + "\n"


def cli_flags() -> dict[str, list[tuple[str, str]]]:
    """For each setting a CLI flag sets: (command, flag) pairs."""
    flags: dict[str, list[tuple[str, str]]] = {}
    for words, parser in walk(cli.parser()):
        for action in parser._actions:
            if action.option_strings and action.dest in Settings.model_fields:
                flags.setdefault(action.dest, []).append((" ".join(words), action.option_strings[-1]))
    return flags


# -- settings -----------------------------------------------------------------------------


def _safe_default(value: Any) -> str:
    """The default as shown in the docs: secrets with any password masked, None as "not set"."""
    if value is None:
        return "not set"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
        parts = urlsplit(value)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            value = urlunsplit(parts._replace(netloc=netloc))
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`" if value else "empty"
    return f"`{value}`"


def _setting_type(name: str, prop: dict[str, Any]) -> str:
    annotation = Settings.model_fields[name].annotation
    if name == "allowed_hosts":
        return "comma-separated list of host names"
    if name == "default_language":
        # Not the list of languages: a catalog more must not make the docs stale.
        return "a language with a catalog in the [`locales`](#locales) folder (the name of its directory)"
    if name == "ice_servers":
        return "JSON array of `{urls, username, credential}` (the credential secret), or comma-separated STUN/TURN URLs"
    if name == "trusted_proxy_addresses":
        return "comma-separated list of IP addresses or networks (CIDR)"
    if name == "allowed_origins" or "array" in str(prop.get("type", "")):
        return "comma-separated list of origins"
    if "anyOf" in prop:
        prop = next(option for option in prop["anyOf"] if option.get("type") != "null")
    if annotation is bool or prop.get("type") == "boolean":
        return "`true` or `false`"
    if prop.get("format") == "password":
        return "URL (secret)"
    return protocol_docs.type_text(prop)


def settings_markdown() -> str:
    properties = Settings.model_json_schema()["properties"]
    flags = cli_flags()
    lines = [
        "# Settings",
        "",
        f"> {NOTE}",
        "",
        "werkstatt reads its settings once at start, from (later ones win) the defaults below, "
        f"environment variables `{ENV_PREFIX}<NAME>`, and the flags of the [`werkstatt` command](cli.md). "
        "Invalid values stop the start with a message naming the setting. Settings marked *secret* "
        "(they may contain passwords) never appear in logs.",
        "",
        "| setting | environment variable | flag | type | default |",
        "|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        env = ENV_PREFIX + name.upper()
        flag_text = ", ".join(f"`{cmd} {flag}`" for cmd, flag in flags.get(name, [])) or "—"
        kind = _setting_type(name, properties[name])
        lines.append(
            f"| [`{name}`](#{name}) | `{env}` | {flag_text} | {protocol_docs._cell(kind)} | "
            f"{protocol_docs._cell(_safe_default(field.default))} |"
        )
    for name, field in Settings.model_fields.items():
        secret = _setting_type(name, properties[name]) == "URL (secret)"
        lines += [
            "",
            f'<a id="{name}"></a>',
            f"## `{name}`" + (" (secret)" if secret else ""),
            "",
            field.description or "",
            "",
            f"- environment variable: `{ENV_PREFIX}{name.upper()}`",
        ]
        for cmd, flag in flags.get(name, []):
            lines.append(f"- flag: `werkstatt {cmd} {flag}`")
        lines += [
            f"- type: {_setting_type(name, properties[name])}",
            f"- default: {_safe_default(field.default)}",
        ]
    return "\n".join(lines) + "\n"


# -- all documents ------------------------------------------------------------------------


def documents() -> dict[str, str]:
    """Every generated document, by path relative to ``docs/``."""
    docs = protocol_docs.documents()
    docs["settings.md"] = settings_markdown()
    docs["cli.md"] = cli_markdown()
    docs["export.schema.json"] = export_schema_json()
    return dict(sorted(docs.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.docs_gen", description="Generate the docs from the code.")
    parser.add_argument("--check", action="store_true", help="Only report documents that are out of date.")
    parser.add_argument("--out", type=Path, default=DOCS_DIR, help=f"Directory to write to (default {DOCS_DIR}).")
    args = parser.parse_args(argv)
    stale = []
    for name, text in documents().items():
        target: Path = args.out / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run scripts/docs (python -m server.docs_gen)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
