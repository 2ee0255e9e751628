// @ts-check
/**
 * The participants' part of breakout rounds, above the room: choose a room (self-select),
 * rank topics (preference rounds), call a facilitator from a breakout room, and after the round
 * the results of the groups, each board readable from the plenary.
 *
 * What the buttons do is `breakouts.js`'s business (`PanelActions`); this module renders and
 * forwards. It is rendered again on every change of the round; the focus stays on the control
 * with the same `data-key`.
 */

import { renderReadonly } from "./board-readonly.js";
import { addChoice, isFull, moveChoice, panelMode, PREFER_MAX, removeChoice } from "./breakout-model.js";
import { byId, h, replaceKeepingFocus, showError } from "./dom.js";

/** @typedef {import("./breakout-model.js").Round} Round */
/** @typedef {import("./breakout-model.js").BreakoutRoom} BreakoutRoom */
/** @typedef {import("./board-state.js").Snapshot} Snapshot */
/** @typedef {import("./i18n.js").Translate} Translate */
/**
 * @typedef {{round_id: string, rooms: {room_id: string, name: string,
 *   boards: {id: string, title: string, ideas: number}[]}[]}} Results
 */

/**
 * What the panel's buttons do; each resolves to an error code, or "" when it worked.
 *
 * @typedef {object} PanelActions
 * @property {(roomId: string | null) => Promise<string>} choose
 * @property {(roomIds: string[]) => Promise<string>} prefer
 * @property {(ask: boolean) => Promise<string>} help
 * @property {(boardId: string) => Promise<Snapshot | string>} readBoard  the board, or an error code
 * @property {(message: string) => void} say
 * @property {(code: string) => string} message
 */

/**
 * What the panel shows.
 *
 * @typedef {object} PanelView
 * @property {Round | null} round
 * @property {string} role
 * @property {{id: string, name: string, kind: string} | null} room  the room the page is in
 * @property {string | null} myRoom
 * @property {boolean} askedHelp
 * @property {string[]} preferences
 * @property {Results | null} results
 */

