import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ChatCues,
  ChatLog,
  currentStep,
  handUp,
  minutesToSeconds,
  movedPosition,
  QuestionBoard,
  timerCue,
  timerRemaining,
  timerShown,
} from "../../static/js/facilitation-model.js";

const timer = (fields = {}) => ({
  scope: "event",
  room_id: null,
  status: "idle",
  label: "",
  duration_ms: 0,
  deadline_ms: null,
  remaining_ms: 0,
  warning_at_ms: null,
  ...fields,
});

test("a running timer counts to its deadline on the server's clock, a paused one keeps its remainder", () => {
  const running = timer({ status: "running", duration_ms: 120000, deadline_ms: 1_000_120_000, remaining_ms: null });
  assert.equal(timerRemaining(running, 1_000_000_000), 120000);
  assert.equal(timerRemaining(running, 1_000_119_750), 250);
  assert.equal(timerRemaining(running, 1_000_200_000), 0, "never below 0");
  assert.equal(timerRemaining(running, 999_999_990), 120000, "never above its length (a clock a little behind)");
  assert.equal(timerRemaining(timer({ status: "paused", remaining_ms: 42000 }), 5), 42000);
  assert.equal(timerRemaining(timer({ status: "finished", deadline_ms: 5 }), 1), 0);
  assert.equal(timerShown(timer()), false);
  assert.equal(timerShown(null), false);
  assert.equal(timerShown(running), true);
});

test("timers are announced at their start, warning and end, not for a reset", () => {
  assert.equal(timerCue("started"), "started");
  assert.equal(timerCue("warning"), "warning");
  assert.equal(timerCue("finished"), "finished");
  assert.equal(timerCue("reset"), "");
});

test("minutes from the form become seconds within the server's limits", () => {
  assert.equal(minutesToSeconds("2"), 120);
  assert.equal(minutesToSeconds("1,5"), 90);
  assert.equal(minutesToSeconds(" 0.5 "), 30);
  assert.equal(minutesToSeconds("0"), null);
  assert.equal(minutesToSeconds("abc"), null);
  assert.equal(minutesToSeconds("481"), null);
});

const message = (id, fields = {}) => ({
  id,
  room_id: "rm_p",
  author: { id: "m_1", pseudonym: "Anna" },
  text: `Text ${id}`,
  sent_at: `2026-12-06T10:00:0${id.slice(-1)}Z`,
  hidden: false,
  ...fields,
});

test("the chat keeps the room's messages once each, drops other rooms' and hidden ones", () => {
  const log = new ChatLog();
  log.reset("rm_p", [message("c1"), message("c2")]);
  assert.equal(log.add(message("c3")), true);
  assert.equal(log.add(message("c3")), false, "a message twice (broadcast and ack) is kept once");
  assert.equal(log.add(message("c4", { room_id: "rm_b" })), false);
  assert.equal(log.hide({ room_id: "rm_p", message_id: "c2", message: null }), true);
  assert.deepEqual(
    log.messages.map((m) => m.id),
    ["c1", "c3"],
  );
  log.hide({ room_id: "rm_p", message_id: "c2", message: message("c2") });
  assert.deepEqual(
    log.messages.map((m) => m.id),
    ["c1", "c2", "c3"],
    "shown again in its place",
  );
  log.hide({ room_id: "rm_p", message_id: "c1", message: message("c1", { hidden: true }) });
  assert.equal(log.messages[0].hidden, true, "a moderator keeps seeing it, marked");
});

test("new chat messages are announced at most once per gap, as a count, and not while reading", () => {
  const cues = new ChatCues({ gapMs: 5000 });
  assert.equal(cues.note("Anna", 1000, false), 0, "the first at once");
  assert.deepEqual(cues.take(1000), { count: 1, name: "Anna" });
  assert.equal(cues.note("Ben", 2000, false), 4000, "the next waits for the gap");
  assert.equal(cues.note("Anna", 2500, false), null, "already due");
  assert.equal(cues.note("Cem", 3000, false), null);
  assert.deepEqual(cues.take(6000), { count: 3, name: "" });
  assert.equal(cues.take(6000), null);
  assert.equal(cues.note("Anna", 20000, true), null, "read in the panel: nothing to say");
  assert.equal(cues.take(20000), null);
});

const question = (id, fields = {}) => ({
  id,
  text: `Frage ${id}`,
  asked_at: `2026-12-06T10:00:0${id.slice(-1)}Z`,
  anonymous: false,
  author: null,
  mine: false,
  votes: 0,
  upvoted: false,
  answered: false,
  hidden: false,
  ...fields,
});

test("questions sort by votes (older first on ties) or newest, answered ones last", () => {
  const board = new QuestionBoard();
  board.reset([question("q1"), question("q2", { votes: 2 }), question("q3", { answered: true, votes: 9 }), question("q4")], null);
  assert.deepEqual(
    board.sorted("votes").map((q) => q.id),
    ["q2", "q1", "q4", "q3"],
  );
  assert.deepEqual(
    board.sorted("newest").map((q) => q.id),
    ["q4", "q2", "q1", "q3"],
  );
});

test("question.changed keeps our upvote when it does not tell, and hidden ones leave", () => {
  const board = new QuestionBoard();
  board.reset([question("q1", { upvoted: true, votes: 1, mine: true })], null);
  board.apply({ kind: "upvoted", question_id: "q1", question: question("q1", { votes: 2, upvoted: null }), pinned: null });
  assert.equal(board.questions.get("q1")?.upvoted, true);
  assert.equal(board.questions.get("q1")?.mine, true);
  assert.equal(board.questions.get("q1")?.votes, 2);
  board.apply({ kind: "pinned", question_id: "q1", question: null, pinned: "q1" });
  assert.equal(board.pinned, "q1");
  assert.equal(board.questions.size, 1);
  board.apply({ kind: "hidden", question_id: "q1", question: null, pinned: null });
  assert.equal(board.questions.size, 0);
});

test("the agenda's current step and moving a step up or down", () => {
  const agenda = {
    version: 3,
    steps: [
      { id: "s1", title: "Begrüßung", kind: "input", duration_s: 600, note: "" },
      { id: "s2", title: "Pause", kind: "break", duration_s: 0, note: "" },
    ],
    current: "s2",
    started_at: null,
    finished_at: null,
    planned_s: 600,
  };
  assert.equal(currentStep(agenda)?.title, "Pause");
  assert.equal(currentStep({ ...agenda, current: null }), null);
  assert.equal(currentStep(null), null);
  assert.equal(movedPosition(agenda, "s1", 1), 1);
  assert.equal(movedPosition(agenda, "s1", -1), null);
  assert.equal(movedPosition(agenda, "s2", 1), null);
  assert.equal(movedPosition(agenda, "nope", 1), null);
});

test("whose hand is up", () => {
  const hands = { room_id: "rm_p", queue: [{ member_id: "m_1", pseudonym: "Anna", raised_at: "" }] };
  assert.equal(handUp(hands, "m_1"), true);
  assert.equal(handUp(hands, "m_2"), false);
  assert.equal(handUp(null, "m_1"), false);
});
