"""An organizer downloads the exports of an event from its page, reads the files, publishes the open data
and opens the results report; the page stays axe-clean."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import card, post_idea
from tests.browser.conftest import DE, OrganizerAccount, ServerProcess, create_event, join, login
from tests.browser.test_organizer_flow import assert_axe_clean, screenshots

pytestmark = pytest.mark.browser

HOSTILE = '=HYPERLINK("http://evil.example","Klick") <script>alert(1)</script>'


def test_organizer_downloads_exports_and_publishes_open_data(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, watch = new_context(accept_downloads=True)
    page = context.new_page()
    login(page, organizer)
    links = create_event(page, "Werkstatt Export", ["Mobilität", "Umwelt"])
    event_url = page.url

    guest, _guest_watch = new_context()
    anna = join(guest, links["participant"], "Anna")
    post_idea(anna, "Mobilität", HOSTILE)
    expect(card(anna, "evil.example")).to_be_visible()
    post_idea(anna, "Umwelt", "Mehr Bäume an der Aalener Straße")
    expect(card(anna, "Bäume")).to_be_visible()

    page.goto(event_url)
    exports = page.get_by_role("region", name=DE["exports.title"])
    internal = exports.get_by_role("list", name=DE["exports.internal"])
    with page.expect_download() as caught:
        internal.get_by_role("link", name=DE["exports.file.ideas.csv"]).click()
    download = caught.value
    assert download.suggested_filename.startswith("werkstatt-export-") and download.suggested_filename.endswith(
        "ideas.csv"
    )
    body = download.path().read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert {r["text"]: r["author"] for r in rows} == {"'" + HOSTILE: "Anna", "Mehr Bäume an der Aalener Straße": "Anna"}
    expect(page.locator("#export-status")).to_contain_text(download.suggested_filename)  # said on the page too

    with page.expect_download() as caught:
        internal.get_by_role("link", name=DE["exports.file.ideas.xlsx"]).click()
    book = openpyxl.load_workbook(io.BytesIO(caught.value.path().read_bytes()))
    assert book.sheetnames == ["Zusammenfassung", "Mobilität", "Umwelt"]
    assert book["Mobilität"]["E2"].value == HOSTILE and book["Mobilität"]["E2"].data_type == "s"
    assert_axe_clean(page, "the event page's exports")

    # publish the open data: a licence and a publisher first
    exports.get_by_label(DE["exports.publish"]).check()
    exports.get_by_role("button", name=DE["exports.save"]).click()
    expect(page.get_by_role("alert")).to_contain_text("licence")
    assert_axe_clean(page, "the open-data form with its error")
    exports = page.get_by_role("region", name=DE["exports.title"])
    exports.get_by_label(DE["exports.licence"]).select_option("cc-by/4.0")
    exports.get_by_label(DE["exports.publisher"]).fill("Stadt Aalen")
    exports.get_by_label(DE["exports.publish"]).check()
    exports.get_by_role("button", name=DE["exports.save"]).click()
    expect(page.get_by_role("status").first).to_have_text(DE["exports.saved"])
    public = page.get_by_role("list", name=DE["exports.public"])
    catalog_url = public.get_by_role("link", name=DE["exports.public.catalog"]).get_attribute("href")
    assert catalog_url
    with urllib.request.urlopen(catalog_url, timeout=10) as response:  # no login: anyone may fetch it
        document = json.loads(response.read())
    distributions = document["dcat:dataset"][0]["dcat:distribution"]
    assert {d["dct:license"]["@id"] for d in distributions} == {"http://dcat-ap.de/def/licenses/cc-by/4.0"}
    assert_axe_clean(page, "the event page with its open data published")
    page.locator("#exports").scroll_into_view_if_needed()
    screenshots(page, "event-exports")

    # the results report: a page of its own, escaped, with charts, printable
    report = context.new_page()
    report.goto(f"{event_url}/export/report.html")
    expect(report.get_by_role("heading", level=1)).to_contain_text("Werkstatt Export")
    expect(report.get_by_text(HOSTILE)).to_be_visible()  # shown as text, never run
    expect(report.get_by_role("img", name=DE["export.chart.per_field"])).to_be_visible()
    assert_axe_clean(report, "the results report")
    screenshots(report, "results-report")
    assert report.pdf(format="A4")[:4] == b"%PDF"
    unexpected = [e for e in watch.console_errors if "status of 400" not in e]  # only the refused form
    assert not watch.page_errors and not unexpected and not watch.foreign()
