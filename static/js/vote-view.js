// @ts-check
/**
 * The vote as DOM: the panel with the round's rules, your remaining dots, the progress and
 * the countdown; and after the reveal the results, overall and per field of action, as
 * tables with bars (plain elements whose width is set through the CSSOM; every value is
 * also there as text). The results fold away behind their heading (a disclosure button):
 * open in the vote phase, where they were just revealed, folded in the others, where the
 * board comes first; a member's own choice holds until the phase or the round changes.
 * On a phone (below 40rem) app.css stacks each row (rank beside the idea, the bar, the points and
 * the people below it) and leaves out the overall ranking's field column, which the per-field
 * rankings repeat: the points stay on the screen. Should a table still be wider than its box, the
 * box scrolls sideways and then takes the focus so that the keyboard can scroll it too.
 */

import { h } from "./dom.js";
import { formatClock, myDots, openSession, resultsView, revealedSessions, rounds, secondsLeft } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Session} Session */
/** @typedef {import("./voting.js").ResultRow} ResultRow */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function el(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found;
}

export class VoteView {
  /**
   * @param {Translate} t
   * @param {(message: string) => void} say  announce politely
   */
  constructor(t, say) {
    this.t = t;
    this.say = say;
    this.panel = el("vote-panel");
    this.heading = el("vote-heading");
    this.rules = el("vote-rules");
    this.remaining = el("vote-remaining");
    this.progress = el("vote-progress");
    this.time = el("vote-time");
    this.timer = el("vote-timer-value");
    this.status = el("vote-status");
    this.results = el("results");
    this.resultsToggle = el("results-toggle");
    this.resultsContent = el("results-content");
    /** @type {string} the phase and round the results were folded or unfolded for */
    this.foldedFor = "";
    this.resultsRound = el("results-round");
    this.resultsSelect = /** @type {HTMLSelectElement} */ (el("results-round-select"));
    this.resultsBody = el("results-body");
    /** @type {BoardState | null} */
    this.state = null;
    this.canVote = false;
    /** @type {string | null} the round whose results are shown */
    this.shownRound = null;
    this.resultsKey = "";
    /** @type {ReturnType<typeof setInterval> | null} */
    this.ticker = null;
    /** @type {Set<string>} warnings given ("<session>:<seconds>") */
    this.warned = new Set();
    /** Makes a table's box focusable while it has to scroll (and only then: no needless Tab stop). */
    this.scrolling = new ResizeObserver((entries) => {
      for (const { target } of entries) {
        if (target.scrollWidth > target.clientWidth) target.setAttribute("tabindex", "0");
        else target.removeAttribute("tabindex");
      }
    });
    this.resultsToggle.addEventListener("click", () =>
      this.unfold(this.resultsToggle.getAttribute("aria-expanded") !== "true"),
    );
    this.resultsSelect.addEventListener("change", () => {
      this.shownRound = this.resultsSelect.value;
      this.resultsKey = "";
      if (this.state) this.renderResults(this.state);
    });
  }

  /**
   * @param {BoardState} state
   * @param {boolean} canVote  this member places dots (a participant; a facilitator only when the
   *   round was opened with `moderators_vote`)
   */
  render(state, canVote) {
    if (this.state?.boardId !== state.boardId) {
      this.shownRound = null;
      this.resultsKey = "";
    }
    this.state = state;
    this.canVote = canVote;
    this.renderPanel(state);
    this.renderResults(state);
  }

  /** @param {BoardState} state */
  renderPanel(state) {
    const t = this.t;
    const all = rounds(state);
    const open = openSession(state);
    const latest = all.at(-1) ?? null;
    const session = open ?? (latest && latest.status === "closed" ? latest : null);
    this.panel.hidden = !session;
    this.stopTicker();
    if (!session) return;
    this.heading.textContent = t(open ? "vote.heading_open" : "vote.heading_closed", { round: session.round });
    this.rules.textContent = [
      t("vote.rules", { count: session.budget, cap: session.cap }),
      t(session.blind ? "vote.blind" : "vote.open_tallies"),
      session.scope.kind === "board" ? "" : t(`vote.scope.${session.scope.kind}`),
    ]
      .filter(Boolean)
      .join(" ");
    const mine = open ? myDots(state) : null;
    this.remaining.hidden = !open || !this.canVote;
    if (mine) {
      this.remaining.textContent = t("vote.remaining", {
        count: mine.remaining,
        budget: session.budget,
      });
    }
    const progress = state.progress && state.progress.session_id === session.id ? state.progress : null;
    this.progress.textContent = t("vote.progress", { count: progress?.voters ?? 0, cast: progress?.cast ?? 0 });
    this.status.hidden = !!open;
    this.status.textContent = open ? "" : t("vote.closed_wait");
    this.time.hidden = !open || !session.ends_at;
    if (open && session.ends_at) {
      this.tick();
      this.ticker = setInterval(() => this.tick(), 1000);
    }
  }

