import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addChoice,
  CountdownCues,
  createPayload,
  fieldRooms,
  isFull,
  isLive,
  moveChoice,
  newEntries,
  panelMode,
  peopleRows,
  PREFER_MAX,
  removeChoice,
  RoundState,
  roomNames,
  wholeNumber,
} from "../../static/js/breakout-model.js";

const room = (id, size = 0, capacity = null) => ({
  id,
  name: `Raum ${id}`,
  topic: "",
  field_id: null,
  capacity,
  host_id: null,
  size,
});
const round = (fields = {}) => ({
  id: "br_1",
  number: 1,
  status: "draft",
  mode: "automatic",
  rooms: [room("rm_a"), room("rm_b")],
  duration_s: null,
  countdown_s: 60,
  opened_at: null,
  ends_at: null,
  closes_at: null,
  closed_at: null,
  seq: 1,
  my_room: null,
  asked_help: false,
  placement: null,
  help_queue: null,
  ...fields,
});

test("our own room and call for help come from our answers, not from what the event is told", () => {
  const state = new RoundState();
  state.own(round({ seq: 3, my_room: "rm_a", asked_help: true }));
  assert.equal(state.myRoom, "rm_a");
  assert.equal(state.askedHelp, true);
  assert.equal(state.broadcast(round({ seq: 4 })), true, "breakout.changed: my_room null for everyone");
  assert.equal(state.myRoom, "rm_a");
  assert.equal(state.askedHelp, true);
  assert.equal(state.round?.seq, 4);
  assert.equal(state.broadcast(round({ seq: 2 })), false, "an older state of the round is ignored");
  assert.equal(state.round?.seq, 4);
  state.preferences = ["rm_b"];
  state.broadcast(round({ id: "br_2", seq: 1 }));
  assert.equal(state.myRoom, null, "a new round starts afresh");
  assert.equal(state.askedHelp, false);
  assert.deepEqual(state.preferences, []);
  assert.equal(state.room("rm_b")?.name, "Raum rm_b");
  assert.equal(state.room("rm_x"), null);
});

test("our topic choices come back with our answers (after a reload too)", () => {
  const state = new RoundState();
  state.own(round({ seq: 1, my_preferences: ["rm_b", "rm_a"] }));
  assert.deepEqual(state.preferences, ["rm_b", "rm_a"]);
  state.broadcast(round({ seq: 2 }));
  assert.deepEqual(state.preferences, ["rm_b", "rm_a"], "the event's form carries nobody's choices");
});

test("rooms are live while open or closing", () => {
  assert.equal(isLive(null), false);
  assert.equal(isLive(round()), false);
  assert.equal(isLive(round({ status: "open" })), true);
  assert.equal(isLive(round({ status: "closing" })), true);
  assert.equal(isLive(round({ status: "closed" })), false);
});

test("room names keep what was typed and fill the rest with the default", () => {
  const name = (n) => `Raum ${n}`;
  assert.deepEqual(roomNames(3, [], name), ["Raum 1", "Raum 2", "Raum 3"]);
  assert.deepEqual(roomNames(4, ["Markt", "Raum 2"], name), ["Markt", "Raum 2", "Raum 3", "Raum 4"]);
  assert.deepEqual(roomNames(1, ["Markt", "Raum 2"], name), ["Markt"]);
  assert.equal(roomNames(500, [], name).length, 100);
  assert.deepEqual(roomNames(Number.NaN, [], name), []);
});

test("one room per field of action takes its name and its id", () => {
  const rooms = fieldRooms([
    { id: "fd_1", name: "Mobilität" },
    { id: "fd_2", name: "x".repeat(80) },
  ]);
  assert.deepEqual(rooms[0], { name: "Mobilität", topic: "Mobilität", field_id: "fd_1" });
  assert.equal(rooms[1].name.length, 60);
});

test("whole numbers from form fields", () => {
  assert.equal(wholeNumber(""), null);
  assert.equal(wholeNumber("  "), null);
  assert.equal(wholeNumber(" 12 "), 12);
  assert.ok(Number.isNaN(wholeNumber("1.5")));
  assert.ok(Number.isNaN(wholeNumber("-3")));
  assert.ok(Number.isNaN(wholeNumber("zwei")));
});

const form = (fields = {}) => ({
  rooms: [
    { name: "Raum 1", topic: "", field_id: null },
    { name: "Raum 2", topic: "", field_id: null },
  ],
  capacity: "",
  mode: "automatic",
  duration: "",
  countdown: "60",
  ...fields,
});

test("a valid form becomes breakout.create's payload", () => {
  assert.deepEqual(createPayload(form()), {
    payload: {
      rooms: [{ name: "Raum 1" }, { name: "Raum 2" }],
      mode: "automatic",
      duration_s: null,
      countdown_s: 60,
    },
  });
  const withAll = createPayload(
    form({
      rooms: [{ name: " Mobilität ", topic: "Mobilität", field_id: "fd_1" }],
      capacity: "8",
      mode: "preference",
      duration: "20",
      countdown: "10",
    }),
  );
  assert.deepEqual(withAll, {
    payload: {
      rooms: [{ name: "Mobilität", topic: "Mobilität", field_id: "fd_1", capacity: 8 }],
      mode: "preference",
      duration_s: 1200,
      countdown_s: 10,
    },
  });
});

