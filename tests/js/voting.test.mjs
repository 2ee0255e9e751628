import assert from "node:assert/strict";
import { test } from "node:test";

import { fromSnapshot } from "../../static/js/board-state.js";
import {
  currentSession,
  dotsOn,
  formatClock,
  inScope,
  myDots,
  openSession,
  resultsView,
  revealedSessions,
  secondsLeft,
  tallyOf,
  topIdeaIds,
  votable,
  withDots,
  withProgress,
  withVoteState,
} from "../../static/js/voting.js";

const idea = (id, field = "fld_a", { cluster = null, status = "visible", title = "" } = {}) => ({
  id,
  board_id: "bd_1",
  field_id: field,
  text: `text ${id}`,
  title,
  author: null,
  position: id,
  cluster_id: cluster,
  status,
  created_at: "2026-01-01T10:00:00Z",
  updated_at: "2026-01-01T10:00:00Z",
});
const session = (id, round, extra = {}) => ({
  id,
  round,
  budget: 5,
  cap: 3,
  blind: true,
  scope: { kind: "board", ids: [] },
  ends_at: null,
  status: "open",
  results: null,
  ...extra,
});

function board(sessions, extra = {}) {
  return fromSnapshot({
    board_id: "bd_1",
    title: "",
    seq: 3,
    columns: [
      { id: "fld_a", name: "Mobilität" },
      { id: "fld_b", name: "Bildung" },
    ],
    ideas: [
      idea("i1"),
      idea("i2", "fld_a", { cluster: "c2" }),
      idea("i3", "fld_b"),
      idea("i4", "fld_b", { status: "pending" }),
    ],
    clusters: [
      { id: "c1", field_id: "fld_a", heading: "", position: "a", parent_id: null },
      { id: "c2", field_id: "fld_a", heading: "", position: "b", parent_id: "c1" },
    ],
    sessions,
    ...extra,
  });
}

test("the open round, the current one, the revealed ones", () => {
  const state = board([
    session("vs_2", 2, { status: "closed" }),
    session("vs_1", 1, { status: "revealed", results: [] }),
  ]);
  assert.equal(openSession(state), null);
  assert.equal(currentSession(state).id, "vs_2");
  assert.deepEqual(
    revealedSessions(state).map((s) => s.id),
    ["vs_1"],
  );
  const open = board([session("vs_1", 1, { status: "revealed", results: [] }), session("vs_2", 2)]);
  assert.equal(openSession(open).id, "vs_2");
  assert.equal(board([]).sessions.size, 0);
  assert.equal(currentSession(board([])), null);
});

test("scope: board, columns, clusters with the clusters inside them, chosen ideas; only visible ideas get dots", () => {
  const state = board([]);
  const [i1, i2, i3, i4] = ["i1", "i2", "i3", "i4"].map((id) => state.ideas.get(id));
  assert.ok(inScope(state, { kind: "board", ids: [] }, i3));
  assert.ok(inScope(state, { kind: "columns", ids: ["fld_b"] }, i3));
  assert.ok(!inScope(state, { kind: "columns", ids: ["fld_b"] }, i1));
  assert.ok(inScope(state, { kind: "clusters", ids: ["c1"] }, i2), "c2 is inside c1");
  assert.ok(!inScope(state, { kind: "clusters", ids: ["c1"] }, i1));
  assert.ok(inScope(state, { kind: "ideas", ids: ["i1"] }, i1));
  assert.ok(!votable(state, session("vs_1", 1), i4), "waiting for approval");
  assert.ok(votable(state, session("vs_1", 1), i3));
});

test("your dots: from the round when none came yet, then from vote.dots of this board's rounds only", () => {
  let state = board([session("vs_1", 1)]);
  assert.deepEqual(myDots(state), { session_id: "vs_1", dots: {}, used: 0, remaining: 5 });
  state = withDots(state, { session_id: "vs_1", dots: { i1: 2 }, used: 2, remaining: 3 });
  assert.equal(dotsOn(state, "i1"), 2);
  assert.equal(dotsOn(state, "i3"), 0);
  assert.equal(withDots(state, { session_id: "vs_other", dots: {}, used: 0, remaining: 5 }), state);
  assert.equal(myDots(board([session("vs_1", 1, { status: "closed" })])), null);
});

