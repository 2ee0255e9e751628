import assert from "node:assert/strict";
import { test } from "node:test";

import { abilities } from "../../static/js/abilities.js";
import { windowDays, windowLine, windowRefusal, windowShut } from "../../static/js/board-window.js";

// 1 March to 30 June 2026 in German time, as the organizer's page sets it
const WINDOW = { opens_at: "2026-02-28T23:00:00Z", closes_at: "2026-06-30T22:00:00Z" };
const t = (key, values = {}) => `${key}${JSON.stringify(values)}`;
const settings = { phase: "collect", silent: false, revealed: true, locked: false, premoderation: false, anonymous: false };

test("a window's days are read in German time, the last one being the day before it closes", () => {
  assert.deepEqual(windowDays("de", WINDOW), { first: "1. März 2026", last: "30. Juni 2026" });
  assert.deepEqual(windowDays("en", WINDOW), { first: "March 1, 2026", last: "June 30, 2026" });
  assert.equal(windowDays("de", {}), null);
  assert.equal(windowDays("de", { opens_at: "kaputt", closes_at: WINDOW.closes_at }), null);
});

test("the status line says until when, from when, or since when", () => {
  assert.equal(windowLine(t, "de", WINDOW, "open"), 'window.open{"last":"30. Juni 2026"}');
  assert.equal(
    windowLine(t, "de", WINDOW, "not_open_yet"),
    'window.not_open_yet{"first":"1. März 2026","last":"30. Juni 2026"}',
  );
  assert.equal(windowLine(t, "de", WINDOW, "closed"), 'window.closed{"last":"30. Juni 2026"}');
  assert.equal(windowLine(t, "de", {}, null), "");
});

test("outside the window participants are told why they cannot post; moderators are not stopped", () => {
  assert.equal(windowRefusal(t, "de", WINDOW, "not_open_yet", false), 'post.not_open_yet{"first":"1. März 2026"}');
  assert.equal(windowRefusal(t, "de", WINDOW, "closed", false), "post.board_closed{}");
  assert.equal(windowRefusal(t, "de", WINDOW, "open", false), "");
  assert.equal(windowRefusal(t, "de", WINDOW, "closed", true), "");
  assert.deepEqual(
    ["not_open_yet", "open", "closed", null].map((state) => windowShut(state, false)),
    [true, false, true, false],
  );
});

test("a shut window takes the participant's controls, not the facilitator's", () => {
  const round = { moderators_vote: false };
  for (const state of ["not_open_yet", "closed"]) {
    const can = abilities("participant", settings, round, state);
    assert.deepEqual([can.writable, can.post, can.comment, can.arrange, can.vote], [false, false, false, false, false]);
    const fac = abilities("facilitator", settings, round, state);
    assert.deepEqual([fac.writable, fac.post, fac.comment], [true, true, true]);
  }
  const open = abilities("participant", settings, round, "open");
  assert.deepEqual([open.post, open.comment, open.vote], [true, true, true]);
});

test("a board asks for a whole snapshot again to learn where its window stands now", async () => {
  const { LiveBoard } = await import("../../static/js/board-state.js");
  const asked = [];
  let windowState = "open";
  const live = new LiveBoard(
    "bd_1",
    async (since) => {
      asked.push(since);
      return {
        ok: true,
        board_id: "bd_1",
        seq: 4,
        snapshot: { board_id: "bd_1", title: "Plenum", seq: 4, columns: [], ideas: [], window_state: windowState },
      };
    },
    () => {},
  );
  await live.sync();
  assert.equal(live.state.windowState, "open");
  windowState = "closed";
  await live.resnapshot();
  assert.deepEqual(asked, [null, null]);
  assert.equal(live.state.windowState, "closed");
});
