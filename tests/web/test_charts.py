"""The dashboard's charts drawn on the server: named images, labels as text, and the time axis chosen by the span."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from server.i18n.catalogs import Translator
from server.web.charts import bar_chart, column_chart
from server.web.dashboard import joined_over_time

SVG = "{http://www.w3.org/2000/svg}"
T = Translator("de")


def test_a_bar_chart_is_a_named_image_whose_labels_are_text() -> None:
    svg = ET.fromstring(
        str(
            bar_chart(
                "c1", title="Ideen je Feld", desc="3 Ideen", rows=[("<script>alert(1)</script>", 2), ("Umwelt", 1)]
            )
        )
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.findtext(f"{SVG}title") == "Ideen je Feld" and svg.findtext(f"{SVG}desc") == "3 Ideen"
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == ["<script>alert(1)</script>", "Umwelt"]  # escaped in the markup, text in the image
    widths = [float(r.get("width", 0)) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_a_column_chart_labels_at_most_six_columns_and_always_the_last() -> None:
    points = [(f"{h:02d}:00", h) for h in range(24)]
    svg = ET.fromstring(str(column_chart("c2", title="T", desc="D", points=points)))
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert len(ticks) <= 6 and ticks[0] == "00:00" and ticks[-1] == "23:00"
    assert len([r for r in svg.iter(f"{SVG}rect")]) == 24


@pytest.mark.parametrize(
    ("span", "unit", "buckets"),
    [
        (timedelta(minutes=90), "hour", 2),  # an evening: per hour
        (timedelta(days=1, hours=23), "hour", 48),
        (timedelta(days=30), "day", 31),  # a collection over weeks: per day
        (timedelta(days=200), "week", 29),  # 2 March to 18 September: 29 weeks from Monday
    ],
)
def test_participants_over_time_are_counted_per_hour_day_or_week(span: timedelta, unit: str, buckets: int) -> None:
    first = datetime(2026, 3, 2, 18, 10, tzinfo=UTC)  # a Monday
    joined = [first, first + span / 2, first + span / 2, first + span]
    got_unit, got = joined_over_time(joined, T)
    assert got_unit == unit and len(got) == buckets
    assert sum(b.new for b in got) == 4 and got[-1].total == 4
    assert [b.total for b in got] == sorted(b.total for b in got)
    assert joined_over_time([], T) == ("hour", [])
