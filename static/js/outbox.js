// @ts-check
/**
 * Ideas being posted: each gets a random `client_id` once, and keeps it when it is sent
 * again after a reconnect, so the server stores it at most once.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * A random id matching the protocol's `^[A-Za-z0-9_-]{1,64}$` (22 characters, 132 bits).
 *
 * @param {{getRandomValues: (array: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>}} [random]
 * @returns {string}
 */
export function newClientId(random = globalThis.crypto) {
  const bytes = random.getRandomValues(new Uint8Array(22));
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte & 63];
  return id;
}

/**
 * @typedef {{board_id: string, field_id: string, text: string, client_id: string, title?: string,
 *            tags?: string[], colour?: string}} IdeaPost
 * @typedef {{payload: IdeaPost, sending: boolean}} Entry
 */

/** Posts waiting for their acknowledgement, in the order they were made. */
export class Outbox {
  constructor() {
    /** @type {Map<string, Entry>} */
    this.entries = new Map();
  }

  /**
   * @param {Omit<IdeaPost, "client_id">} post
   * @param {string} [clientId]
   * @returns {IdeaPost}
   */
  add(post, clientId = newClientId()) {
    const payload = { ...post, client_id: clientId };
    this.entries.set(clientId, { payload, sending: false });
    return payload;
  }

  /**
   * Entries not on the wire now (new, or whose connection dropped), to send; they are
   * marked as sending.
   *
   * @returns {IdeaPost[]}
   */
  takeUnsent() {
    const out = [];
    for (const entry of this.entries.values()) {
      if (!entry.sending) {
        entry.sending = true;
        out.push(entry.payload);
      }
    }
    return out;
  }

  /**
   * The connection dropped before an answer: send it again later.
   *
   * @param {string} clientId
   */
  unsent(clientId) {
    const entry = this.entries.get(clientId);
    if (entry) entry.sending = false;
  }

  /**
   * The server answered (stored it, or refused it for good): forget it.
   *
   * @param {string} clientId
   */
  done(clientId) {
    this.entries.delete(clientId);
  }

  get size() {
    return this.entries.size;
  }
}
