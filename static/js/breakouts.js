// @ts-check
/**
 * Breakout rounds on the room page: keeps the round (`RoundState`) and the server's clock, and
 * wires the countdown banner, the participants' panel and the facilitators' console to the
 * connection. The room page (`room.js`) tells it when the page entered or moved to a room and
 * passes `breakout.changed` on; moving the page between rooms is the room page's own business.
 */

import { CountdownBanner } from "./breakout-countdown.js";
import { BreakoutConsole } from "./breakout-console.js";
import { isLive, RoundState } from "./breakout-model.js";
import { BreakoutPanel } from "./breakout-panel.js";
import { ClockOffset, parseTime, syncClock } from "./clock.js";
import { errorMessage } from "./i18n.js";
import { CLIENT_EVENTS, MODERATOR_ROLES } from "./protocol.js";

/** @typedef {import("./breakout-model.js").Round} Round */
/** @typedef {import("./breakout-model.js").Member} Member */
/** @typedef {import("./breakout-panel.js").Results} Results */
/** @typedef {import("./connection.js").Ack} Ack */
/** @typedef {import("./i18n.js").Translate} Translate */
/** @typedef {{id: string, name: string, kind: string}} Room */


/**
 * @typedef {object} PageHooks
 * @property {(event: string, payload: Record<string, unknown>) => Promise<Ack>} request  never rejects
 * @property {(message: string) => void} say
 * @property {() => Member[]} present  who is in the page's room
 * @property {(id: string) => string} nameOf  "" when unknown
 * @property {() => void} [clockSynced]  the server's clock was measured (other countdowns redraw)
 */

export class Breakouts {
  /**
   * @param {Translate} t
   * @param {PageHooks} page
   */
  constructor(t, page) {
    this.t = t;
    this.page = page;
    this.state = new RoundState();
    this.clock = new ClockOffset();
    /** @type {boolean | null} whether the server answers clock.sync; null: not asked yet */
    this.clockSync = null;
    /** @type {string} */
    this.role = "observer";
    /** @type {Room | null} */
    this.room = null;
    /** @type {Results | null} */
    this.results = null;
    this.resultsFor = "";
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.refreshTimer = null;
    const message = (/** @type {string} */ code) => errorMessage(t, { code });
    this.banner = new CountdownBanner(t, this.clock, page.say);
    this.panel = new BreakoutPanel(t, {
      choose: (roomId) => this.command(CLIENT_EVENTS.breakoutChoose, { room_id: roomId }),
      prefer: async (roomIds) => {
        const code = await this.command(CLIENT_EVENTS.breakoutPrefer, { room_ids: roomIds });
        if (!code) {
          this.state.preferences = roomIds;
          this.render();
        }
        return code;
      },
      help: (ask) => this.command(ask ? CLIENT_EVENTS.breakoutHelp : CLIENT_EVENTS.breakoutHelpWithdraw, {}),
      readBoard: async (boardId) => {
        const ack = await page.request(CLIENT_EVENTS.boardSync, { board_id: boardId });
        if (!ack.ok) return ack.error?.code ?? "internal";
        return ack.snapshot ?? "internal";
      },
      say: page.say,
      message,
    });
    this.console = new BreakoutConsole(t, {
      create: async (payload) => {
        const ack = await page.request(CLIENT_EVENTS.breakoutCreate, payload);
        return this.answered(ack);
      },
      assign: (mode) => this.command(CLIENT_EVENTS.breakoutAssign, { mode }),
      move: (memberId, roomId) => this.command(CLIENT_EVENTS.breakoutMove, { member_id: memberId, room_id: roomId }),
      open: () => this.command(CLIENT_EVENTS.breakoutOpen, {}),
      close: (now) => this.command(CLIENT_EVENTS.breakoutClose, { now }),
      extend: (seconds) => this.command(CLIENT_EVENTS.breakoutExtend, { seconds }),
      visit: async (roomId) => {
        const ack = await page.request(CLIENT_EVENTS.breakoutVisit, { room_id: roomId });
        return ack.ok ? "" : (ack.error?.code ?? "internal");
      },
      answerHelp: (memberId) => this.command(CLIENT_EVENTS.breakoutHelpAnswer, { member_id: memberId, visit: true }),
      rotate: () => this.command(CLIENT_EVENTS.breakoutRotate, {}),
      say: page.say,
      message,
    });
  }

  get moderator() {
    return MODERATOR_ROLES.includes(this.role);
  }

