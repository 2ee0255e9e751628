"""Translations from message catalogs (``server/locales/LANG.json``): German first, English too.

Pages use ``_("key")`` in templates; the browser client gets the ``client.*`` messages as a
JSON block in the page. A test checks that every catalog has the same keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("de", "en")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


@cache
def catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise KeyError(language)
    return json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class Translator:
    language: str

    def __call__(self, key: str, **values: object) -> str:
        text = catalog(self.language).get(key) or catalog("de").get(key) or key
        return text.format(**values) if values else text

    def client_messages(self) -> dict[str, str]:
        return {k[len("client.") :]: v for k, v in catalog(self.language).items() if k.startswith("client.")}
