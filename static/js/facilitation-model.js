// @ts-check
/**
 * The facilitation features' state on the room page, without DOM or network: the timers as a
 * countdown, the room's chat, the live questions, the agenda and raised hands. The views
 * (`timer-view.js`, `chat-panel.js`, `questions-panel.js`, `agenda-panel.js`,
 * `facilitation-console.js`) draw it; `facilitation.js` feeds it from the connection.
 *
 * Pure: every time is passed in; nothing here reads a clock.
 */

import { remaining } from "./clock.js";

/**
 * @typedef {{id: string, pseudonym: string, role?: string}} Author
 * @typedef {{scope: "event" | "room", room_id: string | null, status: "idle" | "running" | "paused" | "finished",
 *   label: string, duration_ms: number, deadline_ms: number | null, remaining_ms: number | null,
 *   warning_at_ms: number | null}} Timer
 * @typedef {{id: string, room_id: string, author: Author, text: string, sent_at: string, hidden: boolean}} Message
 * @typedef {{id: string, text: string, asked_at: string, anonymous: boolean, author: Author | null, mine: boolean,
 *   votes: number, upvoted: boolean | null, answered: boolean, hidden: boolean}} Question
 * @typedef {{id: string, title: string, kind: string, duration_s: number, note: string}} Step
 * @typedef {{version: number, steps: Step[], current: string | null, started_at: string | null,
 *   finished_at: string | null, planned_s: number}} Agenda
 * @typedef {{member_id: string, pseudonym: string, raised_at: string}} Hand
 * @typedef {{room_id: string, queue: Hand[], called?: Hand | null}} Hands
 */

// -- timers -------------------------------------------------------------------------------------

/**
 * How much time a timer has left at the server's time `serverNowMs`: counted to `deadline_ms`
 * while it runs (never more than its length), the paused remainder while paused, 0 when idle or
 * finished.
 *
 * @param {Timer} timer
 * @param {number} serverNowMs
 * @returns {number} ms
 */
export function timerRemaining(timer, serverNowMs) {
  if (timer.status === "running" && typeof timer.deadline_ms === "number") {
    const left = remaining(timer.deadline_ms, serverNowMs);
    // A clock estimated a few ms ahead would show a 2-minute timer as 2:01 at its start: a run
    // never has more left than its length.
    return timer.duration_ms > 0 ? Math.min(left, timer.duration_ms) : left;
  }
  if (timer.status === "paused") return Math.max(0, timer.remaining_ms ?? 0);
  return 0;
}

/**
 * Whether a timer is worth showing: running, paused or just finished (not an idle one).
 *
 * @param {Timer | null | undefined} timer
 * @returns {timer is Timer}
 */
export function timerShown(timer) {
  return !!timer && timer.status !== "idle";
}

/**
 * Which announcement a timer change deserves: the start, a pause, a resume, the warning, the end
 * (and nothing for each second).
 *
 * @param {"started" | "paused" | "resumed" | "extended" | "reset" | "warning" | "finished"} kind
 * @returns {string} the message key's last part, or "" for none
 */
export function timerCue(kind) {
  return ["started", "paused", "resumed", "extended", "warning", "finished"].includes(kind) ? kind : "";
}

/**
 * Minutes from a form's field, as whole seconds for `timer.start`: 0.5 – 480 minutes; else null.
 *
 * @param {string} value
 * @returns {number | null}
 */
export function minutesToSeconds(value) {
  const minutes = Number(String(value).trim().replace(",", "."));
  if (!Number.isFinite(minutes) || minutes <= 0) return null;
  const seconds = Math.round(minutes * 60);
  return seconds >= 5 && seconds <= 8 * 3600 ? seconds : null;
}

// -- chat -------------------------------------------------------------------------------------

/** The messages of the room the page is in, oldest first. */
export class ChatLog {
  constructor() {
    /** @type {string | null} */
    this.roomId = null;
    /** @type {Message[]} */
    this.messages = [];
    this.silenced = false;
  }

  /**
   * `chat.history`: the room's chat as it is now.
   *
   * @param {string} roomId
   * @param {Message[]} messages
   */
  reset(roomId, messages) {
    this.roomId = roomId;
    this.messages = messages.filter((m) => m && typeof m.id === "string");
  }

  /**
   * A new message (`chat.message` or our own acknowledgement); false when not for this room or
   * already known.
   *
   * @param {Message} message
   * @returns {boolean}
   */
  add(message) {
    if (!message || message.room_id !== this.roomId || this.messages.some((m) => m.id === message.id)) return false;
    this.messages.push(message);
    return true;
  }

  /**
   * `chat.hidden`: the message as we may see it now, or gone from our view.
   *
   * @param {{room_id: string, message_id: string, message: Message | null}} change
   * @returns {boolean}
   */
  hide(change) {
    if (!change || change.room_id !== this.roomId) return false;
    const index = this.messages.findIndex((m) => m.id === change.message_id);
    if (change.message) {
      if (index >= 0) this.messages[index] = change.message;
      else return this.insert(change.message);
      return true;
    }
    if (index < 0) return false;
    this.messages.splice(index, 1);
    return true;
  }

