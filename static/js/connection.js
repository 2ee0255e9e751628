// @ts-check
/**
 * The Socket.IO connection of a room page: visible state, acknowledged requests,
 * reconnecting with exponential backoff, a resync after every (re)connect, and idea
 * posts that survive a dropped connection (sent again with the same `client_id`).
 *
 * The socket factory is injected (the page passes the vendored socket.io-client), so
 * this module runs under Node's test runner with a fake socket.
 */

import { Outbox } from "./outbox.js";
import { CLIENT_EVENTS } from "./protocol.js";

/**
 * `reconnecting`: the socket is open, but its server lost the link to the other servers of a workshop run on
 * several (`node.link`); what others do does not arrive meanwhile.
 *
 * @typedef {"connecting" | "online" | "offline" | "refused" | "reconnecting"} ConnState
 */
/** @typedef {{ok: boolean, error?: {code: string, message: string}, [key: string]: any}} Ack */
/** @typedef {import("./outbox.js").IdeaPost} IdeaPost */

/**
 * The part of socket.io-client's Socket used here.
 *
 * @typedef {object} SocketLike
 * @property {boolean} connected
 * @property {boolean} active
 * @property {(event: string, handler: (...args: any[]) => void) => void} on
 * @property {(ms: number) => {emit: (event: string, payload: unknown, cb: (err: Error | null, ack: Ack) => void) => void}} timeout
 * @property {() => void} connect
 * @property {() => void} disconnect
 * @property {{emit: (event: string, payload: unknown) => void}} [volatile]
 */

/**
 * How the connection authenticates: a member token from `POST /api/join`, or, for an
 * organizer of the event, the session cookie plus the event's id.
 *
 * @typedef {{token: string} | {event_id: string}} Auth
 */

/** Socket.IO client options: websocket only, backing off from 0.5 s to 10 s, with jitter. */
export const SOCKET_OPTIONS = Object.freeze({
  transports: ["websocket"],
  reconnection: true,
  reconnectionDelay: 500,
  reconnectionDelayMax: 10000,
  randomizationFactor: 0.5,
  timeout: 10000,
});

/** The request could not be answered: offline, dropped, or timed out. Nothing is known to have happened. */
export class TransportError extends Error {
  /** @param {"offline" | "disconnected" | "timeout"} reason */
  constructor(reason) {
    super(`no answer: ${reason}`);
    this.name = "TransportError";
    this.reason = reason;
  }
}

/**
 * Show the connection state in the status element (a polite live region).
 *
 * @param {HTMLElement} el
 * @param {ConnState} state
 * @param {import("./i18n.js").Translate} t
 */
export function renderState(el, state, t) {
  el.dataset.state = state;
  el.textContent = t(`conn.${state}`);
}

export class Connection {
  /**
   * @param {{
   *   io: (options: object) => SocketLike,
   *   auth: Auth,
   *   onState?: (state: ConnState) => void,
   *   onReady?: (connection: Connection) => Promise<void>,
   *   ackTimeoutMs?: number,
   *   retryMs?: number,
   * }} options
   *   `onReady` runs after every (re)connect (enter the room, resync the board); the
   *   connection counts as online, and queued posts are sent, once it resolved.
   */
  constructor({ io, auth, onState = () => {}, onReady = async () => {}, ackTimeoutMs = 10000, retryMs = 2000 }) {
    this.io = io;
    this.auth = auth;
    this.onState = onState;
    this.onReady = onReady;
    this.ackTimeoutMs = ackTimeoutMs;
    this.retryMs = retryMs;
    /** @type {ConnState} */
    this.state = "connecting";
    this.outbox = new Outbox();
    /** @type {Map<string, (ack: Ack) => void>} */
    this.waiters = new Map();
    /** @type {Array<[string, (...args: any[]) => void]>} */
    this.handlers = [];
    /** @type {SocketLike | null} */
    this.socket = null;
    this.generation = 0;
    /** set by `close`: the server is not to be tried again */
    this.closed = false;
  }

  /**
   * Listen to a server→client event (before or after `start`).
   *
   * @param {string} event
   * @param {(data: any) => void} handler
   */
  on(event, handler) {
    this.handlers.push([event, handler]);
    this.socket?.on(event, handler);
  }