test("the form's mistakes are named, with the room they are in", () => {
  assert.deepEqual(createPayload(form({ rooms: [] })), { error: "count" });
  const empty = form();
  empty.rooms[1].name = "  ";
  assert.deepEqual(createPayload(empty), { error: "name", index: 1 });
  const long = form();
  long.rooms[0].name = "x".repeat(61);
  assert.deepEqual(createPayload(long), { error: "name", index: 0 });
  const twice = form();
  twice.rooms[1].name = "raum 1";
  assert.deepEqual(createPayload(twice), { error: "names_twice", index: 1 });
  assert.deepEqual(createPayload(form({ capacity: "0" })), { error: "capacity" });
  assert.deepEqual(createPayload(form({ capacity: "501" })), { error: "capacity" });
  assert.deepEqual(createPayload(form({ duration: "241" })), { error: "duration" });
  assert.deepEqual(createPayload(form({ duration: "0" })), { error: "duration" });
  assert.deepEqual(createPayload(form({ countdown: "9" })), { error: "countdown" });
  assert.deepEqual(createPayload(form({ countdown: "121" })), { error: "countdown" });
  assert.deepEqual(createPayload(form({ countdown: "" })), { error: "countdown" });
  assert.deepEqual(createPayload(form({ mode: "lottery" })), { error: "mode" });
});

test("a room is full at its capacity; without one never", () => {
  assert.equal(isFull(room("a", 3, 3)), true);
  assert.equal(isFull(room("a", 2, 3)), false);
  assert.equal(isFull(room("a", 300, null)), false);
});

test("the table of who goes where: the placed and the participants present, by name, the unknown last", () => {
  const names = { mb_a: "anna", mb_b: "Ben", mb_c: "Cem", mb_m: "Moderation" };
  const present = [
    { id: "mb_b", pseudonym: "Ben", role: "participant" },
    { id: "mb_m", pseudonym: "Moderation", role: "facilitator" },
    { id: "mb_c", pseudonym: "Cem", role: "participant" },
  ];
  const rows = peopleRows({ mb_a: "rm_a", mb_x: "rm_b", mb_c: "rm_b" }, present, (id) => names[id] ?? "");
  assert.deepEqual(rows, [
    { id: "mb_a", name: "anna", roomId: "rm_a" },
    { id: "mb_b", name: "Ben", roomId: null },
    { id: "mb_c", name: "Cem", roomId: "rm_b" },
    { id: "mb_x", name: "", roomId: "rm_b" },
  ]);
});

test("new calls for help are those not in the queue before", () => {
  assert.deepEqual(newEntries(["a", "b"], ["b", "c", "a", "d"]), ["c", "d"]);
  assert.deepEqual(newEntries(["a"], []), []);
});

test("ranked choices: add at the end up to five, move within, remove", () => {
  let choices = [];
  for (const id of ["a", "b", "c", "d", "e", "f"]) choices = addChoice(choices, id);
  assert.equal(choices.length, PREFER_MAX);
  assert.deepEqual(addChoice(["a"], "a"), ["a"]);
  assert.deepEqual(moveChoice(["a", "b", "c"], "c", -1), ["a", "c", "b"]);
  assert.deepEqual(moveChoice(["a", "b", "c"], "a", 1), ["b", "a", "c"]);
  assert.deepEqual(moveChoice(["a", "b", "c"], "a", -1), ["a", "b", "c"], "the first stays first");
  assert.deepEqual(moveChoice(["a", "b", "c"], "c", 1), ["a", "b", "c"]);
  assert.deepEqual(moveChoice(["a"], "z", 1), ["a"]);
  assert.deepEqual(removeChoice(["a", "b", "c"], "b"), ["a", "c"]);
});

test("the countdown speaks as it starts and once in its last ten seconds", () => {
  const cues = new CountdownCues();
  const said = [];
  for (let s = 45; s >= 0; s -= 1) {
    const cue = cues.next("br_1@t1", s);
    if (cue) said.push([cue, s]);
  }
  assert.deepEqual(said, [
    ["start", 45],
    ["final", 10],
  ]);
  assert.equal(cues.next("br_1@t1", 5), null, "not again");
  assert.equal(cues.next("br_1@t2", 30), "start", "a new closing time starts again");
  const late = new CountdownCues();
  assert.equal(late.next("k", 8), "start", "joined in the last seconds: one announcement");
  assert.equal(late.next("k", 7), null);
  assert.equal(new CountdownCues().next("k", 0), null, "nothing once it is over");
});

test("the participants' panel: choosing, ranking, in a room, in the plenary, the results", () => {
  const participant = { role: "participant", roomKind: "plenary" };
  const inRoom = { role: "participant", roomKind: "breakout" };
  const facilitator = { role: "facilitator", roomKind: "plenary" };
  const observer = { role: "observer", roomKind: "plenary" };
  assert.equal(panelMode(null, participant), "hidden");
  assert.equal(panelMode(round(), participant), "wait");
  assert.equal(panelMode(round({ mode: "self_select" }), participant), "choose");
  assert.equal(panelMode(round({ mode: "self_select" }), observer), "wait");
  assert.equal(panelMode(round({ mode: "preference" }), participant), "prefer");
  assert.equal(panelMode(round({ status: "open", mode: "preference" }), inRoom), "inroom");
  assert.equal(panelMode(round({ status: "closing" }), inRoom), "inroom");
  assert.equal(panelMode(round({ status: "open" }), participant), "plenary");
  assert.equal(panelMode(round({ status: "open", mode: "self_select" }), inRoom), "choose");
  assert.equal(panelMode(round({ status: "closing", mode: "self_select" }), inRoom), "inroom", "no choosing then");
  assert.equal(panelMode(round({ status: "open" }), facilitator), "hidden");
  assert.equal(panelMode(round({ status: "closed" }), participant), "results");
  assert.equal(panelMode(round({ status: "closed" }), facilitator), "results");
});