  /**
   * A message we may see again, in its place by time.
   *
   * @param {Message} message
   */
  insert(message) {
    const at = this.messages.findIndex((m) => m.sent_at > message.sent_at);
    if (at < 0) this.messages.push(message);
    else this.messages.splice(at, 0, message);
    return true;
  }
}

/**
 * Announces new chat messages without flooding a screen reader: one announcement at most every
 * `gapMs`, saying how many came meanwhile; none while the member is in the chat panel (they read
 * it there). The caller passes the times.
 */
export class ChatCues {
  /** @param {{gapMs?: number}} [options] */
  constructor({ gapMs = 5000 } = {}) {
    this.gapMs = gapMs;
    this.pending = 0;
    /** @type {string} the author of the only pending message */
    this.name = "";
    this.lastMs = -Infinity;
  }

  /**
   * A message arrived at `nowMs`. Returns when to call `take` (ms from now), or null when the
   * member reads the chat anyway or a call is already due.
   *
   * @param {string} author
   * @param {number} nowMs
   * @param {boolean} reading
   * @returns {number | null}
   */
  note(author, nowMs, reading) {
    if (reading) {
      this.pending = 0;
      return null;
    }
    this.pending += 1;
    this.name = this.pending === 1 ? author : "";
    if (this.pending > 1) return null;
    return Math.max(0, this.lastMs + this.gapMs - nowMs);
  }

  /**
   * What to announce now: `{count, name}` (name only when one message came), or null.
   *
   * @param {number} nowMs
   * @returns {{count: number, name: string} | null}
   */
  take(nowMs) {
    if (this.pending === 0) return null;
    const out = { count: this.pending, name: this.name };
    this.pending = 0;
    this.name = "";
    this.lastMs = nowMs;
    return out;
  }
}

// -- questions --------------------------------------------------------------------------------

/** The event's live questions as this member may see them. */
export class QuestionBoard {
  constructor() {
    /** @type {Map<string, Question>} */
    this.questions = new Map();
    /** @type {string | null} */
    this.pinned = null;
  }

  /**
   * `question.list`.
   *
   * @param {Question[]} questions
   * @param {string | null} pinned
   */
  reset(questions, pinned) {
    this.questions = new Map(questions.filter((q) => q && typeof q.id === "string").map((q) => [q.id, q]));
    this.pinned = pinned ?? null;
  }

  /**
   * A question from an acknowledgement (`mine` and `upvoted` are ours) or from `question.changed`
   * (`upvoted` null: keep what we knew).
   *
   * @param {Question} question
   */
  put(question) {
    const before = this.questions.get(question.id);
    const upvoted = question.upvoted ?? before?.upvoted ?? false;
    this.questions.set(question.id, { ...question, upvoted, mine: question.mine || (before?.mine ?? false) });
  }

  /**
   * `question.changed`.
   *
   * @param {{kind: string, question_id: string | null, question: Question | null, pinned: string | null}} change
   */
  apply(change) {
    if (!change) return;
    if (change.question) this.put(change.question);
    else if (change.question_id && (change.kind === "hidden" || change.kind === "restored")) {
      this.questions.delete(change.question_id);
    }
    this.pinned = change.pinned ?? null;
  }

  /**
   * The questions in the order shown: open ones first, then the answered ones; each group by
   * votes (ties: older first) or newest first.
   *
   * @param {"votes" | "newest"} order
   * @returns {Question[]}
   */
  sorted(order) {
    const list = [...this.questions.values()];
    list.sort((a, b) => {
      if (a.answered !== b.answered) return a.answered ? 1 : -1;
      if (order === "votes" && a.votes !== b.votes) return b.votes - a.votes;
      if (a.asked_at === b.asked_at) return a.id < b.id ? -1 : 1;
      const older = a.asked_at < b.asked_at ? -1 : 1;
      return order === "newest" ? -older : older;
    });
    return list;
  }
}

// -- agenda -----------------------------------------------------------------------------------

/**
 * The step running now, or null.
 *
 * @param {Agenda | null} agenda
 * @returns {Step | null}
 */
export function currentStep(agenda) {
  if (!agenda || !agenda.current) return null;
  return agenda.steps.find((s) => s.id === agenda.current) ?? null;
}

/**
 * The new position of a step moved one place up (-1) or down (+1); null at either end.
 *
 * @param {Agenda} agenda
 * @param {string} stepId
 * @param {-1 | 1} delta
 * @returns {number | null}
 */
export function movedPosition(agenda, stepId, delta) {
  const index = agenda.steps.findIndex((s) => s.id === stepId);
  if (index < 0) return null;
  const to = index + delta;
  return to >= 0 && to < agenda.steps.length ? to : null;
}

/** The kinds of an agenda step (`rooms/agenda.py`). */
export const STEP_KINDS = Object.freeze(["input", "plenary", "breakout", "voting", "break"]);

// -- hands --------------------------------------------------------------------------------------

/**
 * Whether `memberId`'s hand is up in a queue.
 *
 * @param {Hands | null} hands
 * @param {string | undefined} memberId
 */
export function handUp(hands, memberId) {
  return !!hands && !!memberId && hands.queue.some((hand) => hand.member_id === memberId);
}
