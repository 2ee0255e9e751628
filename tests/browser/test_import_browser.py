"""An organizer imports a town's idea store from a CSV file: the dry run shows a row error, the
valid rows are imported, and the ideas are on a new board in the plenary. Every page axe-clean."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DE, OrganizerAccount, ServerProcess, create_event, login
from tests.browser.test_organizer_flow import assert_axe_clean, screenshots
from tests.store.test_imports import FIELDS, FIXTURE

pytestmark = pytest.mark.browser


def test_organizer_imports_a_csv_after_its_dry_run(new_context: Any, organizer: OrganizerAccount) -> None:
    context, watch = new_context()
    page = context.new_page()
    login(page, organizer)
    create_event(page, "Ideenspeicher Aalen–Heidenheim", list(FIELDS))

    page.get_by_role("link", name=DE["event.import"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ideenspeicher Aalen–Heidenheim")
    assert_axe_clean(page, "the upload form")
    screenshots(page, "import-upload")

    # the town's file, and one row in a field of action the event does not have
    data = FIXTURE.read_bytes() + "Tourismus;Wohnmobilstellplatz;Stellplätze mit App buchen;;;;\r\n".encode()
    page.get_by_label(DE["import.file"]).set_input_files(
        files=[{"name": "ideenspeicher.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name=DE["import.check"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(DE["import.report.title"])
    expect(page.locator(".import-total")).to_have_text(
        "32 Ideen werden in 8 Handlungsfeldern angelegt; 1 Zeile hat Fehler."
    )
    bad = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="34", exact=True))
    expect(bad).to_contain_text("Die Veranstaltung hat kein Handlungsfeld „Tourismus“.")
    expect(bad).to_contain_text("Wohnmobilstellplatz")
    assert_axe_clean(page, "the dry run")
    screenshots(page, "import-dry-run")

    # rows with errors: the import asks for the choice to import only the valid ones
    page.get_by_role("button", name="32 Ideen importieren").click()
    expect(page.get_by_role("alert")).to_have_text(DE["import.conflict.has_errors"])
    page.get_by_label("Nur die fehlerfreien Zeilen importieren (32)").check()
    page.get_by_role("button", name="32 Ideen importieren").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(DE["import.done.title"])
    done = page.get_by_role("status")
    expect(done).to_contain_text(
        re.compile(r"32 Ideen wurden auf der Tafel „Import \d{4}-\d\d-\d\d“ im Plenum angelegt")
    )
    board = re.search(r"„(Import [\d-]+)“", done.inner_text())
    assert board is not None
    assert_axe_clean(page, "the result of the import")
    screenshots(page, "import-done")

    # the ideas are on the new board, in their fields of action
    page.get_by_role("link", name=DE["import.done.room"]).click()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online")
    tab = page.get_by_role("tab", name=board.group(1))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("region", name="Mobilität")).to_contain_text("Smarte Parkplatzsuche")
    expect(page.get_by_role("region", name="Umwelt und Klima")).to_contain_text("Solarkataster")
    assert watch.page_errors == []
    assert [e for e in watch.console_errors if "409 (Conflict)" not in e] == []  # the refusal above was a 409


def test_a_long_import_shows_its_progress_and_then_its_result(
    new_context: Any, organizer: OrganizerAccount, server: ServerProcess
) -> None:
    context, watch = new_context()
    page = context.new_page()
    login(page, organizer)
    create_event(page, "Ideenspeicher Jena", list(FIELDS))
    page.get_by_role("link", name=DE["event.import"]).click()
    page.get_by_label(DE["import.file"]).set_input_files(str(FIXTURE))
    page.get_by_role("button", name=DE["import.check"]).click()
    expect(page.locator(".import-total")).to_contain_text(DE["import.summary.no_errors"])

    # Another writer holds the database: the import waits for it (up to the store's busy timeout),
    # and its page says so meanwhile.
    database = sqlite3.connect(server.workdir / "w.db", isolation_level=None)
    try:
        database.execute("BEGIN IMMEDIATE")
        page.get_by_role("button", name="32 Ideen importieren").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(DE["import.progress.title"])
        expect(page.get_by_role("status")).to_have_text(DE["import.progress.preparing"])
        expect(page.get_by_role("link", name=DE["import.progress.reload"])).to_be_visible()
        assert_axe_clean(page, "the progress of an import")
        screenshots(page, "import-progress")
    finally:
        database.execute("ROLLBACK")
        database.close()
    # the page follows the import by itself and shows the result when it is done
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["import.done.title"], timeout=15_000)
    expect(page.get_by_role("status")).to_contain_text("32 Ideen wurden")
    assert watch.page_errors == [] and watch.console_errors == []