  /** Update the countdown; warn once at one minute and at ten seconds. */
  tick() {
    const session = this.state ? openSession(this.state) : null;
    const left = secondsLeft(session?.ends_at, Date.now());
    if (!session || left === null) {
      this.stopTicker();
      return;
    }
    this.timer.textContent = formatClock(left);
    this.timer.setAttribute(
      "aria-label",
      [
        this.t("vote.time_minutes", { count: Math.floor(left / 60) }),
        this.t("vote.time_seconds", { count: left % 60 }),
      ].join(" "),
    );
    for (const mark of [60, 10]) {
      const key = `${session.id}:${mark}:${session.ends_at}`;
      if (left <= mark && left > 0 && !this.warned.has(key)) {
        this.warned.add(key);
        // Not when the timer was short to begin with: only when crossing the mark.
        if (left > mark - 2) this.say(this.t(mark === 60 ? "vote.warn_minute" : "vote.warn_seconds"));
      }
    }
    if (left === 0) {
      this.timer.textContent = this.t("vote.time_up");
      this.stopTicker();
    }
  }

  stopTicker() {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  /** @param {BoardState} state */
  renderResults(state) {
    const t = this.t;
    const revealed = revealedSessions(state);
    this.results.hidden = revealed.length === 0;
    if (revealed.length === 0) {
      this.resultsKey = "";
      return;
    }
    const session = revealed.find((s) => s.id === this.shownRound) ?? /** @type {Session} */ (revealed.at(-1));
    const options = revealed.map((s) => h("option", { value: s.id, text: t("results.round", { round: s.round }) }));
    this.resultsRound.hidden = revealed.length < 2;
    if (
      this.resultsSelect.options.length !== options.length ||
      options.some((o, i) => this.resultsSelect.options[i].value !== o.value)
    ) {
      this.resultsSelect.replaceChildren(...options);
    }
    this.resultsSelect.value = session.id;
    this.resultsToggle.textContent = t("results.heading", { round: session.round });
    const foldFor = `${state.boardId}:${state.settings.phase}:${session.id}`;
    if (foldFor !== this.foldedFor) {
      this.foldedFor = foldFor;
      this.unfold(state.settings.phase === "vote");
    }

    const view = resultsView(state, session);
    const key = JSON.stringify([
      session.id,
      view.overall.map((r) => [r.ideaId, r.dots, r.rank, r.tie, r.idea?.title, r.idea?.text]),
      state.columns,
    ]);
    if (key === this.resultsKey) return;
    this.resultsKey = key;
    const fieldName = new Map(state.columns.map((c) => [c.id, c.name]));
    const parts = [];
    if (view.overall.length === 0) {
      parts.push(h("p", { class: "empty", text: t("results.none") }));
    } else {
      parts.push(this.table(`results-overall`, t("results.overall"), view.overall, (id) => fieldName.get(id) ?? id));
      const fields = h("div", { class: "results-fields" });
      for (const field of view.fields) {
        fields.append(
          this.table(`results-field-${field.fieldId}`, t("results.field", { field: field.name }), field.rows, null),
        );
      }
      parts.push(h("h4", { text: t("results.by_field") }), fields);
    }
    this.scrolling.disconnect();
    this.resultsBody.replaceChildren(...parts);
    for (const box of this.resultsBody.querySelectorAll(".table-scroll")) this.scrolling.observe(box);
  }

  /** @param {boolean} open */
  unfold(open) {
    this.resultsContent.hidden = !open;
    this.resultsToggle.setAttribute("aria-expanded", String(open));
  }

  /**
   * One ranking as a table: rank, idea, (field,) dots with a bar, voters.
   *
   * @param {string} id
   * @param {string} caption
   * @param {ResultRow[]} rows
   * @param {((fieldId: string) => string) | null} fieldName  with a field column when given
   */
  table(id, caption, rows, fieldName) {
    const t = this.t;
    const head = h(
      "tr",
      {},
      h("th", { scope: "col", text: t("results.rank") }),
      h("th", { scope: "col", text: t("results.idea") }),
      fieldName ? h("th", { scope: "col", class: "result-field", text: t("board.field") }) : null,
      h("th", { scope: "col", text: t("results.dots") }),
      h("th", { scope: "col", text: t("results.voters") }),
    );
    const body = rows.map((row) => {
      const fill = h("span", { class: "bar-fill" });
      // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
      fill.style.width = `${Math.round(row.share * 1000) / 10}%`;
      const rank = t(row.tie ? "results.rank_tie" : "results.rank_value", { rank: row.rank });
      const label = row.idea ? row.idea.title || row.idea.text : t("results.unknown_idea");
      return h(
        "tr",
        { class: row.rank === 1 ? "top" : undefined },
        h("td", { class: "rank", text: rank }),
        h("th", { scope: "row", class: "result-idea", text: label }),
        fieldName ? h("td", { class: "result-field", text: fieldName(row.fieldId) }) : null,
        h(
          "td",
          { class: "result-dots" },
          h("span", { class: "bar", "aria-hidden": "true" }, fill),
          h("span", {
            class: "bar-value",
            text: t("results.dots_value", { count: row.dots }),
          }),
        ),
        // The label shows where the row is stacked and the column's heading is out of sight.
        h("td", { class: "result-voters", "data-label": t("results.voters"), text: String(row.voters) }),
      );
    });
    const table = h(
      "table",
      { class: "results-table", id },
      h("caption", { id: `${id}-caption`, text: caption }),
      h("thead", {}, head),
      h("tbody", {}, ...body),
    );
    return h("div", { class: "table-scroll", role: "group", "aria-labelledby": `${id}-caption` }, table);
  }
}
