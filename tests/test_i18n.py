"""Message catalogs: gettext files that translators' tools read, complete in German and English,
in step with the code, with CLDR's plural forms on the server and in the browser, and a third
language added by one file."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from boards.actors import Role
from server.i18n import catalogs as i18n
from server.i18n.catalogs import LANGUAGE_NAMES, LANGUAGES, Catalogs, Translator, catalog, catalog_path
from server.i18n.extract import extract_javascript, extract_jinja2, extract_python
from server.web.http import LANG_COOKIE
from tests.support import base_url, make_event, start_server

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "server" / "web" / "templates"
LOCALES = ROOT / "server" / "i18n" / "locales"
TEMPLATE = LOCALES / "messages.pot"


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def texts(message: str | dict[str, str]) -> list[str]:
    return [message] if isinstance(message, str) else list(message.values())


def test_german_and_english_are_catalogs_of_their_own() -> None:
    assert LANGUAGES[:2] == ("de", "en")
    for language in ("de", "en"):
        po = read(catalog_path(LOCALES, language))
        assert str(po.locale) == language
        assert po.num_plurals == 2


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_message_is_translated(language: str) -> None:
    """Every key of the template has a text (every plural form), none fuzzy, none extra."""
    template = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read(TEMPLATE) if m.id}
    po = read(catalog_path(LOCALES, language))
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in po if m.id}
    assert set(entries) == set(template), set(entries) ^ set(template)
    untranslated = []
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(key)
        assert isinstance(message.id, tuple) == isinstance(template[key].id, tuple), f"{key}: plural or not"
    assert untranslated == [], f"{language}: untranslated or fuzzy: {untranslated}"
    assert not po.obsolete, f"{language}: obsolete entries {list(po.obsolete)}"
    # a text twice over, as a careless merge of catalogs once left 21 of them
    doubled = [
        key
        for key, message in entries.items()
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if len(text) > 10 and text[: len(text) // 2] == text[len(text) // 2 :]
    ]
    assert doubled == [], f"{language}: texts that say the same thing twice: {doubled}"


def test_languages_say_the_same_things() -> None:
    de, en = catalog("de"), catalog("en")
    assert set(de) == set(en), set(de) ^ set(en)
    for key in de:
        assert isinstance(de[key], str) == isinstance(en[key], str), key
        names = [placeholders(text) for text in texts(de[key]) + texts(en[key])]
        assert all(n <= set().union(*names) for n in names)
        assert set().union(*map(placeholders, texts(de[key]))) == set().union(*map(placeholders, texts(en[key]))), key


def test_the_template_is_the_code() -> None:
    """messages.pot is what extraction finds now: every key the code uses, no unused one."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "i18n"), "--check"],
        env={**os.environ, "VENV": sys.prefix},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def extracted(extractor: object, source: str, keywords: tuple[str, ...], **options: str) -> list[object]:
    results = extractor(io.BytesIO(source.encode()), dict.fromkeys(keywords), [], options)  # type: ignore[operator]
    return [(funcname, message) for _line, funcname, message, _comments in results]


def test_extraction_reads_conditions_and_counts_in_the_es_modules() -> None:
    source = """
    // t("in.a.comment") is no call
    const a = t(locked ? "console.unlock" : "console.lock");
    const b = this.t("board.count", { count });
    t("vote.remaining", { count: left, budget: 5 });
    t(kind === "columns" ? "scope.columns" : "scope.other", { n: count });
    board.t("cluster.top_level");
    other.tt("not.a.translation");
    const s = 't("in.a.string")';
    button("board.edit");
    t(`conn.${state}`);
    """
    plural = "ngettext"
    assert extracted(extract_javascript, source, ("t",), prefix="client.", functions="button") == [
        ("t", "client.console.unlock"),
        ("t", "client.console.lock"),
        (plural, ("client.board.count", "client.board.count")),
        (plural, ("client.vote.remaining", "client.vote.remaining")),
        ("t", "client.scope.columns"),
        ("t", "client.scope.other"),
        ("t", "client.cluster.top_level"),
        ("t", "client.board.edit"),
    ]


