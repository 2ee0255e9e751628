// @ts-check
/**
 * Moving on the map, without the DOM: walking one's own avatar (keys or a path) at the
 * server's speed, around walls; when to send `space.move` (at most one every 200 ms while
 * walking, plus on stop and turn, docs/space.md); and the others' avatars drawn between
 * the server's ticks (interpolation, one tick behind).
 */

import { lineClear, TILE, walkablePx } from "./space-path.js";

/** @typedef {import("./space-path.js").Grid} Grid */
/** @typedef {"up" | "down" | "left" | "right"} Direction */
/**
 * A position in whole pixels; `ex`/`ey`, while walking by keys, the exact one (what a frame's step
 * of a fraction of a pixel left over, so that the speed does not depend on the frame rate).
 *
 * @typedef {{x: number, y: number, dir: Direction, moving: boolean, ex?: number, ey?: number}} Position
 */

export const DIRECTIONS = /** @type {const} */ (["up", "down", "left", "right"]);
/** The server's limit is 160 px/s plus a tile of slack; walking a little slower stays well inside it. */
export const WALK_PX_S = 150;
export const SEND_EVERY_MS = 200;
export const TICK_MS = 100;

/**
 * @param {unknown} value
 * @returns {value is Direction}
 */
export function isDirection(value) {
  return typeof value === "string" && /** @type {readonly string[]} */ (DIRECTIONS).includes(value);
}

/**
 * The direction an avatar faces when it moves by (dx, dy): the larger component wins.
 *
 * @param {number} dx
 * @param {number} dy
 * @param {Direction} previous  kept when there is no movement
 * @returns {Direction}
 */
export function facing(dx, dy, previous) {
  if (dx === 0 && dy === 0) return previous;
  if (Math.abs(dx) > Math.abs(dy)) return dx > 0 ? "right" : "left";
  return dy > 0 ? "down" : "up";
}

/** Keys that walk: arrows and WASD. */
const KEY_VECTORS = /** @type {Record<string, [number, number]>} */ ({
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  w: [0, -1],
  s: [0, 1],
  a: [-1, 0],
  d: [1, 0],
  W: [0, -1],
  S: [0, 1],
  A: [-1, 0],
  D: [1, 0],
});

/**
 * @param {string} key  a KeyboardEvent's `key`
 * @returns {boolean}
 */
export function isWalkKey(key) {
  return Object.prototype.hasOwnProperty.call(KEY_VECTORS, key);
}

/**
 * The unit vector the held keys point to (diagonals normalised), [0, 0] for none.
 *
 * @param {Iterable<string>} keys
 * @returns {[number, number]}
 */
export function keyVector(keys) {
  let x = 0;
  let y = 0;
  const seen = new Set();
  for (const key of keys) {
    const v = KEY_VECTORS[key];
    if (!v) continue;
    const name = key.length === 1 ? key.toLowerCase() : key;
    if (seen.has(name)) continue;
    seen.add(name);
    x += v[0];
    y += v[1];
  }
  x = Math.sign(x);
  y = Math.sign(y);
  if (x !== 0 && y !== 0) return [x / Math.SQRT2, y / Math.SQRT2];
  return [x, y];
}

/**
 * Walk from `pos` in direction (vx, vy) (a unit vector or zero) for `dt` seconds, sliding along
 * walls: each axis is tried on its own when the diagonal is blocked. Positions are whole pixels
 * (the exact one rides along in `ex`/`ey`).
 *
 * @param {Grid} grid
 * @param {Position} pos
 * @param {[number, number]} vector
 * @param {number} dt  seconds
 * @param {number} [speed]  px/s
 * @returns {Position}
 */
export function walk(grid, pos, [vx, vy], dt, speed = WALK_PX_S) {
  if (vx === 0 && vy === 0) return { ...pos, moving: false };
  const dir = facing(vx, vy, pos.dir);
  const step = Math.min(speed * dt, TILE / 2); // never more than half a tile per frame: no tunnelling
  /** @param {number} x @param {number} y */
  const ok = (x, y) => walkablePx(grid, x, y) && lineClear(grid, [pos.x, pos.y], [x, y]);
  // rounding each frame's step would walk 180 px/s at 90 frames a second, 240 at 240, and not at all above 300:
  // the fraction of a pixel is carried to the next frame instead
  const fromX = pos.ex ?? pos.x;
  const fromY = pos.ey ?? pos.y;
  const ex = fromX + vx * step;
  const ey = fromY + vy * step;
  const nx = Math.round(ex);
  const ny = Math.round(ey);
  if (ok(nx, ny)) return { x: nx, y: ny, dir, moving: true, ex, ey };
  if (vx !== 0 && ok(nx, pos.y)) return { x: nx, y: pos.y, dir, moving: true, ex, ey: fromY };
  if (vy !== 0 && ok(pos.x, ny)) return { x: pos.x, y: ny, dir, moving: true, ex: fromX, ey };
  return { ...pos, dir, moving: false };
}

/**
 * Walk along pixel waypoints for `dt` seconds; returns the new position and the waypoints
 * left (empty at the end, where the avatar stops).
 *
 * @param {Position} pos
 * @param {Array<[number, number]>} points
 * @param {number} dt
 * @param {number} [speed]
 * @returns {{pos: Position, rest: Array<[number, number]>}}
 */
