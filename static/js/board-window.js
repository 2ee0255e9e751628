// @ts-check
/**
 * A board open for asynchronous participation (`settings.opens_at` … `closes_at`): what the page
 * says about its window, and when to ask the server again where it stands.
 *
 * Where the window stands ("not_open_yet", "open", "closed") is the server's word: the snapshot
 * says it by the server's clock (`window_state`), so a laptop whose clock is off shows the same as
 * everyone. The page asks for a fresh snapshot when the window changes (`board.window`) and when
 * the server refuses a change with `not_open_yet` or `board_closed` (the moment passed while the
 * page was open). Pure: no DOM, no network.
 */

/** @typedef {import("./i18n.js").Translate} Translate */
/** @typedef {"not_open_yet" | "open" | "closed"} WindowState */

/** The refusals that mean the window stands elsewhere than the page thought. */
export const WINDOW_CODES = Object.freeze(["not_open_yet", "board_closed"]);

const TIME_ZONE = "Europe/Berlin"; // the server's pages count a window's days in German time

/**
 * A day as people read it ("30. Juni 2026"), in German time.
 *
 * @param {string} lang
 * @param {number} ms
 */
export function formatDay(lang, ms) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: TIME_ZONE }).format(new Date(ms));
}

/**
 * The first and the last day of a window (it closes at the start of the day after its last).
 *
 * @param {string} lang
 * @param {{opens_at?: string | null, closes_at?: string | null}} settings
 * @returns {{first: string, last: string} | null}
 */
export function windowDays(lang, settings) {
  if (!settings.opens_at || !settings.closes_at) return null;
  const opens = Date.parse(settings.opens_at);
  const closes = Date.parse(settings.closes_at);
  if (!Number.isFinite(opens) || !Number.isFinite(closes)) return null;
  return { first: formatDay(lang, opens), last: formatDay(lang, closes - 1) };
}

/**
 * The line under the board's phase: "Offen bis 30. Juni 2026", or from when, or since when it is over.
 *
 * @param {Translate} t
 * @param {string} lang
 * @param {{opens_at?: string | null, closes_at?: string | null}} settings
 * @param {WindowState | null} state
 * @returns {string}  "" without a window
 */
export function windowLine(t, lang, settings, state) {
  const days = windowDays(lang, settings);
  if (!days || !state) return "";
  if (state === "not_open_yet") return t("window.not_open_yet", { first: days.first, last: days.last });
  if (state === "closed") return t("window.closed", { last: days.last });
  return t("window.open", { last: days.last });
}

/**
 * Why this member cannot post now because of the window, or "" when the window does not stop them.
 *
 * @param {Translate} t
 * @param {string} lang
 * @param {{opens_at?: string | null, closes_at?: string | null}} settings
 * @param {WindowState | null} state
 * @param {boolean} moderator
 */
export function windowRefusal(t, lang, settings, state, moderator) {
  const days = windowDays(lang, settings);
  if (moderator || !days || !state || state === "open") return "";
  return state === "not_open_yet" ? t("post.not_open_yet", { first: days.first }) : t("post.board_closed");
}

/**
 * Whether the window keeps this member from changing the board now.
 *
 * @param {WindowState | null | undefined} state
 * @param {boolean} moderator
 */
export function windowShut(state, moderator) {
  return !moderator && (state === "not_open_yet" || state === "closed");
}