def test_extraction_reads_python_and_templates() -> None:
    python = """
tr("login.failed")
translator(request)("csrf.failed")
_("role.a" if admin else "role.b", name=x)
N_("client.console.queue.hidden", count=...)
str("not.a.key")
"""
    assert extracted(extract_python, python, ("_", "tr", "translator", "N_")) == [
        ("tr", "login.failed"),
        ("translator", "csrf.failed"),
        ("_", "role.a"),
        ("_", "role.b"),
        ("ngettext", ("client.console.queue.hidden", "client.console.queue.hidden")),
    ]
    template = '{{ _("join.title", event=e) }} {{ _("role." ~ r) }} {{ _("board.count", count=n) }}'
    assert sorted(map(str, extracted(extract_jinja2, template, ("_",)))) == sorted(
        map(str, [("_", "join.title"), ("ngettext", ("board.count", "board.count"))])
    )


def test_runtime_keys_follow_what_they_are_built_from() -> None:
    """Keys built at run time (server/i18n/keys.py) cover every role, colour, phase and error code."""
    from boards.actors import Role
    from boards.model import Phase
    from rooms.members import AVATAR_COLOURS
    from server.i18n.keys import RUNTIME_KEYS
    from server.protocol import ERROR_CODES

    def family(prefix: str) -> set[str]:
        return {key[len(prefix) :] for key in RUNTIME_KEYS if key.startswith(prefix)}

    assert family("role.") == family("client.role.") == {role.value for role in Role}
    assert family("colour.") == set(AVATAR_COLOURS)
    assert family("client.phase_hint.") == {phase.value for phase in Phase}
    assert set(ERROR_CODES) <= family("client.error.")


def test_plural_forms_for_0_1_and_2_on_the_server() -> None:
    de, en = Translator("de"), Translator("en")
    assert [de("client.board.count", count=n) for n in (0, 1, 2)] == ["0 Ideen", "1 Idee", "2 Ideen"]
    assert [en("client.board.count", count=n) for n in (0, 1, 2)] == ["0 ideas", "1 idea", "2 ideas"]
    assert de("client.vote.progress", count=1, cast=3) == "Abgestimmt: 1 Person · vergebene Punkte: 3"
    assert en("client.vote.progress", count=2, cast=3) == "Voted: 2 people · dots placed: 3"
    for language in ("de", "en"):
        plurals = {k: v for k, v in catalog(language).items() if isinstance(v, dict)}
        assert len(plurals) >= 10
        for key, forms in plurals.items():
            assert set(forms) == {"one", "other"}, key
            tr = Translator(language)
            values = {name: "x" for form in forms.values() for name in placeholders(form)}
            for n, category in ((0, "other"), (1, "one"), (2, "other")):
                assert tr(key, **{**values, "count": n}) == forms[category].format(**{**values, "count": n}), key


