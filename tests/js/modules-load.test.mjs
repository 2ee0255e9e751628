import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { test } from "node:test";

const dir = new URL("../../static/js/", import.meta.url);

test("every client module parses and resolves its imports", async () => {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".js"));
  assert.ok(files.includes("room.js") && files.includes("join.js"));
  for (const name of files) {
    try {
      await import(new URL(name, dir).href);
    } catch (err) {
      // The page modules touch `document` when they run; that is fine here. A syntax
      // error or a missing import is not.
      assert.ok(err instanceof ReferenceError && /document|window/.test(err.message), `${name}: ${err}`);
    }
  }
});
