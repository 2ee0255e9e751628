import assert from "node:assert/strict";
import { test } from "node:test";

import { facing, followPath, Interpolator, keyVector, MoveSender, walk, WALK_PX_S } from "../../static/js/space-motion.js";

function grid(...rows) {
  const height = rows.length;
  const width = rows[0].length;
  const blocked = new Uint8Array(width * height);
  rows.forEach((row, r) => [...row].forEach((ch, c) => (blocked[r * width + c] = ch === "#" ? 1 : 0)));
  return { width, height, blocked };
}

const at = (x, y, dir = "down", moving = false) => ({ x, y, dir, moving });

test("keys give a direction; diagonals are normalised; opposite keys cancel", () => {
  assert.deepEqual(keyVector(["ArrowRight"]), [1, 0]);
  assert.deepEqual(keyVector(["w"]), [0, -1]);
  const [x, y] = keyVector(["ArrowRight", "s"]);
  assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-9 && x > 0 && y > 0);
  assert.deepEqual(keyVector(["a", "d"]), [0, 0]);
  assert.deepEqual(keyVector(["Enter"]), [0, 0]);
  assert.equal(facing(3, -1, "down"), "right");
  assert.equal(facing(0, 0, "left"), "left");
});

test("walking stops at walls and slides along them; never faster than the server allows", () => {
  const g = grid(".....", "..#..", ".....");
  let pos = at(16, 48);
  pos = walk(g, pos, [1, 0], 0.1);
  assert.equal(pos.x, 16 + Math.round(WALK_PX_S * 0.1));
  assert.equal(pos.moving, true);
  assert.equal(pos.dir, "right");
  // walk right for a while: stops before the wall tile (column 2 of row 1)
  for (let i = 0; i < 50; i++) pos = walk(g, pos, [1, 0], 0.05);
  assert.ok(pos.x < 64, `stopped at ${pos.x}`);
  assert.equal(pos.moving, false);
  // diagonally into the wall: slides along the free axis
  const slid = walk(g, at(50, 40), [Math.SQRT1_2, Math.SQRT1_2], 0.05);
  assert.ok(slid.y > 40 && slid.x === 50 || slid.x > 50, JSON.stringify(slid));
  // a long frame moves at most half a tile
  assert.ok(walk(g, at(16, 16), [1, 0], 5).x - 16 <= 16);
  assert.deepEqual(walk(g, at(16, 16, "left", true), [0, 0], 0.1), at(16, 16, "left", false));
});

test("walking by keys goes at the same speed whatever the frame rate", () => {
  const g = grid(".".repeat(150), ".".repeat(150), ".".repeat(150));
  for (const hz of [30, 60, 90, 120, 144, 165, 240, 360]) {
    for (const [vx, vy] of [[1, 0], [-1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2]]) {
      let pos = at(vx < 0 ? 4500 : 16, 16);
      for (let i = 0; i < hz / 2; i++) pos = walk(g, pos, [vx, vy], 1 / hz); // half a second
      const walked = Math.hypot(pos.x - (vx < 0 ? 4500 : 16), pos.y - 16);
      assert.ok(Math.abs(walked - WALK_PX_S / 2) <= 2, `${hz} Hz, (${vx}, ${vy}): ${walked} px in 0.5 s`);
    }
  }
});

test("following waypoints goes at the same speed whatever the frame rate", () => {
  for (const hz of [30, 60, 90, 144, 240, 360]) {
    let pos = at(16, 16);
    let rest = [[4000, 16], [4000, 800]];
    for (let i = 0; i < hz / 2; i++) ({ pos, rest } = followPath(pos, rest, 1 / hz)); // half a second
    assert.ok(Math.abs(pos.x - 16 - WALK_PX_S / 2) <= 2, `${hz} Hz: ${pos.x - 16} px in 0.5 s`);
  }
});

test("following waypoints at walking speed, to the end", () => {
  let state = { pos: at(16, 16), rest: [[16, 80], [80, 80]] };
  state = followPath(state.pos, state.rest, 0.2);
  assert.deepEqual([state.pos.x, state.pos.y, state.pos.dir, state.pos.moving], [16, 46, "down", true]);
  for (let i = 0; i < 20 && state.rest.length; i++) state = followPath(state.pos, state.rest, 0.2);
  assert.deepEqual(state.pos, at(80, 80, "right", false));
  assert.deepEqual(state.rest, []);
});

test("moves are sent at most every 200 ms while walking, plus on stop and turn", () => {
  const sender = new MoveSender();
  assert.equal(sender.due(at(0, 0), 0), true, "the first position goes out");
  assert.equal(sender.due(at(0, 0), 10), false, "nothing new");
  let sent = 0;
  let x = 0;
  for (let now = 16; now <= 1000; now += 16) {
    x += 2;
    if (sender.due(at(x, 0, "right", true), now)) sent += 1;
  }
  assert.ok(sent >= 5 && sent <= 6, `sent ${sent} in a second of walking`);
  assert.equal(sender.due(at(x, 0, "right", false), 1110), true, "the stop goes out at once");
  assert.equal(sender.due(at(x, 2, "down", true), 1210), true, "a turn goes out at once");
  assert.equal(sender.due(at(x, 4, "left", true), 1250), false, "but not two within 100 ms");
  assert.equal(sender.due(at(x, 4, "left", true), 1310), true);
  // zig-zagging keys: never more than 10 a second
  let zig = 0;
  for (let now = 2000; now < 3000; now += 16) {
    if (sender.due(at(x, now, now % 32 ? "up" : "left", true), now)) zig += 1;
  }
  assert.ok(zig <= 10, `${zig} in a second`);
  sender.accepted(at(5, 5), 2000);
  assert.equal(sender.due(at(5, 5), 2001), false);
  sender.reset();
  assert.equal(sender.due(at(5, 5), 2002), true);
});

test("others are drawn between their last two updates, one tick behind; long jumps are not animated", () => {
  const lerp = new Interpolator({ delayMs: 100 });
  assert.equal(lerp.at("a", 0), null);
  lerp.push("a", 0, 0, 1000);
  lerp.push("a", 100, 0, 1100);
  assert.deepEqual(lerp.at("a", 1000), { x: 0, y: 0 });
  assert.deepEqual(lerp.at("a", 1150), { x: 50, y: 0 });
  assert.deepEqual(lerp.at("a", 1300), { x: 100, y: 0 });
  lerp.push("a", 2000, 0, 1200);
  assert.deepEqual(lerp.at("a", 1250), { x: 2000, y: 0 });
  lerp.remove("a");
  assert.equal(lerp.at("a", 1300), null);
});
