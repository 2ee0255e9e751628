import assert from "node:assert/strict";
import { test } from "node:test";

import { errorMessage, format, parseMessages, pluralForm, translator } from "../../static/js/i18n.js";

test("format fills placeholders and keeps unknown ones visible", () => {
  assert.equal(format("{name} ist da", { name: "Anna" }), "Anna ist da");
  assert.equal(format("{count} Ideen", { count: 3 }), "3 Ideen");
  assert.equal(format("{a} und {b}", { a: "x" }), "x und {b}");
  assert.equal(format("{{literal}}", {}), "{literal}");
});

test("values are inserted as they are, never interpreted again", () => {
  assert.equal(format("{a}", { a: "{b}", b: "no" }), "{b}");
  assert.equal(format("{text}", { text: "<b>x</b> & $1" }), "<b>x</b> & $1");
});

test("translator falls back to the key", () => {
  const t = translator({ "board.by": "von {name}" });
  assert.equal(t("board.by", { name: "Ben" }), "von Ben");
  assert.equal(t("missing.key"), "missing.key");
  assert.equal(t("toString"), "toString", "no prototype lookups");
});

test("plural messages take their form from count by the language's CLDR rules", () => {
  const messages = { "board.count": { one: "{count} Idee", other: "{count} Ideen" } };
  const de = translator(messages, "de");
  assert.deepEqual(
    [0, 1, 2].map((count) => de("board.count", { count })),
    ["0 Ideen", "1 Idee", "2 Ideen"],
  );
  const en = translator({ n: { one: "{count} idea", other: "{count} ideas" } }, "en");
  assert.deepEqual(
    [0, 1, 2].map((count) => en("n", { count })),
    ["0 ideas", "1 idea", "2 ideas"],
  );
  // French says "0 idée": Intl.PluralRules, not "count === 1"
  const fr = translator({ n: { one: "{count} idée", many: "{count} d'idées", other: "{count} idées" } }, "fr");
  assert.deepEqual(
    [0, 1, 2].map((count) => fr("n", { count })),
    ["0 idée", "1 idée", "2 idées"],
  );
});

test("a plural message without a number, or in an unknown tag, still says something", () => {
  assert.equal(translator({ n: { one: "eins", other: "viele" } }, "de")("n"), "viele");
  assert.equal(translator({ n: { one: "eins", other: "viele" } }, "not a tag!")("n", { count: 1 }), "eins");
  const rules = new Intl.PluralRules("de");
  assert.equal(pluralForm({ one: "eins" }, rules, 5), "eins");
  assert.equal(pluralForm({ other: "viele" }, rules, 1), "viele");
});

test("parseMessages accepts only strings and plural forms of strings", () => {
  assert.deepEqual(parseMessages('{"a": "x", "b": 3}'), { a: "x" });
  assert.deepEqual(parseMessages('{"p": {"one": "x", "other": "y", "bad": 1}, "q": {}, "r": [1]}'), {
    p: { one: "x", other: "y" },
  });
  assert.deepEqual(parseMessages("[1]"), {});
  assert.deepEqual(parseMessages("not json"), {});
  assert.deepEqual(parseMessages(null), {});
});

test("errorMessage prefers the translated code and falls back to the server's message", () => {
  const t = translator({ error: "Fehler: {message}", "error.forbidden": "Nicht erlaubt." });
  assert.equal(errorMessage(t, { code: "forbidden", message: "A participant may not …" }), "Nicht erlaubt.");
  assert.equal(errorMessage(t, { code: "brand_new", message: "Something new" }), "Fehler: Something new");
  assert.equal(errorMessage(t, undefined), "Fehler: internal");
});
