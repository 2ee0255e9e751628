import assert from "node:assert/strict";
import { test } from "node:test";

import { fromSnapshot } from "../../static/js/board-state.js";
import {
  largestFitting,
  newestCards,
  projectedColumns,
  resultsSession,
  shownBoard,
  stage,
  topRows,
  voteFigures,
  voteSession,
} from "../../static/js/projector-model.js";

const idea = (id, field, { cluster = null, position = id, created = "2026-01-01T00:00:00Z" } = {}) => ({
  id,
  board_id: "bd_1",
  field_id: field,
  text: `text ${id}`,
  title: "",
  author: null,
  position,
  cluster_id: cluster,
  status: "visible",
  created_at: created,
  updated_at: created,
});

const session = (id, round, status, extra = {}) => ({
  id,
  round,
  budget: 5,
  cap: 3,
  blind: true,
  scope: { kind: "board", ids: [] },
  ends_at: null,
  status,
  results: null,
  ...extra,
});

const board = ({ phase = "collect", sessions = [], ideas = [], clusters = [], progress = null } = {}) =>
  fromSnapshot({
    board_id: "bd_1",
    title: "Wand",
    seq: 1,
    columns: [
      { id: "fld_a", name: "Mobilität" },
      { id: "fld_b", name: "Bildung" },
    ],
    settings: { phase, silent: false, revealed: false, locked: false, premoderation: false, anonymous: false },
    ideas,
    clusters,
    sessions,
    progress,
  });

test("the presented board is shown when the room has it, else the first", () => {
  const boards = [
    { id: "bd_1", title: "Eins", seq: 0 },
    { id: "bd_2", title: "Zwei", seq: 0 },
  ];
  assert.equal(shownBoard(boards, "bd_2"), "bd_2");
  assert.equal(shownBoard(boards, null), "bd_1");
  assert.equal(shownBoard(boards, "bd_9"), "bd_1"); // not (yet) in the list
  assert.equal(shownBoard([], null), null);
});

test("the stage follows the phase and the rounds: board, vote, results", () => {
  assert.equal(stage(board({ phase: "collect" })), "board");
  assert.equal(stage(board({ phase: "vote" })), "board"); // no round opened yet
  const open = board({ phase: "vote", sessions: [session("vs_1", 1, "open")] });
  assert.equal(stage(open), "vote");
  assert.equal(voteSession(open)?.id, "vs_1");
  assert.equal(stage(board({ phase: "vote", sessions: [session("vs_1", 1, "closed")] })), "vote");
  const results = [{ idea_id: "a", field_id: "fld_a", dots: 3, voters: 2, rank: 1, tie: false, field_rank: 1, field_tie: false }];
  const revealed = [session("vs_1", 1, "revealed", { results })];
  assert.equal(stage(board({ phase: "vote", sessions: revealed })), "results");
  assert.equal(stage(board({ phase: "discuss", sessions: revealed })), "results");
  assert.equal(resultsSession(board({ phase: "discuss", sessions: revealed }))?.id, "vs_1");
  // a new collection after a round: the board again; a second round open: the vote
  assert.equal(stage(board({ phase: "collect", sessions: revealed })), "board");
  assert.equal(stage(board({ phase: "vote", sessions: [...revealed, session("vs_2", 2, "open")] })), "vote");
});

test("the vote's figures come from its progress", () => {
  const progress = { session_id: "vs_1", voters: 7, cast: 23, left: 12, tallies: null };
  const state = board({ phase: "vote", sessions: [session("vs_1", 1, "open")], progress });
  assert.deepEqual(voteFigures(state, session("vs_1", 1, "open")), { voters: 7, cast: 23 });
  assert.deepEqual(voteFigures(state, session("vs_2", 2, "open")), { voters: 0, cast: 0 });
});

