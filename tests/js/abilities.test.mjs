import assert from "node:assert/strict";
import { test } from "node:test";

import { abilities, mayChangeField, mayDelete, mayEdit } from "../../static/js/abilities.js";
import { BoardList } from "../../static/js/board-list.js";

const ROUND = { moderators_vote: false }; // an open round, as the server sends it

const settings = (phase, extra = {}) => ({
  phase,
  silent: false,
  revealed: false,
  locked: false,
  premoderation: false,
  anonymous: false,
  ...extra,
});

test("participants post while collecting, arrange while collecting or clustering, vote in an open round", () => {
  const collect = abilities("participant", settings("collect"), null);
  assert.deepEqual(
    [collect.post, collect.arrange, collect.comment, collect.vote, collect.moderator],
    [true, true, true, false, false],
  );
  const cluster = abilities("participant", settings("cluster"), null);
  assert.deepEqual([cluster.post, cluster.arrange], [false, true]);
  const vote = abilities("participant", settings("vote"), ROUND);
  assert.deepEqual([vote.post, vote.arrange, vote.vote], [false, false, true]);
  assert.equal(abilities("participant", settings("vote"), null).vote, false);
});

test("facilitators arrange in any open phase; nobody changes a locked or closed board", () => {
  const vote = abilities("facilitator", settings("vote"), ROUND);
  assert.deepEqual([vote.moderator, vote.arrange, vote.vote, vote.post], [true, true, false, false]);
  for (const s of [settings("collect", { locked: true }), settings("closed")]) {
    for (const role of ["facilitator", "participant"]) {
      const can = abilities(role, s, { moderators_vote: true });
      assert.deepEqual(
        [can.post, can.arrange, can.comment, can.vote, can.writable],
        [false, false, false, false, false],
      );
    }
  }
});

test("facilitators and organizers get dots only in a round opened with moderators_vote", () => {
  for (const role of ["facilitator", "organizer"]) {
    const runs = abilities(role, settings("vote"), ROUND);
    assert.deepEqual([runs.voter, runs.vote], [false, false], role);
    assert.equal(abilities(role, settings("vote"), {}).vote, false, "a round without the field: not a voter");
    const takesPart = abilities(role, settings("vote"), { moderators_vote: true });
    assert.deepEqual([takesPart.voter, takesPart.vote], [true, true], role);
  }
  const participant = abilities("participant", settings("vote"), ROUND);
  assert.deepEqual([participant.voter, participant.vote], [true, true]);
});

test("observers read only", () => {
  const can = abilities("observer", settings("collect"), { moderators_vote: true });
  assert.deepEqual(
    [can.contributor, can.post, can.arrange, can.comment, can.vote],
    [false, false, false, false, false],
  );
});

test("authors edit their ideas; facilitators delete any", () => {
  const idea = { id: "i1", author: { id: "mb_1", pseudonym: "A", colour: "blue" } };
  const participant = abilities("participant", settings("collect"), null);
  assert.ok(mayEdit(participant, idea, "mb_1"));
  assert.ok(!mayEdit(participant, idea, "mb_2"));
  assert.ok(!mayEdit(participant, { ...idea, author: null }, "mb_1"), "anonymous to us: not ours");
  assert.ok(!mayDelete(participant, idea, "mb_2"));
  const facilitator = abilities("facilitator", settings("cluster"), null);
  assert.ok(mayDelete(facilitator, idea, "mb_9"));
  assert.ok(!mayEdit(facilitator, idea, "mb_9"));
});

test("participants select ideas for grouping in the cluster phase; facilitators in any open phase", () => {
  const select = (role, phase, extra = {}) => abilities(role, settings(phase, extra), null).select;
  assert.deepEqual(
    ["collect", "cluster", "vote", "discuss"].map((phase) => select("participant", phase)),
    [false, true, false, false],
  );
  assert.deepEqual(
    ["collect", "cluster", "vote", "discuss"].map((phase) => select("facilitator", phase)),
    [true, true, true, true],
  );
  assert.equal(select("observer", "cluster"), false);
  assert.equal(select("facilitator", "cluster", { locked: true }), false);
  assert.equal(select("organizer", "closed"), false);
});

test("only authors, facilitators and organizers put an idea into another field of action", () => {
  const idea = { id: "i1", author: { id: "mb_1", pseudonym: "A", colour: "blue" } };
  for (const phase of ["collect", "cluster"]) {
    const participant = abilities("participant", settings(phase), null);
    assert.ok(mayChangeField(participant, idea, "mb_1"), `the author, ${phase}`);
    assert.ok(!mayChangeField(participant, idea, "mb_2"), `another participant, ${phase}`);
    assert.ok(!mayChangeField(participant, { ...idea, author: null }, "mb_1"), "anonymous to us: not ours");
    for (const role of ["facilitator", "organizer"]) {
      assert.ok(mayChangeField(abilities(role, settings(phase), null), idea, "mb_9"), `${role}, ${phase}`);
    }
  }
  // Not when nothing may be arranged: voting participants, observers, a locked or closed board.
  assert.ok(!mayChangeField(abilities("participant", settings("vote"), ROUND), idea, "mb_1"));
  assert.ok(!mayChangeField(abilities("observer", settings("collect"), null), idea, "mb_1"));
  assert.ok(!mayChangeField(abilities("facilitator", settings("collect", { locked: true }), null), idea, "mb_9"));
  assert.ok(!mayChangeField(abilities("facilitator", settings("closed"), null), idea, "mb_9"));
});

test("the board list keeps the shown board, adds new ones once, and steps round for the arrow keys", () => {
  const list = new BoardList();
  assert.equal(list.reset([]), null);
  assert.equal(list.add({ id: "bd_1", title: "Eins", seq: 0 }), true);
  assert.equal(list.active, "bd_1");
  assert.equal(list.add({ id: "bd_1", title: "Eins", seq: 0 }), false);
  list.add({ id: "bd_2", title: "Zwei", seq: 0 });
  list.active = "bd_2";
  assert.equal(
    list.reset([
      { id: "bd_1", title: "Eins", seq: 3 },
      { id: "bd_2", title: "Zwei", seq: 1 },
    ]),
    "bd_2",
  );
  assert.equal(list.reset([{ id: "bd_1", title: "Eins", seq: 3 }]), "bd_1", "a board that is gone is not shown");
  list.add({ id: "bd_3", title: "Drei", seq: 0 });
  assert.equal(list.neighbour("bd_1", 1), "bd_3");
  assert.equal(list.neighbour("bd_3", 1), "bd_1");
  assert.equal(list.neighbour("bd_1", -1), "bd_3");
  assert.equal(list.title("bd_3"), "Drei");
  assert.equal(list.add(null), false);
});
