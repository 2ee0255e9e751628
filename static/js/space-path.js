// @ts-check
/**
 * Paths on a space's tiles, by the server's rules (`rooms/space/grid.py`): a tile is 32 px;
 * A* over the walkable tiles in 8 directions, with no corner cutting (a diagonal step needs
 * both tiles beside it walkable); straight steps cost 1, diagonal ones √2. The server decides
 * where an avatar may be; this module only lets click-to-walk send moves it will accept.
 */

export const TILE = 32;

/**
 * The rules' view of a map: `blocked` has one entry per tile, row by row, non-zero where nobody
 * may stand (`rooms.space.model.SpaceMap`).
 *
 * @typedef {{width: number, height: number, blocked: Uint8Array}} Grid
 */
/** @typedef {[number, number]} Tile  (column, row) */

/**
 * @param {Grid} grid
 * @param {number} col
 * @param {number} row
 * @returns {boolean}
 */
export function walkable(grid, col, row) {
  return col >= 0 && row >= 0 && col < grid.width && row < grid.height && !grid.blocked[row * grid.width + col];
}

/**
 * @param {number} x  pixels
 * @param {number} y
 * @returns {Tile}
 */
export function tileOf(x, y) {
  return [Math.floor(x / TILE), Math.floor(y / TILE)];
}

/**
 * @param {Tile} tile
 * @returns {[number, number]} the tile's centre in pixels
 */
export function tileCenter([col, row]) {
  return [col * TILE + TILE / 2, row * TILE + TILE / 2];
}

/**
 * @param {Grid} grid
 * @param {number} x
 * @param {number} y
 * @returns {boolean} whether the pixel position stands on a walkable tile
 */
export function walkablePx(grid, x, y) {
  return x >= 0 && y >= 0 && walkable(grid, Math.floor(x / TILE), Math.floor(y / TILE));
}

/**
 * Whether the straight segment between two pixel positions touches no blocked tile
 * (a supercover walk: every tile the segment passes through, corners included).
 *
 * @param {Grid} grid
 * @param {[number, number]} a
 * @param {[number, number]} b
 * @returns {boolean}
 */
export function lineClear(grid, a, b) {
  const [x0, y0] = a;
  const [x1, y1] = b;
  let [col, row] = tileOf(x0, y0);
  const [endCol, endRow] = tileOf(x1, y1);
  if (!walkable(grid, col, row)) return false;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const stepX = Math.sign(dx);
  const stepY = Math.sign(dy);
  // distance along the segment (as a fraction 0..1) to the next vertical / horizontal grid line
  const nextX = stepX > 0 ? (col + 1) * TILE : col * TILE;
  const nextY = stepY > 0 ? (row + 1) * TILE : row * TILE;
  let tMaxX = stepX !== 0 ? (nextX - x0) / dx : Infinity;
  let tMaxY = stepY !== 0 ? (nextY - y0) / dy : Infinity;
  const tDeltaX = stepX !== 0 ? TILE / Math.abs(dx) : Infinity;
  const tDeltaY = stepY !== 0 ? TILE / Math.abs(dy) : Infinity;
  let guard = Math.abs(endCol - col) + Math.abs(endRow - row) + 2;
  while ((col !== endCol || row !== endRow) && guard-- > 0) {
    if (Math.abs(tMaxX - tMaxY) < 1e-12) {
      // through a corner: both tiles beside it count
      if (!walkable(grid, col + stepX, row) || !walkable(grid, col, row + stepY)) return false;
      col += stepX;
      row += stepY;
      tMaxX += tDeltaX;
      tMaxY += tDeltaY;
    } else if (tMaxX < tMaxY) {
      col += stepX;
      tMaxX += tDeltaX;
    } else {
      row += stepY;
      tMaxY += tDeltaY;
    }
    if (!walkable(grid, col, row)) return false;
  }
  return true;
}

const STEPS = /** @type {const} */ ([
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [1, 1],
  [1, -1],
  [-1, 1],
  [-1, -1],
]);

/** A binary heap of [priority, tie-breaker, index]: the smallest first. */
class Heap {
  constructor() {
    /** @type {Array<[number, number, number]>} */
    this.items = [];
  }

  get size() {
    return this.items.length;
  }

