"""The organizer console in Chromium: a Smart City town's ideas filtered by field, found by a
German word form, given a status one at a time and many at once, feedback and a rating; the
dashboard's charts; one flow by keyboard only; axe-clean pages, screenshots at a laptop's and a
phone's size.

Each test has an organizer of its own with the town seeded into the server's database (the
console lists every idea of its organizer, so tests must not share one).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.store.db import create_engine
from server.store.idea_store import IdeaStore
from server.web.passwords import hash_password
from tests.browser.conftest import (
    DE,
    T_DE,
    OrganizerAccount,
    ServerProcess,
    describe_violations,
    focused,
    login,
    run_axe,
    tab_until,
)
from tests.console_town import Town, seed_town

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
SIZES = ((1366, 768), (390, 844))


def seeded(server: ServerProcess) -> tuple[OrganizerAccount, Town]:
    """A new organizer with the town's events, written into the running server's database."""
    account = OrganizerAccount("orga-" + secrets.token_hex(3), secrets.token_urlsafe(16))

    async def seed() -> Town:
        store = IdeaStore(create_engine(server.database))
        try:
            organizer = await store.create_organizer(account.username, hash_password(account.password))
            return await seed_town(store, organizer.id, key=secrets.token_hex(3))
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        return account, pool.submit(asyncio.run, seed()).result()


def check_page(page: Any, name: str) -> None:
    """axe-clean at both sizes, and a full-page screenshot of each for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        violations = run_axe(page)
        assert not violations, describe_violations(f"{name} at {width}px", violations)
        page.screenshot(path=str(ARTIFACTS / f"console-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def results(page: Any) -> Any:
    return page.get_by_role("region", name=re.compile(r"^\d+ Idee"))


def test_filter_by_field_and_search_a_german_word_form(new_context: Any, server: ServerProcess) -> None:
    account, _town = seeded(server)
    context, watch = new_context()
    page = context.new_page()
    login(page, account)
    page.get_by_role("navigation", name=DE["nav.organizer"]).get_by_role("link", name=DE["nav.ideas"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DE["console.ideas.title"])
    expect(results(page).get_by_role("heading", level=2)).to_have_text(T_DE("console.results", count=13))
    check_page(page, "ideas")

    page.get_by_label(DE["console.field"], exact=True).select_option("Bildung")
    page.get_by_role("button", name=DE["console.apply"]).click()
    listed = results(page).get_by_role("heading", level=3)
    expect(listed).to_have_count(2)
    expect(listed).to_have_text(
        ["Digitalkurse für Seniorinnen und Senioren in der Stadtbibliothek.", "Tablets für alle Schulen"]
    )

    page.get_by_role("link", name=DE["console.reset"]).click()
    page.get_by_role("searchbox", name=DE["console.search"]).fill("Radwegen")
    page.get_by_role("button", name=DE["console.apply"]).click()
    expect(listed).to_have_text(["Mehr Radwege", "Radweg an der Brenz"])
    page.get_by_role("searchbox", name=DE["console.search"]).fill("Bäume")
    page.get_by_role("searchbox", name=DE["console.search"]).press("Enter")
    expect(listed).to_have_text(["Bäume mit Sensoren gießen"])
    check_page(page, "ideas-search")
    assert not watch.foreign() and not watch.page_errors and not watch.console_errors


def test_status_one_at_a_time_and_many_at_once(new_context: Any, server: ServerProcess) -> None:
    account, _town = seeded(server)
    context, watch = new_context()
    page = context.new_page()
    login(page, account)
    page.goto("/organizer/ideas?field=Umwelt+und+Klima")
    boxes = results(page).get_by_role("checkbox", name=re.compile(f"^{DE['console.choose']} "))
    expect(boxes).to_have_count(3)
    count = page.locator("#bulk-count")
    expect(count).to_have_text(DE["console.bulk.none"])
    page.get_by_role("checkbox", name=DE["console.bulk.all"]).check()  # the script's box
    expect(count).to_have_text(DE["console.bulk.some"].format(count=3))
    boxes.nth(0).uncheck()
    expect(count).to_have_text(DE["console.bulk.some"].format(count=2))
    page.get_by_label(DE["console.bulk.status"]).select_option(label=DE["console.status.under_review"])
    page.get_by_role("button", name=DE["console.bulk.submit"]).click()
    expect(page.get_by_role("status").filter(has_text=T_DE("console.changed", count=2))).to_be_visible()
    expect(page.get_by_label(DE["console.field"], exact=True)).to_have_value("Umwelt und Klima")  # the view is kept
    expect(results(page).locator(".review-status", has_text=DE["console.status.under_review"])).to_have_count(2)

    # one idea: its own page
    page.goto("/organizer/ideas")
    results(page).get_by_role("link", name="Mehr Radwege").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mehr Radwege")
    page.get_by_label(DE["console.status.label"]).select_option("shortlisted")
    page.get_by_role("button", name=DE["console.status.save"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.status"])
    history = page.get_by_role("table", name=DE["console.history"])
    expect(history).to_contain_text(
        T_DE("console.history.status", before=DE["console.status.new"], after=DE["console.status.shortlisted"])
    )
    assert not watch.page_errors and not watch.console_errors


def test_feedback_rating_and_duplicate_on_an_ideas_page(new_context: Any, server: ServerProcess) -> None:
    account, town = seeded(server)
    context, watch = new_context()
    page = context.new_page()
    login(page, account)

    page.goto("/organizer/criteria")
    page.get_by_label(T_DE("console.criteria.name_n", n=1), exact=True).fill("Wirkung")
    page.get_by_label(T_DE("console.criteria.weight_n", n=1), exact=True).fill("2")
    page.get_by_label(T_DE("console.criteria.name_n", n=2), exact=True).fill("Machbarkeit")
    page.get_by_label(T_DE("console.criteria.name_n", n=3), exact=True).fill("wirkung")
    page.get_by_role("button", name=DE["console.criteria.save"]).click()
    expect(page.get_by_role("alert")).to_have_text(DE["console.error.duplicate_criterion"])
    check_page(page, "criteria-error")
    page.get_by_label(T_DE("console.criteria.name_n", n=3), exact=True).fill("")
    page.get_by_role("button", name=DE["console.criteria.save"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.criteria"])

    page.goto(f"/organizer/ideas/{town.aalen.ideas['antrag']}")
    page.get_by_label(DE["console.feedback.label"]).fill("Danke! Der Bewohnerparkausweis ist ab Herbst online.")
    page.get_by_role("button", name=DE["console.feedback.save"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.feedback"])
    expect(page.get_by_label(DE["console.feedback.label"])).to_have_value(
        "Danke! Der Bewohnerparkausweis ist ab Herbst online."
    )
    page.get_by_role("group", name=re.compile("^Wirkung")).get_by_label("5").check()
    page.get_by_role("group", name=re.compile("^Machbarkeit")).get_by_label("2").check()
    page.get_by_role("button", name=DE["console.rating.save"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.rating"])
    expect(page.locator(".idea-facts-head")).to_contain_text(f"{DE['console.score']}: 4,0")

    # a duplicate of an idea of the other event, found by a search
    page.get_by_role("searchbox", name=DE["console.duplicate.search"]).fill("Online-Marktplatz")
    page.get_by_role("button", name=DE["console.duplicate.find"]).click()
    page.get_by_role("radio", name=re.compile("Lokaler Online-Marktplatz")).check()
    page.get_by_role("button", name=DE["console.duplicate.mark"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.duplicate"])
    expect(page.locator(".duplicate-note")).to_contain_text("Lokaler Online-Marktplatz")
    check_page(page, "idea")
    page.get_by_role("button", name=DE["console.unduplicate"]).click()
    expect(page.get_by_role("status")).to_have_text(DE["console.done.unduplicate"])
    unexpected = [e for e in watch.console_errors if "status of 400" not in e]  # the refused criteria
    assert not watch.page_errors and not unexpected and not watch.foreign()


def test_the_dashboard_draws_its_charts(new_context: Any, server: ServerProcess) -> None:
    account, town = seeded(server)
    context, watch = new_context()
    page = context.new_page()
    login(page, account)
    page.goto(f"/organizer/events/{town.aalen.event_id}")
    page.get_by_role("link", name=DE["event.dashboard"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        DE["console.dashboard.title"].format(event="Zukunftswerkstatt Smart City Aalen")
    )
    charts = page.get_by_role("img")
    expect(charts).to_have_count(3)
    expect(page.get_by_role("img", name=DE["console.dashboard.joined"])).to_be_visible()
    expect(page.get_by_role("img", name=DE["console.dashboard.fields"])).to_be_visible()
    # the numbers as a table, one click away
    page.locator("summary").filter(has_text=DE["console.dashboard.fields"]).click()
    table = page.get_by_role("table", name=DE["console.dashboard.fields"])
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table.get_by_role("row", name="Mobilität 3")).to_be_visible()
    check_page(page, "dashboard")
    page.goto(f"/organizer/events/{town.heidenheim.event_id}/dashboard")
    expect(page.get_by_role("img")).to_have_count(2)  # no vote yet
    check_page(page, "dashboard-weeks")
    assert not watch.foreign() and not watch.page_errors and not watch.console_errors


def test_a_status_by_keyboard_only(new_context: Any, server: ServerProcess) -> None:
    account, _town = seeded(server)
    context, _watch = new_context()
    page = context.new_page()
    login(page, account)
    page.goto("/organizer/ideas?q=Sensoren")
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Freie Parkplätze anzeigen", limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Freie Parkplätze anzeigen")
    tab_until(page, lambda f: f["tag"] == "select" and f["id"] == "status-select", limit=60)
    page.keyboard.press("ArrowDown")  # new → under review
    expect(page.get_by_label(DE["console.status.label"])).to_have_value("under_review")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == DE["console.status.save"]
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(DE["console.done.status"])
    expect(page.locator(".idea-facts-head")).to_contain_text(DE["console.status.under_review"])
