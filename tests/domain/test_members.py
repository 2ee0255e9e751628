"""Pseudonyms, colours and presence."""

from __future__ import annotations

import pytest

from boards.actors import Role
from boards.errors import DomainError
from rooms.event_settings import clean_event
from rooms.members import AVATAR_COLOURS, Member, check_colour, check_unique, clean_pseudonym, pseudonym_key
from rooms.presence import Presence


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Anna", "Anna"),
        ("  Anna B.  ", "Anna B."),
        ("x" * 40, "x" * 40),
        ("Jürgen 😀", "Jürgen 😀"),
        ("<Anna>", "<Anna>"),  # a pseudonym is text like any other: stored as typed
        ("Anna & Ben <3", "Anna & Ben <3"),
    ],
)
def test_pseudonyms_are_trimmed(raw: str, clean: str) -> None:
    assert clean_pseudonym(raw) == clean


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "text_too_short"),
        ("   ", "text_too_short"),
        ("x" * 41, "text_too_long"),
        ("Anna\nBerta", "control_characters"),
        ("Anna\x1b[31m", "control_characters"),
        ("Anna\tBerta", "control_characters"),
    ],
)
def test_bad_pseudonyms_are_refused(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        clean_pseudonym(raw)
    assert info.value.code == code


def test_pseudonyms_are_unique_regardless_of_case_and_spacing() -> None:
    taken = {pseudonym_key("Anna  Berta")}
    with pytest.raises(DomainError) as info:
        check_unique("anna berta", taken)
    assert info.value.code == "pseudonym_taken"
    check_unique("Anna Bertha", taken)


def test_colours_come_from_the_palette() -> None:
    assert check_colour("blue") == "blue"
    with pytest.raises(DomainError):
        check_colour("#ff0000")
    assert len(AVATAR_COLOURS) == 8


def test_presence_reports_arrivals_and_departures_once_per_member() -> None:
    presence = Presence()
    anna = Member("mb_a", "ev_1", Role.PARTICIPANT, "Anna", "blue")
    ben = Member("mb_b", "ev_1", Role.PARTICIPANT, "ben", "red")
    assert presence.connect(anna, "s1") is True
    assert presence.connect(anna, "s2") is False  # a second tab
    assert presence.connect(anna, "s2") is False  # the same tab again: still one arrival
    assert presence.connect(ben, "s3") is True
    assert [m.pseudonym for m in presence.present()] == ["Anna", "ben"]
    assert presence.disconnect("mb_a", "s1") is False
    assert presence.disconnect("mb_a", "s1") is False  # twice: no effect
    assert presence.disconnect("mb_a", "s2") is True
    assert [m.pseudonym for m in presence.present()] == ["ben"]
    assert presence.disconnect("mb_x", "s9") is False


def test_event_form_rules() -> None:
    draft = clean_event(
        title=" Werkstatt ",
        description="",
        date_text="2026-05-06",
        language="de",
        fields_text="Mobilität\n\n Bildung \r\nEnergie\nKosten < Nutzen",
        languages=("de", "en"),
    )
    assert draft.title == "Werkstatt" and draft.fields == ("Mobilität", "Bildung", "Energie", "Kosten < Nutzen")
    assert str(draft.date) == "2026-05-06"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": ""}, "text_too_short"),
        ({"date_text": "6.5.2026"}, "invalid_date"),
        ({"language": "fr"}, "invalid_language"),
        ({"fields_text": "\n \n"}, "no_fields"),
        ({"fields_text": "A\na"}, "duplicate_field"),
        ({"fields_text": "\n".join(f"F{i}" for i in range(21))}, "too_many_fields"),
        ({"fields_text": "Mobilität\x07"}, "control_characters"),
    ],
)
def test_bad_event_forms_are_refused(overrides: dict[str, str], code: str) -> None:
    values = {"title": "W", "description": "", "date_text": "", "language": "de", "fields_text": "Mobilität"}
    values.update(overrides)
    with pytest.raises(DomainError) as info:
        clean_event(**values, languages=("de", "en"))
    assert info.value.code == code
