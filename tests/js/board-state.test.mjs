import assert from "node:assert/strict";
import { test } from "node:test";

import {
  applyChange,
  applySync,
  columnIdeas,
  columnName,
  emptyBoard,
  fromSnapshot,
  LiveBoard,
} from "../../static/js/board-state.js";

const BOARD = "brd_1";

function idea(id, { field = "fld_a", text = `text ${id}`, at = "2026-01-01T10:00:00Z", author = "mem_1" } = {}) {
  return {
    id,
    board_id: BOARD,
    field_id: field,
    text,
    author: { id: author, pseudonym: author.toUpperCase(), colour: "blue" },
    created_at: at,
    updated_at: at,
  };
}

function snapshot(seq, ideas = []) {
  return {
    board_id: BOARD,
    title: "Ideen",
    seq,
    columns: [
      { id: "fld_a", name: "Mobilität" },
      { id: "fld_b", name: "Bildung" },
    ],
    ideas,
  };
}

const created = (seq, i) => ({ board_id: BOARD, seq, type: "idea.created", idea: i, idea_id: i.id });
const edited = (seq, i) => ({ board_id: BOARD, seq, type: "idea.edited", idea: i, idea_id: i.id });
const deleted = (seq, id) => ({ board_id: BOARD, seq, type: "idea.deleted", idea: null, idea_id: id });

test("a snapshot sets columns, ideas and seq", () => {
  const state = fromSnapshot(snapshot(4, [idea("ide_1")]));
  assert.equal(state.seq, 4);
  assert.deepEqual(
    state.columns.map((c) => c.name),
    ["Mobilität", "Bildung"],
  );
  assert.equal(state.ideas.get("ide_1").text, "text ide_1");
  assert.equal(columnName(state, "fld_b"), "Bildung");
  assert.equal(columnName(state, "fld_x"), "fld_x");
});

test("the next change is applied; the state given is not modified", () => {
  const before = fromSnapshot(snapshot(0));
  const { state, outcome } = applyChange(before, created(1, idea("ide_1")));
  assert.equal(outcome, "applied");
  assert.equal(state.seq, 1);
  assert.equal(state.ideas.size, 1);
  assert.equal(before.seq, 0);
  assert.equal(before.ideas.size, 0);
});

test("edits replace and deletions remove, returning the idea as it was", () => {
  let state = fromSnapshot(snapshot(1, [idea("ide_1")]));
  const edit = applyChange(state, edited(2, idea("ide_1", { text: "neu", field: "fld_b" })));
  assert.equal(edit.before.text, "text ide_1");
  state = edit.state;
  assert.equal(state.ideas.get("ide_1").text, "neu");
  assert.deepEqual(columnIdeas(state, "fld_a"), []);
  assert.equal(columnIdeas(state, "fld_b").length, 1);
  const removal = applyChange(state, deleted(3, "ide_1"));
  assert.equal(removal.outcome, "applied");
  assert.equal(removal.before.text, "neu");
  assert.equal(removal.state.ideas.size, 0);
});

test("changes we have are ignored, gaps are reported, other boards are not ours", () => {
  const state = fromSnapshot(snapshot(5));
  assert.equal(applyChange(state, created(5, idea("ide_1"))).outcome, "duplicate");
  assert.equal(applyChange(state, created(3, idea("ide_1"))).outcome, "duplicate");
  assert.equal(applyChange(state, created(7, idea("ide_1"))).outcome, "gap");
  assert.equal(applyChange(state, { ...created(6, idea("ide_1")), board_id: "brd_2" }).outcome, "other-board");
  assert.equal(applyChange(emptyBoard(BOARD), created(1, idea("ide_1"))).outcome, "gap");
});

test("applySync applies changes in order and says whether it reached the server's seq", () => {
  const state = fromSnapshot(snapshot(1, [idea("ide_1")]));
  const ok = applySync(state, {
    ok: true,
    board_id: BOARD,
    seq: 3,
    changes: [created(1, idea("ide_1")), created(2, idea("ide_2")), deleted(3, "ide_1")],
  });
  assert.equal(ok.complete, true);
  assert.equal(ok.state.seq, 3);
  assert.deepEqual([...ok.state.ideas.keys()], ["ide_2"]);
  assert.equal(ok.applied.length, 2, "the duplicate at seq 1 is not counted");

  const holey = applySync(state, { ok: true, board_id: BOARD, seq: 4, changes: [created(3, idea("ide_3"))] });
  assert.equal(holey.complete, false);
  assert.equal(holey.state.seq, 1);
});

