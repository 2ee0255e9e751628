"""The rules of an imported row (boards.imports): header names, status names, the formula guard,
authors' pseudonyms, and the ordering keys an imported column gets."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boards.curation import ReviewStatus
from boards.imports import ImportFileError, author_names, cell, check_row, read_header, require_columns
from boards.ordering import DIGITS, key_between, spread_keys

FIELDS = ("Mobilität", "Umwelt und Klima")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Handlungsfeld", "field"),
        ("HANDLUNGSFELD ", "field"),
        ("Field of action", "field"),
        ("Titel", "title"),
        ("Idee", "text"),
        ("Beschreibung", "text"),
        ("text", "text"),
        ("Schlagwörter", "tags"),
        ("Autor", "author"),
        ("Name", "author"),
        ("Status", "review_status"),
        ("Review-Status", "review_status"),
        ("review_status", "review_status"),
        ("Rückmeldung", "feedback"),
        ("\ufeffid", "id"),
        ("created_at", "created_at"),
    ],
)
def test_headers_by_any_of_their_names(header: str, column: str) -> None:
    assert read_header(["x", header]).index == {column: 1}


def test_a_header_row_without_a_field_or_a_text_is_refused_naming_what_it_has() -> None:
    header = ["Nr.", "Titel", "Kosten"]
    with pytest.raises(ImportFileError) as refused:
        require_columns(read_header(header), header)
    assert refused.value.params == {"missing": ["field"], "found": ["Nr.", "Titel", "Kosten"]}
    assert read_header(header).ignored == ("Nr.", "Kosten")


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("", ReviewStatus.NEW),
        ("under_review", ReviewStatus.UNDER_REVIEW),
        ("In Prüfung", ReviewStatus.UNDER_REVIEW),
        ("under review", ReviewStatus.UNDER_REVIEW),
        ("vorgemerkt", ReviewStatus.SHORTLISTED),
        ("In Umsetzung", ReviewStatus.IN_IMPLEMENTATION),
        ("umgesetzt", ReviewStatus.DONE),
        ("Rejected", ReviewStatus.REJECTED),
    ],
)
def test_a_status_by_its_value_or_its_german_or_english_name(value: str, status: ReviewStatus) -> None:
    idea, problems = check_row({"field": "Umwelt und Klima", "text": "Bäume", "review_status": value}, FIELDS)
    assert problems == [] and idea is not None and idea.review_status is status


@pytest.mark.parametrize(
    ("value", "text"),
    [("'=1+1", "=1+1"), ("'+49 7361", "+49 7361"), ("'-", "-"), ("'@Stadt", "@Stadt"), ("'Zitat'", "'Zitat'")],
)
def test_the_exports_formula_guard_is_taken_off(value: str, text: str) -> None:
    assert cell(value) == text


def test_problems_of_a_row_are_all_reported_at_once() -> None:
    idea, problems = check_row(
        {"field": "Weltall", "text": "", "title": "", "tags": "a," * 11, "review_status": "gut"}, FIELDS
    )
    assert idea is None
    assert [p.code for p in problems] == ["missing_text", "too_many_tags", "unknown_status", "unknown_field"]
    formula, problems = check_row({"field": "Mobilität", "text": "=A1"}, FIELDS, formulas=[("text", "B7")])
    assert formula is None and [(p.code, p.params) for p in problems] == [("formula", {"cell": "B7"})]


def test_authors_keep_their_pseudonyms_unless_the_event_has_them() -> None:
    names = author_names(["Anna", "anna ", None, "Bernd", "B" * 40], {"anna", "import", "import (import)"})
    assert names == {
        "Anna": "Anna (Import)",
        "anna ": "Anna (Import)",
        None: "Import (Import 2)",
        "Bernd": "Bernd",
        "B" * 40: "B" * 40,
    }
    assert author_names(["B" * 40], {"b" * 40})["B" * 40] == "B" * 31 + " (Import)"


@given(st.integers(min_value=0, max_value=5000))
def test_an_imported_column_gets_short_keys_with_room_between(count: int) -> None:
    keys = spread_keys(count)
    assert keys == sorted(keys) and len(set(keys)) == count
    assert all(len(k) <= 4 and k[-1] != DIGITS[0] for k in keys)
    for before, after in pairwise(keys):
        assert before < key_between(before, after) < after
