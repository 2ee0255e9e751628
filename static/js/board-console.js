// @ts-check
/**
 * The facilitator's console: phase (and silent collection), reveal, lock, pre-moderation,
 * the ideas that wait, are reported or hidden, and the vote: open a round (budget, cap,
 * blind, timer, scope), give more time, close, reveal.
 *
 * The controls are in the page's template; this module fills and wires them.
 */

import { columnClusters, moderationQueues } from "./board-layout.js";
import { clusterName } from "./board-view.js";
import { byId, h, showError } from "./dom.js";
import { openSession, revealedSessions, rounds, TIMER_CHOICES, topIdeaIds, VOTE_DEFAULTS } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * What the console's controls do; each resolves to an error code, or "" when it worked.
 *
 * @typedef {object} ConsoleActions
 * @property {(phase: string, silent: boolean | null) => Promise<string>} phase
 * @property {() => Promise<string>} reveal
 * @property {(locked: boolean) => Promise<string>} lock
 * @property {(on: boolean) => Promise<string>} premoderation
 * @property {(payload: {budget: number, cap: number, blind: boolean, moderators_vote: boolean,
 *            duration_s: number | null, scope: {kind: string, ids: string[]}}) => Promise<string>} openVote
 * @property {(sessionId: string, seconds: number) => Promise<string>} extend
 * @property {(sessionId: string, reveal: boolean) => Promise<string>} close
 * @property {(sessionId: string) => Promise<string>} revealVote
 * @property {(ideaId: string) => void} focusIdea
 * @property {(code: string) => string} message
 */

/** The extension the "more time" button gives, in seconds. */
export const EXTEND_SECONDS = 60;

export class BoardConsole {
  /**
   * @param {Translate} t
   * @param {ConsoleActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.root = byId("console");
    this.phaseForm = /** @type {HTMLFormElement} */ (byId("phase-form", HTMLFormElement));
    this.phaseSelect = /** @type {HTMLSelectElement} */ (byId("phase-select", HTMLSelectElement));
    this.silent = /** @type {HTMLInputElement} */ (byId("phase-silent", HTMLInputElement));
    this.revealButton = byId("board-reveal");
    this.lockButton = byId("board-lock");
    this.premodButton = byId("board-premoderation");
    this.error = byId("console-error");
    this.moderation = byId("moderation");
    this.voteNote = byId("vote-open-note");
    this.voteForm = /** @type {HTMLFormElement} */ (byId("vote-open-form", HTMLFormElement));
    this.budget = /** @type {HTMLInputElement} */ (byId("vote-budget", HTMLInputElement));
    this.cap = /** @type {HTMLInputElement} */ (byId("vote-cap", HTMLInputElement));
    this.blind = /** @type {HTMLInputElement} */ (byId("vote-blind", HTMLInputElement));
    this.moderatorsVote = /** @type {HTMLInputElement} */ (byId("vote-moderators", HTMLInputElement));
    this.timer = /** @type {HTMLSelectElement} */ (byId("vote-timer", HTMLSelectElement));
    this.scopeColumns = byId("scope-columns");
    this.scopeClusters = byId("scope-clusters");
    this.scopeTop = byId("scope-top");
    this.topN = /** @type {HTMLInputElement} */ (byId("scope-top-n", HTMLInputElement));
    this.topRound = /** @type {HTMLSelectElement} */ (byId("scope-top-round", HTMLSelectElement));
    this.topRadio = /** @type {HTMLInputElement} */ (byId("scope-top-radio", HTMLInputElement));
    this.voteControls = byId("vote-controls");
    this.revealControls = byId("vote-reveal-controls");
    this.voteError = byId("vote-console-error");
    /** @type {BoardState | null} */
    this.state = null;
    this.boardId = "";
    this.choicesKey = "";
    this.moderationKey = "";

