// @ts-check
/**
 * The server's clock as seen from the browser: deadlines such as a breakout round's
 * `closes_at` are the server's time, and a laptop's clock may be minutes off.
 *
 * The offset is estimated NTP style from samples of the server's time: a request sent at local
 * `sent`, answered with the server's `server` time, arriving at local `received` took
 * `rtt = received - sent`; the server read its clock about `rtt / 2` before the answer arrived,
 * so `offset = server + rtt / 2 - received` (server time = local time + offset). The sample with
 * the smallest round trip is the most exact one and is kept.
 *
 * Pure: the caller passes every time; nothing here reads a clock or the network.
 */

/** @typedef {{offsetMs: number, rttMs: number}} Sample */

/** A sample with no round trip of its own (a deadline derived from an event) counts as this slow. */
export const ANCHOR_RTT_MS = 400;

export class ClockOffset {
  constructor() {
    /** @type {Sample | null} the best sample so far */
    this.best = null;
  }

  /**
   * One exchange: sent at local `sentMs`, the server's time `serverMs`, answered at local `receivedMs`.
   * Returns whether it became the best sample. Nonsense (a negative round trip, not a number) is ignored.
   *
   * @param {number} sentMs
   * @param {number} serverMs
   * @param {number} receivedMs
   * @returns {boolean}
   */
  sample(sentMs, serverMs, receivedMs) {
    const rtt = receivedMs - sentMs;
    if (![sentMs, serverMs, receivedMs].every(Number.isFinite) || rtt < 0) return false;
    return this.keep({ offsetMs: serverMs + rtt / 2 - receivedMs, rttMs: rtt });
  }

  /**
   * A moment the server announced without being asked (e.g. a countdown that started when the
   * message was sent): `serverMs` is its time then, `receivedMs` ours on arrival; counted as a
   * sample with a round trip of `ANCHOR_RTT_MS`, so that any real exchange wins over it.
   *
   * @param {number} serverMs
   * @param {number} receivedMs
   * @returns {boolean}
   */
  anchor(serverMs, receivedMs) {
    return this.sample(receivedMs - ANCHOR_RTT_MS, serverMs, receivedMs);
  }

  /**
   * @param {Sample} candidate
   * @returns {boolean}
   */
  keep(candidate) {
    if (this.best !== null && this.best.rttMs <= candidate.rttMs) return false;
    this.best = candidate;
    return true;
  }

  /** Server time minus local time, in ms (0 until a sample came). */
  get offsetMs() {
    return this.best?.offsetMs ?? 0;
  }

  /**
   * The server's time at local time `localMs`.
   *
   * @param {number} localMs
   */
  serverNow(localMs) {
    return localMs + this.offsetMs;
  }
}

/**
 * How long until a deadline, never below 0.
 *
 * @param {number} deadlineMs  in the server's time
 * @param {number} nowMs  the server's time now (`ClockOffset.serverNow(Date.now())`)
 * @returns {number} ms
 */
export function remaining(deadlineMs, nowMs) {
  return Math.max(0, deadlineMs - nowMs);
}

/**
 * Whole seconds left as a countdown shows them: 0.2 s left is still "0:01", so that "0:00" shows
 * only when the time is up.
 *
 * @param {number} ms
 */
export function secondsLeft(ms) {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * A countdown as people read it: `0:45`, `12:05`, `1:02:03`.
 *
 * @param {number} ms
 */
export function formatCountdown(ms) {
  const total = secondsLeft(ms);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/**
 * The epoch ms of an ISO 8601 time from the server (`2026-12-06T10:00:00Z`), or null.
 *
 * @param {string | null | undefined} iso
 * @returns {number | null}
 */
export function parseTime(iso) {
  if (typeof iso !== "string" || iso === "") return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Ask the server for its time a few times and keep the best sample. `ask` sends `clock.sync`
 * and resolves to its acknowledgement; `now` reads the local clock.
 *
 * Resolves to false when the server does not know the event (`unknown_event`): then the page
 * keeps estimating from what the server announces (`ClockOffset.anchor`).
 *
 * @param {ClockOffset} clock
 * @param {() => Promise<{ok: boolean, now_ms?: unknown, error?: {code: string}}>} ask
 * @param {{samples?: number, now?: () => number}} [options]
 * @returns {Promise<boolean>}
 */
export async function syncClock(clock, ask, { samples = 3, now = () => Date.now() } = {}) {
  for (let n = 0; n < samples; n += 1) {
    const sent = now();
    const ack = await ask();
    const received = now();
    if (!ack.ok) return ack.error?.code !== "unknown_event"; // another refusal: known, try later
    if (typeof ack.now_ms === "number") clock.sample(sent, ack.now_ms, received);
  }
  return true;
}
