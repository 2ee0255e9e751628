import assert from "node:assert/strict";
import { test } from "node:test";

import { errorMessage, format, parseMessages, translator } from "../../static/js/i18n.js";

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

test("parseMessages accepts only an object of strings", () => {
  assert.deepEqual(parseMessages('{"a": "x", "b": 3}'), { a: "x" });
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
