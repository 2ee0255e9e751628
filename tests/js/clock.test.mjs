import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ANCHOR_RTT_MS,
  ClockOffset,
  formatCountdown,
  parseTime,
  remaining,
  secondsLeft,
  syncClock,
} from "../../static/js/clock.js";

test("an exchange gives offset = server + rtt/2 - received", () => {
  const clock = new ClockOffset();
  assert.equal(clock.offsetMs, 0, "no sample: the local clock");
  // sent at 1000, the server read 61_050 on its clock, the answer arrived at 1100: rtt 100
  assert.equal(clock.sample(1000, 61_050, 1100), true);
  assert.equal(clock.offsetMs, 61_050 + 50 - 1100);
  assert.equal(clock.serverNow(2000), 2000 + 60_000);
});

test("the sample with the smallest round trip wins, whatever the order", () => {
  const clock = new ClockOffset();
  clock.sample(0, 5_300, 400); // rtt 400: offset 5_100
  assert.equal(clock.offsetMs, 5_100);
  assert.equal(clock.sample(1000, 6_010, 1020), true); // rtt 20: offset 5_000
  assert.equal(clock.offsetMs, 5_000);
  assert.equal(clock.sample(2000, 9_000, 2300), false, "a slower one does not replace it");
  assert.equal(clock.offsetMs, 5_000);
  assert.equal(clock.sample(3000, 8_000, 3020), false, "an equal round trip keeps the first");
  assert.equal(clock.best?.rttMs, 20);
});

test("nonsense samples are ignored", () => {
  const clock = new ClockOffset();
  assert.equal(clock.sample(100, 5_000, 50), false, "the answer before the question");
  assert.equal(clock.sample(Number.NaN, 5_000, 50), false);
  assert.equal(clock.sample(0, Number.POSITIVE_INFINITY, 50), false);
  assert.equal(clock.best, null);
});

test("an anchor (a time the server announced) counts as a slow sample: any exchange wins", () => {
  const clock = new ClockOffset();
  assert.equal(clock.anchor(100_000, 40_000), true);
  assert.equal(clock.offsetMs, 100_000 + ANCHOR_RTT_MS / 2 - 40_000);
  assert.equal(clock.sample(50_000, 110_100, 50_200), true, "rtt 200 beats the anchor");
  assert.equal(clock.offsetMs, 60_000);
  assert.equal(clock.anchor(200_000, 41_000), false);
});

test("a local clock minutes ahead or behind still counts down to the server's deadline", () => {
  for (const skew of [-180_000, 0, 240_000]) {
    const clock = new ClockOffset();
    const serverAt = (local) => local - skew; // the laptop shows server time + skew
    const local = 1_000_000;
    clock.sample(local, serverAt(local) + 25, local + 50);
    const deadline = serverAt(local) + 45_000;
    const left = remaining(deadline, clock.serverNow(local + 50));
    assert.equal(Math.round(left / 1000), 45, `skew ${skew}`);
  }
});

test("remaining never goes below 0; whole seconds round up until the time is up", () => {
  assert.equal(remaining(10_000, 4_000), 6_000);
  assert.equal(remaining(10_000, 12_000), 0);
  assert.equal(secondsLeft(200), 1);
  assert.equal(secondsLeft(1000), 1);
  assert.equal(secondsLeft(1001), 2);
  assert.equal(secondsLeft(0), 0);
  assert.equal(secondsLeft(-5), 0);
});

test("countdowns read m:ss, and h:mm:ss from an hour on", () => {
  assert.equal(formatCountdown(45_000), "0:45");
  assert.equal(formatCountdown(44_001), "0:45");
  assert.equal(formatCountdown(0), "0:00");
  assert.equal(formatCountdown(9_000), "0:09");
  assert.equal(formatCountdown(125_000), "2:05");
  assert.equal(formatCountdown(3_723_000), "1:02:03");
});

test("server times parse to epoch ms; anything else is null", () => {
  assert.equal(parseTime("2026-12-06T10:00:00Z"), Date.UTC(2026, 11, 6, 10));
  assert.equal(parseTime("2026-12-06T10:00:00.250000Z"), Date.UTC(2026, 11, 6, 10, 0, 0, 250));
  assert.equal(parseTime(null), null);
  assert.equal(parseTime(""), null);
  assert.equal(parseTime("soon"), null);
});

test("syncClock keeps the best of a few exchanges", async () => {
  const clock = new ClockOffset();
  let local = 0;
  const rtts = [300, 40, 120];
  const ask = async () => {
    const rtt = /** @type {number} */ (rtts.shift());
    local += rtt / 2;
    const nowMs = local + 7_000; // the server is 7 s ahead
    local += rtt / 2;
    return { ok: true, now_ms: nowMs };
  };
  assert.equal(await syncClock(clock, ask, { samples: 3, now: () => local }), true);
  assert.equal(clock.best?.rttMs, 40);
  assert.equal(clock.offsetMs, 7_000);
});

test("syncClock says when the server has no clock.sync, and stops at other refusals", async () => {
  const clock = new ClockOffset();
  let calls = 0;
  const unknown = async () => {
    calls += 1;
    return { ok: false, error: { code: "unknown_event" } };
  };
  assert.equal(await syncClock(clock, unknown), false);
  assert.equal(calls, 1);
  const limited = async () => ({ ok: false, error: { code: "rate_limited" } });
  assert.equal(await syncClock(clock, limited), true, "known, just not now");
  assert.equal(clock.best, null);
});