test("columnIdeas sorts by creation time, then id", () => {
  const state = fromSnapshot(
    snapshot(3, [
      idea("ide_c", { at: "2026-01-01T10:00:02Z" }),
      idea("ide_b", { at: "2026-01-01T10:00:01Z" }),
      idea("ide_a", { at: "2026-01-01T10:00:02Z" }),
    ]),
  );
  assert.deepEqual(
    columnIdeas(state, "fld_a").map((i) => i.id),
    ["ide_b", "ide_a", "ide_c"],
  );
});

/** A fake server: the board's change log, answering board.sync like server/events.py. */
function fakeServer(log) {
  const calls = [];
  return {
    calls,
    log,
    async sync(since) {
      calls.push(since);
      const seq = log.length;
      if (since === null || since > seq) {
        const ideas = new Map();
        for (const c of log) {
          if (c.type === "idea.deleted") ideas.delete(c.idea_id);
          else ideas.set(c.idea.id, c.idea);
        }
        return { ok: true, board_id: BOARD, seq, snapshot: snapshot(seq, [...ideas.values()]) };
      }
      return { ok: true, board_id: BOARD, seq, changes: log.slice(since) };
    },
  };
}

test("LiveBoard: first sync is a snapshot, then pushed changes apply in order", async () => {
  const server = fakeServer([created(1, idea("ide_1"))]);
  const updates = [];
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    (state, applied, snap) => updates.push({ applied, snap }),
  );
  await live.sync();
  assert.deepEqual(server.calls, [null]);
  assert.equal(live.state.seq, 1);
  assert.equal(updates[0].snap, true);

  server.log.push(created(2, idea("ide_2")));
  assert.equal(live.receive(server.log[1]), "applied");
  assert.equal(live.receive(server.log[1]), "duplicate");
  assert.equal(live.state.ideas.size, 2);
  assert.equal(updates.at(-1).applied[0].change.seq, 2);
});

test("LiveBoard: a gap asks for the changes since our seq and converges", async () => {
  const server = fakeServer([created(1, idea("ide_1"))]);
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    () => {},
  );
  await live.sync();
  server.log.push(created(2, idea("ide_2")), edited(3, idea("ide_1", { text: "neu" })), deleted(4, "ide_2"));
  assert.equal(live.receive(server.log[3]), "gap"); // missed 2 and 3
  await live.running;
  assert.deepEqual(server.calls, [null, 1]);
  assert.equal(live.state.seq, 4);
  assert.deepEqual([...live.state.ideas.keys()], ["ide_1"]);
  assert.equal(live.state.ideas.get("ide_1").text, "neu");
});

test("LiveBoard: changes pushed during a sync are queued and applied after it", async () => {
  const server = fakeServer([created(1, idea("ide_1"))]);
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const live = new LiveBoard(
    BOARD,
    async (since) => {
      const answer = await server.sync(since);
      await gate;
      return answer;
    },
    () => {},
  );
  const syncing = live.sync();
  server.log.push(created(2, idea("ide_2")));
  assert.equal(live.receive(server.log[1]), "queued");
  release();
  await syncing;
  assert.equal(live.state.seq, 2);
  assert.equal(live.state.ideas.size, 2);
});

test("LiveBoard: a resync after reconnect fetches only what was missed", async () => {
  const server = fakeServer([created(1, idea("ide_1"))]);
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    () => {},
  );
  await live.sync();
  server.log.push(created(2, idea("ide_2", { author: "mem_2" })));
  await live.sync();
  assert.deepEqual(server.calls, [null, 1]);
  assert.equal(live.state.ideas.get("ide_2").author.id, "mem_2");
});

test("LiveBoard: an acknowledgement ahead of us triggers a sync, one we have does not", async () => {
  const server = fakeServer([created(1, idea("ide_1"))]);
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    () => {},
  );
  await live.sync();
  live.acknowledged(1);
  assert.equal(live.running, null);
  server.log.push(created(2, idea("ide_2")));
  live.acknowledged(2);
  await live.running;
  assert.equal(live.state.seq, 2);
});

