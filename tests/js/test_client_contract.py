"""The browser client and the server agree: event names, colours, and messages.

Names live once in Python (``server/protocol.py``, ``server/live/handlers/``,
``rooms/members.py``, ``server/i18n/locales``); these tests fail when the JavaScript drifts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rooms.members import AVATAR_COLOURS
from server import protocol
from server.i18n.catalogs import LANGUAGES, catalog
from server.live.handlers import registry

ROOT = Path(__file__).parents[2]
JS = ROOT / "static" / "js"
CSS = ROOT / "static" / "css" / "app.css"


def _frozen_object(source: str, name: str) -> dict[str, str]:
    match = re.search(rf"export const {name} = Object\.freeze\(\{{(.*?)\}}\);", source, re.S)
    assert match, f"{name} not found"
    return dict(re.findall(r'(\w+):\s*"([^"]+)"', match.group(1)))


def _frozen_list(source: str, name: str) -> list[str]:
    match = re.search(rf"export const {name} = Object\.freeze\(\[(.*?)\]\);", source, re.S)
    assert match, f"{name} not found"
    return re.findall(r'"([^"]+)"', match.group(1))


def test_client_event_names_are_the_servers() -> None:
    source = (JS / "protocol.js").read_text(encoding="utf-8")
    client = set(_frozen_object(source, "CLIENT_EVENTS").values())
    server = set(_frozen_object(source, "SERVER_EVENTS").values())
    assert client <= set(registry.specs), client - set(registry.specs)
    assert server <= set(protocol.SERVER_EVENTS), server - set(protocol.SERVER_EVENTS)


def test_client_roles_are_the_servers() -> None:
    from server.live.gateway import CONTRIBUTORS, MODERATORS

    source = (JS / "protocol.js").read_text(encoding="utf-8")
    assert set(_frozen_list(source, "CONTRIBUTOR_ROLES")) == {r.value for r in CONTRIBUTORS}
    assert set(_frozen_list(source, "MODERATOR_ROLES")) == {r.value for r in MODERATORS}
    assert registry.specs["board.idea.create"].roles == CONTRIBUTORS
    assert registry.specs["board.phase"].roles == MODERATORS
    assert registry.specs["vote.open"].roles == MODERATORS


def test_phases_and_card_colours_are_the_domains_with_messages_and_styles() -> None:
    from boards.model import IDEA_COLOURS, Phase

    source = (JS / "protocol.js").read_text(encoding="utf-8")
    assert _frozen_list(source, "PHASES") == [phase.value for phase in Phase]
    assert _frozen_list(source, "IDEA_COLOURS") == list(IDEA_COLOURS)
    css = CSS.read_text(encoding="utf-8")
    for colour in IDEA_COLOURS:
        assert re.search(rf"\.idea\.card-{colour}\s*\{{", css), f".idea.card-{colour} missing in app.css"
    for language in LANGUAGES:
        messages = catalog(language)
        for phase in Phase:
            assert f"client.phase.{phase.value}" in messages
            assert f"client.phase_hint.{phase.value}" in messages
        for colour in IDEA_COLOURS:
            assert f"client.card.{colour}" in messages


def test_vote_defaults_are_the_servers() -> None:
    from boards.voting import BUDGET_MAX

    source = (JS / "voting.js").read_text(encoding="utf-8")
    match = re.search(r"export const VOTE_DEFAULTS = Object\.freeze\(\{(.*?)\}\);", source, re.S)
    assert match
    defaults = dict(re.findall(r"(\w+):\s*(\w+)", match.group(1)))
    fields = protocol.VoteOpen.model_fields
    assert int(defaults["budget"]) == fields["budget"].default
    assert int(defaults["cap"]) == fields["cap"].default
    assert (defaults["blind"] == "true") is fields["blind"].default
    assert int(defaults["budgetMax"]) == BUDGET_MAX


def test_avatar_colours_match_the_domain_and_the_css() -> None:
    source = (JS / "colours.js").read_text(encoding="utf-8")
    assert _frozen_list(source, "AVATAR_COLOURS") == list(AVATAR_COLOURS)
    css = CSS.read_text(encoding="utf-8")
    for name, hex_value in AVATAR_COLOURS.items():
        rule = re.search(rf"\.swatch-{name}\s*\{{\s*background-color:\s*(#[0-9a-fA-F]{{6}});", css)
        assert rule, f".swatch-{name} missing in app.css"
        assert rule.group(1).lower() == hex_value.lower()


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in JS.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'\bt\(\s*"([^"]+)"', source))
        # both keys of a choice: t(n === 1 ? "a_one" : "a", ...)
        for first, second in re.findall(r'\bt\(\s*[^"`()]*\?\s*"([^"]+)"\s*:\s*"([^"]+)"', source):
            keys |= {first, second}
        # keys built from a prefix: `conn.${state}`, `role.${...}`, `error.${code}`
        for prefix in re.findall(r"\bt\(\s*`([a-z_.]+)\.\$\{", source):
            keys.add(prefix + ".*")
    return keys


def test_every_message_the_client_uses_exists_in_every_language() -> None:
    keys = _used_keys()
    assert "board.by" in keys  # the scan works
    for language in LANGUAGES:
        client = {k[len("client.") :] for k in catalog(language) if k.startswith("client.")}
        for key in keys:
            if key.endswith(".*"):
                assert any(k.startswith(key[:-1]) for k in client), f"{language}: no client.{key}"
            else:
                assert key in client, f"{language}: client.{key} is missing"


def test_state_and_role_messages_are_complete() -> None:
    from boards.actors import Role

    for language in LANGUAGES:
        messages = catalog(language)
        for state in ("connecting", "online", "offline", "refused", "reconnecting"):
            assert f"client.conn.{state}" in messages
        for role in Role:
            assert f"client.role.{role.value}" in messages
        for code in protocol.ERROR_CODES:
            assert f"client.error.{code}" in messages, f"{language}: client.error.{code} is missing"


def test_no_user_text_through_html_apis() -> None:
    """User text goes in through textContent; the HTML-parsing APIs are not used at all."""
    for path in JS.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert api not in source, f"{path.name} uses {api}"


def test_no_inline_code_or_style_in_the_client_templates() -> None:
    for name in ("join.html", "room.html"):
        html = (ROOT / "server" / "web" / "templates" / name).read_text(encoding="utf-8")
        assert " style=" not in html
        assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
        for script in re.findall(r"<script([^>]*)>", html):
            assert "src=" in script or 'type="application/json"' in script, script


def test_vendored_files_are_pinned_and_referenced() -> None:
    vendor = sorted(p.name for p in (ROOT / "static" / "vendor").glob("socket.io-client-*.esm.min.js"))
    assert len(vendor) == 1, vendor
    version = re.fullmatch(r"socket\.io-client-(\d+\.\d+\.\d+)\.esm\.min\.js", vendor[0])
    assert version
    script = (ROOT / "scripts" / "vendor.sh").read_text(encoding="utf-8")
    assert f'SOCKET_IO_CLIENT_VERSION="{version.group(1)}"' in script
    assert f"../vendor/{vendor[0]}" in (JS / "room.js").read_text(encoding="utf-8")
    axe = list((ROOT / "tests" / "browser" / "vendor").glob("axe-core-*.min.js"))
    assert len(axe) == 1
    assert json.dumps(axe[0].name.removeprefix("axe-core-").removesuffix(".min.js")) in script


def test_breakout_modes_and_limits_are_the_domains() -> None:
    from rooms import breakouts as b

    source = (JS / "breakout-model.js").read_text(encoding="utf-8")
    assert _frozen_list(source, "MODES") == [mode.value for mode in b.Mode]
    numbers = {name: int(value) for name, value in re.findall(r"export const ([A-Z_]+) = (\d+);", source)}
    assert numbers["ROOMS_MAX"] == b.ROOMS_MAX
    assert numbers["ROOM_NAME_MAX"] == b.ROOM_NAME_MAX
    assert numbers["CAPACITY_MAX"] == b.CAPACITY_MAX
    assert numbers["DURATION_MAX_MINUTES"] * 60 == b.DURATION_MAX_S
    assert numbers["COUNTDOWN_MIN_S"] == b.COUNTDOWN_MIN_S
    assert numbers["COUNTDOWN_MAX_S"] == b.COUNTDOWN_MAX_S
    assert numbers["COUNTDOWN_DEFAULT_S"] == b.COUNTDOWN_DEFAULT_S
    assert b.EXTEND_MIN_S <= numbers["EXTEND_SECONDS"] <= b.EXTEND_MAX_S
    assert numbers["PREFER_MAX"] == protocol.BreakoutPrefer.model_fields["room_ids"].metadata[0].max_length