  /**
   * After every `room.enter`: who we are, where, the event's fields; then the round as it is now
   * and, once per connection, the server's clock.
   *
   * @param {{me: Member, room: Room, event: {fields: {id: string, name: string}[]}}} ack
   */
  async entered(ack) {
    this.role = ack.me.role;
    this.room = ack.room;
    // Others never need the console; out of the page, its controls are out of everyone's way.
    if (!this.moderator) this.console.root.remove();
    else {
      this.console.root.hidden = false;
      this.console.setFields(Array.isArray(ack.event?.fields) ? ack.event.fields : []);
    }
    await this.refresh();
    // The clock in the background: the page is online without waiting for it.
    if (this.clockSync !== false) this.syncClock();
  }

  async syncClock() {
    this.clockSync = await syncClock(this.clock, () => this.page.request(CLIENT_EVENTS.clockSync, {}));
    this.render();
    this.page.clockSynced?.();
  }

  /** Ask for the round as it is now (and what only we know of it). */
  async refresh() {
    const ack = await this.page.request(CLIENT_EVENTS.breakoutState, {});
    if (ack.ok) {
      this.state.own(ack.round ?? null);
      this.after();
    }
  }

  /**
   * The page moved to another room (`room.moved`).
   *
   * @param {Room} room
   */
  moved(room) {
    this.room = room;
    this.render();
  }

  /** Someone arrived in or left the page's room: the console's table lists them. */
  presenceChanged() {
    if (this.moderator) this.render();
  }

  /**
   * `breakout.changed`.
   *
   * @param {Round} round
   */
  changed(round) {
    if (!round || typeof round.id !== "string") return;
    const before = this.state.round;
    if (!this.state.broadcast(round)) return;
    // Without clock.sync: the moment the countdown started is the server's time as it told us.
    if (this.clockSync === false && before?.id === round.id && before.status === "open" && round.status === "closing") {
      const closes = parseTime(round.closes_at);
      if (closes !== null) this.clock.anchor(closes - round.countdown_s * 1000, Date.now());
    }
    if (this.state.askedHelp && !this.moderator) this.refreshSoon(); // was our call answered?
    this.after();
  }

  refreshSoon() {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh();
    }, 500);
  }

  /** After the round changed: the results once it closed, then everything drawn again. */
  after() {
    const round = this.state.round;
    if (round && round.status === "closed" && this.resultsFor !== round.id) {
      this.resultsFor = round.id;
      this.loadResults(round.id);
    }
    this.render();
  }

  /** @param {string} roundId */
  async loadResults(roundId) {
    const ack = await this.page.request(CLIENT_EVENTS.breakoutResults, { round_id: roundId });
    if (ack.ok) {
      this.results = /** @type {Results} */ (/** @type {unknown} */ (ack));
    } else {
      this.resultsFor = ""; // try again with the next change or (re)connect
    }
    this.render();
  }

  render() {
    const round = this.state.round;
    this.banner.show(round && (isLive(round) ? round : null));
    this.panel.render({
      round,
      role: this.role,
      room: this.room,
      myRoom: this.state.myRoom,
      askedHelp: this.state.askedHelp,
      preferences: this.state.preferences,
      results: this.results,
    });
    if (this.moderator) {
      // the round names everyone placed or asking for help; the page knows whom it has seen
      const names = round?.names ?? {};
      const nameOf = (/** @type {string} */ id) => names[id] || this.page.nameOf(id);
      this.console.render({ round, room: this.room, present: this.page.present(), nameOf });
    }
  }

  // -- requests ------------------------------------------------------------------------------------

  /**
   * A command on the current round (a facilitator's, or a participant's about themself: its
   * answer carries what only they know, `my_room` and `asked_help`).
   *
   * @param {string} event
   * @param {Record<string, unknown>} payload  without `round_id`
   * @returns {Promise<string>}
   */
  async command(event, payload) {
    const round = this.state.round;
    if (!round) return "no_such_round";
    return this.answered(await this.page.request(event, { round_id: round.id, ...payload }));
  }

  /**
   * Take the round from an acknowledgement; "" when it worked, else the error code.
   *
   * @param {Ack} ack
   * @returns {string}
   */
  answered(ack) {
    if (!ack.ok) return ack.error?.code ?? "internal";
    if (ack.round) {
      this.state.own(ack.round);
      this.after();
    }
    return "";
  }
}
