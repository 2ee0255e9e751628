import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clusterAncestors,
  columnClusters,
  columnTree,
  commentsOf,
  dropNextTo,
  moderationQueues,
  moveDown,
  moveToColumn,
  moveUp,
  neighbourColumn,
  parseTags,
  placeOf,
  shownIdeas,
} from "../../static/js/board-layout.js";
import { fromSnapshot } from "../../static/js/board-state.js";

const idea = (id, position, { field = "fld_a", cluster = null, status = "visible", reports = 0 } = {}) => ({
  id,
  board_id: "bd_1",
  field_id: field,
  text: `text ${id}`,
  author: null,
  position,
  cluster_id: cluster,
  status,
  reports,
  created_at: "2026-01-01T10:00:00Z",
  updated_at: "2026-01-01T10:00:00Z",
});
const cluster = (id, position, { field = "fld_a", parent = null, heading = "" } = {}) => ({
  id,
  field_id: field,
  heading,
  position,
  parent_id: parent,
});

function board(ideas, clusters = []) {
  return fromSnapshot({
    board_id: "bd_1",
    title: "Ideen",
    seq: 1,
    columns: [
      { id: "fld_a", name: "Mobilität" },
      { id: "fld_b", name: "Bildung" },
    ],
    ideas,
    clusters,
  });
}

/** The tree as nested ids, for comparing. */
const shape = (nodes) => nodes.map((n) => (n.kind === "idea" ? n.id : { [n.id]: shape(n.children) }));

test("a column is a tree of clusters and ideas in key order; a cluster comes before the idea it was made from", () => {
  const state = board(
    [idea("i1", "a0"), idea("i2", "b0", { cluster: "c1" }), idea("i3", "c0"), idea("i4", "b5", { cluster: "c1" })],
    [cluster("c1", "b0")],
  );
  assert.deepEqual(shape(columnTree(state, "fld_a")), ["i1", { c1: ["i2", "i4"] }, "i3"]);
  const [, group] = columnTree(state, "fld_a");
  assert.equal(group.count, 2);
  assert.deepEqual(
    shownIdeas(columnTree(state, "fld_a")).map((i) => i.id),
    ["i1", "i2", "i4", "i3"],
  );
  assert.deepEqual(columnTree(state, "fld_b"), []);
});

test("nested clusters, counts and depth; unknown or foreign clusters show their ideas at the top", () => {
  const state = board(
    [
      idea("i1", "a0", { cluster: "c2" }),
      idea("i2", "b0", { cluster: "c1" }),
      idea("i3", "c0", { cluster: "c_gone" }),
      idea("i4", "d0", { cluster: "c3" }), // c3 is in the other column
    ],
    [cluster("c1", "a0"), cluster("c2", "a0", { parent: "c1" }), cluster("c3", "a0", { field: "fld_b" })],
  );
  const tree = columnTree(state, "fld_a");
  assert.deepEqual(shape(tree), [{ c1: [{ c2: ["i1"] }, "i2"] }, "i3", "i4"]);
  assert.equal(tree[0].count, 2);
  assert.equal(tree[0].children[0].depth, 1);
  assert.deepEqual(
    columnClusters(state, "fld_a").map(({ cluster: c, depth }) => [c.id, depth]),
    [
      ["c1", 0],
      ["c2", 1],
    ],
  );
  assert.deepEqual(clusterAncestors(state, "c2"), ["c2", "c1"]);
});

test("a cycle of parents does not loop, and loses nothing: its clusters show at the top", () => {
  const state = board(
    [idea("i1", "a0", { cluster: "c1" })],
    [cluster("c1", "a0", { parent: "c2" }), cluster("c2", "b0", { parent: "c1" })],
  );
  assert.deepEqual(clusterAncestors(state, "c1"), ["c1", "c2"]);
  assert.deepEqual(shape(columnTree(state, "fld_a")), [{ c1: ["i1"] }, { c2: [] }]);
});

test("moving up and down among neighbours chooses the after_id the server needs", () => {
  const state = board([idea("i1", "a0"), idea("i2", "b0"), idea("i3", "c0")]);
  assert.equal(moveUp(state, "i1"), null);
  assert.deepEqual(moveUp(state, "i2"), { field_id: "fld_a", after_id: null });
  assert.deepEqual(moveUp(state, "i3"), { field_id: "fld_a", after_id: "i1" });
  assert.deepEqual(moveDown(state, "i1"), { field_id: "fld_a", after_id: "i2" });
  assert.equal(moveDown(state, "i3"), null);
  assert.equal(moveUp(state, "nope"), null);
});

