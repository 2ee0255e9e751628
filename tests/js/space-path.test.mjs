import assert from "node:assert/strict";
import { test } from "node:test";

import { findPath, lineClear, nearestWalkable, tileCenter, tileOf, walkable, waypoints } from "../../static/js/space-path.js";

/** A grid from rows of "." (walkable) and "#" (wall). */
function grid(...rows) {
  const height = rows.length;
  const width = rows[0].length;
  const blocked = new Uint8Array(width * height);
  rows.forEach((row, r) => [...row].forEach((ch, c) => (blocked[r * width + c] = ch === "#" ? 1 : 0)));
  return { width, height, blocked };
}

/** Path cost as the server counts it: 1 straight, √2 diagonal. */
function cost(path) {
  let total = 0;
  for (let i = 1; i < path.length; i++) {
    const diagonal = path[i][0] !== path[i - 1][0] && path[i][1] !== path[i - 1][1];
    total += diagonal ? Math.SQRT2 : 1;
  }
  return total;
}

function assertValid(g, path) {
  for (let i = 1; i < path.length; i++) {
    const [c0, r0] = path[i - 1];
    const [c1, r1] = path[i];
    assert.ok(Math.abs(c1 - c0) <= 1 && Math.abs(r1 - r0) <= 1, "one step at a time");
    assert.ok(walkable(g, c1, r1), "only walkable tiles");
    if (c1 !== c0 && r1 !== r0) {
      assert.ok(walkable(g, c1, r0) && walkable(g, c0, r1), `no corner cutting at ${path[i - 1]} → ${path[i]}`);
    }
  }
}

test("pixels and tiles", () => {
  assert.deepEqual(tileOf(0, 0), [0, 0]);
  assert.deepEqual(tileOf(31, 32), [0, 1]);
  assert.deepEqual(tileCenter([2, 3]), [80, 112]);
});

test("a free diagonal is walked diagonally, start and goal included", () => {
  const g = grid("....", "....", "....", "....");
  const path = findPath(g, [0, 0], [3, 3]);
  assert.deepEqual(path, [[0, 0], [1, 1], [2, 2], [3, 3]]);
});

test("a path goes around a wall and never cuts a corner", () => {
  const g = grid(
    ".....",
    ".###.",
    ".#...",
    ".#.#.",
    "...#.",
  );
  const path = findPath(g, [2, 2], [0, 0]);
  assert.ok(path);
  assert.deepEqual(path[0], [2, 2]);
  assert.deepEqual(path.at(-1), [0, 0]);
  assertValid(g, path);
});

test("two walls touching at a corner cannot be passed diagonally", () => {
  const g = grid(
    ".#",
    "#.",
  );
  assert.equal(findPath(g, [0, 0], [1, 1]), null);
});

test("unreachable goals, blocked ends and the expansion limit give null", () => {
  const g = grid("..#..", "..#..", "..#..");
  assert.equal(findPath(g, [0, 0], [4, 0]), null);
  assert.equal(findPath(g, [2, 0], [0, 0]), null);
  assert.equal(findPath(g, [0, 0], [9, 9]), null);
  const open = grid(...Array.from({ length: 30 }, () => ".".repeat(30)));
  assert.equal(findPath(open, [0, 0], [29, 29], { limit: 5 }), null);
  assert.ok(findPath(open, [0, 0], [29, 29]));
});

test("paths are shortest (compared with a breadth-first search over costs) on random grids", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let n = 0; n < 60; n++) {
    const rows = Array.from({ length: 12 }, () => Array.from({ length: 12 }, () => (random() < 0.28 ? "#" : ".")).join(""));
    const g = grid(...rows);
    g.blocked[0] = 0;
    g.blocked[143] = 0;
    const path = findPath(g, [0, 0], [11, 11]);
    // Dijkstra by hand, the oracle
    const dist = new Array(144).fill(Infinity);
    dist[0] = 0;
    const done = new Set();
    for (;;) {
      let best = -1;
      for (let i = 0; i < 144; i++) if (!done.has(i) && dist[i] < Infinity && (best < 0 || dist[i] < dist[best])) best = i;
      if (best < 0) break;
      done.add(best);
      const c = best % 12;
      const r = Math.floor(best / 12);
      for (const [dc, dr] of [[1,0],[-1,0],[0,1],[0,-1],[1,1],[1,-1],[-1,1],[-1,-1]]) {
        const nc = c + dc, nr = r + dr;
        if (!walkable(g, nc, nr)) continue;
        if (dc && dr && (!walkable(g, c + dc, r) || !walkable(g, c, r + dr))) continue;
        const d = dist[best] + (dc && dr ? Math.SQRT2 : 1);
        if (d < dist[nr * 12 + nc]) dist[nr * 12 + nc] = d;
      }
    }
    if (dist[143] === Infinity) {
      assert.equal(path, null);
    } else {
      assert.ok(path);
      assertValid(g, path);
      assert.ok(Math.abs(cost(path) - dist[143]) < 1e-9, `grid ${n}: ${cost(path)} vs ${dist[143]}`);
    }
  }
});

test("a straight line is clear unless it touches a wall tile, corners included", () => {
  const g = grid("...", ".#.", "...");
  assert.ok(lineClear(g, [16, 16], [80, 16]));
  assert.ok(!lineClear(g, [16, 16], [80, 80]));
  assert.ok(!lineClear(g, [16, 48], [80, 48]));
  // through a corner point: the tiles on both sides of it count
  assert.ok(!lineClear(grid("#.", ".."), [16, 48], [48, 16]));
  assert.ok(lineClear(grid("#.."), [48, 16], [80, 16]));
});

test("waypoints drop the tiles on a straight leg; the nearest walkable tile", () => {
  const g = grid(".....", ".....", ".....");
  assert.deepEqual(waypoints(g, [[0, 0], [1, 0], [2, 0], [3, 0]]), [[16, 16], [112, 16]]);
  const walled = grid("....", "##.#", "....");
  const path = findPath(walled, [0, 0], [0, 2]);
  assert.ok(path);
  const points = waypoints(walled, path);
  for (let i = 1; i < points.length; i++) assert.ok(lineClear(walled, points[i - 1], points[i]));
  assert.deepEqual(nearestWalkable(walled, [1, 1]), [1, 0]);
  assert.deepEqual(nearestWalkable(walled, [2, 1]), [2, 1]);
});
