// @ts-check
/**
 * The timers on the room page: the event's (plenary) timer and the room's own, for everyone, as
 * `m:ss` counted to the server's deadline (corrected by the clock offset of `clock.js`), and
 * the facilitators' controls (start, pause, resume, +1 min, +5 min, reset).
 *
 * The time shown is a `role="timer"`, which screen readers do not read out by themselves; the
 * start, the warning and the end are announced by `facilitation.js`. Each timer's element
 * carries the milliseconds left in `data-remaining-ms` (tests compare pages with it).
 */

import { formatCountdown } from "./clock.js";
import { byId, showError } from "./dom.js";
import { minutesToSeconds, timerRemaining, timerShown } from "./facilitation-model.js";

/** @typedef {import("./facilitation-model.js").Timer} Timer */
/** @typedef {import("./clock.js").ClockOffset} ClockOffset */
/** @typedef {import("./i18n.js").Translate} Translate */

const TICK_MS = 200;

/** One timer's line: its name, the time left, "pausiert" / "abgelaufen". */
class TimerLine {
  /**
   * @param {HTMLElement} root
   * @param {string} name
   */
  constructor(root, name) {
    this.root = root;
    this.name = /** @type {HTMLElement} */ (root.querySelector(".timer-name"));
    this.value = /** @type {HTMLElement} */ (root.querySelector(".timer-value"));
    this.state = /** @type {HTMLElement} */ (root.querySelector(".timer-state"));
    this.defaultName = name;
    /** @type {Timer | null} */
    this.timer = null;
  }
}

export class TimerDisplay {
  /**
   * @param {Translate} t
   * @param {ClockOffset} clock
   * @param {{now?: () => number}} [options]
   */
  constructor(t, clock, { now = () => Date.now() } = {}) {
    this.t = t;
    this.clock = clock;
    this.now = now;
    this.root = byId("timers");
    this.event = new TimerLine(byId("timer-event"), t("timer.event"));
    this.room = new TimerLine(byId("timer-room"), t("timer.room"));
    /** @type {ReturnType<typeof setInterval> | null} */
    this.ticker = null;
  }

  /**
   * @param {Timer | null} eventTimer
   * @param {Timer | null} roomTimer
   */
  show(eventTimer, roomTimer) {
    this.event.timer = eventTimer;
    this.room.timer = roomTimer;
    this.draw();
    const running = [eventTimer, roomTimer].some((timer) => timer?.status === "running");
    if (running && this.ticker === null) this.ticker = setInterval(() => this.draw(), TICK_MS);
    if (!running && this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  /** Server time now. */
  serverNow() {
    return this.clock.serverNow(this.now());
  }

  /**
   * Time left of a timer now, in ms.
   *
   * @param {Timer} timer
   */
  left(timer) {
    return timerRemaining(timer, this.serverNow());
  }

  draw() {
    const nowMs = this.serverNow();
    let any = false;
    for (const line of [this.event, this.room]) {
      const timer = line.timer;
      const shown = timerShown(timer);
      line.root.hidden = !shown;
      if (!timer || !shown) continue;
      any = true;
      const left = timerRemaining(timer, nowMs);
      line.root.dataset.remainingMs = String(Math.round(left));
      line.root.dataset.status = timer.status;
      line.root.dataset.deadlineMs = timer.status === "running" ? String(timer.deadline_ms) : "";
      const name = timer.label ? `${line.defaultName}: ${timer.label}` : line.defaultName;
      if (line.name.textContent !== name) line.name.textContent = name;
      const text = formatCountdown(left);
      if (line.value.textContent !== text) line.value.textContent = text;
      const state =
        timer.status === "paused" ? this.t("timer.paused") : timer.status === "finished" ? this.t("timer.finished") : "";
      if (line.state.textContent !== state) line.state.textContent = state;
      line.state.hidden = state === "";
    }
    this.root.hidden = !any;
  }
}

/**
 * @typedef {object} TimerActions
 * @property {(roomId: string | null, seconds: number) => Promise<string>} start
 * @property {(roomId: string | null, action: "pause" | "resume" | "reset") => Promise<string>} control
 * @property {(roomId: string | null, seconds: number) => Promise<string>} extend
 * @property {(code: string) => string} message
 */

export class TimerControls {
  /**
   * @param {Translate} t
   * @param {TimerActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.targetRow = byId("timer-target-row");
    this.target = /** @type {HTMLSelectElement} */ (byId("timer-target", HTMLSelectElement));
    this.minutes = /** @type {HTMLInputElement} */ (byId("timer-minutes", HTMLInputElement));
    this.error = byId("timer-error");
    this.startButton = byId("timer-start");
    this.pauseButton = byId("timer-pause");
    this.resumeButton = byId("timer-resume");
    this.resetButton = byId("timer-reset");
    /** @type {string | null} the breakout room the page is in, whose own timer may be chosen */
    this.roomId = null;
    /** @type {{event: Timer | null, room: Timer | null}} */
    this.timers = { event: null, room: null };
    byId("timer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = minutesToSeconds(this.minutes.value);
      if (seconds === null) {
        showError(this.error, this.minutes, this.t("timer.bad_minutes"));
        return;
      }
      this.run(() => actions.start(this.chosen(), seconds), this.minutes);
    });
    this.pauseButton.addEventListener("click", () => this.run(() => actions.control(this.chosen(), "pause")));
    this.resumeButton.addEventListener("click", () => this.run(() => actions.control(this.chosen(), "resume")));
    this.resetButton.addEventListener("click", () => this.run(() => actions.control(this.chosen(), "reset")));
    byId("timer-plus1").addEventListener("click", () => this.run(() => actions.extend(this.chosen(), 60)));
    byId("timer-plus5").addEventListener("click", () => this.run(() => actions.extend(this.chosen(), 300)));
    this.target.addEventListener("change", () => this.render());
  }

  /** The room whose timer the controls steer: null for the event's. */
  chosen() {
    return this.roomId && this.target.value === "room" ? this.roomId : null;
  }

  /**
   * @param {() => Promise<string>} action
   * @param {HTMLElement | null} [control]
   */
  async run(action, control = null) {
    showError(this.error, control, "");
    const code = await action();
    if (code) showError(this.error, control, this.actions.message(code));
  }

  /**
   * @param {string | null} breakoutRoomId  the breakout room the page is in, or null in the plenary
   * @param {Timer | null} eventTimer
   * @param {Timer | null} roomTimer
   */
  render(breakoutRoomId = this.roomId, eventTimer = this.timers.event, roomTimer = this.timers.room) {
    this.roomId = breakoutRoomId;
    this.timers = { event: eventTimer, room: roomTimer };
    this.targetRow.hidden = breakoutRoomId === null;
    const timer = this.chosen() ? roomTimer : eventTimer;
    const status = timer?.status ?? "idle";
    const focused = document.activeElement;
    this.pauseButton.hidden = status !== "running";
    this.resumeButton.hidden = status !== "paused";
    this.resetButton.hidden = status === "idle";
    // Pause and resume take each other's place: the focus goes along; else back to the minutes.
    if (focused instanceof HTMLElement && focused.hidden) {
      if (focused === this.pauseButton && !this.resumeButton.hidden) this.resumeButton.focus();
      else if (focused === this.resumeButton && !this.pauseButton.hidden) this.pauseButton.focus();
      else this.minutes.focus();
    }
  }
}
