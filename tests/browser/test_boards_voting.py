"""Boards and voting in the browser: a facilitator and two participants run a workshop from
collecting through clustering and dot-voting to the revealed ranking; the participants use
the keyboard only. axe-core checks the board in every phase. An anonymous board shows no
author's name to anyone else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.board_helpers import ACTIONS, card, card_action, cluster_action, menu, open_post_form
from tests.browser.conftest import DE, T_DE, column, describe_violations, focused, join, run_axe, tab_until

pytestmark = pytest.mark.browser


def phase_label(phase: str) -> str:
    return DE["client.phase.label"].format(phase=DE[f"client.phase.{phase}"])


def remaining(count: int, budget: int = 5) -> str:
    return T_DE("client.vote.remaining", count=count, budget=budget)


def person(new_context: Any, watches: list[Any], link: str, pseudonym: str, **options: Any) -> Any:
    """Join in a browser context of one's own; its script and console errors are watched."""
    context, watch = new_context(**options)
    watches.append(watch)
    return join(context, link, pseudonym)


def assert_no_script_errors(watches: list[Any]) -> None:
    for watch in watches:
        assert watch.page_errors == [], watch.page_errors
        assert watch.console_errors == [], watch.console_errors


def assert_accessible(page: Any, where: str) -> None:
    violations = run_axe(page)
    assert not violations, describe_violations(where, violations)


def choose_with_keys(page: Any, option: str) -> None:
    """The focused select: pick `option` with the arrow keys."""
    options = page.evaluate("() => [...document.activeElement.options].map((o) => o.text)")
    current = page.evaluate("() => document.activeElement.selectedIndex")
    steps = options.index(option) - current
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")


def post_with_keyboard(page: Any, field: str, text: str, *, backwards: bool = False) -> None:
    """Open the form ("Neue Idee") unless it is open, Tab to the field of action, choose it, Tab
    to the text, type, Ctrl+Enter; wait for the card."""
    if page.locator("#post-form").is_hidden():
        tab_until(page, lambda f: f["id"] == "post-open", limit=60, backwards=backwards)
        page.keyboard.press("Enter")
        expect(page.locator("#post-field")).to_be_focused()
    else:
        tab_until(page, lambda f: f["id"] == "post-field", limit=60, backwards=backwards)
    choose_with_keys(page, field)
    tab_until(page, lambda f: f["id"] == "post-text")
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")
    expect(card(page, text)).to_be_visible()
    expect(page.get_by_label(DE["client.board.text"])).to_have_value("")


