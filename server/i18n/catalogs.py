"""Interface strings from gettext catalogs: German first, English too, any language by one file.

The catalogs are ``server/i18n/locales/<lang>/LC_MESSAGES/messages.po``, kept in step with the code
by ``scripts/i18n`` (Babel's ``pybabel extract`` over the Python code, the templates and the ES
modules into ``messages.pot``, then ``pybabel update``; configured in ``babel.cfg``, with the
extractors of :mod:`server.i18n.extract`). The languages are the directories that hold a
catalog: adding ``fr/LC_MESSAGES/messages.po`` adds French to the language switch, the event
form and the ``default_language`` setting.

Decisions:

- **Symbolic keys as msgids** (``msgid "login.title"``): monolingual gettext, the way Weblate
  (with the German catalog as the base file) and Poedit handle it. The keys were already
  stable names used from Python, the templates and the ES modules; German source texts as
  msgids would have changed every call site and made each wording fix a change of key (and
  a re-translation). The English catalog carries the German text as a ``#.`` note per key. German is the
  source language: its catalog is written first, every other one translates it.
- **Plurals**: a message shown with a number is called with ``count`` (``_("board.count",
  count=n)`` in Python and templates, ``t("board.count", { count })`` in the browser); the
  extractor makes it a gettext plural entry (``msgid_plural``, ``msgstr[n]``), so each language
  has as many forms as its plural rules. Which form a number takes is CLDR's rule through Babel
  (written into each catalog by scripts/i18n, see below) here and ``Intl.PluralRules`` in the browser; both get the
  forms keyed by CLDR category (``one``, ``other``, …), mapped from the ``msgstr[n]`` indices by
  evaluating the catalog's ``Plural-Forms`` expression on numbers of each category.
- **Read at start, no compile step**: the ``.po`` files are read with Babel's ``read_po`` on
  first use (about 15 ms a language for 325 messages) and cached, so the package ships only the
  ``.po`` files and nothing can be stale; no ``.mo`` files are built or committed.
- **No CLDR data in the serving process**: Babel's locale data for one language takes about
  6 MB once loaded (the idle node's memory is a target, docs/benchmarks.md). ``scripts/i18n``
  writes what the server needs of it into each catalog's header comment, ``# Plural categories:
  one=0 other=1`` and ``# Language name: Deutsch``, and a number's form is then the catalog's own
  ``Plural-Forms`` expression (the standard library's ``gettext.c2py``). A catalog without those
  lines (one just made by hand) still works: its facts then come from Babel's CLDR data, on first
  use. tests/test_i18n_runtime.py checks the lines against CLDR and that serving loads no CLDR data.
- **The browser's catalog is made from the same files at run time**: :meth:`Translator.
  client_messages` is the ``client.*`` part of the page's catalog (German where a language
  lacks a translation), embedded in the page as JSON; there is no second copy that could drift.

Placeholders are ``str.format`` names (``{event}``) in both the server and the browser.
A message that is missing or untranslated (empty or fuzzy) in a language falls back to German,
then to the key; ``tests/test_i18n.py`` fails before that can ship.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "de"
CLIENT_PREFIX = "client."

# A message: its text, or for a plural message its forms by CLDR category ("one", "other", …).
Message = str | dict[str, str]

# Numbers tried to learn which msgstr index a CLDR category takes: every integer category of
# every CLDR language has one below 200 or among the large round numbers (French "many").
_SAMPLES = (*range(200), 1000, 10_000, 100_000, 1_000_000, 2_000_000, 10_000_000)


def catalog_path(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def discover(directory: Path = LOCALES) -> tuple[str, ...]:
    """The languages with a catalog in ``directory``, the source language first."""
    found = sorted(p.name for p in directory.iterdir() if catalog_path(directory, p.name).is_file())
    return tuple(sorted(found, key=lambda language: language != SOURCE_LANGUAGE))


# What a catalog's header comment says of its language (written by scripts/i18n from CLDR).
CATEGORIES_NOTE = "Plural categories:"
NAME_NOTE = "Language name:"
_NOTE = re.compile(rf"^#\s*({CATEGORIES_NOTE}|{NAME_NOTE})\s*(.*?)\s*$", re.MULTILINE)


def plural_categories(language: str, plural_expr: str, forms: int) -> dict[str, int]:
    """Which ``msgstr[n]`` each CLDR plural category of ``language`` takes.

    The category of a number comes from CLDR (Babel); its index from the catalog's
    ``Plural-Forms`` expression; a category no integer reaches gets ``other``'s index.
    """
    from babel import Locale  # CLDR's data: for scripts/i18n, and catalogs without their notes

    locale = Locale.parse(language)
    index_of = gettext.c2py(plural_expr)
    mapping: dict[str, int] = {}
    for n in _SAMPLES:
        mapping.setdefault(locale.plural_form(n), min(index_of(n), forms - 1))
    other = mapping.get("other", forms - 1)
    return {category: mapping.get(category, other) for category in (*locale.plural_form.tags, "other")}


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, abort_invalid=True)


def notes(path: Path) -> dict[str, str]:
    """The ``# Plural categories:`` and ``# Language name:`` lines of a catalog's header comment
    (read from the file: Babel's ``header_comment`` would load CLDR data to fill in its own)."""
    head = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            if not line.startswith("#"):
                break
            head.append(line)
    return dict(_NOTE.findall("".join(head)))


def categories_of(catalog: Catalog, noted: Mapping[str, str]) -> dict[str, int]:
    """Which ``msgstr[n]`` each CLDR plural category takes: from the header's note, else CLDR."""
    note = noted.get(CATEGORIES_NOTE)
    if note:
        return {category: int(index) for category, _, index in (pair.partition("=") for pair in note.split())}
    language = str(catalog.locale) if catalog.locale else SOURCE_LANGUAGE
    return plural_categories(language, catalog.plural_expr, catalog.num_plurals)


def messages_of(catalog: Catalog, categories: Mapping[str, int] | None = None) -> dict[str, Message]:
    """The translated messages of a catalog: untranslated and fuzzy ones are left out."""
    if categories is None:
        categories = categories_of(catalog, {})
    out: dict[str, Message] = {}
    # The messages without the header entry: iterating a Catalog formats its header's dates with
    # CLDR's English data (about 3 MB loaded); tests/test_i18n_runtime.py notices if that comes back.
    for message in catalog._messages.values():
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (tuple, list)):
            strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
            forms = {
                category: str(strings[index] or "") for category, index in categories.items() if index < len(strings)
            }
            if forms and all(forms.values()):
                out[str(message.id[0])] = forms
        elif isinstance(message.string, str) and message.string:
            out[message.id] = message.string
    return out


