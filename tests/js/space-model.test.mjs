import assert from "node:assert/strict";
import { test } from "node:test";

import { listedZoneAt, locateSentence, readConversation, readZones, SpaceModel, tilesApart, zoneName } from "../../static/js/space-model.js";

const zone = (id, kind, name = "") => ({ id, kind, name, rect: { x: 0, y: 0, w: 64, h: 64 }, capacity: null, board: null });
const ZONES = [zone("z1", "table"), zone("z2", "table", "Fenster"), zone("z3", "stage"), zone("z4", "spawn"), zone("z5", "wall")];
const t = (key, values = {}) => `${key}${values.index ? ` ${values.index}` : ""}`;

function model() {
  const m = new SpaceModel();
  m.reset(
    "m1",
    {
      people: [
        { id: "m1", pseudonym: "Ada", colour: "blue", x: 40, y: 40, dir: "down", moving: false, status: "available" },
        { id: "m2", pseudonym: "bert", colour: "red", x: 100, y: 40, dir: "left", moving: false, status: "away" },
        { id: "m3", pseudonym: "Cleo", colour: "teal" },
      ],
      zones: { z1: ["m2"], z3: ["m3"] },
      conversation: null,
    },
    ZONES,
  );
  return m;
}

test("space.enter: everyone, their zones, no conversation", () => {
  const m = model();
  assert.equal(m.self.pseudonym, "Ada");
  assert.equal(m.person("m2").status, "away");
  assert.equal(m.person("m3").x, null, "out of sight");
  const { zones, elsewhere } = m.regions();
  assert.deepEqual(zones.map((z) => z.zone.id), ["z3", "z1", "z2"], "stages first, no spawn or wall zones");
  assert.deepEqual(zones.map((z) => z.people.map((p) => p.id)), [["m3"], ["m2"], []]);
  assert.deepEqual(elsewhere.map((p) => p.id), ["m1"]);
  assert.deepEqual([...m.onStage()], ["m3"]);
});

test("space.moves updates positions, skips malformed items and learns new people", () => {
  const m = model();
  const moved = m.applyMoves([["m1", 0, 0, "up", true], ["m2", 120, 44, "right", true], ["m9", 1, 2, "up", false], ["bad"], [1, 2, 3, 4, 5], "x"]);
  assert.deepEqual(moved, ["m2", "m9"]);
  assert.deepEqual([m.person("m2").x, m.person("m2").dir, m.person("m2").moving], [120, "right", true]);
  assert.equal(m.person("m9").x, 1);
  assert.deepEqual(m.applyMoves(null), []);
  assert.equal(m.self.x, 40, "our own entry is ignored");
  m.applyMoves([["m2", 1, 1, "sideways", false]]);
  assert.equal(m.person("m2").dir, "right", "an unknown direction keeps the last");
});

test("space.gone hides people (never oneself); space.status; presence", () => {
  const m = model();
  assert.deepEqual(m.applyGone(["m2", "m1", "nobody"]), ["m2"]);
  assert.equal(m.person("m2").x, null);
  assert.equal(m.person("m1").x, 40);
  assert.deepEqual(m.applyGone({ members: ["m2"] }), ["m2"]);
  assert.ok(m.applyStatus({ member_id: "m2", status: "hand" }));
  assert.ok(!m.applyStatus({ member_id: "m2", status: "dancing" }));
  assert.equal(m.person("m2").status, "hand");
  m.present([{ id: "m1", pseudonym: "Ada", colour: "blue" }, { id: "m4", pseudonym: "Dora", colour: "green" }]);
  assert.deepEqual([...m.people.keys()].sort(), ["m1", "m4"]);
});

test("conversation.changed says who joined and who left, without oneself", () => {
  const m = model();
  let diff = m.setConversation({ id: "c1", kind: "table", zone_id: "z1", members: ["m1", "m2"], locked: false });
  assert.deepEqual([diff.joined, diff.left, diff.before], [["m2"], [], null]);
  assert.deepEqual(m.partners(), ["m2"]);
  diff = m.setConversation({ id: "c1", kind: "table", zone_id: "z1", members: ["m1", "m3"], locked: false });
  assert.deepEqual([diff.joined, diff.left], [["m3"], ["m2"]]);
  diff = m.setConversation(null);
  assert.deepEqual([diff.joined, diff.left, diff.after], [[], ["m3"], null]);
  assert.equal(readConversation({ id: "c", kind: "party", members: [] }), null);
  assert.equal(readConversation({ id: "c", kind: "bubble", members: "m1" }), null);
});

