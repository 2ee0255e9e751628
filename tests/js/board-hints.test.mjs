import assert from "node:assert/strict";
import { test } from "node:test";

import { abilities } from "../../static/js/abilities.js";
import { phaseHint } from "../../static/js/board-hints.js";

const t = (key) => key; // the key stands for its text
const settings = (phase) => ({ phase, silent: false, revealed: false, locked: false, premoderation: false });
const state = (phase, ...statuses) => ({
  settings: settings(phase),
  sessions: new Map(statuses.map((status, i) => [`vs_${i}`, { id: `vs_${i}`, round: i + 1, status }])),
});
const hint = (role, phase, ...statuses) => {
  const s = state(phase, ...statuses);
  const open = statuses.includes("open") ? { moderators_vote: false } : null;
  return phaseHint(t, s, abilities(role, s.settings, open));
};

test("the vote phase's hint follows the latest round: none yet, open, closed, revealed", () => {
  assert.equal(hint("participant", "vote"), "phase_hint.vote");
  assert.equal(hint("facilitator", "vote"), "phase_hint.vote_open_it");
  assert.equal(hint("participant", "vote", "open"), "phase_hint.voting");
  assert.equal(hint("facilitator", "vote", "open"), "phase_hint.vote_running", "not a voter of the round");
  assert.equal(hint("observer", "vote", "open"), "phase_hint.vote_running");
  assert.equal(hint("participant", "vote", "closed"), "phase_hint.vote_closed");
  assert.equal(hint("participant", "vote", "revealed"), "phase_hint.vote_revealed");
  assert.equal(hint("facilitator", "vote", "revealed"), "phase_hint.vote_revealed");
  assert.equal(hint("participant", "vote", "revealed", "open"), "phase_hint.voting", "a second round");
});

test("the cluster phase explains selecting to those who may group; the other phases say what happens", () => {
  assert.equal(hint("participant", "cluster"), "phase_hint.cluster_select");
  assert.equal(hint("observer", "cluster"), "phase_hint.cluster");
  for (const phase of ["collect", "discuss", "closed"]) {
    assert.equal(hint("participant", phase, "revealed"), `phase_hint.${phase}`);
  }
});
