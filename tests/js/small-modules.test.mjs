import assert from "node:assert/strict";
import { test } from "node:test";

import { Announcer } from "../../static/js/announcer.js";
import { AVATAR_COLOURS, initial, swatchClass } from "../../static/js/colours.js";
import { forgetMembership, linkToken, loadMembership, saveMembership, storageKey } from "../../static/js/membership.js";
import { PresenceList } from "../../static/js/presence.js";

class MemoryStorage {
  constructor() {
    this.data = new Map();
  }
  getItem(key) {
    return this.data.has(key) ? this.data.get(key) : null;
  }
  setItem(key, value) {
    this.data.set(key, String(value));
  }
  removeItem(key) {
    this.data.delete(key);
  }
}

test("the membership is kept per event under werkstatt.member.<event_id>", () => {
  const storage = new MemoryStorage();
  const token = "x".repeat(43);
  saveMembership(storage, "ev_1", { token, member_id: "mem_1", pseudonym: "Anna", role: "participant" });
  assert.equal(storageKey("ev_1"), "werkstatt.member.ev_1");
  assert.deepEqual(JSON.parse(storage.getItem("werkstatt.member.ev_1")).member_id, "mem_1");
  assert.equal(loadMembership(storage, "ev_1").token, token);
  assert.equal(loadMembership(storage, "ev_2"), null);
  forgetMembership(storage, "ev_1");
  assert.equal(loadMembership(storage, "ev_1"), null);
});

test("broken or foreign stored values are no membership", () => {
  const storage = new MemoryStorage();
  storage.setItem("werkstatt.member.ev_1", "{not json");
  assert.equal(loadMembership(storage, "ev_1"), null);
  storage.setItem("werkstatt.member.ev_1", JSON.stringify({ token: "short", member_id: "m" }));
  assert.equal(loadMembership(storage, "ev_1"), null);
  assert.equal(loadMembership(null, "ev_1"), null);
  const throwing = {
    getItem() {
      throw new Error("SecurityError");
    },
  };
  assert.equal(loadMembership(throwing, "ev_1"), null);
});

test("the link token comes from /j/<token>", () => {
  assert.equal(linkToken("/j/abc-DEF_123"), "abc-DEF_123");
  assert.equal(linkToken("/j/abc/"), "abc");
  assert.equal(linkToken("/e/abc"), null);
  assert.equal(linkToken("/j/"), null);
  assert.equal(linkToken("/j/%E0%A4%A"), null);
});

test("presence lists each member once, sorted case-insensitively", () => {
  const list = new PresenceList();
  list.reset([
    { id: "mem_2", pseudonym: "bernd", colour: "red", role: "participant" },
    { id: "mem_1", pseudonym: "Anna", colour: "blue", role: "facilitator" },
  ]);
  assert.equal(list.add({ id: "mem_3", pseudonym: "Carla", colour: "teal", role: "observer" }), true);
  assert.equal(list.add({ id: "mem_3", pseudonym: "Carla", colour: "teal", role: "observer" }), false);
  assert.deepEqual(
    list.sorted().map((m) => m.pseudonym),
    ["Anna", "bernd", "Carla"],
  );
  assert.equal(list.remove("mem_2").pseudonym, "bernd");
  assert.equal(list.remove("mem_2"), undefined);
  assert.equal(list.size, 2);
});

test("colours: known names get their swatch, anything else the neutral one", () => {
  assert.equal(swatchClass("teal"), "swatch-teal");
  assert.equal(swatchClass("x onmouseover"), "swatch-slate");
  assert.equal(AVATAR_COLOURS.length, 8);
  assert.equal(initial("  émile"), "É");
  assert.equal(initial(""), "?");
});

test("the announcer joins messages that come together and re-announces repeats", () => {
  const region = { textContent: "" };
  const pending = [];
  const announcer = new Announcer(region, { schedule: (fn) => pending.push(fn) });
  announcer.say("Anna ist da");
  announcer.say("Neue Idee von Anna");
  assert.equal(pending.length, 1, "one flush for both");
  pending.shift()();
  assert.equal(region.textContent, "Anna ist da Neue Idee von Anna");
  const writes = [];
  const spy = {
    set textContent(value) {
      writes.push(value);
    },
    get textContent() {
      return writes.at(-1) ?? "";
    },
  };
  const again = new Announcer(spy, { schedule: (fn) => fn() });
  again.say("Gespeichert");
  again.say("Gespeichert");
  assert.deepEqual(writes, ["Gespeichert", "", "Gespeichert"]);
  again.say("");
  assert.equal(writes.length, 3);
});