test("LiveBoard: a server that went back (new database) gives a snapshot", async () => {
  const server = fakeServer([created(1, idea("ide_1")), created(2, idea("ide_2"))]);
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    () => {},
  );
  await live.sync();
  server.log.length = 0;
  await live.sync();
  assert.equal(live.state.seq, 0);
  assert.equal(live.state.ideas.size, 0);
});

test("an idea change without the idea removes it from view (hidden, merged away, deleted)", () => {
  const state = fromSnapshot(snapshot(1, [idea("ide_1"), idea("ide_2")]));
  const hidden = applyChange(state, { board_id: BOARD, seq: 2, type: "idea.hidden", idea_id: "ide_1", idea: null });
  assert.deepEqual([...hidden.state.ideas.keys()], ["ide_2"]);
  assert.equal(hidden.before.id, "ide_1");
});

test("changes of other kinds only move the sequence; a reveal shows the ideas it lists", () => {
  const state = fromSnapshot(snapshot(1, [idea("ide_1")]));
  const comment = applyChange(state, {
    board_id: BOARD,
    seq: 2,
    type: "comment.created",
    comment_id: "com_1",
    comment: { id: "com_1", idea_id: "ide_1", text: "gut" },
  });
  assert.equal(comment.outcome, "applied");
  assert.equal(comment.state.seq, 2);
  assert.deepEqual([...comment.state.ideas.keys()], ["ide_1"]);
  const reveal = applyChange(comment.state, {
    board_id: BOARD,
    seq: 3,
    type: "board.revealed",
    ideas: [idea("ide_2"), idea("ide_3")],
  });
  assert.deepEqual([...reveal.state.ideas.keys()].sort(), ["ide_1", "ide_2", "ide_3"]);
});

test("ideas with an ordering key sort by it; anonymous ideas (no author) are kept", () => {
  const a = { ...idea("ide_a", { at: "2026-01-01T10:00:00Z" }), position: "n", author: null };
  const b = { ...idea("ide_b", { at: "2026-01-01T09:00:00Z" }), position: "t" };
  const c = { ...idea("ide_c", { at: "2026-01-01T11:00:00Z" }), position: "a" };
  const state = fromSnapshot(snapshot(3, [a, b, c]));
  assert.deepEqual(
    columnIdeas(state, "fld_a").map((i) => i.id),
    ["ide_c", "ide_a", "ide_b"],
  );
});

// -- clusters, comments, settings and vote rounds ---------------------------------------------

const at = (seq, type, extra) => ({ board_id: BOARD, seq, type, ...extra });

test("a full snapshot brings settings, clusters, comments, rounds, dots and progress", () => {
  const state = fromSnapshot({
    ...snapshot(5, [idea("ide_1")]),
    settings: { phase: "vote", silent: false, revealed: false, locked: true, premoderation: false, anonymous: true },
    clusters: [{ id: "cl_1", field_id: "fld_a", heading: "Rad", position: "a", parent_id: null }],
    comments: [{ id: "cm_1", idea_id: "ide_1", text: "gut", author: null, hidden: false }],
    sessions: [
      { id: "vs_1", round: 1, budget: 5, cap: 3, blind: true, status: "open", scope: { kind: "board", ids: [] } },
    ],
    my_dots: { session_id: "vs_1", dots: { ide_1: 2 }, used: 2, remaining: 3 },
    progress: { board_id: BOARD, session_id: "vs_1", voters: 1, cast: 2, left: 3, tallies: null },
  });
  assert.equal(state.settings.phase, "vote");
  assert.equal(state.settings.anonymous, true);
  assert.equal(state.clusters.get("cl_1").heading, "Rad");
  assert.equal(state.comments.get("cm_1").text, "gut");
  assert.equal(state.sessions.get("vs_1").budget, 5);
  assert.equal(state.myDots.remaining, 3);
  assert.equal(state.progress.cast, 2);
});

test("an old snapshot without the new parts gets defaults", () => {
  const state = fromSnapshot(snapshot(0));
  assert.equal(state.settings.phase, "collect");
  assert.equal(state.clusters.size, 0);
  assert.equal(state.sessions.size, 0);
  assert.equal(state.myDots, null);
});