    this.budget.value = String(VOTE_DEFAULTS.budget);
    this.budget.max = String(VOTE_DEFAULTS.budgetMax);
    this.cap.value = String(VOTE_DEFAULTS.cap);
    this.blind.checked = VOTE_DEFAULTS.blind;
    this.timer.replaceChildren(
      ...TIMER_CHOICES.map((s) =>
        h("option", {
          value: String(s),
          text: s === 0 ? t("console.timer_none") : t("console.timer_minutes", { count: s / 60 }),
        }),
      ),
    );
    this.wire();
  }

  wire() {
    /**
     * @param {HTMLElement} errorEl
     * @param {Promise<string>} pending
     */
    const run = async (errorEl, pending) => {
      const code = await pending;
      showError(errorEl, null, code ? this.actions.message(code) : "");
      return code;
    };
    this.phaseSelect.addEventListener("change", () => this.syncSilent());
    this.phaseForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const phase = this.phaseSelect.value;
      run(this.error, this.actions.phase(phase, phase === "collect" ? this.silent.checked : null));
    });
    this.revealButton.addEventListener("click", () => run(this.error, this.actions.reveal()));
    this.lockButton.addEventListener("click", () => {
      run(this.error, this.actions.lock(!this.state?.settings.locked));
    });
    this.premodButton.addEventListener("click", () => {
      run(this.error, this.actions.premoderation(!this.state?.settings.premoderation));
    });
    this.voteForm.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement && event.target.name === "scope") this.showScope();
    });
    this.voteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const payload = this.votePayload();
      if (typeof payload === "string") {
        showError(this.voteError, null, payload);
        return;
      }
      run(this.voteError, this.actions.openVote(payload));
    });
    byId("vote-extend").addEventListener("click", () => {
      const session = this.state ? openSession(this.state) : null;
      if (session) run(this.voteError, this.actions.extend(session.id, EXTEND_SECONDS));
    });
    byId("vote-close").addEventListener("click", () => {
      const session = this.state ? openSession(this.state) : null;
      if (session) run(this.voteError, this.actions.close(session.id, false));
    });
    byId("vote-close-reveal").addEventListener("click", () => {
      const session = this.state ? openSession(this.state) : null;
      if (session) run(this.voteError, this.actions.close(session.id, true));
    });
    byId("vote-reveal").addEventListener("click", () => {
      const session = this.state ? rounds(this.state).at(-1) : null;
      if (session && session.status === "closed") run(this.voteError, this.actions.revealVote(session.id));
    });
  }

  syncSilent() {
    const collect = this.phaseSelect.value === "collect";
    this.silent.disabled = !collect;
    if (!collect) this.silent.checked = false;
  }

  /** @returns {string} the chosen scope kind */
  scopeKind() {
    const checked = this.voteForm.querySelector('input[name="scope"]:checked');
    return checked instanceof HTMLInputElement ? checked.value : "board";
  }

  showScope() {
    const kind = this.scopeKind();
    this.scopeColumns.hidden = kind !== "columns";
    this.scopeClusters.hidden = kind !== "clusters";
    this.scopeTop.hidden = kind !== "top";
  }

  /**
   * The `vote.open` payload from the form, or a message saying what is missing.
   *
   * @returns {{budget: number, cap: number, blind: boolean, moderators_vote: boolean,
   *            duration_s: number | null, scope: {kind: string, ids: string[]}} | string}
   */
  votePayload() {
    const t = this.t;
    const budget = Number(this.budget.value);
    const cap = Number(this.cap.value);
    if (!Number.isInteger(budget) || budget < 1 || budget > VOTE_DEFAULTS.budgetMax) {
      this.budget.focus();
      return t("error.invalid_budget");
    }
    if (!Number.isInteger(cap) || cap < 1 || cap > budget) {
      this.cap.focus();
      return t("error.invalid_cap");
    }
    const seconds = Number(this.timer.value);
    const kind = this.scopeKind();
    /** @type {{kind: string, ids: string[]}} */
    let scope = { kind: "board", ids: [] };
    if (kind === "columns" || kind === "clusters") {
      const box = kind === "columns" ? this.scopeColumns : this.scopeClusters;
      const ids = [...box.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
      if (ids.length === 0) return t(kind === "columns" ? "console.scope_pick_columns" : "console.scope_pick_clusters");
      scope = { kind, ids };
    } else if (kind === "top") {
      const session = this.state?.sessions.get(this.topRound.value);
      const n = Number(this.topN.value);
      if (!session || !Number.isInteger(n) || n < 1) return t("console.scope_pick_top");
      scope = { kind: "ideas", ids: topIdeaIds(session, n) };
      if (scope.ids.length === 0) return t("error.nothing_to_vote");
    }
    return {
      budget,
      cap,
      blind: this.blind.checked,
      moderators_vote: this.moderatorsVote.checked,
      duration_s: seconds > 0 ? seconds : null,
      scope,
    };
  }

  /**
   * @param {BoardState} state
   * @param {boolean} moderator
   */
  render(state, moderator) {
    this.root.hidden = !moderator;
    if (!moderator) return;
    const t = this.t;
    if (this.boardId !== state.boardId) {
      this.boardId = state.boardId;
      this.choicesKey = "";
      this.moderationKey = "";
      showError(this.error, null, "");
      showError(this.voteError, null, "");
    }
    if (this.state?.settings.phase !== state.settings.phase || this.state?.boardId !== state.boardId) {
      if (document.activeElement !== this.phaseSelect) this.phaseSelect.value = state.settings.phase;
      this.silent.checked = state.settings.phase === "collect" && state.settings.silent && !state.settings.revealed;
      this.syncSilent();
    }
    this.state = state;
    const s = state.settings;
    this.revealButton.hidden = !(s.silent && !s.revealed);
    this.lockButton.textContent = t(s.locked ? "console.unlock" : "console.lock");
    this.lockButton.setAttribute("aria-pressed", String(s.locked));
    this.premodButton.textContent = t(s.premoderation ? "console.premoderation_off" : "console.premoderation");
    this.premodButton.setAttribute("aria-pressed", String(s.premoderation));

    this.renderModeration(state);

    const open = openSession(state);
    const latest = rounds(state).at(-1);
    this.voteControls.hidden = !open;
    this.revealControls.hidden = !(latest && latest.status === "closed");
    const mayOpen = !open && s.phase === "vote" && !s.locked;
    this.voteForm.hidden = !mayOpen;
    this.voteNote.hidden = !!open || mayOpen;
    if (mayOpen) this.renderChoices(state);
  }

  /** @param {BoardState} state */
  renderModeration(state) {
    const t = this.t;
    const queues = moderationQueues(state);
    const key = JSON.stringify(
      Object.entries(queues).map(([k, ideas]) => [k, ideas.map((i) => [i.id, i.title, i.text, i.reports])]),
    );
    if (key === this.moderationKey) return;
    this.moderationKey = key;
    /** @type {HTMLElement[]} */
    const parts = [];
    for (const [name, ideas] of /** @type {[string, Idea[]][]} */ (Object.entries(queues))) {
      if (ideas.length === 0) continue;
      const headingId = `moderation-${name}`;
      parts.push(
        h("p", {
          id: headingId,
          class: "moderation-heading",
          text: t(`console.queue.${name}`, { count: ideas.length }),
        }),
        h(
          "ul",
          { class: "moderation-list", "aria-labelledby": headingId },
          ...ideas.map((idea) => {
            const link = h("a", { href: `#idea-${idea.id}`, text: idea.title || idea.text });
            link.addEventListener("click", (event) => {
              event.preventDefault();
              this.actions.focusIdea(idea.id);
            });
            return h("li", {}, link);
          }),
        ),
      );
    }
    if (parts.length === 0) parts.push(h("p", { class: "hint", text: t("console.queue.empty") }));
    this.moderation.replaceChildren(...parts);
  }

  /**
   * The scope's choices: columns, clusters, and revealed rounds for "the best N".
   *
   * @param {BoardState} state
   */
  renderChoices(state) {
    const t = this.t;
    const clusters = state.columns.flatMap((c) => columnClusters(state, c.id).map((x) => ({ ...x, column: c })));
    const revealed = revealedSessions(state);
    const key = JSON.stringify([
      state.columns,
      clusters.map((c) => [c.cluster.id, c.cluster.heading]),
      revealed.map((s) => s.id),
    ]);
    if (key === this.choicesKey) return;
    this.choicesKey = key;
    /**
     * @param {string} name
     * @param {{value: string, label: string}[]} items
     */
    const boxes = (name, items) =>
      items.map(({ value, label }) => {
        const id = `scope-${name}-${value}`;
        return h("label", { class: "check", for: id }, h("input", { type: "checkbox", id, value }), ` ${label}`);
      });
    const keep = (/** @type {HTMLElement} */ box) =>
      new Set([...box.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value));
    const keptColumns = keep(this.scopeColumns);
    const keptClusters = keep(this.scopeClusters);
    this.scopeColumns.replaceChildren(
      ...boxes(
        "col",
        state.columns.map((c) => ({ value: c.id, label: c.name })),
      ),
    );
    this.scopeClusters.replaceChildren(
      ...(clusters.length
        ? boxes(
            "cl",
            clusters.map(({ cluster, depth, column }) => ({
              value: cluster.id,
              label: `${"– ".repeat(depth)}${clusterName(t, cluster)} (${column.name})`,
            })),
          )
        : [h("span", { class: "hint", text: t("console.scope_no_clusters") })]),
    );
    for (const input of this.scopeColumns.querySelectorAll("input")) {
      /** @type {HTMLInputElement} */ (input).checked = keptColumns.has(/** @type {HTMLInputElement} */ (input).value);
    }
    for (const input of this.scopeClusters.querySelectorAll("input")) {
      /** @type {HTMLInputElement} */ (input).checked = keptClusters.has(/** @type {HTMLInputElement} */ (input).value);
    }
    this.topRound.replaceChildren(
      ...revealed.map((s) => h("option", { value: s.id, text: t("results.round", { round: s.round }) })),
    );
    this.topRound.value = revealed.at(-1)?.id ?? "";
    const topLabel = this.topRadio.closest("label");
    if (topLabel) topLabel.hidden = revealed.length === 0;
    if (revealed.length === 0 && this.topRadio.checked) {
      const board = this.voteForm.querySelector('input[name="scope"][value="board"]');
      if (board instanceof HTMLInputElement) board.checked = true;
    }
    this.showScope();
  }
}
