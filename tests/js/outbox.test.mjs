import assert from "node:assert/strict";
import { test } from "node:test";

import { newClientId, Outbox } from "../../static/js/outbox.js";

test("client ids match the protocol's pattern and do not repeat", () => {
  const ids = new Set();
  for (let i = 0; i < 1000; i += 1) {
    const id = newClientId();
    assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
});

test("an entry is sent once, again after its connection dropped, and forgotten when answered", () => {
  const box = new Outbox();
  const post = box.add({ board_id: "brd_1", field_id: "fld_1", text: "Mehr Radwege" }, "cid_1");
  assert.equal(post.client_id, "cid_1");
  assert.deepEqual(box.takeUnsent(), [post]);
  assert.deepEqual(box.takeUnsent(), [], "not twice while on the wire");
  box.unsent("cid_1");
  const again = box.takeUnsent();
  assert.equal(again.length, 1);
  assert.equal(again[0].client_id, "cid_1", "the same client_id when sent again");
  box.done("cid_1");
  assert.equal(box.size, 0);
  box.unsent("cid_1"); // an answer for a forgotten entry changes nothing
  assert.deepEqual(box.takeUnsent(), []);
});

test("entries keep their order", () => {
  const box = new Outbox();
  box.add({ board_id: "b", field_id: "f", text: "1" }, "a");
  box.add({ board_id: "b", field_id: "f", text: "2" }, "b");
  assert.deepEqual(
    box.takeUnsent().map((p) => p.text),
    ["1", "2"],
  );
});
