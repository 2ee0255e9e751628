"""Full-text search of the idea store in German: a word finds its other forms ("Radwegen" finds
"Radweg", "Bäume" finds "Baum").

PostgreSQL does it itself with its ``german`` configuration (Snowball's German stemmer) over a
stored ``tsvector`` column with a GIN index (migration 0009). SQLite has no German stemmer, so werkstatt gives it the same
one: ``werkstatt_stems`` (registered on every connection, see ``server.store.db``) turns a text
into its stems, the FTS5 table ``idea_search`` indexes them, and a query is stemmed the same way.
Both match ideas that hold every word of the query, in any form — but for the stop words ("und",
"die", "unter" …), which PostgreSQL's ``german`` leaves out of its index and its queries: the
query leaves them out on SQLite too (``german.stop`` is PostgreSQL's list, which is Snowball's), so
"die Radwege" finds the same ideas on both, and a query of stop words alone is no search at all.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Any

WORD = re.compile(r"\w+")
MAX_QUERY_WORDS = 12
STEMS_CACHED = 50_000  # words whose stems are remembered (a few MB at most)

_local = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def _stemmer() -> Any:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import snowballstemmer  # on first use: it loads the stemmers of 30 languages

        stemmer = _local.stemmer = snowballstemmer.stemmer("german")
    return stemmer


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@functools.cache
def stop_words() -> frozenset[str]:
    """PostgreSQL's German stop words (``tsearch_data/german.stop``, from Snowball)."""
    return frozenset((Path(__file__).parent / "german.stop").read_text(encoding="utf-8").split())


def query_words(text: str) -> list[str]:
    """The words a search looks for: lower case, without stop words, at most MAX_QUERY_WORDS."""
    stop = stop_words()
    return [w for w in words(text) if w not in stop][:MAX_QUERY_WORDS]


def stems(text: str | None) -> str:
    """The German stems of ``text``'s words, separated by spaces (what SQLite's index holds)."""
    if not text:
        return ""
    return " ".join(map(_stem, words(text)))


@functools.lru_cache(maxsize=STEMS_CACHED)
def _stem(word: str) -> str:
    """One word's stem, remembered: Snowball in Python takes about 0.3 ms a word, and words repeat
    (an import of 20,000 ideas wrote for 100 s, nearly all of it stemming the same words again)."""
    return str(_stemmer().stemWord(word))


def fts5_query(text: str) -> str | None:
    """An FTS5 MATCH expression for ideas holding every word of ``text`` in some form; None when
    ``text`` holds no word. Each stem is quoted, so nothing a user types is read as FTS5 syntax."""
    found = _stemmer().stemWords(query_words(text))
    unique = list(dict.fromkeys(s for s in found if s))
    return " AND ".join(f'"{s}"' for s in unique) if unique else None


def postgres_query(text: str) -> str | None:
    """The words of ``text`` for ``plainto_tsquery('german', …)``; None when it holds none but stop words."""
    found = query_words(text)
    return " ".join(found) if found else None