  /** @param {[number, number, number]} item */
  push(item) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  /** @returns {[number, number, number]} */
  pop() {
    const items = this.items;
    const top = items[0];
    const last = /** @type {[number, number, number]} */ (items.pop());
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && less(items[l], items[m])) m = l;
        if (r < items.length && less(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return /** @type {[number, number, number]} */ (top);
  }
}

/**
 * @param {[number, number, number]} a
 * @param {[number, number, number]} b
 */
function less(a, b) {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/**
 * The octile distance: the exact cost of a free path on an 8-direction grid.
 *
 * @param {number} dc
 * @param {number} dr
 */
function octile(dc, dr) {
  const a = Math.abs(dc);
  const b = Math.abs(dr);
  return Math.max(a, b) + (Math.SQRT2 - 1) * Math.min(a, b);
}

/**
 * The shortest path between two tiles: a list of tiles, start and goal included; null when the
 * goal cannot be reached (or either end is blocked, or `limit` tiles were expanded first).
 *
 * @param {Grid} grid
 * @param {Tile} start
 * @param {Tile} goal
 * @param {{limit?: number}} [options]
 * @returns {Tile[] | null}
 */
export function findPath(grid, start, goal, { limit = 20000 } = {}) {
  const [sc, sr] = start;
  const [gc, gr] = goal;
  if (!walkable(grid, sc, sr) || !walkable(grid, gc, gr)) return null;
  const w = grid.width;
  const startIndex = sr * w + sc;
  const goalIndex = gr * w + gc;
  const cost = new Float64Array(grid.width * grid.height).fill(Infinity);
  const from = new Int32Array(grid.width * grid.height).fill(-1);
  const closed = new Uint8Array(grid.width * grid.height);
  const open = new Heap();
  let order = 0;
  cost[startIndex] = 0;
  open.push([octile(gc - sc, gr - sr), order++, startIndex]);
  let expanded = 0;
  while (open.size > 0) {
    const [, , index] = open.pop();
    if (closed[index]) continue;
    if (index === goalIndex) return walkBack(from, index, w);
    closed[index] = 1;
    if (++expanded > limit) return null;
    const col = index % w;
    const row = (index - col) / w;
    for (const [dc, dr] of STEPS) {
      const nc = col + dc;
      const nr = row + dr;
      if (!walkable(grid, nc, nr)) continue;
      if (dc !== 0 && dr !== 0 && (!walkable(grid, col + dc, row) || !walkable(grid, col, row + dr))) continue;
      const next = nr * w + nc;
      if (closed[next]) continue;
      const c = cost[index] + (dc !== 0 && dr !== 0 ? Math.SQRT2 : 1);
      if (c < cost[next]) {
        cost[next] = c;
        from[next] = index;
        open.push([c + octile(gc - nc, gr - nr), order++, next]);
      }
    }
  }
  return null;
}

/**
 * @param {Int32Array} from
 * @param {number} index
 * @param {number} width
 * @returns {Tile[]}
 */
function walkBack(from, index, width) {
  /** @type {Tile[]} */
  const path = [];
  for (let i = index; i !== -1; i = from[i]) path.push([i % width, Math.floor(i / width)]);
  return path.reverse();
}

/**
 * The nearest walkable tile to `tile` (breadth first), itself when it is walkable.
 *
 * @param {Grid} grid
 * @param {Tile} tile
 * @param {number} [maxRadius]
 * @returns {Tile | null}
 */
export function nearestWalkable(grid, tile, maxRadius = 8) {
  const [c0, r0] = tile;
  for (let radius = 0; radius <= maxRadius; radius++) {
    /** @type {Tile | null} */
    let best = null;
    let bestD = Infinity;
    for (let dr = -radius; dr <= radius; dr++) {
      for (let dc = -radius; dc <= radius; dc++) {
        if (Math.max(Math.abs(dc), Math.abs(dr)) !== radius) continue;
        const d = dc * dc + dr * dr;
        if (d < bestD && walkable(grid, c0 + dc, r0 + dr)) {
          best = [c0 + dc, r0 + dr];
          bestD = d;
        }
      }
    }
    if (best) return best;
  }
  return null;
}

/**
 * A path's tiles as pixel waypoints (tile centres), without the ones on a straight line
 * between their neighbours, so an avatar walks it in as few straight legs as the tiles allow.
 *
 * @param {Grid} grid
 * @param {Tile[]} path
 * @returns {Array<[number, number]>}
 */
export function waypoints(grid, path) {
  const points = path.map(tileCenter);
  if (points.length <= 2) return points;
  /** @type {Array<[number, number]>} */
  const out = [points[0]];
  let anchor = points[0];
  for (let i = 1; i < points.length - 1; i++) {
    if (!lineClear(grid, anchor, points[i + 1])) {
      out.push(points[i]);
      anchor = points[i];
    }
  }
  out.push(/** @type {[number, number]} */ (points.at(-1)));
  return out;
}