  start() {
    const socket = this.io({ ...SOCKET_OPTIONS, auth: { ...this.auth } });
    this.socket = socket;
    for (const [event, handler] of this.handlers) socket.on(event, handler);
    socket.on("connect", () => {
      this._ready(++this.generation);
    });
    socket.on("node.link", (/** @type {{linked: boolean}} */ link) => {
      if (!link?.linked) {
        if (this.state === "online" || this.state === "connecting") this._setState("reconnecting");
      } else if (socket.connected) {
        this._ready(++this.generation); // what others did meanwhile: enter and resync as after a reconnect
      }
    });
    socket.on("disconnect", (/** @type {string} */ reason) => {
      this.generation += 1;
      this._setState("offline");
      // The server closed us on purpose; try again (a refusal then shows as such).
      if (reason === "io server disconnect" && !this.closed) socket.connect();
    });
    socket.on("connect_error", (/** @type {Error & {data?: {code?: string}}} */ err) => {
      // A refusal by the server leaves the socket inactive (no automatic retry); a
      // network failure keeps it active while the manager backs off and tries again.
      if (err?.data?.code === "unauthenticated" || !socket.active) {
        this._setState("refused");
      } else if (this.state !== "refused") {
        this._setState("offline");
      }
    });
    this._setState("connecting");
  }

  stop() {
    this.socket?.disconnect();
  }

  /** For good (the member was removed from the event): disconnect and never reconnect. */
  close() {
    this.closed = true;
    this.socket?.disconnect();
  }

  /**
   * Try to connect now instead of waiting for the next backoff step (the browser
   * reports the network back, or the page became visible again).
   */
  retryNow() {
    const socket = this.socket;
    if (!socket || socket.connected || this.state === "refused" || this.closed) return;
    socket.disconnect(); // ends the manager's backoff timer …
    socket.connect(); // … and opens afresh; failures back off again from the start
  }

  /**
   * @param {number} generation
   */
  async _ready(generation) {
    this._setState("connecting");
    try {
      await this.onReady(this);
    } catch (err) {
      if (generation !== this.generation) return; // a newer connection takes over
      if (!(err instanceof TransportError) || this.socket?.connected) {
        setTimeout(() => {
          if (generation === this.generation && this.socket?.connected) this._ready(generation);
        }, this.retryMs);
      }
      return;
    }
    if (generation !== this.generation) return;
    this._setState("online");
    this._flush();
  }

  /** @param {ConnState} state */
  _setState(state) {
    if (state === this.state && state !== "connecting") return;
    this.state = state;
    this.onState(state);
  }

  /**
   * Send an event and wait for its acknowledgement (`{ok: true, ...}` or `{ok: false, error}`).
   * Rejects with a TransportError when there is no connection or no answer.
   *
   * @param {string} event
   * @param {unknown} payload
   * @returns {Promise<Ack>}
   */
  request(event, payload) {
    const socket = this.socket;
    if (!socket || !socket.connected) return Promise.reject(new TransportError("offline"));
    return new Promise((resolve, reject) => {
      socket.timeout(this.ackTimeoutMs).emit(event, payload, (err, ack) => {
        if (err) {
          reject(new TransportError(socket.connected ? "timeout" : "disconnected"));
        } else {
          resolve(ack);
        }
      });
    });
  }

  /**
   * Send an event that gets no acknowledgement (`space.move`): volatile, so a message that cannot
   * go out now is dropped rather than queued (the next position replaces it).
   *
   * @param {string} event
   * @param {unknown} payload
   */
  emit(event, payload) {
    const socket = this.socket;
    if (!socket || !socket.connected) return;
    socket.volatile?.emit(event, payload);
  }

  /**
   * Post an idea. The promise settles with the server's answer, however many reconnects
   * that takes; the idea keeps its `client_id`, so it is stored once.
   *
   * @param {Omit<IdeaPost, "client_id">} post
   * @returns {Promise<Ack>}
   */
  post(post) {
    const payload = this.outbox.add(post);
    const answered = new Promise((resolve) => {
      this.waiters.set(payload.client_id, resolve);
    });
    if (this.usable) this._flush();
    return /** @type {Promise<Ack>} */ (answered);
  }

  /** Whether the server takes requests now: online, or reconnecting to the other servers (it stores what it gets). */
  get usable() {
    return this.state === "online" || this.state === "reconnecting";
  }

  /** Whether an idea is waiting for the connection. */
  get pending() {
    return this.outbox.size;
  }

  _flush() {
    for (const payload of this.outbox.takeUnsent()) {
      this.request(CLIENT_EVENTS.ideaCreate, payload).then(
        (ack) => {
          this.outbox.done(payload.client_id);
          const resolve = this.waiters.get(payload.client_id);
          this.waiters.delete(payload.client_id);
          resolve?.(ack);
        },
        (err) => {
          this.outbox.unsent(payload.client_id);
          // Still connected but no answer in time: try again a little later.
          if (err instanceof TransportError && err.reason === "timeout") {
            setTimeout(() => {
              if (this.usable) this._flush();
            }, this.retryMs);
          }
        },
      );
    }
  }
}
