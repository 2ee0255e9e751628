"""The catalogs as the serving process reads them: without Babel's CLDR data.

Loading one language's CLDR data costs the process about 6 MB (the idle node's memory is a
target in docs/benchmarks.md), so scripts/i18n writes the two facts the server needs of it
into each catalog's header comment; these tests hold those lines against CLDR, and check
that serving pages in every language loads no locale data.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from babel import Locale

from server.i18n import catalogs as i18n
from server.i18n.catalogs import CATALOGS, LANGUAGES, catalog_path, notes, plural_categories, read_catalog


def test_each_catalog_notes_its_plural_categories_and_name_as_cldr_has_them() -> None:
    for language in LANGUAGES:
        path = catalog_path(i18n.LOCALES, language)
        catalog = read_catalog(path)
        noted = notes(path)
        cldr = plural_categories(language, catalog.plural_expr, catalog.num_plurals)
        assert noted[i18n.CATEGORIES_NOTE] == " ".join(f"{c}={n}" for c, n in cldr.items()), language
        name = Locale.parse(language).get_display_name(language)
        assert noted[i18n.NAME_NOTE].lower() == name.lower(), language


def test_the_catalogs_forms_agree_with_cldr_for_many_numbers() -> None:
    """The catalog's Plural-Forms expression and the noted categories pick the form CLDR picks."""
    for language in LANGUAGES:
        locale = Locale.parse(language)
        entry = CATALOGS.language(language)
        forms = {category: category for category in entry.categories}
        for n in (*range(0, 120), 1000, 1_000_000, 1.0, 2.0, 1.5):
            expected = locale.plural_form(n) if float(n).is_integer() else "other"
            assert entry.form(forms, n) == expected, (language, n)


def test_serving_every_language_loads_no_cldr_data() -> None:
    code = textwrap.dedent(
        """
        import babel.localedata
        from server.app import create_app
        from server.i18n.catalogs import LANGUAGES, LANGUAGE_NAMES, Translator
        from server.settings import Settings

        create_app(Settings.load({}, database="sqlite://", port=0))
        for language in LANGUAGES:
            tr = Translator(language)
            tr("client.board.count", count=1), tr("client.board.count", count=2), tr.client_messages()
        assert LANGUAGE_NAMES == {"de": "Deutsch", "en": "English"}, LANGUAGE_NAMES
        print(sorted(babel.localedata._cache))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"  # Babel's cache of loaded locale data stays empty