export class BreakoutPanel {
  /**
   * @param {Translate} t
   * @param {PanelActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.root = byId("breakout-panel");
    this.heading = byId("breakout-panel-heading");
    this.body = byId("breakout-panel-body");
    this.error = byId("breakout-panel-error");
    /** @type {PanelView | null} */
    this.view = null;
    /** the `data-key` of where the focus goes when the control used disappears with the next rendering */
    this.fallback = "";
    /** @type {{roomName: string, board: {id: string, title: string}, snapshot: Snapshot} | null} the board read */
    this.reading = null;
    this.busy = false;
  }

  /** @param {PanelView} view */
  render(view) {
    if (this.view?.round?.id !== view.round?.id) this.reading = null;
    this.view = view;
    const mode = panelMode(view.round, { role: view.role, roomKind: view.room?.kind ?? "plenary" });
    const wasShown = !this.root.hidden;
    this.root.hidden = mode === "hidden";
    if (mode === "hidden") {
      if (wasShown && this.root.contains(document.activeElement)) byId("main").focus();
      this.body.replaceChildren();
      return;
    }
    const round = /** @type {Round} */ (view.round);
    /** @type {Node[]} */
    let children;
    if (mode === "wait") children = [h("p", { text: this.t("breakout.wait") })];
    else if (mode === "choose" && view.room?.kind === "breakout") {
      children = [...this.inRoomView(round, view), ...this.chooseView(round, view)];
    } else if (mode === "choose") children = this.chooseView(round, view);
    else if (mode === "prefer") children = this.preferView(round, view);
    else if (mode === "inroom") children = this.inRoomView(round, view);
    else if (mode === "plenary") children = [h("p", { text: this.t("breakout.in_plenary") })];
    else children = this.resultsView(round, view);
    if (replaceKeepingFocus(this.body, children)) {
      // The control used is gone: the focus goes where the page says next, else to the panel's heading.
      const next = this.fallback ? this.body.querySelector(`[data-key="${this.fallback}"]`) : null;
      if (next instanceof HTMLElement) next.focus();
      else this.heading.focus();
    }
  }

  rerender() {
    if (this.view) this.render(this.view);
  }

  /**
   * Run a button's request once at a time; show its error beside the panel.
   *
   * @param {() => Promise<string>} request
   * @returns {Promise<boolean>} whether it worked
   */
  async run(request) {
    if (this.busy) return false;
    this.busy = true;
    try {
      const code = await request();
      showError(this.error, null, code ? this.actions.message(code) : "");
      return !code;
    } finally {
      this.busy = false;
      this.fallback = "";
    }
  }

  // -- self-select -------------------------------------------------------------------------------

  /**
   * @param {Round} round
   * @param {PanelView} view
   * @returns {Node[]}
   */
  chooseView(round, view) {
    const t = this.t;
    const mine = view.myRoom;
    const intro = h("p", {
      text: t(round.status === "draft" ? "breakout.choose_intro" : "breakout.choose_intro_open"),
    });
    const list = h(
      "ul",
      { class: "breakout-rooms" },
      ...round.rooms.map((room) => {
        const headingId = `bp-room-${room.id}`;
        const item = h(
          "li",
          { class: `breakout-room${room.id === mine ? " is-mine" : ""}` },
          h("h3", { id: headingId, class: "breakout-room-name", text: room.name }),
          room.topic && room.topic !== room.name ? h("p", { class: "hint", text: room.topic }) : null,
          h("p", { class: "breakout-seats", text: seatsText(t, room) }),
        );
        if (room.id === mine) {
          item.append(h("p", { class: "breakout-yours", text: t("breakout.yours") }));
          return item;
        }
        if (view.role !== "participant") return item;
        const full = isFull(room);
        const reasonId = `bp-full-${room.id}`;
        const button = h(
          "button",
          {
            type: "button",
            "data-key": `choose-${room.id}`,
            "aria-disabled": full ? "true" : undefined,
            "aria-describedby": full ? reasonId : undefined,
          },
          t("breakout.choose"),
          h("span", { class: "visually-hidden", text: ` (${room.name})` }),
        );
        button.addEventListener("click", () => {
          if (full) {
            this.actions.say(t("breakout.full"));
            return;
          }
          if (this.busy) return;
          this.fallback = "choose-none";
          this.run(async () => {
            const code = await this.actions.choose(room.id);
            if (!code) this.actions.say(t("announce.chosen", { name: room.name }));
            return code;
          });
        });
        item.append(button);
        if (full) item.append(h("p", { id: reasonId, class: "hint", text: t("breakout.full") }));
        return item;
      }),
    );
    /** @type {Node[]} */
    const out = [intro, list];
    if (mine && view.role === "participant") {
      const back = h("button", {
        type: "button",
        class: "secondary",
        "data-key": "choose-none",
        text: t(round.status === "draft" ? "breakout.unchoose" : "breakout.back_to_plenary"),
      });
      back.addEventListener("click", () =>
        this.run(async () => {
          const code = await this.actions.choose(null);
          if (!code) this.actions.say(t("announce.unchosen"));
          return code;
        }),
      );
      out.push(h("p", {}, back));
    }
    return out;
  }

  // -- preference rounds -------------------------------------------------------------------------

  /**
   * @param {Round} round
   * @param {PanelView} view
   * @returns {Node[]}
   */
  preferView(round, view) {
    const t = this.t;
    const choices = view.preferences.filter((id) => round.rooms.some((r) => r.id === id));
    const name = (/** @type {string} */ id) => round.rooms.find((r) => r.id === id)?.name ?? "";
    /**
     * @param {string[]} next
     * @param {string} message
     */
    const send = (next, message) =>
      this.run(async () => {
        const code = await this.actions.prefer(next);
        if (!code) this.actions.say(message);
        return code;
      });
    /**
     * @param {string} key
     * @param {string} label
     * @param {string} roomName
     * @param {boolean} disabled
     * @param {() => void} onClick
     */
    const small = (key, label, roomName, disabled, onClick) => {
      const button = h(
        "button",
        { type: "button", class: "secondary small", "data-key": key, "aria-disabled": disabled ? "true" : undefined },
        label,
        h("span", { class: "visually-hidden", text: ` (${roomName})` }),
      );
      button.addEventListener("click", () => {
        if (!disabled) onClick();
      });
      return button;
    };
    const ranked = choices.length
      ? h(
          "ol",
          { class: "breakout-choices" },
          ...choices.map((id, index) =>
            h(
              "li",
              {},
              h(
                "div",
                { class: "breakout-choice" },
                h("span", { class: "breakout-choice-name", text: name(id) }),
                h(
                  "span",
                  { class: "breakout-choice-buttons" },
                  small(`up-${id}`, t("breakout.prefer_up"), name(id), index === 0, () => {
                    const next = moveChoice(choices, id, -1);
                    send(next, t("announce.preference_rank", { name: name(id), rank: next.indexOf(id) + 1 }));
                  }),
                  small(`down-${id}`, t("breakout.prefer_down"), name(id), index === choices.length - 1, () => {
                    const next = moveChoice(choices, id, 1);
                    send(next, t("announce.preference_rank", { name: name(id), rank: next.indexOf(id) + 1 }));
                  }),
                  small(`remove-${id}`, t("breakout.prefer_remove"), name(id), false, () => {
                    if (this.busy) return;
                    this.fallback = "prefer-heading";
                    send(removeChoice(choices, id), t("announce.preference_removed", { name: name(id) }));
                  }),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "hint", text: t("breakout.prefer_none") });
    const full = choices.length >= PREFER_MAX;
    const topics = h(
      "ul",
      { class: "breakout-rooms" },
      ...round.rooms.map((room) => {
        const headingId = `bp-topic-${room.id}`;
        const rank = choices.indexOf(room.id);
        const item = h(
          "li",
          { class: `breakout-room${rank >= 0 ? " is-mine" : ""}` },
          h("h4", { id: headingId, class: "breakout-room-name", text: room.name }),
          room.topic && room.topic !== room.name ? h("p", { class: "hint", text: room.topic }) : null,
        );
        // One button per topic that adds or removes it, so that the focus stays where it is.
        if (rank >= 0) {
          item.append(
            h("p", { class: "breakout-yours", text: t("breakout.prefer_rank", { rank: rank + 1 }) }),
            small(`topic-${room.id}`, t("breakout.prefer_remove"), room.name, false, () =>
              send(removeChoice(choices, room.id), t("announce.preference_removed", { name: room.name })),
            ),
          );
          return item;
        }
        const add = small(`topic-${room.id}`, t("breakout.prefer_add"), room.name, full, () => {
          const next = addChoice(choices, room.id);
          send(next, t("announce.preference_rank", { name: room.name, rank: next.indexOf(room.id) + 1 }));
        });
        if (full) {
          add.setAttribute("aria-describedby", "bp-prefer-full");
          add.addEventListener("click", () => this.actions.say(t("breakout.prefer_full", { count: PREFER_MAX })));
        }
        item.append(add);
        return item;
      }),
    );
    return [
      h("p", { text: t("breakout.prefer_intro", { count: PREFER_MAX }) }),
      h("h3", {
        class: "breakout-subheading",
        tabindex: "-1",
        "data-key": "prefer-heading",
        text: t("breakout.prefer_mine"),
      }),
      ranked,
      h("h3", { class: "breakout-subheading", text: t("breakout.prefer_topics") }),
      full
        ? h("p", { id: "bp-prefer-full", class: "hint", text: t("breakout.prefer_full", { count: PREFER_MAX }) })
        : null,
      topics,
    ].filter((node) => node !== null);
  }

  // -- in a breakout room ------------------------------------------------------------------------

  /**
   * @param {Round} round
   * @param {PanelView} view
   * @returns {Node[]}
   */
  inRoomView(round, view) {
    const t = this.t;
    const room = round.rooms.find((r) => r.id === view.room?.id) ?? null;
    const name = room?.name ?? view.room?.name ?? "";
    /** @type {Node[]} */
    const out = [h("p", { class: "breakout-here", text: t("breakout.in_room", { name }) })];
    if (room?.topic && room.topic !== room.name)
      out.push(h("p", { class: "hint", text: t("breakout.topic", { topic: room.topic }) }));
    if (view.role !== "participant") return out;
    if (view.askedHelp) out.push(h("p", { class: "breakout-help-status", text: t("breakout.help_asked") }));
    const button = h("button", {
      type: "button",
      class: view.askedHelp ? "secondary" : "",
      "data-key": "help",
      text: t(view.askedHelp ? "breakout.help_withdraw" : "breakout.help"),
    });
    button.addEventListener("click", () => {
      const ask = !view.askedHelp;
      this.run(async () => {
        const code = await this.actions.help(ask);
        if (!code) this.actions.say(t(ask ? "announce.help_asked" : "announce.help_withdrawn"));
        return code;
      });
    });
    out.push(h("p", {}, button));
    return out;
  }

  // -- results -----------------------------------------------------------------------------------

  /**
   * @param {Round} round
   * @param {PanelView} view
   * @returns {Node[]}
   */
  resultsView(round, view) {
    const t = this.t;
    /** @type {Node[]} */
    const out = [h("h3", { class: "breakout-subheading", text: t("breakout.results", { round: round.number }) })];
    const results = view.results?.round_id === round.id ? view.results : null;
    if (!results) {
      out.push(h("p", { class: "hint", text: t("breakout.results_loading") }));
      return out;
    }
    out.push(
      h(
        "ul",
        { class: "breakout-results" },
        ...results.rooms.map((room) => {
          const headingId = `bp-result-${room.room_id}`;
          return h(
            "li",
            { class: "breakout-result" },
            h("h4", { id: headingId, class: "breakout-room-name", text: room.name }),
            room.boards.length
              ? h(
                  "ul",
                  { class: "breakout-result-boards" },
                  ...room.boards.map((board) => {
                    const open = h(
                      "button",
                      { type: "button", class: "secondary small", "data-key": `read-${board.id}` },
                      t("breakout.read"),
                      h("span", { class: "visually-hidden", text: ` (${room.name}: ${board.title})` }),
                    );
                    open.addEventListener("click", () => this.read(room.name, board));
                    // A room's own board is named after the room: its name need not be said twice.
                    const count =
                      board.title === room.name
                        ? t("breakout.room_ideas", { count: board.ideas })
                        : t("breakout.board_ideas", { title: board.title, count: board.ideas });
                    return h("li", {}, h("span", { text: count }), " ", open);
                  }),
                )
              : h("p", { class: "hint", text: t("breakout.no_boards") }),
          );
        }),
      ),
    );
    const reading = this.reading;
    if (reading) {
      const close = h("button", {
        type: "button",
        class: "secondary",
        "data-key": "read-close",
        text: t("breakout.read_close"),
      });
      close.addEventListener("click", () => {
        this.reading = null;
        this.rerender();
        /** @type {HTMLElement | null} */ (this.body.querySelector(`[data-key="read-${reading.board.id}"]`))?.focus();
      });
      out.push(
        h(
          "section",
          { class: "breakout-readonly", "aria-labelledby": "bp-read-heading" },
          h("h4", {
            id: "bp-read-heading",
            tabindex: "-1",
            text:
              reading.board.title === reading.roomName
                ? t("breakout.read_heading_room", { room: reading.roomName })
                : t("breakout.read_heading", { room: reading.roomName, title: reading.board.title }),
          }),
          h("p", { class: "hint", text: t("breakout.read_hint") }),
          renderReadonly(t, reading.snapshot, 5),
          h("p", {}, close),
        ),
      );
    }
    return out;
  }

  /**
   * Read a board of a breakout room (a snapshot, from the plenary) and show it below the results.
   *
   * @param {string} roomName
   * @param {{id: string, title: string}} board
   */
  async read(roomName, board) {
    await this.run(async () => {
      const answer = await this.actions.readBoard(board.id);
      if (typeof answer === "string") return answer;
      this.reading = { roomName, board, snapshot: answer };
      this.rerender();
      /** @type {HTMLElement | null} */ (this.body.querySelector("#bp-read-heading"))?.focus();
      return "";
    });
  }
}

/**
 * "3 Personen", or with a capacity "3 von 8 Plätzen belegt".
 *
 * @param {Translate} t
 * @param {BreakoutRoom} room
 */
export function seatsText(t, room) {
  return room.capacity === null
    ? t("breakout.seats", { count: room.size })
    : t("breakout.seats_of", { size: room.size, count: room.capacity });
}