test("cluster changes add, rename and dissolve; comments come and go", () => {
  let state = fromSnapshot(snapshot(0, [idea("ide_1")]));
  const cluster = { id: "cl_1", field_id: "fld_a", heading: "", position: "a", parent_id: null };
  state = applyChange(state, at(1, "cluster.created", { cluster_id: "cl_1", cluster })).state;
  state = applyChange(
    state,
    at(2, "cluster.renamed", { cluster_id: "cl_1", cluster: { ...cluster, heading: "Rad" } }),
  ).state;
  assert.equal(state.clusters.get("cl_1").heading, "Rad");
  const before = state;
  state = applyChange(state, at(3, "cluster.dissolved", { cluster_id: "cl_1", cluster: null })).state;
  assert.equal(state.clusters.size, 0);
  assert.equal(before.clusters.size, 1, "the state given is not modified");
  const comment = { id: "cm_1", idea_id: "ide_1", text: "gut" };
  state = applyChange(state, at(4, "comment.created", { comment_id: "cm_1", comment })).state;
  assert.equal(state.comments.size, 1);
  state = applyChange(state, at(5, "comment.hidden", { comment_id: "cm_1", comment: null })).state;
  assert.equal(state.comments.size, 0, "a comment hidden from us is removed");
  assert.equal(state.ideas.size, 1, "comment changes leave the ideas alone");
});

test("settings changes replace the settings", () => {
  const state = fromSnapshot(snapshot(0));
  const settings = {
    phase: "cluster",
    silent: false,
    revealed: true,
    locked: false,
    premoderation: true,
    anonymous: false,
  };
  const next = applyChange(state, at(1, "board.phase", { settings })).state;
  assert.equal(next.settings.phase, "cluster");
  assert.equal(next.settings.premoderation, true);
  assert.equal(state.settings.phase, "collect");
});

test("a new round starts with no dots; a changed budget moves what is left; closing keeps the round", () => {
  let state = fromSnapshot(snapshot(0));
  const session = {
    id: "vs_1",
    round: 1,
    budget: 5,
    cap: 3,
    blind: true,
    status: "open",
    ends_at: null,
    scope: { kind: "board", ids: [] },
    results: null,
  };
  state = applyChange(state, at(1, "vote.opened", { session })).state;
  assert.deepEqual(state.myDots, { session_id: "vs_1", dots: {}, used: 0, remaining: 5 });
  assert.equal(state.progress.tallies, null, "blind: no tallies");
  state = { ...state, myDots: { session_id: "vs_1", dots: { ide_1: 2 }, used: 2, remaining: 3 } };
  state = applyChange(state, at(2, "vote.changed", { session: { ...session, budget: 8 } })).state;
  assert.equal(state.myDots.remaining, 6);
  state = applyChange(state, at(3, "vote.closed", { session: { ...session, budget: 8, status: "closed" } })).state;
  assert.equal(state.sessions.get("vs_1").status, "closed");
  assert.equal(state.myDots.used, 2);
});

test("LiveBoard.update changes unsequenced parts and shows them; no change, no update", async () => {
  const server = fakeServer([]);
  const updates = [];
  const live = new LiveBoard(
    BOARD,
    (since) => server.sync(since),
    (state, applied, snap) => updates.push({ state, applied, snap }),
  );
  await live.sync();
  const count = updates.length;
  live.update((state) => state);
  assert.equal(updates.length, count);
  live.update((state) => ({ ...state, progress: { session_id: "vs_1", voters: 1, cast: 1, left: 4, tallies: null } }));
  assert.equal(updates.length, count + 1);
  assert.equal(live.state.progress.voters, 1);
  assert.deepEqual(updates.at(-1).applied, []);
});

test("comments come back with their idea and go with it", () => {
  const idea = { id: "idea_1", field_id: "f1", position: "V", text: "x", status: "visible" };
  let state = fromSnapshot({
    board_id: "bd_1", seq: 1, title: "B", settings: {}, columns: [{ id: "f1", name: "F" }],
    ideas: [idea], clusters: [], comments: [{ id: "cm_1", idea_id: "idea_1", text: "c" }], sessions: [],
  });
  state = applyChange(state, { board_id: "bd_1", seq: 2, type: "idea.hidden", idea_id: "idea_1", idea: null }).state;
  assert.equal(state.comments.size, 0);
  state = applyChange(state, {
    board_id: "bd_1", seq: 3, type: "idea.restored", idea_id: "idea_1", idea,
    comments: [{ id: "cm_1", idea_id: "idea_1", text: "c" }],
  }).state;
  assert.deepEqual([...state.comments.keys()], ["cm_1"]);
});