test("inside a cluster, neighbours are the cluster's ideas; past a cluster at the top level", () => {
  const state = board(
    [idea("i1", "a0"), idea("i2", "b0", { cluster: "c1" }), idea("i3", "b5"), idea("i4", "c0", { cluster: "c1" })],
    [cluster("c1", "b0")],
  );
  // i4 is second in c1 (after i2): up puts it right after i1, before i2.
  assert.deepEqual(moveUp(state, "i4"), { field_id: "fld_a", after_id: "i1" });
  assert.equal(moveUp(state, "i2"), null, "first in its cluster");
  assert.deepEqual(moveDown(state, "i2"), { field_id: "fld_a", after_id: "i4" });
  // i3 (top level) follows the cluster: up goes before the cluster's key.
  assert.deepEqual(moveUp(state, "i3"), { field_id: "fld_a", after_id: "i1" });
  // i1 precedes the cluster: down goes past the cluster's first idea.
  assert.deepEqual(moveDown(state, "i1"), { field_id: "fld_a", after_id: "i2" });
});

test("into another column at its end; neighbouring columns; dropping before or after", () => {
  const state = board([idea("i1", "a0"), idea("i2", "b0"), idea("i3", "a0", { field: "fld_b" })]);
  assert.deepEqual(moveToColumn(state, "i1", "fld_b"), { field_id: "fld_b", after_id: "i3" });
  assert.deepEqual(moveToColumn(state, "i3", "fld_b"), { field_id: "fld_b", after_id: null });
  assert.equal(neighbourColumn(state, "fld_a", 1), "fld_b");
  assert.equal(neighbourColumn(state, "fld_a", -1), null);
  assert.equal(neighbourColumn(state, "fld_b", 1), null);
  assert.deepEqual(dropNextTo(state, "i3", "i2", "after"), { field_id: "fld_a", after_id: "i2" });
  assert.deepEqual(dropNextTo(state, "i3", "i2", "before"), { field_id: "fld_a", after_id: "i1" });
  assert.deepEqual(dropNextTo(state, "i3", "i1", "before"), { field_id: "fld_a", after_id: null });
  assert.equal(dropNextTo(state, "i1", "i1", "after"), null);
});

test("the place of an idea as shown, for announcing it", () => {
  const state = board(
    [idea("i1", "a0"), idea("i2", "b0", { cluster: "c1" }), idea("i3", "c0")],
    [cluster("c1", "b0", { heading: "Rad" })],
  );
  assert.deepEqual(placeOf(state, "i3"), { index: 3, count: 3, columnId: "fld_a", clusterId: null });
  assert.deepEqual(placeOf(state, "i2"), { index: 2, count: 3, columnId: "fld_a", clusterId: "c1" });
  assert.equal(placeOf(state, "nope"), null);
});

test("moderation queues: waiting, reported (not hidden ones), hidden", () => {
  const state = board([
    idea("i1", "a0", { status: "pending" }),
    idea("i2", "b0", { reports: 2 }),
    idea("i3", "c0", { status: "hidden", reports: 1 }),
    idea("i4", "d0"),
  ]);
  const q = moderationQueues(state);
  assert.deepEqual(
    q.pending.map((i) => i.id),
    ["i1"],
  );
  assert.deepEqual(
    q.reported.map((i) => i.id),
    ["i2"],
  );
  assert.deepEqual(
    q.hidden.map((i) => i.id),
    ["i3"],
  );
});

test("comments of an idea, oldest first", () => {
  const state = fromSnapshot({
    board_id: "bd_1",
    title: "",
    seq: 1,
    columns: [],
    ideas: [],
    comments: [
      { id: "cm_2", idea_id: "i1", text: "b", created_at: "2026-01-01T10:02:00Z" },
      { id: "cm_1", idea_id: "i1", text: "a", created_at: "2026-01-01T10:01:00Z" },
      { id: "cm_3", idea_id: "i2", text: "c", created_at: "2026-01-01T10:00:00Z" },
    ],
  });
  assert.deepEqual(
    commentsOf(state, "i1").map((c) => c.id),
    ["cm_1", "cm_2"],
  );
});

test("tags typed as text: split at commas, trimmed, no empties, no repeats", () => {
  assert.deepEqual(parseTags(" Radverkehr, #Schule ,, radverkehr, Bahnhof "), ["Radverkehr", "Schule", "Bahnhof"]);
  assert.deepEqual(parseTags(""), []);
});
