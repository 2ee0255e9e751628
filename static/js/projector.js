// @ts-check
/**
 * The projector view (`/e/<event_id>/projector`, Beamer-Ansicht): the board the room's
 * facilitators present, large, for a wall in a town hall; the vote under way with its time and
 * turnout; after the reveal the ranking per field of action as bars. No controls.
 *
 * It connects as the member of this browser (their token from the room page), or as the
 * event's organizer, with `auth.view = "projector"`: the server lets such a connection only
 * read and sends it each board as everyone may see it, whoever opened the view. It follows the
 * room's presented board (`presented` in `room.enter`, then `board.presented`), and the board's
 * phase and votes through its changes. All user text goes in through `textContent`.
 */

import { io } from "../vendor/socket.io-client-4.8.4.esm.min.js";
import { Announcer } from "./announcer.js";
import { LiveBoard } from "./board-state.js";
import { Connection, renderState } from "./connection.js";
import { byId, h } from "./dom.js";
import { pageTranslator } from "./i18n.js";
import { browserStorage, loadMembership } from "./membership.js";
import {
  largestFitting,
  newestCards,
  projectedColumns,
  resultsSession,
  shownBoard,
  stage,
  topRows,
  voteFigures,
  voteSession,
} from "./projector-model.js";
import { CLIENT_EVENTS, SERVER_EVENTS } from "./protocol.js";
import { formatClock, resultsView, secondsLeft, withProgress } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Applied} Applied */
/** @typedef {import("./board-state.js").Session} Session */
/** @typedef {import("./projector-model.js").BoardSummary} BoardSummary */
/** @typedef {import("./projector-model.js").ProjectedColumn} ProjectedColumn */

const t = pageTranslator(document);

/**
 * A projector has no one to scroll: each stage is laid out with as many cards (or ranked ideas)
 * per field as fit the screen, at least these; when even that does not fit, the type shrinks
 * step by step (to 0.8: card text still about 24 px on a 1920 px wall).
 */
const LEAST_CARDS = 2;
const LEAST_RESULTS = 3;
const SCALES = [1, 0.9, 0.8];
/** the least width of a field's column, in em of the full-size type */
const FIELD_WIDTH = 12;
/** narrower than this (CSS px), the window is not a wall and scrolls */
const NARROW = 800;

class ProjectorPage {
  /** @param {string} eventId */
  constructor(eventId) {
    this.eventId = eventId;
    this.status = byId("pj-status");
    this.noToken = byId("pj-no-token");
    this.noBoard = byId("pj-no-board");
    this.boardTitle = byId("pj-board-title");
    this.phase = byId("pj-phase");
    this.vote = byId("pj-vote");
    this.voteHeading = byId("pj-vote-heading");
    this.time = byId("pj-time");
    this.timer = byId("pj-timer");
    this.turnout = byId("pj-turnout");
    this.cast = byId("pj-cast");
    this.results = byId("pj-results");
    this.resultsHeading = byId("pj-results-heading");
    this.resultsBody = byId("pj-results-body");
    this.columns = byId("pj-columns");
    this.eventTitle = document.querySelector(".pj-event")?.textContent ?? "";
    this.announcer = new Announcer(byId("pj-announcer"));
    /** @type {BoardSummary[]} */
    this.boards = [];
    /** @type {string | null} the room's presented board, as the server last said */
    this.presented = null;
    /** @type {LiveBoard | null} */
    this.live = null;
    /** @type {Connection | null} */
    this.connection = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.ticker = null;
    /** the content and screen size the stage was last fitted for */
    this.fitKey = "";
  }

