// @ts-check
/**
 * Announcements for screen readers through a polite live region. Messages that come
 * close together are read as one, so none is overwritten before it was spoken.
 */

export class Announcer {
  /**
   * @param {{textContent: string | null}} region  the `aria-live="polite"` element
   * @param {{delayMs?: number, schedule?: (fn: () => void, ms: number) => unknown}} [options]
   */
  constructor(region, { delayMs = 120, schedule = (fn, ms) => setTimeout(fn, ms) } = {}) {
    this.region = region;
    this.delayMs = delayMs;
    this.schedule = schedule;
    /** @type {string[]} */
    this.queue = [];
    this.scheduled = false;
  }

  /** @param {string} message */
  say(message) {
    if (!message) return;
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush(), this.delayMs);
  }

  flush() {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const text = this.queue.join(" ");
    this.queue = [];
    // The same text twice in a row would not be read again without a change in between.
    if (this.region.textContent === text) this.region.textContent = "";
    this.region.textContent = text;
  }
}