test("columns keep board order, with clusters as groups and free ideas between them", () => {
  const state = board({
    ideas: [
      idea("i1", "fld_a", { position: "a" }),
      idea("i2", "fld_a", { cluster: "cl_1", position: "b" }),
      idea("i3", "fld_a", { cluster: "cl_1", position: "c" }),
      idea("i4", "fld_a", { position: "d" }),
    ],
    clusters: [{ id: "cl_1", field_id: "fld_a", heading: "Radverkehr", position: "b", parent_id: null }],
  });
  const [mobility, education] = projectedColumns(state);
  assert.equal(mobility.column.name, "Mobilität");
  assert.equal(mobility.count, 4);
  const groups = mobility.groups.map((g) => [g.heading, g.ideas.map((i) => i.id)]);
  assert.ok(groups.some(([heading, ids]) => heading === "Radverkehr" && ids.join() === "i2,i3"), JSON.stringify(groups));
  assert.deepEqual(groups.flatMap(([, ids]) => ids).sort(), ["i1", "i2", "i3", "i4"]);
  assert.equal(education.count, 0);
  assert.deepEqual(education.groups, []);
});

test("after a reveal the results are on the wall while the room votes and discusses, the board again when it works on the cards", () => {
  const results = [{ idea_id: "a", field_id: "fld_a", dots: 3, voters: 2, rank: 1, tie: false, field_rank: 1, field_tie: false }];
  const revealed = [session("vs_1", 1, "revealed", { results })];
  assert.equal(stage(board({ phase: "vote", sessions: revealed })), "results"); // the reveal
  assert.equal(stage(board({ phase: "discuss", sessions: revealed })), "results"); // talked about
  assert.equal(stage(board({ phase: "closed", sessions: revealed })), "results"); // the outcome
  assert.equal(stage(board({ phase: "cluster", sessions: revealed })), "board"); // sorting cards again
  assert.equal(stage(board({ phase: "collect", sessions: revealed })), "board");
});

test("a column on the wall keeps its newest cards, in board order and their groups, and counts the rest", () => {
  const state = board({
    ideas: [
      idea("i1", "fld_a", { position: "a", created: "2026-01-01T10:00:00Z" }),
      idea("i2", "fld_a", { cluster: "cl_1", position: "b", created: "2026-01-01T10:04:00Z" }),
      idea("i3", "fld_a", { cluster: "cl_1", position: "c", created: "2026-01-01T10:01:00Z" }),
      idea("i4", "fld_a", { position: "d", created: "2026-01-01T10:03:00Z" }),
    ],
    clusters: [{ id: "cl_1", field_id: "fld_a", heading: "Radverkehr", position: "b", parent_id: null }],
  });
  const [mobility] = projectedColumns(state);
  const two = newestCards(mobility, 2);
  assert.equal(two.hidden, 2);
  assert.deepEqual(
    two.groups.map((g) => [g.heading, g.ideas.map((i) => i.id)]),
    [
      ["Radverkehr", ["i2"]],
      [null, ["i4"]],
    ],
  );
  const all = newestCards(mobility, 9);
  assert.equal(all.hidden, 0);
  assert.equal(all.groups, mobility.groups);
});

test("a ranking on the wall keeps its first rows and counts the rest", () => {
  assert.deepEqual(topRows([1, 2, 3, 4, 5], 3), { rows: [1, 2, 3], hidden: 2 });
  assert.deepEqual(topRows([1, 2], 3), { rows: [1, 2], hidden: 0 });
});

test("the most items that fit are found in few layouts", () => {
  let layouts = 0;
  const fitsUpTo = (n) => (count) => {
    layouts += 1;
    return count <= n;
  };
  assert.equal(largestFitting(3, 100, fitsUpTo(17)), 17);
  assert.ok(layouts <= 9, `${layouts} layouts`);
  assert.equal(largestFitting(3, 100, fitsUpTo(200)), 100);
  assert.equal(largestFitting(3, 100, fitsUpTo(1)), 3); // nothing fits: the least
  assert.equal(largestFitting(3, 2, fitsUpTo(0)), 2); // fewer than the least: all
});