  start() {
    const membership = loadMembership(browserStorage(), this.eventId);
    const connection = new Connection({
      io: /** @type {any} */ (io),
      // Without a membership, an organizer of the event gets in with their session cookie.
      auth: membership
        ? /** @type {any} */ ({ token: membership.token, view: "projector" })
        : /** @type {any} */ ({ event_id: this.eventId, view: "projector" }),
      onState: (state) => {
        renderState(this.status, state, t);
        if (state === "refused") {
          this.noToken.hidden = false;
          this.columns.setAttribute("aria-busy", "false");
        }
      },
      onReady: () => this.enter(),
    });
    this.connection = connection;
    connection.on(SERVER_EVENTS.boardChanged, (change) => this.live?.receive(change));
    connection.on(SERVER_EVENTS.voteProgress, (progress) =>
      this.live?.update((state) => withProgress(state, progress)),
    );
    connection.on(SERVER_EVENTS.roomBoard, (summary) => {
      if (summary && typeof summary.id === "string" && !this.boards.some((b) => b.id === summary.id)) {
        this.boards = [...this.boards, summary];
        if (!this.live) this.follow();
      }
    });
    connection.on(SERVER_EVENTS.boardPresented, (data) => {
      if (typeof data?.board_id !== "string") return;
      this.presented = data.board_id;
      this.follow();
    });
    window.addEventListener("resize", () => this.fit());
    window.addEventListener("online", () => connection.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") connection.retryNow();
    });
    connection.start();
  }

  /** After every (re)connect: the room's boards and the presented one; then sync it. */
  async enter() {
    const connection = /** @type {Connection} */ (this.connection);
    const ack = await connection.request(CLIENT_EVENTS.roomEnter, {});
    if (!ack.ok) throw new Error(ack.error?.code ?? "internal");
    this.boards = Array.isArray(ack.boards) ? ack.boards : [];
    this.presented = typeof ack.presented === "string" ? ack.presented : null;
    await this.follow(true);
  }

  /**
   * Show the board the room presents (or its first): a new one from a snapshot, the same one
   * after a reconnect from what it missed.
   *
   * @param {boolean} [reconnected]
   */
  async follow(reconnected = false) {
    const connection = /** @type {Connection} */ (this.connection);
    const boardId = shownBoard(this.boards, this.presented) ?? this.presented;
    this.noBoard.hidden = boardId !== null;
    if (boardId === null) {
      this.columns.setAttribute("aria-busy", "false");
      return;
    }
    if (!this.live || this.live.state.boardId !== boardId) {
      const switched = this.live !== null;
      this.fitKey = "";
      this.columns.setAttribute("aria-busy", "true");
      this.live = new LiveBoard(
        boardId,
        async (since) => {
          const answer = await connection.request(CLIENT_EVENTS.boardSync, { board_id: boardId, since });
          if (!answer.ok) throw new Error(answer.error?.code ?? "internal");
          return /** @type {any} */ (answer);
        },
        (state, applied, snapshot) => this.onBoard(state, applied, snapshot && switched),
      );
    } else if (!reconnected) {
      return;
    }
    const live = this.live;
    try {
      await live.sync();
    } catch (err) {
      if (reconnected) throw err; // the connection tries again
    }
  }

  /**
   * @param {BoardState} state
   * @param {Applied[]} applied
   * @param {boolean} switched  a new board is shown (after the facilitator moved on)
   */
  onBoard(state, applied, switched) {
    if (this.live?.state !== state) return; // a board no longer shown
    this.columns.setAttribute("aria-busy", "false");
    this.render(state);
    if (switched) this.announcer.say(t("projector.announce_board", { title: state.title }));
    for (const { change } of applied) this.announceChange(change);
  }

  /** @param {import("./board-state.js").Change} change */
  announceChange(change) {
    const type = change.type;
    if (type === "board.phase" && change.settings) {
      this.announcer.say(t("announce.phase", { phase: t(`phase.${change.settings.phase}`) }));
    } else if (type === "board.revealed") {
      this.announcer.say(t("announce.revealed"));
    } else if (type === "vote.opened" && change.session) {
      this.announcer.say(t("announce.vote_opened", { budget: change.session.budget }));
    } else if (type === "vote.closed") {
      this.announcer.say(t("announce.vote_closed"));
    } else if (type === "vote.revealed") {
      this.announcer.say(t("announce.vote_revealed"));
    }
  }

  // -- rendering ----------------------------------------------------------------------------

  /** @param {BoardState} state */
  render(state) {
    const s = state.settings;
    // the board's title, unless it only repeats the event's (the first board is named after it)
    this.boardTitle.textContent = state.title === this.eventTitle ? "" : state.title;
    this.boardTitle.hidden = this.boardTitle.textContent === "";
    const phase = [t("phase.label", { phase: t(`phase.${s.phase}`) })];
    if (s.silent && !s.revealed) phase.push(t("flags.silent"));
    if (s.locked) phase.push(t("flags.locked"));
    this.phase.textContent = phase.join(" · ");
    this.phase.dataset.phase = s.phase;
    const shown = stage(state);
    document.body.dataset.stage = shown;
    this.renderVote(state, shown === "vote" ? voteSession(state) : null);
    this.fit();
  }

  /**
   * Lay the stage out to fit the screen: the results or the columns with the most items per
   * field that fit without scrolling, at full type size when they can. Done again when the
   * content or the screen's size changes; `data-fitted` on the body tells for which size.
   */
  fit() {
    const state = this.live?.state;
    if (!state) return;
    const session = stage(state) === "results" ? resultsSession(state) : null;
    this.results.hidden = session === null;
    this.columns.hidden = session !== null;
    const size = `${window.innerWidth}x${window.innerHeight}`;
    /** @type {(limit: number) => void} */
    let build;
    let most;
    let least;
    let key;
    /** @type {HTMLElement} the grid of the fields */
    let grid;
    let count;
    if (session) {
      const view = resultsView(state, session);
      const fields = view.fields;
      key = JSON.stringify([
        "results",
        size,
        session.id,
        view.overall.map((r) => [r.ideaId, r.dots, r.rank, r.tie, r.idea?.title, r.idea?.text]),
        state.columns,
        this.vote.hidden,
      ]);
      build = (limit) => this.renderResults(session, fields, limit);
      grid = this.resultsBody;
      count = fields.length;
      most = Math.max(0, ...fields.map((f) => f.rows.length));
      least = LEAST_RESULTS;
    } else {
      const projected = projectedColumns(state);
      key = JSON.stringify([
        "board",
        size,
        projected.map((c) => [
          c.column,
          c.groups.map((g) => [g.heading, g.ideas.map((i) => [i.id, i.title, i.text, i.colour])]),
        ]),
        this.vote.hidden,
      ]);
      build = (limit) => this.renderColumns(projected, limit);
      grid = this.columns;
      count = projected.length;
      most = Math.max(0, ...projected.map((c) => c.count));
      least = LEAST_CARDS;
    }
    if (key === this.fitKey) return;
    this.fitKey = key;
    document.body.style.setProperty("--pj-scale", "1");
    if (window.innerWidth < NARROW) {
      delete document.body.dataset.clamp;
      // a phone or a side window, not a wall: everything, in full size, to scroll through
      grid.style.removeProperty("grid-template-columns");
      build(most);
      document.body.dataset.fitted = size;
      return;
    }
    // Rows of equal columns, as many as the full-size type allows (two rows of four for eight
    // fields at 1366 and 1920 px), kept when the type shrinks: the rows fill the width.
    const em = parseFloat(getComputedStyle(grid).fontSize);
    const gap = parseFloat(getComputedStyle(grid).columnGap) || 0;
    const across = Math.max(1, Math.floor((grid.clientWidth + gap) / (FIELD_WIDTH * em + gap)));
    const perRow = Math.ceil(count / Math.ceil(Math.max(1, count) / across));
    grid.style.setProperty("grid-template-columns", `repeat(${perRow}, minmax(0, 1fr))`);
    const root = document.documentElement;
    const fits = (/** @type {number} */ limit) => {
      build(limit);
      return root.scrollHeight <= window.innerHeight;
    };
    // Whole texts when everything fits; else texts end after a few lines, then fewer items, then smaller type.
    delete document.body.dataset.clamp;
    if (!fits(most)) {
      document.body.dataset.clamp = "";
      for (const scale of SCALES) {
        document.body.style.setProperty("--pj-scale", String(scale));
        const limit = largestFitting(Math.min(least, most), most, fits);
        if (fits(limit)) break; // else smaller type; the last scale stays, scrolling if it must
      }
    }
    document.body.dataset.fitted = size;
  }

  /**
   * @param {BoardState} state
   * @param {Session | null} session
   */
  renderVote(state, session) {
    this.vote.hidden = session === null;
    this.stopTicker();
    if (!session) return;
    const open = session.status === "open";
    this.voteHeading.textContent = t(open ? "projector.vote_open" : "projector.vote_closed", {
      round: session.round,
    });
    const figures = voteFigures(state, session);
    this.turnout.textContent = t("projector.people", { count: figures.voters });
    this.cast.textContent = t("results.dots_value", { count: figures.cast });
    this.time.hidden = !open || !session.ends_at;
    if (open && session.ends_at) {
      this.tick(session);
      this.ticker = setInterval(() => this.tick(session), 1000);
    }
  }

  /** @param {Session} session */
  tick(session) {
    const left = secondsLeft(session.ends_at, Date.now());
    if (left === null) {
      this.stopTicker();
      return;
    }
    this.timer.textContent = left > 0 ? formatClock(left) : t("vote.time_up");
    this.timer.setAttribute("aria-label", t("vote.time_aria", { minutes: Math.floor(left / 60), seconds: left % 60 }));
    if (left === 0) this.stopTicker();
  }

  stopTicker() {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  /**
   * @param {ProjectedColumn[]} projected
   * @param {number} limit  cards per column at most
   */
  renderColumns(projected, limit) {
    this.columns.replaceChildren(...projected.map((c) => this.column(c, limit)));
  }

  /**
   * @param {ProjectedColumn} projected
   * @param {number} limit
   */
  column(projected, limit) {
    const { column, count } = projected;
    const { groups, hidden } = newestCards(projected, limit);
    const headingId = `pj-col-${column.id}`;
    const body =
      count === 0
        ? [h("p", { class: "pj-empty", text: t("board.empty") })]
        : groups.map((group) => {
            const cards = h("ul", { class: "pj-cards" }, ...group.ideas.map((idea) => this.card(idea)));
            if (group.heading === null) return cards;
            return h(
              "div",
              { class: "pj-group" },
              h("h3", { class: "pj-group-heading", text: group.heading || t("cluster.untitled") }),
              cards,
            );
          });
    return h(
      "section",
      { class: "pj-column", "aria-labelledby": headingId },
      h("h2", { id: headingId, class: "pj-column-heading" }, column.name, " ", h("span", { class: "pj-count", text: `(${count})` })),
      ...body,
      this.more(hidden),
    );
  }

  /** @param {number} hidden  how many of a field's items are left off the wall */
  more(hidden) {
    return hidden > 0 ? h("p", { class: "pj-more", text: t("projector.more", { count: hidden }) }) : null;
  }

  /** @param {import("./board-state.js").Idea} idea */
  card(idea) {
    return h(
      "li",
      { class: `pj-card pj-card-${idea.colour ?? "none"}` },
      idea.title ? h("strong", { class: "pj-card-title", text: idea.title }) : null,
      h("span", { class: "pj-card-text", text: idea.text }),
    );
  }

  /**
   * @param {Session} session
   * @param {import("./voting.js").FieldResults[]} fields
   * @param {number} limit  ranked ideas per field at most
   */
  renderResults(session, fields, limit) {
    this.resultsHeading.textContent = t("results.heading", { round: session.round });
    if (fields.length === 0) {
      this.resultsBody.replaceChildren(h("p", { class: "pj-empty", text: t("results.none") }));
      return;
    }
    this.resultsBody.replaceChildren(
      ...fields.map((field) => {
        const headingId = `pj-res-${field.fieldId}`;
        const { rows: shown, hidden } = topRows(field.rows, limit);
        const rows = shown.map((row) => {
          const fill = h("span", { class: "pj-bar-fill" });
          // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
          fill.style.width = `${Math.round(row.share * 1000) / 10}%`;
          return h(
            "li",
            { class: row.rank === 1 && row.dots > 0 ? "pj-result pj-top" : "pj-result" },
            h(
              "span",
              { class: "pj-rank" },
              t("results.rank_value", { rank: row.rank }),
              // a tie under the number, small: "2. (gleichauf)" in the number's column ran into the idea
              row.tie ? h("span", { class: "pj-tie", text: t("projector.tie") }) : null,
            ),
            h("span", {
              class: "pj-result-idea",
              text: row.idea ? row.idea.title || row.idea.text : t("results.unknown_idea"),
            }),
            h("span", { class: "pj-bar", "aria-hidden": "true" }, fill),
            h("span", { class: "pj-result-dots", text: t("results.dots_value", { count: row.dots }) }),
          );
        });
        return h(
          "section",
          { class: "pj-result-field", "aria-labelledby": headingId },
          h("h3", { id: headingId, text: field.name }),
          h("ol", { class: "pj-ranking" }, ...rows),
          this.more(hidden),
        );
      }),
    );
  }
}

const root = document.getElementById("projector");
if (root?.dataset.eventId) {
  new ProjectorPage(root.dataset.eventId).start();
}