export function followPath(pos, points, dt, speed = WALK_PX_S) {
  let budget = speed * dt;
  let { dir } = pos;
  let x = pos.ex ?? pos.x; // the fraction of a pixel left over by the last frame (see `walk`)
  let y = pos.ey ?? pos.y;
  const rest = [...points];
  while (rest.length > 0 && budget > 0) {
    const [tx, ty] = rest[0];
    const dx = tx - x;
    const dy = ty - y;
    const d = Math.hypot(dx, dy);
    if (d > 0) dir = facing(dx, dy, dir);
    if (d <= budget) {
      x = tx;
      y = ty;
      budget -= d;
      rest.shift();
    } else {
      x += (dx / d) * budget;
      y += (dy / d) * budget;
      budget = 0;
    }
  }
  if (rest.length === 0) return { pos: { x: Math.round(x), y: Math.round(y), dir, moving: false }, rest };
  return { pos: { x: Math.round(x), y: Math.round(y), dir, moving: true, ex: x, ey: y }, rest };
}

/**
 * Decides when a position goes to the server: while walking at most once per `everyMs`; a stop or
 * a turn at once (but never two messages within `minGapMs`: a turn that comes sooner waits for the
 * next frame after it).
 */
export class MoveSender {
  /**
   * @param {{everyMs?: number, minGapMs?: number}} [options]  `minGapMs`: 100 keeps a zig-zag within the
   *   server's budget for moves (10 a second, `server/live/limits.py`)
   */
  constructor({ everyMs = SEND_EVERY_MS, minGapMs = 100 } = {}) {
    this.everyMs = everyMs;
    this.minGapMs = minGapMs;
    /** @type {Position | null} the last position sent */
    this.sent = null;
    this.sentAt = -Infinity;
  }

  /** Forget what was sent (a new room, a correction): the next position goes out at once. */
  reset() {
    this.sent = null;
    this.sentAt = -Infinity;
  }

  /**
   * Whether `pos` should be sent now; when it returns true, the caller sends it.
   *
   * @param {Position} pos
   * @param {number} now  ms
   * @returns {boolean}
   */
  due(pos, now) {
    const last = this.sent;
    const since = now - this.sentAt;
    let send = false;
    if (last === null) {
      send = true;
    } else if (last.x === pos.x && last.y === pos.y && last.dir === pos.dir && last.moving === pos.moving) {
      send = false;
    } else if (!pos.moving && last.moving) {
      send = since >= this.minGapMs; // the stop
    } else if (pos.dir !== last.dir) {
      send = since >= this.minGapMs; // the turn
    } else if (pos.moving) {
      send = since >= this.everyMs;
    } else {
      send = since >= this.minGapMs; // standing, moved (a correction or a step)
    }
    if (send) {
      this.sent = { ...pos };
      this.sentAt = now;
    }
    return send;
  }

  /**
   * The server set our position (`space.corrected`, `space.goto`): that is what it knows now.
   *
   * @param {Position} pos
   * @param {number} now
   */
  accepted(pos, now) {
    this.sent = { ...pos };
    this.sentAt = now;
  }
}

/**
 * The others' avatars between ticks: each update is a sample at the time it arrived; they are
 * drawn `delayMs` behind, between the two samples around that moment. A jump longer than
 * `snapPx` (a `space.goto`, a correction) is not animated.
 */
export class Interpolator {
  /** @param {{delayMs?: number, snapPx?: number}} [options] */
  constructor({ delayMs = TICK_MS, snapPx = TILE * 6 } = {}) {
    this.delayMs = delayMs;
    this.snapPx = snapPx;
    /** @type {Map<string, Array<{t: number, x: number, y: number}>>} */
    this.samples = new Map();
  }

  /**
   * @param {string} id
   * @param {number} x
   * @param {number} y
   * @param {number} now  ms
   */
  push(id, x, y, now) {
    let list = this.samples.get(id);
    if (!list) {
      list = [];
      this.samples.set(id, list);
    }
    const last = list.at(-1);
    if (last && Math.hypot(last.x - x, last.y - y) > this.snapPx) list.length = 0;
    list.push({ t: now, x, y });
    while (list.length > 4) list.shift();
  }

  /** @param {string} id */
  remove(id) {
    this.samples.delete(id);
  }

  clear() {
    this.samples.clear();
  }

  /**
   * Where to draw `id` at `now`, or null when it has no sample.
   *
   * @param {string} id
   * @param {number} now
   * @returns {{x: number, y: number} | null}
   */
  at(id, now) {
    const list = this.samples.get(id);
    if (!list || list.length === 0) return null;
    const t = now - this.delayMs;
    const first = list[0];
    if (t <= first.t) return { x: first.x, y: first.y };
    for (let i = list.length - 1; i > 0; i--) {
      const a = list[i - 1];
      const b = list[i];
      if (t >= a.t) {
        if (t >= b.t) return { x: b.x, y: b.y };
        const f = (t - a.t) / (b.t - a.t);
        return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
      }
    }
    const last = /** @type {{x: number, y: number}} */ (list.at(-1));
    return { x: last.x, y: last.y };
  }
}