def tab_to_card_control(page: Any, text: str, idea: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Tab to a control named `text` (or labelled so) of the card with the idea `idea`."""
    tab_until(
        page,
        lambda f: (f["text"] == text or f["label"] == text) and idea in f["described"],
        limit=limit,
        backwards=backwards,
    )


def set_phase(page: Any, phase: str) -> None:
    page.locator("#phase-select").select_option(phase)
    page.get_by_role("button", name=DE["client.console.phase_set"]).click()
    expect(page.locator("#board-phase")).to_have_text(phase_label(phase))


def place_dots(page: Any, idea: str, count: int, left_after: list[int]) -> None:
    """Keyboard: Tab to the idea's "add dot" button and press Enter `count` times."""
    tab_to_card_control(page, DE["client.vote.add"], idea)
    for left in left_after[:count]:
        page.keyboard.press("Enter")
        expect(page.locator("#vote-remaining")).to_have_text(remaining(left))
    mine = card(page, idea).locator(".my-dots")
    expect(mine).to_have_text(T_DE("client.vote.mine", count=count))


def test_collect_cluster_vote_and_reveal_with_a_facilitator_and_two_participants(
    new_context: Any, make_event: Any
) -> None:
    links = make_event("Smart-City-Werkstatt Aalen", ["Mobilität", "Bildung"])
    watches: list[Any] = []
    mod = person(new_context, watches, links["facilitator"], "Moderation Mia")
    anna = person(new_context, watches, links["participant"], "Anna")
    ben = person(new_context, watches, links["participant"], "Ben")

    # -- collect: the phase is shown to everyone; participants post with the keyboard ----------
    for page in (mod, anna, ben):
        expect(page.locator("#board-phase")).to_have_text(phase_label("collect"))
    expect(mod.get_by_text(DE["client.console.title"], exact=True)).to_be_visible()
    expect(anna.locator("#console")).to_have_count(0)  # no console for participants

    post_with_keyboard(anna, "Mobilität", "Radweg zum Bahnhof")
    anna.keyboard.type("Mehr Busse am Abend")  # the focus stays in the text field
    anna.keyboard.press("Control+Enter")
    expect(card(anna, "Mehr Busse am Abend")).to_be_visible()
    post_with_keyboard(ben, "Mobilität", "Carsharing am Rathaus")
    post_with_keyboard(ben, "Bildung", "WLAN in allen Schulen", backwards=True)
    for page in (mod, anna, ben):
        expect(column(page, "Mobilität").locator("li.idea")).to_have_count(3)
        expect(column(page, "Bildung").locator("li.idea")).to_have_count(1)
    expect(card(ben, "Radweg zum Bahnhof")).to_contain_text(DE["client.board.by"].format(name="Anna"))
    assert_accessible(mod, "the board in the collect phase (facilitator)")
    assert_accessible(anna, "the board in the collect phase (participant)")

    # -- cluster: Anna groups two ideas with the keyboard -----------------------------------------
    set_phase(mod, "cluster")
    for page in (anna, ben):
        expect(page.locator("#board-phase")).to_have_text(phase_label("cluster"))
        expect(page.locator("#post-form")).to_be_hidden()
        expect(page.locator("#post-closed")).to_have_text(
            DE["client.post.closed"].format(phase=DE["client.phase.cluster"])
        )
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.phase"].format(phase="Clustern"))

    # The cluster phase says what "Auswählen" on the cards is for; the control to group shows, not usable yet.
    expect(anna.locator("#phase-hint")).to_have_text(DE["client.phase_hint.cluster_select"])
    expect(anna.locator("#selection-hint")).to_have_text(DE["client.select.hint"])
    group_button = anna.get_by_role("button", name=DE["client.select.group"])
    expect(group_button).to_have_attribute("aria-disabled", "true")
    expect(group_button).to_have_accessible_description(DE["client.select.need_two"])
    select = DE["client.select.idea"]
    tab_to_card_control(anna, select, "Radweg zum Bahnhof")
    anna.keyboard.press("Space")
    expect(anna.locator("#selection-count")).to_have_text(T_DE("client.select.count", count=1))
    tab_to_card_control(anna, select, "Carsharing am Rathaus")
    anna.keyboard.press("Space")
    expect(anna.locator("#selection-count")).to_have_text(T_DE("client.select.count", count=2))
    expect(group_button).to_have_attribute("aria-disabled", "false")
    tab_until(anna, lambda f: f["id"] == "group-heading", backwards=True, limit=60)
    anna.keyboard.type("Mobilität im Quartier")
    anna.keyboard.press("Tab")
    assert focused(anna)["text"] == DE["client.select.group"]
    anna.keyboard.press("Enter")
    heading = "Mobilität im Quartier"
    for page in (mod, anna, ben):
        group = column(page, "Mobilität").locator("li.cluster")
        expect(group).to_have_count(1)
        expect(group.get_by_role("heading", level=4)).to_contain_text(heading)
        expect(group.locator("li.idea")).to_have_count(2)
        expect(group.locator("li.idea").first).to_contain_text("Radweg zum Bahnhof")
    expect(anna.locator("#selection-count")).to_have_text(T_DE("client.select.count", count=0))
    expect(group_button).to_have_attribute("aria-disabled", "true")
    assert focused(anna)["tag"] == "h4", "the new group's heading has the focus"
    expect(anna.locator("#announcer")).to_contain_text(T_DE("client.announce.grouped", count=2, cluster=heading))
    expect(ben.locator("#announcer")).to_contain_text(DE["client.announce.cluster_created"].format(cluster=heading))

    # Ben may not put Anna's idea into another field of action: the page says so and sends nothing.
    tab_until(ben, lambda f: ACTIONS in f["text"] and "Mehr Busse am Abend" in f["described"], limit=80)
    ben.keyboard.press("Alt+ArrowRight")
    expect(ben.locator("#announcer")).to_contain_text(DE["client.move.field_forbidden"])
    expect(column(anna, "Bildung").locator("li.idea")).to_have_count(1)

    # Ben moves his own idea to the next column and back with Alt+arrow keys; the focus stays with it.
    tab_until(ben, lambda f: ACTIONS in f["text"] and "WLAN in allen Schulen" in f["described"], limit=80)
    ben.keyboard.press("Alt+ArrowLeft")
    expect(column(ben, "Mobilität").locator("li.idea")).to_have_count(4)
    expect(ben.locator("#announcer")).to_contain_text(
        T_DE("client.announce.place", index=4, count=4, field="Mobilität")
    )
    assert "WLAN in allen Schulen" in focused(ben)["described"]
    ben.keyboard.press("Alt+ArrowRight")
    expect(column(ben, "Bildung").locator("li.idea")).to_have_count(1)
    expect(column(anna, "Bildung").locator("li.idea")).to_have_count(1)
    assert_accessible(mod, "the board in the cluster phase (facilitator)")
    assert_accessible(anna, "the board in the cluster phase (participant)")

    # -- vote: a blind round with the defaults (5 dots, at most 3 per idea) ------------------
    set_phase(mod, "vote")
    expect(anna.locator("#phase-hint")).to_have_text(DE["client.phase_hint.vote"])
    expect(mod.locator("#phase-hint")).to_have_text(DE["client.phase_hint.vote_open_it"])
    expect(mod.get_by_label(DE["client.console.budget"])).to_have_value("5")
    expect(mod.get_by_label(DE["client.console.cap"])).to_have_value("3")
    expect(mod.get_by_label(DE["client.console.blind"])).to_be_checked()
    expect(mod.get_by_label(DE["client.console.moderators_vote"])).not_to_be_checked()
    mod.get_by_role("button", name=DE["client.console.vote_open"]).click()
    for page in (anna, ben):
        expect(page.locator("#vote-heading")).to_have_text(DE["client.vote.heading_open"].format(round=1))
        expect(page.locator("#vote-remaining")).to_have_text(remaining(5))
    # The facilitator runs the round without dots of their own.
    expect(mod.locator("#board").get_by_role("button", name=DE["client.vote.add"])).to_have_count(0)
    expect(anna.locator("#announcer")).to_contain_text(T_DE("client.announce.vote_started", count=5))
    expect(anna.locator("#phase-hint")).to_have_text(DE["client.phase_hint.voting"])
    expect(mod.locator("#phase-hint")).to_have_text(DE["client.phase_hint.vote_running"])

    place_dots(anna, "Radweg zum Bahnhof", 3, [4, 3, 2])
    # A fourth dot on the same idea is over the cap: refused before it is sent, and said so.
    add = card(anna, "Radweg zum Bahnhof").get_by_role("button", name=DE["client.vote.add"])
    expect(add).to_have_attribute("aria-disabled", "true")
    expect(add).to_be_focused()
    anna.keyboard.press("Enter")
    expect(anna.locator("#announcer")).to_contain_text(DE["client.error.cap_reached"])
    expect(anna.locator("#vote-remaining")).to_have_text(remaining(2))
    place_dots(anna, "Mehr Busse am Abend", 2, [1, 0])
    # One voter so far: one person, in the singular.
    expect(mod.locator("#vote-progress")).to_have_text(T_DE("client.vote.progress", count=1, cast=5))
    expect(mod.locator("#vote-progress")).to_contain_text("Abgestimmt: 1 Person ·")
    expect(anna.locator("#announcer")).to_contain_text(T_DE("client.announce.dot_added", mine=2, remaining=0, count=5))
    place_dots(ben, "Carsharing am Rathaus", 3, [4, 3, 2])
    place_dots(ben, "WLAN in allen Schulen", 1, [1])
    # Ben takes one back and places it again.
    ben.keyboard.press("Tab")
    assert focused(ben)["text"] == DE["client.vote.remove"]
    ben.keyboard.press("Enter")
    expect(ben.locator("#vote-remaining")).to_have_text(remaining(2))
    ben.keyboard.press("Shift+Tab")
    ben.keyboard.press("Enter")
    expect(ben.locator("#vote-remaining")).to_have_text(remaining(1))

    # Blind: nobody sees tallies before the reveal, only how many took part.
    progress = T_DE("client.vote.progress", count=2, cast=9)
    for page in (mod, anna, ben):
        expect(page.locator("#vote-progress")).to_have_text(progress)
        expect(page.locator("#board .tally:visible")).to_have_count(0)
        expect(page.locator("#results")).to_be_hidden()
    assert_accessible(mod, "the board during the vote (facilitator)")
    assert_accessible(anna, "the board during the vote (participant)")

    # -- close, then reveal -------------------------------------------------------------------
    mod.get_by_role("button", name=DE["client.console.vote_close"], exact=True).click()
    for page in (anna, ben):
        expect(page.locator("#vote-status")).to_have_text(DE["client.vote.closed_wait"])
        expect(page.locator("#board").get_by_role("button", name=DE["client.vote.add"])).to_have_count(0)
        expect(page.locator("#phase-hint")).to_have_text(DE["client.phase_hint.vote_closed"])
    mod.get_by_role("button", name=DE["client.console.vote_reveal"]).click()

    tie = DE["client.results.rank_tie"]
    value = DE["client.results.rank_value"]
    for page in (mod, anna, ben):
        expect(page.locator("#results-heading")).to_have_text(DE["client.results.heading"].format(round=1))
        overall = page.get_by_role("table", name=DE["client.results.overall"])
        rows = overall.locator("tbody tr")
        expect(rows).to_have_count(4)
        expect(rows.locator("td.rank")).to_have_text(
            [tie.format(rank=1), tie.format(rank=1), value.format(rank=3), value.format(rank=4)]
        )
        expect(rows.locator("th")).to_have_text(
            ["Radweg zum Bahnhof", "Carsharing am Rathaus", "Mehr Busse am Abend", "WLAN in allen Schulen"]
        )
        expect(rows.locator(".bar-value")).to_have_text(
            [
                T_DE("client.results.dots_value", count=3),
                T_DE("client.results.dots_value", count=3),
                T_DE("client.results.dots_value", count=2),
                T_DE("client.results.dots_value", count=1),
            ]
        )
        expect(rows.locator(".result-voters")).to_have_text(["1", "1", "1", "1"])
        mobility = page.get_by_role("table", name=DE["client.results.field"].format(field="Mobilität")).locator(
            "tbody tr"
        )
        expect(mobility.locator("td.rank")).to_have_text([tie.format(rank=1), tie.format(rank=1), value.format(rank=3)])
        education = page.get_by_role("table", name=DE["client.results.field"].format(field="Bildung")).locator(
            "tbody tr"
        )
        expect(education.locator("td.rank")).to_have_text([value.format(rank=1)])
        expect(page.locator("#vote-panel")).to_be_hidden()
        # After the reveal the hint says so (not that voting starts when the facilitator opens it).
        expect(page.locator("#phase-hint")).to_have_text(DE["client.phase_hint.vote_revealed"])
    # The bars are drawn through the CSSOM (no style attribute, so the CSP allows it): full for the most dots.
    widths = anna.eval_on_selector_all("#results-overall .bar-fill", "(els) => els.map((e) => e.style.width)")
    assert widths == ["100%", "100%", "66.7%", "33.3%"], widths
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.vote_revealed"])
    assert anna.evaluate("window.__cspViolations") == []
    assert_accessible(mod, "the results (facilitator)")
    assert_accessible(anna, "the results (participant)")
    assert_no_script_errors(watches)


def test_an_anonymous_board_shows_no_author_names_to_others(new_context: Any, make_event: Any) -> None:
    links = make_event("Anonyme Ideensammlung", ["Umwelt", "Kultur"])
    mod = join(new_context()[0], links["facilitator"], "Moderation Max")
    anna = join(new_context()[0], links["participant"], "Annabell")
    ben = join(new_context()[0], links["participant"], "Bernd")

    # The facilitator adds an anonymous board; it appears as a tab for everyone.
    mod.get_by_role("button", name=DE["client.boards.new"]).click()
    mod.get_by_label(DE["client.boards.title"]).fill("Kritik und Wünsche")
    mod.get_by_label(DE["client.boards.anonymous"]).check()
    mod.get_by_role("button", name=DE["client.boards.create"]).click()
    new_tab = mod.get_by_role("tab", name="Kritik und Wünsche")
    expect(new_tab).to_have_attribute("aria-selected", "true")
    expect(new_tab).to_be_focused()
    expect(mod.locator("#board-flags")).to_contain_text(DE["client.flags.anonymous"])
    for page in (anna, ben):
        expect(page.locator("#announcer")).to_contain_text(
            DE["client.announce.board_added"].format(title="Kritik und Wünsche")
        )
        tabs = page.get_by_role("tab")
        expect(tabs).to_have_count(2)
        tabs.first.focus()
        page.keyboard.press("ArrowRight")  # tabs: the arrow keys choose the board
        expect(page.get_by_role("tab", name="Kritik und Wünsche")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#board-flags")).to_contain_text(DE["client.flags.anonymous"])

    open_post_form(anna)
    anna.get_by_label(DE["client.board.text"]).fill("Zu wenige Bänke im Stadtpark")
    anna.get_by_role("button", name=DE["client.board.post"]).click()
    open_post_form(ben)
    ben.get_by_label(DE["client.board.text"]).fill("Mehr Konzerte im Sommer")
    ben.get_by_role("button", name=DE["client.board.post"]).click()
    anonymous = DE["client.board.by"].format(name=DE["client.board.anonymous"])
    for page in (mod, anna, ben):
        expect(page.locator("#board li.idea")).to_have_count(2)
    # Each sees their own idea as theirs, everyone else's as anonymous.
    expect(card(anna, "Zu wenige Bänke")).to_contain_text(DE["client.board.by"].format(name="Annabell"))
    expect(card(anna, "Mehr Konzerte")).to_contain_text(anonymous)
    expect(card(ben, "Zu wenige Bänke")).to_contain_text(anonymous)
    expect(card(mod, "Zu wenige Bänke")).to_contain_text(anonymous)
    expect(card(mod, "Mehr Konzerte")).to_contain_text(anonymous)

    # Annabell edits her idea meanwhile: who edits an idea would tell who wrote it, so on an
    # anonymous board nobody learns it (the server does not send it; the page would not show a name).
    card_action(card(anna, "Zu wenige Bänke"), DE["client.board.edit"])
    expect(anna.get_by_label(DE["client.board.edit_label"])).to_be_focused()

    # A comment is anonymous too.
    idea = card(ben, "Zu wenige Bänke")
    card_action(idea, T_DE("client.comments.show", count=0))
    idea.get_by_label(DE["client.comments.label"]).fill("Stimmt, vor allem am Teich")
    idea.get_by_role("button", name=DE["client.comments.post"]).click()
    theirs = card(mod, "Zu wenige Bänke")
    card_action(theirs, T_DE("client.comments.show", count=1))
    expect(theirs.locator(".comment")).to_contain_text(anonymous)
    expect(card(ben, "Zu wenige Bänke").locator(".badge-editing")).to_have_count(0)

    for page, other in ((anna, "Bernd"), (ben, "Annabell"), (mod, "Annabell"), (mod, "Bernd")):
        expect(page.locator("#board")).not_to_contain_text(other)
    # The first board is not anonymous.
    ben.get_by_role("tab").first.click()
    expect(ben.locator("#board-flags")).not_to_contain_text(DE["client.flags.anonymous"])


def post(page: Any, text: str, field: str | None = None) -> None:
    open_post_form(page)
    if field:
        page.get_by_label(DE["client.board.field"], exact=True).select_option(label=field)
    page.get_by_label(DE["client.board.text"]).fill(text)
    page.get_by_role("button", name=DE["client.board.post"]).click()
    expect(page.get_by_label(DE["client.board.text"])).to_have_value("")


def test_the_facilitator_moderates_merges_and_runs_rounds(new_context: Any, make_event: Any) -> None:
    links = make_event("Werkstatt Bamberg", ["Mobilität", "Umwelt"])
    watches: list[Any] = []
    # A tall window: dragging near the window's edge would scroll it under the pointer.
    mod = person(new_context, watches, links["facilitator"], "Moderation Mo", viewport={"width": 1280, "height": 1400})
    anna = person(new_context, watches, links["participant"], "Anna")
    ben = person(new_context, watches, links["participant"], "Ben")
    console = mod.locator("#console")

    # Pre-moderation: Anna's idea waits; she sees it as waiting, Ben not at all, the facilitator approves.
    mod.get_by_role("button", name=DE["client.console.premoderation"]).click()
    for page in (anna, ben):
        expect(page.locator("#board-flags")).to_contain_text(DE["client.flags.premoderation"])
    post(anna, "Sichere Schulwege")
    expect(card(anna, "Sichere Schulwege")).to_contain_text(DE["client.board.status.pending"])
    expect(console).to_contain_text(T_DE("client.console.queue.pending", count=1))
    expect(ben.locator("#board li.idea")).to_have_count(0)
    card_action(card(mod, "Sichere Schulwege"), DE["client.moderate.approve"])
    expect(card(ben, "Sichere Schulwege")).to_be_visible()
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.yours_approved"])
    expect(card(anna, "Sichere Schulwege").locator(".badge")).to_have_count(0)
    # Switching it off approves what waits.
    post(anna, "Schulwege sicherer machen")
    expect(ben.locator("#board li.idea")).to_have_count(1)
    mod.get_by_role("button", name=DE["client.console.premoderation_off"]).click()
    expect(ben.locator("#board li.idea")).to_have_count(2)

    # A report reaches the facilitator, who hides the idea and shows it again.
    card_action(card(ben, "Schulwege sicherer machen"), DE["client.idea.report"])
    expect(ben.locator("#announcer")).to_contain_text(DE["client.announce.reported"])
    reported_menu = menu(card(ben, "Schulwege sicherer machen"))
    expect(reported_menu.get_by_role("button", name=DE["client.idea.report"])).to_have_count(0)
    reported = card(mod, "Schulwege sicherer machen")
    expect(reported).to_contain_text(T_DE("client.board.reported", count=1))
    expect(console).to_contain_text(T_DE("client.console.queue.reported", count=1))
    card_action(reported, DE["client.moderate.hide"])
    expect(ben.locator("#board li.idea")).to_have_count(1)
    expect(card(anna, "Schulwege sicherer machen")).to_contain_text(DE["client.board.status.hidden"])
    card_action(reported, DE["client.moderate.restore"])
    expect(ben.locator("#board li.idea")).to_have_count(2)

    # Comments: Ben comments, the facilitator hides the comment from others and restores it.
    idea = card(ben, "Sichere Schulwege")
    card_action(idea, T_DE("client.comments.show", count=0))
    idea.get_by_label(DE["client.comments.label"]).fill("Mit Lotsen an der Kreuzung")
    idea.get_by_role("button", name=DE["client.comments.post"]).click()
    expect(idea.locator(".comment")).to_contain_text("Mit Lotsen an der Kreuzung")
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.comment"].format(idea="Sichere Schulwege"))
    on_mod = card(mod, "Sichere Schulwege")
    card_action(on_mod, T_DE("client.comments.show", count=1))
    on_mod.get_by_role("button", name=DE["client.comments.hide"]).click()
    # The count on the card, small beside the author: none while the comment is hidden.
    expect(card(anna, "Sichere Schulwege").locator(".idea-counts")).to_be_hidden()
    on_mod.get_by_role("button", name=DE["client.comments.restore"]).click()
    expect(card(anna, "Sichere Schulwege").locator(".idea-counts")).to_have_text(T_DE("client.card.comments", count=1))

    # Merging duplicates: select both, choose the one that stays.
    on_mod.get_by_label(DE["client.select.idea"]).check()
    card(mod, "Schulwege sicherer machen").get_by_label(DE["client.select.idea"]).check()
    mod.get_by_label(DE["client.select.merge_target"]).select_option(label="Sichere Schulwege")
    mod.get_by_role("button", name=DE["client.select.merge"]).click()
    for page in (mod, anna, ben):
        expect(page.locator("#board li.idea")).to_have_count(1)
    expect(card(ben, "Sichere Schulwege")).to_contain_text(T_DE("client.board.merged", count=1))

    # Dragging one idea onto another groups them; the group can be renamed and dissolved.
    post(ben, "Tempo 30 vor Schulen")
    anna_view = card(anna, "Tempo 30 vor Schulen")
    expect(anna_view).to_be_visible()
    on_mod.locator(".idea-comments").get_by_role("button", name=DE["client.move.close"]).click()
    target = card(mod, "Sichere Schulwege")
    target.scroll_into_view_if_needed()
    card(mod, "Tempo 30 vor Schulen").drag_to(target)
    group = column(anna, "Mobilität").locator("li.cluster")
    expect(group.locator("li.idea")).to_have_count(2)
    expect(group.get_by_role("heading", level=4)).to_contain_text(DE["client.cluster.untitled"])
    cluster_action(group, DE["client.cluster.rename"])
    anna.get_by_label(DE["client.cluster.heading"], exact=True).fill("Schulwege")
    anna.keyboard.press("Enter")
    expect(column(mod, "Mobilität").locator("li.cluster h4")).to_contain_text("Schulwege")
    # Taking one out, then dissolving the group.
    card_action(card(anna, "Tempo 30"), DE["client.cluster.take_out"])
    expect(group.locator("li.idea")).to_have_count(1)
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.taken_out"])
    cluster_action(group, DE["client.cluster.dissolve"])
    expect(column(mod, "Mobilität").locator("li.cluster")).to_have_count(0)
    expect(column(mod, "Mobilität").locator("li.idea")).to_have_count(2)

    # A silent collection: each sees only their own ideas until the facilitator reveals them.
    mod.locator("#phase-select").select_option("collect")
    mod.get_by_label(DE["client.console.silent"]).check()
    mod.get_by_role("button", name=DE["client.console.phase_set"]).click()
    expect(anna.locator("#board-flags")).to_contain_text(DE["client.flags.silent"])
    post(ben, "Mehr Bäume am Markt", "Umwelt")
    expect(card(mod, "Mehr Bäume am Markt")).to_be_visible()
    expect(card(anna, "Mehr Bäume am Markt")).to_have_count(0)
    mod.get_by_role("button", name=DE["client.console.reveal"]).click()
    expect(card(anna, "Mehr Bäume am Markt")).to_be_visible()
    expect(anna.locator("#announcer")).to_contain_text(DE["client.announce.revealed"])

    # A timed round on one field of action, with more time, then closed with the reveal.
    set_phase(mod, "vote")
    mod.get_by_label(DE["client.console.scope_columns"]).check()
    mod.locator("#scope-columns").get_by_label("Mobilität").check()
    mod.get_by_label(DE["client.console.timer"]).select_option("60")
    mod.get_by_label(DE["client.console.blind"]).uncheck()
    mod.get_by_label(DE["client.console.moderators_vote"]).check()  # this time the facilitator votes too
    mod.get_by_role("button", name=DE["client.console.vote_open"]).click()
    expect(anna.locator("#vote-rules")).to_contain_text(DE["client.vote.scope.columns"])
    expect(card(mod, "Tempo 30").get_by_role("button", name=DE["client.vote.add"])).to_be_visible()
    timer = anna.locator("#vote-timer-value")
    expect(timer).to_have_text(re.compile(r"^0:[0-5]\d$|^1:00$"))
    expect(card(anna, "Mehr Bäume am Markt").get_by_role("button", name=DE["client.vote.add"])).to_have_count(0)
    card(anna, "Tempo 30").get_by_role("button", name=DE["client.vote.add"]).click()
    # Not blind: the tally shows to everyone.
    expect(card(ben, "Tempo 30").locator(".tally")).to_have_text(T_DE("client.vote.tally", count=1))
    mod.get_by_role("button", name=DE["client.console.vote_extend"]).click()
    expect(timer).to_have_text(re.compile(r"^1:[0-5]\d$|^2:00$"))
    # Read out in words, each number with its noun in the right form ("1 Minute", not "1 Minuten").
    expect(timer).to_have_attribute(
        "aria-label", re.compile(r"^1 Minute (1 Sekunde|\d+ Sekunden)$|^2 Minuten 0 Sekunden$")
    )
    expect(mod.locator("#announcer")).to_contain_text(T_DE("client.announce.extended", count=1))
    mod.get_by_role("button", name=DE["client.console.vote_close_reveal"]).click()
    rows = ben.get_by_role("table", name=DE["client.results.overall"]).locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Tempo 30 vor Schulen")

    # A second round on the best idea of the first; both rounds' results stay available.
    mod.get_by_label(DE["client.console.scope_top"]).check()
    mod.get_by_label(DE["client.console.top_n"]).fill("1")
    mod.get_by_role("button", name=DE["client.console.vote_open"]).click()
    expect(anna.locator("#vote-heading")).to_have_text(DE["client.vote.heading_open"].format(round=2))
    expect(anna.locator("#board").get_by_role("button", name=DE["client.vote.add"])).to_have_count(1)
    mod.get_by_role("button", name=DE["client.console.vote_close_reveal"]).click()
    expect(anna.locator("#results-heading")).to_have_text(DE["client.results.heading"].format(round=2))
    anna.get_by_label(DE["client.results.round_choice"]).select_option(label=DE["client.results.round"].format(round=1))
    expect(anna.locator("#results-heading")).to_have_text(DE["client.results.heading"].format(round=1))
    assert_accessible(mod, "the console after two rounds (facilitator)")
    assert_no_script_errors(watches)