@dataclass(frozen=True)
class Catalogs:
    """The catalogs in one locales directory (the package's, or the ``locales`` setting's)."""

    directory: Path = LOCALES

    @classmethod
    def at(cls, directory: Path | None) -> Catalogs:
        """The catalogs in ``directory``; the package's when it is not given."""
        return cls(directory or LOCALES)

    @property
    def languages(self) -> tuple[str, ...]:
        return _languages(self.directory)

    def language(self, language: str) -> Language:
        if language not in self.languages:
            raise KeyError(language)
        return _language(self.directory, language)

    def messages(self, language: str) -> dict[str, Message]:
        return self.language(language).messages

    def names(self) -> dict[str, str]:
        """Each language's name in itself, for the language switch: ``{"de": "Deutsch", …}``."""
        return {language: self.language(language).name for language in self.languages}


@dataclass(frozen=True)
class Language:
    """One language's catalog as the server uses it."""

    messages: dict[str, Message]
    name: str  # in itself: "Deutsch", "English"
    index_of: Callable[[int], int]  # the catalog's Plural-Forms expression
    categories: Mapping[str, int]  # CLDR category -> msgstr index

    def form(self, forms: Mapping[str, str], count: object) -> str:
        """The form of a plural message for ``count`` (a number that is not whole takes ``other``)."""
        category = "other"
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        if isinstance(count, int) and not isinstance(count, bool):
            index = self.index_of(abs(count))
            category = next((c for c, i in self.categories.items() if i == index and c in forms), "other")
        return forms.get(category) or forms.get("other") or next(iter(forms.values()))


@cache
def _languages(directory: Path) -> tuple[str, ...]:
    return discover(directory)


@cache
def _language(directory: Path, language: str) -> Language:
    path = catalog_path(directory, language)
    catalog = read_catalog(path)
    noted = notes(path)
    categories = categories_of(catalog, noted)
    name = noted.get(NAME_NOTE) or language_name(language)
    return Language(messages_of(catalog, categories), name, gettext.c2py(catalog.plural_expr), categories)


def language_name(language: str) -> str:
    """A language's name in itself, from CLDR (scripts/i18n writes it into the catalog)."""
    from babel import Locale

    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


CATALOGS = Catalogs()
LANGUAGES: tuple[str, ...] = CATALOGS.languages
LANGUAGE_NAMES: dict[str, str] = CATALOGS.names()


def catalog(language: str) -> dict[str, Message]:
    """The messages of ``language`` in the package's catalogs (plural ones as their forms)."""
    return CATALOGS.messages(language)


def select(forms: Mapping[str, str], language: str, count: object) -> str:
    """The form of a plural message for ``count`` in ``language`` (of the package's catalogs)."""
    return CATALOGS.language(language).form(forms, count)


@dataclass(frozen=True, slots=True)
class Translator:
    """``_("key", **values)``: the message in this language with ``{name}`` filled in.

    A plural message takes its form from ``values["count"]``.
    """

    language: str
    catalogs: Catalogs = CATALOGS

    def __call__(self, key: str, **values: object) -> str:
        message = self._lookup(key)
        if isinstance(message, dict):
            language = self.language if key in self.catalogs.messages(self.language) else SOURCE_LANGUAGE
            message = self.catalogs.language(language).form(message, values.get("count"))
        return message.format(**values) if values else message

    def _lookup(self, key: str) -> Message:
        for language in (self.language, SOURCE_LANGUAGE):
            found = self.catalogs.messages(language).get(key)
            if found:
                return found
        return key

    def client_messages(self) -> dict[str, Message]:
        """The ``client.*`` messages without the prefix: the catalog the browser gets
        (German where this language has no translation yet)."""
        own = client_messages(self.catalogs.messages(self.language))
        if self.language == SOURCE_LANGUAGE:
            return own
        return {**client_messages(self.catalogs.messages(SOURCE_LANGUAGE)), **own}


def client_messages(messages: Mapping[str, Message]) -> dict[str, Message]:
    return {k[len(CLIENT_PREFIX) :]: v for k, v in messages.items() if k.startswith(CLIENT_PREFIX)}
