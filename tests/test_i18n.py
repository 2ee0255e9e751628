"""Message catalogs: German and English say the same things; pages take their words from them."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from server.i18n import LANGUAGES, Translator, catalog

TEMPLATES = Path(__file__).parent.parent / "server" / "templates"


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    de, en = catalog("de"), catalog("en")
    assert set(de) == set(en), set(de) ^ set(en)
    for key in de:
        assert de[key].strip() and en[key].strip(), key
        assert placeholders(de[key]) == placeholders(en[key]), key


def test_every_key_used_in_a_template_exists() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        # whole keys only: "role." ~ role.value is completed at run time
        used |= set(re.findall(r"""_\(\s*["']([a-z0-9_.]*[a-z0-9_])["']\s*[,)]""", template.read_text()))
    assert used, "templates use no message keys"
    for language in LANGUAGES:
        missing = {key for key in used if key not in catalog(language)}
        assert not missing, (language, missing)


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