test("tallies: none while blind, the progress's when open", () => {
  let blind = board([session("vs_1", 1)]);
  blind = withProgress(blind, { board_id: "bd_1", session_id: "vs_1", voters: 1, cast: 2, left: 3, tallies: null });
  assert.equal(tallyOf(blind, "i1"), null);
  assert.equal(blind.progress.cast, 2);
  let open = board([session("vs_1", 1, { blind: false })]);
  assert.equal(tallyOf(open, "i1"), 0);
  open = withProgress(open, { board_id: "bd_1", session_id: "vs_1", voters: 1, cast: 2, left: 3, tallies: { i1: 2 } });
  assert.equal(tallyOf(open, "i1"), 2);
  assert.equal(
    withProgress(open, { board_id: "bd_other", session_id: "x", voters: 0, cast: 0, left: 0, tallies: null }),
    open,
  );
});

test("vote.state after a reconnect replaces rounds, dots and progress", () => {
  const state = board([session("vs_1", 1)]);
  const next = withVoteState(state, {
    sessions: [session("vs_1", 1, { budget: 7 })],
    my_dots: { session_id: "vs_1", dots: { i3: 1 }, used: 1, remaining: 6 },
    progress: null,
  });
  assert.equal(next.sessions.get("vs_1").budget, 7);
  assert.equal(dotsOn(next, "i3"), 1);
  assert.equal(state.sessions.get("vs_1").budget, 5);
});

test("the countdown", () => {
  const now = Date.parse("2026-01-01T10:00:00Z");
  assert.equal(secondsLeft(null, now), null);
  assert.equal(secondsLeft("2026-01-01T10:01:30Z", now), 90);
  assert.equal(secondsLeft("2026-01-01T10:00:00.200Z", now), 1, "a part of a second counts as one");
  assert.equal(secondsLeft("2026-01-01T09:59:00Z", now), 0);
  assert.equal(secondsLeft("nonsense", now), null);
  assert.equal(formatClock(90), "1:30");
  assert.equal(formatClock(5), "0:05");
  assert.equal(formatClock(3725), "1:02:05");
  assert.equal(formatClock(-3), "0:00");
});

test("results overall and per field, in the board's column order, with bar shares", () => {
  const results = [
    { idea_id: "i1", field_id: "fld_a", dots: 4, voters: 2, rank: 1, tie: true, field_rank: 1, field_tie: false },
    { idea_id: "i3", field_id: "fld_b", dots: 4, voters: 3, rank: 1, tie: true, field_rank: 1, field_tie: false },
    { idea_id: "i2", field_id: "fld_a", dots: 1, voters: 1, rank: 3, tie: false, field_rank: 2, field_tie: false },
    { idea_id: "gone", field_id: "fld_x", dots: 0, voters: 0, rank: 4, tie: false, field_rank: 1, field_tie: false },
  ];
  const state = board([session("vs_1", 1, { status: "revealed", results })]);
  const view = resultsView(state, state.sessions.get("vs_1"));
  assert.equal(view.maxDots, 4);
  assert.deepEqual(
    view.overall.map((r) => [r.ideaId, r.rank, r.tie, r.share]),
    [
      ["i1", 1, true, 1],
      ["i3", 1, true, 1],
      ["i2", 3, false, 0.25],
      ["gone", 4, false, 0],
    ],
  );
  assert.equal(view.overall[0].idea.id, "i1");
  assert.equal(view.overall[3].idea, null, "an idea this client cannot see");
  assert.deepEqual(
    view.fields.map((f) => [f.name, f.rows.map((r) => [r.ideaId, r.rank])]),
    [
      [
        "Mobilität",
        [
          ["i1", 1],
          ["i2", 2],
        ],
      ],
      ["Bildung", [["i3", 1]]],
      ["fld_x", [["gone", 1]]],
    ],
  );
  assert.deepEqual(topIdeaIds(state.sessions.get("vs_1"), 1), ["i1", "i3"], "ties at the edge are in");
  assert.deepEqual(topIdeaIds(state.sessions.get("vs_1"), 3), ["i1", "i3", "i2"]);
  const empty = resultsView(state, session("vs_9", 9, { status: "revealed", results: [] }));
  assert.deepEqual(empty, { overall: [], fields: [], maxDots: 0 });
});
