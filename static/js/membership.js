// @ts-check
/**
 * Who I am in an event: the member token from `POST /api/join`, kept in localStorage
 * under `werkstatt.member.<event_id>`, so that a reload (or a new tab) keeps the identity.
 */

/**
 * @typedef {{token: string, member_id: string, pseudonym?: string, role?: string}} Membership
 * @typedef {{getItem: (key: string) => string | null, setItem: (key: string, value: string) => void,
 *            removeItem: (key: string) => void}} StorageLike
 */

/**
 * This browser's localStorage, or null where its settings block storage.
 *
 * @returns {StorageLike | null}
 */
export function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** @param {string} eventId */
export function storageKey(eventId) {
  return `werkstatt.member.${eventId}`;
}

/**
 * @param {unknown} value
 * @returns {value is Membership}
 */
function isMembership(value) {
  if (value === null || typeof value !== "object") return false;
  const v = /** @type {Record<string, unknown>} */ (value);
  return (
    typeof v.token === "string" &&
    v.token.length >= 20 &&
    v.token.length <= 100 &&
    typeof v.member_id === "string" &&
    v.member_id.length > 0
  );
}

/**
 * The stored membership for `eventId`, or null (none, unreadable, or storage blocked).
 *
 * @param {StorageLike | null | undefined} storage
 * @param {string} eventId
 * @returns {Membership | null}
 */
export function loadMembership(storage, eventId) {
  try {
    const raw = storage?.getItem(storageKey(eventId));
    if (!raw) return null;
    const value = JSON.parse(raw);
    return isMembership(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * @param {StorageLike} storage
 * @param {string} eventId
 * @param {Membership} membership
 */
export function saveMembership(storage, eventId, membership) {
  const { token, member_id, pseudonym, role } = membership;
  storage.setItem(storageKey(eventId), JSON.stringify({ token, member_id, pseudonym, role }));
}

/**
 * Forget the membership (after the server refused its token).
 *
 * @param {StorageLike} storage
 * @param {string} eventId
 */
export function forgetMembership(storage, eventId) {
  storage.removeItem(storageKey(eventId));
}

/**
 * The join link's token from the page path `/j/<token>`.
 *
 * @param {string} pathname
 * @returns {string | null}
 */
export function linkToken(pathname) {
  const match = /^\/j\/([^/?#]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