# Placeholders by what they hold: a number that may count something, or a text.
NUMBERS = {
    *("budget", "cap", "cast", "count", "index", "mine", "minutes", "rank", "remaining", "round", "seconds"),
    *("size", "done"),
    *("n", "page", "pages", "weight", "max", "weight_max", "name_max", "feedback_max", "query_max", "bulk_max"),
    *("rating_min", "rating_max", "criteria_max"),
}
TEXTS = {
    *("cluster", "event", "field", "id", "idea", "message", "name", "names", "phase", "place", "role", "room"),
    *("kind", "mode", "status", "text", "time", "title", "topic"),
    *("board", "first", "last", "before", "after", "zone"),
    *("opens", "closes"),  # days, "30. Juni 2026"
    # the import's report (server.web.imports): names of rows, lines and cells, and lists of names
    *("row", "line", "cell", "board", "column", "columns", "first", "second", "file", "fields", "missing", "found"),
    *("detail", "value", "allowed", "char", "sheets", "separator", "wanted", "given", "chosen"),
}
# Messages with a number that are not plural messages, and why no noun agrees with that number.
NOT_PLURAL = {
    "client.results.rank_tie": "an ordinal, '{rank}. (gleichauf)'",
    "client.results.rank_value": "an ordinal, '{rank}.'",
    "client.results.heading": "a round's name, 'Runde {round}'",
    "client.results.round": "a round's name, 'Runde {round}'",
    "client.vote.heading_open": "a round's name, 'Runde {round}'",
    "client.vote.heading_closed": "a round's name, 'Runde {round}'",
    "client.projector.vote_open": "a round's name, 'Runde {round}'",
    "client.projector.vote_closed": "a round's name, 'Runde {round}'",
    "client.breakout.round_heading": "a round's name, 'Runde {round}'",
    "client.breakout.results": "a round's name, 'Runde {round}'",
    "client.breakout.room_default": "a room's name, 'Raum {index}'",
    "client.breakout.room_name": "a room's name, 'Raum {index}'",
    "client.breakout.invalid.name": "a room's name, 'Raum {index}'",
    "client.breakout.invalid.names_twice": "a room's name, 'Raum {index}'",
    "client.breakout.prefer_rank": "an ordinal, 'Ihr {rank}. Wunsch'",
    "client.announce.preference_rank": "an ordinal, 'Ihr {rank}. Wunsch'",
    **{
        f"client.space.zone_numbered.{kind}": "a zone's name, 'Tisch {index}'"
        for kind in ("board", "private", "quiet", "stage", "table")
    },
    # Still called by static/js/projector.js; the room's page uses the plural messages
    # client.announce.vote_started and client.vote.time_minutes / client.vote.time_seconds.
    "client.announce.vote_opened": "the projector's call, to move to client.announce.vote_started",
    "client.vote.time_aria": "the projector's call, to move to client.vote.time_minutes/time_seconds",
    # the organizer console: a row's or page's name, and fixed limits (never 1)
    "console.criteria.name_n": "a row's name, 'Kriterium {n}'",
    "console.bulk.some": "a count after a colon, 'Ausgewählt: {count}' (the script fills it in)",
    "console.dashboard.round": "a round's name, 'Runde {round}'",
    "console.dashboard.round_in_room": "a round's name, 'Runde {round}'",
    "console.room.round": "a round's name, 'Gruppenphase {round}'",
    "console.criteria.weight_n": "a row's name, 'Gewichtung von Kriterium {n}'",
    "console.page_of": "a page's name, 'Seite {page} von {pages}'",
    "console.weight_of": "a criterion's weight, 'Gewichtung {weight}'",
    "console.criteria.hint": "fixed limits, 'höchstens {max} Kriterien' (12)",
    "console.feedback.hint": "a fixed limit, 'höchstens {max} Zeichen' (4000)",
    "console.error.criteria.text_too_long": "a fixed limit (80 characters)",
    "console.error.feedback.text_too_long": "a fixed limit (4000 characters)",
    "console.error.invalid_rating": "the fixed scale, 1 to 5",
    "console.error.invalid_weight": "the fixed scale, 1 to 10",
    "console.error.query_too_long": "a fixed limit (200 characters)",
    "console.error.too_many": "a fixed limit (1000 ideas)",
    "console.error.too_many_criteria": "a fixed limit (12 criteria)",
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_message_with_a_number_is_a_plural_message(language: str) -> None:
    """ "1 Punkte", "1 Minuten": a number in a message that is not plural is a grammar error
    waiting for the number 1, unless the number counts nothing (an ordinal, a round's name)."""
    unknown: dict[str, set[str]] = {}
    singular: dict[str, set[str]] = {}
    for key, message in catalog(language).items():
        names = set().union(*map(placeholders, texts(message)))
        if names - NUMBERS - TEXTS:
            unknown[key] = names - NUMBERS - TEXTS
        if isinstance(message, str) and names & NUMBERS and key not in NOT_PLURAL:
            singular[key] = names & NUMBERS
    assert unknown == {}, f"placeholders to add to NUMBERS or TEXTS: {unknown}"
    assert singular == {}, f"numbers in messages without plural forms (count=…): {singular}"
    stale = {key for key in NOT_PLURAL if isinstance(catalog(language).get(key), dict | None)}
    assert stale == set(), f"exempt but plural or gone: {stale}"


def test_numbers_agree_in_the_vote_messages() -> None:
    de, en = Translator("de"), Translator("en")
    assert de("client.vote.rules", count=1, cap=1) == "1 Punkt pro Person, höchstens 1 pro Idee."
    assert en("client.vote.rules", count=5, cap=3) == "5 dots per person, at most 3 per idea."
    assert de("client.announce.vote_started", count=1) == "Die Abstimmung ist offen: 1 Punkt pro Person."
    assert en("client.announce.extended", count=2) == "The vote runs 2 minutes longer."
    assert [de("client.vote.time_minutes", count=1), de("client.vote.time_seconds", count=1)] == [
        "1 Minute",
        "1 Sekunde",
    ]
    assert de("client.announce.dot_added", count=1, mine=1, remaining=0).endswith("Noch 0 von 1 Punkt.")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return node


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_browser_module_chooses_the_same_forms(language: str) -> None:
    """static/js/i18n.js (Intl.PluralRules) over the page's catalog says what the server says."""
    messages = Translator(language).client_messages()
    plurals = {
        key: {name: "x" for form in forms.values() for name in placeholders(form)}
        for key, forms in messages.items()
        if isinstance(forms, dict)
    }
    script = (
        "import { translator } from './static/js/i18n.js';"
        "const [messages, language, keys] = JSON.parse(process.argv[1]);"
        "const t = translator(messages, language);"
        "const out = {};"
        "for (const [key, values] of Object.entries(keys)) out[key] = [0, 1, 2].map((count) => t(key, { ...values, count }));"
        "console.log(JSON.stringify(out));"
    )
    result = subprocess.run(
        [_node(), "--input-type=module", "-e", script, json.dumps([messages, language, plurals])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    chosen = json.loads(result.stdout)
    server = Translator(language)
    assert len(chosen) == len(plurals) >= 10
    for key, values in plurals.items():
        assert chosen[key] == [server(f"client.{key}", **{**values, "count": n}) for n in (0, 1, 2)], key


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_page_embeds_the_client_catalog_of_the_po_files(sqlite_url: str, language: str) -> None:
    """The join page's message block is the client.* part of the .po file, read here with Babel alone."""
    srv = await start_server(sqlite_url)
    try:
        _event, links = await make_event(srv.app)
        link = next(iter(links.values()))
        async with aiohttp.ClientSession(cookies={LANG_COOKIE: language}) as http:
            async with http.get(f"{base_url(srv)}/j/{link}") as response:
                assert response.status == 200
                page = await response.text()
    finally:
        await srv.close()
    assert f'<html lang="{language}">' in page  # what the browser's Intl.PluralRules is made for
    block = re.search(r'<script type="application/json" id="werkstatt-i18n">(.*?)</script>', page, re.S)
    assert block
    embedded = json.loads(block.group(1))
    po = read(catalog_path(LOCALES, language))
    expected: dict[str, object] = {}
    for message in po:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key.startswith("client."):
            continue
        # German and English: msgstr[0] is CLDR's "one", msgstr[1] "other" (Plural-Forms: n != 1)
        expected[key[len("client.") :]] = (
            message.string
            if isinstance(message.string, str)
            else dict(zip(("one", "other"), message.string, strict=True))
        )
    assert embedded == expected


def test_a_third_language_is_one_more_po_file(tmp_path: Path) -> None:
    """A French catalog beside German and English: discovered, named, with French plural rules."""
    for language in ("de", "en"):
        target = catalog_path(tmp_path, language)
        target.parent.mkdir(parents=True)
        shutil.copy(catalog_path(LOCALES, language), target)
    french = Catalog(locale="fr")
    french.add("join.title", "Participer : {event}")
    # Babel's Plural-Forms for French: msgstr[0] one, [1] many (a million), [2] other
    french.add(("client.board.count", "client.board.count"), ("{count} idée", "{count} d'idées", "{count} idées"))
    target = catalog_path(tmp_path, "fr")
    target.parent.mkdir(parents=True)
    with target.open("wb") as file:
        write_po(file, french)

    catalogs = Catalogs(tmp_path)
    assert catalogs.languages == ("de", "en", "fr")
    assert catalogs.names()["fr"] == "Français"
    fr = Translator("fr", catalogs)
    assert fr("join.title", event="Aalen") == "Participer : Aalen"
    # CLDR: in French 0 and 1 take the singular
    assert [fr("client.board.count", count=n) for n in (0, 1, 2)] == ["0 idée", "1 idée", "2 idées"]
    assert fr("client.board.count", count=1_000_000) == "1000000 d'idées"
    assert fr.client_messages()["board.count"] == {
        "one": "{count} idée",
        "many": "{count} d'idées",
        "other": "{count} idées",
    }
    assert fr("login.title") == catalog("de")["login.title"], "untranslated: the German text"
    assert fr.client_messages()["conn.online"] == catalog("de")["client.conn.online"]


def french_locales(folder: Path) -> Path:
    """The shipped catalogs plus a French one, in ``folder``."""
    for language in ("de", "en"):
        target = catalog_path(folder, language)
        target.parent.mkdir(parents=True)
        shutil.copy(catalog_path(LOCALES, language), target)
    french = Catalog(locale="fr")
    french.add("join.title", "Participer : {event}")
    target = catalog_path(folder, "fr")
    target.parent.mkdir(parents=True)
    with target.open("wb") as file:
        write_po(file, french)
    return folder


async def test_an_app_with_a_french_catalog_offers_french(sqlite_url: str, tmp_path: Path) -> None:
    """One .po file more in the ``locales`` folder: the pages speak French (lang="fr"), the language
    switch and the event form offer it, and no generated document changes."""
    from server import docs_gen
    from server.keys import STORE
    from server.settings import Settings
    from server.web.passwords import hash_password
    from tests.integration.test_organizer_http import PASSWORD, create_event, login, page

    locales = french_locales(tmp_path / "locales")
    with pytest.raises(ValueError, match="default_language"):
        Settings.load({}, default_language="fr")  # the shipped catalogs have no French
    assert Settings.load({}, locales=locales, default_language="fr").default_language == "fr"

    srv = await start_server(sqlite_url, locales=locales)
    try:
        await srv.app[STORE].create_organizer("anna", hash_password(PASSWORD))
        base = base_url(srv)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            assert await login(http, base) == 303
            _status, form, _csrf = await page(http, f"{base}/organizer")
            assert '<option value="fr"' in form, "the event form does not offer French"
            assert 'href="/lang/fr' in form and "Français" in form, "the language switch does not offer French"
            status, _location = await create_event(http, base, title="Atelier", language="fr")
            assert status == 303
        organizer = await srv.app[STORE].organizer_by_username("anna")
        assert organizer is not None
        (event,) = await srv.app[STORE].events_of(organizer.id)
        assert event.language == "fr"
        link = (await srv.app[STORE].links(event.id))[Role.PARTICIPANT]
        async with aiohttp.ClientSession() as http:  # no language chosen: the event's
            async with http.get(f"{base}/j/{link}") as response:
                joined = await response.text()
    finally:
        await srv.close()
    assert '<html lang="fr">' in joined
    assert "Participer : Atelier" in joined
    # The docs describe the setting, not the languages of one installation.
    assert docs_gen.documents()["settings.md"] == (ROOT / "docs" / "settings.md").read_text()
    assert '"en"' not in docs_gen.documents()["settings.md"]


def test_what_offers_languages_follows_the_catalogs() -> None:
    from boards.errors import InvalidInput
    from rooms.event_settings import clean_event
    from server.settings import Settings

    assert tuple(LANGUAGE_NAMES) == LANGUAGES
    for language in LANGUAGES:
        assert Settings.load({}, default_language=language).default_language == language
    with pytest.raises(ValueError, match="default_language"):
        Settings.load({}, default_language="xx")
    draft = dict(title="Werkstatt", description="", date_text="", fields_text="Mobilität")
    assert clean_event(**draft, language="fr", languages=("de", "en", "fr")).language == "fr"
    with pytest.raises(InvalidInput, match="language"):
        clean_event(**draft, language="fr", languages=LANGUAGES)
    assert i18n.discover(LOCALES) == LANGUAGES


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_untranslated_words(template: str) -> None:
    """Text between tags is a translation call or a value, never a literal word."""
    source = (TEMPLATES / template).read_text()
    source = re.sub(r"{[{%#].*?[}%#]}", "", source, flags=re.S)  # drop template code
    source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
    texts = [t.strip() for t in re.findall(r">([^<]+)<", source)]
    words = [t for t in texts if re.search(r"[A-Za-zÄÖÜäöüß]{2,}", t)]
    assert words == [], f"{template}: literal text {words}"


def test_translator_formats_and_falls_back() -> None:
    assert Translator("de")("join.title", event="Aalen") == "Teilnehmen: Aalen"
    assert Translator("en")("join.title", event="Aalen") == "Join: Aalen"
    assert Translator("en")("no.such.key") == "no.such.key"
    assert "conn.online" in Translator("de").client_messages()
