"""Every page: axe-core finds no WCAG 2.1 AA violation, the CSP header is there, nothing is
loaded from another origin, and nothing errs in the console."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import card_action, open_post_form
from tests.browser.conftest import (
    DE,
    OrganizerAccount,
    ServerProcess,
    Watch,
    column,
    create_event,
    describe_violations,
    join,
    login,
    run_axe,
)

pytestmark = pytest.mark.browser

# Chromium asks each origin once for /favicon.ico unless the page names an icon. The join
# and room pages name one; the organizer pages come from server/web/templates/base.html, which
# names none, so the browser logs a 404 for it (a gap reported to the server side). That
# exact message is the only one tolerated.
TOLERATED_CONSOLE = ("/favicon.ico]",)


def assert_no_violations(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def test_axe_finds_no_violations_on_any_page(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    context, _watch = new_context()
    page = context.new_page()
    page.goto("/login")
    assert_no_violations(page, "the login page")

    # A failed login shows an error: still accessible.
    page.get_by_label(DE["login.username"]).fill(organizer.username)
    page.get_by_label(DE["login.password"]).fill("wrong password")
    page.get_by_role("button", name=DE["login.submit"]).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_violations(page, "the login page with an error")

    login(page, organizer)
    assert_no_violations(page, "the organizer's events page")
    links = create_event(page, "Barrierefreie Werkstatt", ["Mobilität", "Bildung", "Umwelt"])
    assert_no_violations(page, "the organizer's event page")

    guest = new_context()[0].new_page()
    guest.goto(links["participant"])
    assert_no_violations(guest, "the join page")
    guest.get_by_role("button", name=DE["join.submit"]).click()  # empty pseudonym: the browser refuses

    room = join(new_context()[0], links["participant"], "Ute", colour="orange")
    other = join(new_context()[0], links["facilitator"], "Moderation Mia", colour="magenta")
    open_post_form(room)
    open_post_form(other)
    room.get_by_label(DE["client.board.text"]).fill("Mehr Bänke in der Fußgängerzone")
    room.get_by_role("button", name=DE["client.board.post"]).click()
    other.get_by_label(DE["client.board.text"]).fill("Trinkbrunnen an Spielplätzen")
    other.get_by_role("button", name=DE["client.board.post"]).click()
    expect(room.locator("#board").get_by_role("listitem")).to_have_count(2)
    assert_no_violations(room, "the room page with ideas")

    # With an error, an open editor and an open delete confirmation.
    room.get_by_label(DE["client.board.text"]).fill("   ")  # only spaces: refused by the server
    room.get_by_role("button", name=DE["client.board.post"]).click()
    expect(room.locator("#post-error")).to_be_visible()
    mine = column(room, "Mobilität").get_by_role("listitem").filter(has_text="Mehr Bänke")
    card_action(mine, DE["client.board.edit"])
    theirs = other.locator("#board").get_by_role("listitem").filter(has_text="Mehr Bänke")
    card_action(theirs, DE["client.board.delete"])
    assert_no_violations(room, "the room page with an error and an open editor")
    assert_no_violations(other, "the room page with a delete confirmation (facilitator)")

    observer = join(new_context()[0], links["observer"], "Olaf")
    assert_no_violations(observer, "the room page of an observer")

    lost = new_context()[0].new_page()
    lost.goto(room.url)  # no membership in this browser
    expect(lost.get_by_text(DE["room.no_token"])).to_be_visible()
    assert_no_violations(lost, "the room page without membership")


def assert_clean(page: Any, watch: Watch, where: str) -> None:
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"CSP violations on {where}: {violations}"
    assert watch.page_errors == [], f"script errors on {where}: {watch.page_errors}"
    assert watch.failed_responses == [], f"failed requests on {where}: {watch.failed_responses}"
    errors = [
        e
        for e in watch.console_errors
        if not (e.startswith("Failed to load resource") and e.endswith(TOLERATED_CONSOLE))
    ]
    assert errors == [], f"console errors on {where}: {errors}"


def test_csp_on_every_page_and_no_request_to_another_origin(
    new_context: Any, server: ServerProcess, organizer: OrganizerAccount
) -> None:
    documents: list[tuple[str, dict[str, str]]] = []

    def record_documents(context: Any) -> None:
        context.on(
            "response",
            lambda r: r.request.resource_type == "document" and documents.append((r.url, r.headers)),
        )

    org_context, org_watch = new_context()
    record_documents(org_context)
    page = org_context.new_page()
    page.goto("/login")
    assert_clean(page, org_watch, "the login page")
    login(page, organizer)
    assert_clean(page, org_watch, "the events page")
    links = create_event(page, "Datensparsame Werkstatt", ["Energie", "Klima"])
    assert_clean(page, org_watch, "the event page")

    ctx, watch = new_context()
    record_documents(ctx)
    room = join(ctx, links["participant"], "Nora")
    open_post_form(room)
    room.get_by_label(DE["client.board.text"]).fill("Solardächer auf Schulen")
    room.get_by_role("button", name=DE["client.board.post"]).click()
    expect(room.locator("#board").get_by_role("listitem")).to_have_count(1)
    room.reload()
    expect(room.locator("#conn-status")).to_have_attribute("data-state", "online")
    expect(room.locator("#board").get_by_role("listitem")).to_have_count(1)
    assert_clean(room, watch, "the room page")

    pages = {url.split("?")[0].replace(server.base, "") for url, _ in documents}
    assert {"/login", "/organizer"} <= pages
    assert any(p.startswith("/j/") for p in pages)
    assert any(p.startswith("/e/") for p in pages)
    assert any(p.startswith("/organizer/events/") for p in pages)
    for url, headers in documents:
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, f"no strict CSP on {url}: {csp!r}"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp

    # Late errors too: the watches cover everything each context did.
    assert_clean(page, org_watch, "the organizer pages")
    assert_clean(room, watch, "the join and room pages")
    for w in (org_watch, watch):
        assert w.requests, "requests were recorded"
        assert w.foreign() == [], f"requests to other origins: {w.foreign()}"
    assert any(url.startswith(f"ws://127.0.0.1:{server.port}/socket.io/") for url in watch.requests)
