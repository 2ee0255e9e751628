import assert from "node:assert/strict";
import { test } from "node:test";

import { show } from "../../static/js/import-progress.js";

test("the progress bar and its status line follow a running import; anything else ends the polling", () => {
  const bar = { max: 1, value: 0 };
  const status = { textContent: "" };
  // @ts-ignore: stand-ins for the page's <progress> and status line
  assert.equal(show({ state: "running", done: 500, total: 2000, text: "500 von 2000 Ideen geschrieben" }, bar, status), true);
  assert.deepEqual([bar.max, bar.value, status.textContent], [2000, 500, "500 von 2000 Ideen geschrieben"]);
  // @ts-ignore
  assert.equal(show({ state: "running", total: 0, text: "Die Datei wird noch einmal geprüft …" }, bar, status), true);
  assert.equal(bar.max, 2000); // no total yet: the bar stays as it was
  // @ts-ignore
  assert.equal(show({ state: "done" }, bar, status), false);
  // @ts-ignore
  assert.equal(show({ state: "waiting" }, bar, status), false);
});
