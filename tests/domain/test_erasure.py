"""The rules of deleting personal data and of the retention period (``rooms.erasure``), and of the site's own
pages' texts (``rooms.site_texts``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from boards.actors import Role
from boards.errors import ControlCharacters, Forbidden, InvalidInput, NotFound, TextTooLong
from rooms.erasure import Content, content, decide_erasure, erased_pseudonym, purge_cutoff, purge_due
from rooms.members import pseudonym_key
from rooms.site_texts import TEXT_MAX, Block, Page, blocks, clean_site_text, page, same_text

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.OBSERVER, Role.FACILITATOR])
def test_anyone_but_an_organizer_may_have_their_data_erased(role: Role) -> None:
    decide_erasure(role)


def test_an_organizers_own_membership_is_not_erased_here() -> None:
    with pytest.raises(Forbidden) as refused:
        decide_erasure(Role.ORGANIZER)
    assert refused.value.code == "cannot_erase_organizer"


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "Gelöscht 1"),
        ({"anna", "gelöscht 1"}, "Gelöscht 2"),
        ({"gelöscht 1", "gelöscht 2", "gelöscht 4"}, "Gelöscht 3"),  # the first free number
    ],
)
def test_the_neutral_pseudonym_is_the_first_free_one(taken: set[str], expected: str) -> None:
    assert erased_pseudonym(taken) == expected
    assert pseudonym_key(expected) not in taken


def test_the_content_choice_is_keep_or_remove() -> None:
    assert content("keep") is Content.KEEP and content("remove") is Content.REMOVE
    for bad in ("", "delete", "KEEP"):
        with pytest.raises(InvalidInput):
            content(bad)


@pytest.mark.parametrize(
    ("event_date", "last_activity", "due"),
    [
        (date(2026, 1, 10), datetime(2026, 1, 10, 20, tzinfo=UTC), True),
        (None, datetime(2026, 1, 10, 20, tzinfo=UTC), True),  # no date: the last activity alone
        (None, NOW - timedelta(days=89), False),
        (date(2026, 1, 10), NOW - timedelta(days=3), False),  # a board still in use after the event's day
        (date(2026, 12, 20), datetime(2026, 1, 10, tzinfo=UTC), False),  # an event still to come
        (date(2026, 9, 6), datetime(2026, 9, 6, 18, tzinfo=UTC), True),  # its whole day lies before the cutoff
        (date(2026, 9, 7), datetime(2026, 9, 6, 18, tzinfo=UTC), False),  # ... or not
    ],
)
def test_an_event_is_due_once_its_date_and_its_last_activity_lie_back(
    event_date: date | None, last_activity: datetime, due: bool
) -> None:
    cutoff = purge_cutoff(NOW, 90)  # 2026-09-07 12:00
    assert purge_due(event_date, last_activity, cutoff) is due


@pytest.mark.parametrize("days", [0, -1, 36_501])
def test_a_retention_period_is_one_day_to_a_hundred_years(days: int) -> None:
    with pytest.raises(InvalidInput):
        purge_cutoff(NOW, days)


def test_site_texts_are_paragraphs_and_headings_of_plain_text() -> None:
    text = "Einleitung mit <b>Markup</b>\nzweite Zeile\n\n\n#  Kontakt \n\n# kein Titel\nweil zwei Zeilen\n\n#\n\n  "
    assert blocks(text) == [
        Block(False, "Einleitung mit <b>Markup</b>\nzweite Zeile"),  # text, never HTML: the page escapes it
        Block(True, "Kontakt"),
        Block(False, "# kein Titel\nweil zwei Zeilen"),
        Block(False, "#"),
    ]
    assert same_text("A\r\n\r\nB  ", "A\n\nB") and not same_text("A", "B")
    assert clean_site_text("  \n ") == ""
    with pytest.raises(TextTooLong):
        clean_site_text("x" * (TEXT_MAX + 1))
    with pytest.raises(ControlCharacters):
        clean_site_text("a\x00b")
    assert page("privacy") is Page.PRIVACY
    with pytest.raises(NotFound):
        page("impressum")