test("space.zones in its shapes; zone names from the map, else by kind and number", () => {
  assert.deepEqual([...readZones({ zones: { z1: ["a", 3] } })], [["z1", ["a"]]]);
  assert.deepEqual([...readZones([{ zone_id: "z2", members: ["b"] }])], [["z2", ["b"]]]);
  assert.deepEqual([...readZones("nonsense")], []);
  assert.equal(zoneName(ZONES[0], ZONES, t), "space.zone_numbered.table 1");
  assert.equal(zoneName(ZONES[1], ZONES, t), "Fenster");
  assert.equal(zoneName(ZONES[2], ZONES, t), "space.zone.stage");
});

test("zones at a position; whom one follows", () => {
  const m = new SpaceModel();
  m.reset("m1", { people: [], following: "m2" }, [zone("z1", "table"), { ...zone("z2", "board"), rect: { x: 64, y: 0, w: 32, h: 32 } }]);
  assert.equal(m.following, "m2");
  assert.deepEqual(m.zonesAt(10, 10).map((z) => z.id), ["z1"]);
  assert.deepEqual(m.zonesAt(70, 10).map((z) => z.id), ["z2"]);
  assert.deepEqual(m.zonesAt(96, 10), []);
  m.reset("m1", { people: [], following: 3 }, []);
  assert.equal(m.following, null);
});

// the German catalog's texts of what "show" (locate) says, picked and filled as the page's t() does
const DE = {
  "space.locate.in_zone": ["{name} ist im Bereich „{zone}“, {count} Feld von Ihnen entfernt.", "{name} ist im Bereich „{zone}“, {count} Felder von Ihnen entfernt."],
  "space.locate.in_room": ["{name} ist im Raum, {count} Feld von Ihnen entfernt.", "{name} ist im Raum, {count} Felder von Ihnen entfernt."],
  "space.zone_numbered.table": "Tisch {index}",
  "space.zone.stage": "Bühne",
};
const de = (key, values = {}) => {
  const message = DE[key];
  const text = Array.isArray(message) ? message[values.count === 1 ? 0 : 1] : message;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
};

test("locate: how many tiles apart, as the crow flies", () => {
  assert.equal(tilesApart({ x: 16, y: 16 }, { x: 16, y: 16 }), 0);
  assert.equal(tilesApart({ x: 16, y: 16 }, { x: 48, y: 16 }), 1);
  assert.equal(tilesApart({ x: 16, y: 16 }, { x: 16 + 5 * 32, y: 16 }), 5);
  assert.equal(tilesApart({ x: 0, y: 0 }, { x: 3 * 32, y: 4 * 32 }), 5); // 3-4-5
  assert.equal(tilesApart({ x: 0, y: 0 }, { x: 40, y: 0 }), 1); // 1.25 tiles: rounded
});

test("locate: the zone by the page's name, a stage before the quiet zone around it, else the room", () => {
  const zones = [
    zone("z1", "table"),
    { ...zone("z2", "table"), rect: { x: 128, y: 0, w: 64, h: 64 } },
    { ...zone("z3", "quiet", "Leseecke"), rect: { x: 0, y: 128, w: 320, h: 320 } },
    { ...zone("z4", "stage"), rect: { x: 0, y: 128, w: 64, h: 64 } },
    { ...zone("z5", "spawn"), rect: { x: 400, y: 0, w: 64, h: 64 } },
  ];
  assert.equal(listedZoneAt(zones, 140, 10)?.id, "z2");
  assert.equal(listedZoneAt(zones, 10, 140)?.id, "z4");
  assert.equal(listedZoneAt(zones, 200, 200)?.id, "z3");
  assert.equal(listedZoneAt(zones, 410, 10), null); // a spawn point is no place the list names
  const me = { x: 144 + 5 * 32, y: 16 };
  assert.equal(locateSentence("Bert", { x: 144, y: 16 }, me, zones, de), "Bert ist im Bereich „Tisch 2“, 5 Felder von Ihnen entfernt.");
  assert.equal(locateSentence("Bert", { x: 16, y: 144 }, { x: 16, y: 176 }, zones, de), "Bert ist im Bereich „Bühne“, 1 Feld von Ihnen entfernt.");
  assert.equal(locateSentence("Bert", { x: 200, y: 200 }, { x: 200, y: 200 }, zones, de), "Bert ist im Bereich „Leseecke“, 0 Felder von Ihnen entfernt.");
  assert.equal(locateSentence("Cleo", { x: 420, y: 20 }, { x: 420, y: 20 + 64 }, zones, de), "Cleo ist im Raum, 2 Felder von Ihnen entfernt.");
});
