// @ts-check
/**
 * The banner over the room while breakout rooms close ("Die Gruppenräume schließen in 0:45"),
 * or, calmer, while they are open for a set time ("Gruppenräume: noch 14:59"). It counts to the
 * server's deadline, corrected by the clock offset (`clock.js`), and speaks through the page's
 * announcer only as the countdown starts and once in its last seconds (`CountdownCues`), not
 * every second: the visible time is a `role="timer"`, which screen readers do not read out by
 * themselves.
 */

import { CountdownCues } from "./breakout-model.js";
import { formatCountdown, parseTime, remaining, secondsLeft } from "./clock.js";
import { byId, h } from "./dom.js";

/** @typedef {import("./breakout-model.js").Round} Round */
/** @typedef {import("./clock.js").ClockOffset} ClockOffset */
/** @typedef {import("./i18n.js").Translate} Translate */

const TICK_MS = 250;

/** Stands for the time in a message, so that the time can be an element of its own. */
export const TIME_MARK = "\u0000";

/**
 * A message with the time in it (`TIME_MARK`), as the text before and after the time.
 *
 * @param {string} text
 * @returns {[string, string]}
 */
export function around(text) {
  const [before = "", after = ""] = text.split(TIME_MARK);
  return [before, after];
}

export class CountdownBanner {
  /**
   * @param {Translate} t
   * @param {ClockOffset} clock
   * @param {(message: string) => void} say
   * @param {{now?: () => number}} [options]
   */
  constructor(t, clock, say, { now = () => Date.now() } = {}) {
    this.t = t;
    this.clock = clock;
    this.say = say;
    this.now = now;
    this.root = byId("breakout-countdown");
    this.text = byId("breakout-countdown-text");
    this.cues = new CountdownCues();
    /** @type {{kind: "closing" | "open", deadline: number, cap: number, key: string} | null} */
    this.target = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
    this.shownKind = "";
    /** @type {HTMLElement | null} */
    this.time = null;
  }

  /** @param {Round | null} round */
  show(round) {
    const closes = parseTime(round?.closes_at);
    const ends = parseTime(round?.ends_at);
    if (round && round.status === "closing" && closes !== null) {
      // The countdown never lasts longer than the round's countdown_s: a clock far behind cannot stretch it.
      this.target = { kind: "closing", deadline: closes, cap: round.countdown_s * 1000, key: `${round.id}@${closes}` };
    } else if (round && round.status === "open" && ends !== null) {
      this.target = { kind: "open", deadline: ends, cap: Number.POSITIVE_INFINITY, key: `${round.id}@${ends}` };
    } else {
      this.target = null;
    }
    if (this.target && this.timer === null) this.timer = setInterval(() => this.tick(), TICK_MS);
    if (!this.target && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.tick();
  }

  tick() {
    const target = this.target;
    this.root.hidden = target === null;
    if (!target) {
      this.shownKind = "";
      return;
    }
    const left = Math.min(target.cap, remaining(target.deadline, this.clock.serverNow(this.now())));
    if (this.shownKind !== target.kind) this.build(target.kind);
    const time = /** @type {HTMLElement} */ (this.time);
    const text = formatCountdown(left);
    if (time.textContent !== text) time.textContent = text;
    if (target.kind !== "closing") return;
    const seconds = secondsLeft(left);
    const cue = this.cues.next(target.key, seconds);
    if (cue === "start") this.say(this.t("announce.countdown_start", { count: seconds }));
    else if (cue === "final") this.say(this.t("announce.countdown_final", { count: seconds }));
  }

  /** @param {"closing" | "open"} kind */
  build(kind) {
    const t = this.t;
    const [before, after] = around(
      kind === "closing" ? t("breakout.countdown", { time: TIME_MARK }) : t("breakout.time_left", { time: TIME_MARK }),
    );
    this.time = h("span", { class: "countdown-time", role: "timer" });
    this.text.replaceChildren(before, this.time, after);
    this.root.dataset.kind = kind;
    this.shownKind = kind;
  }
}
