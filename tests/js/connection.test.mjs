import assert from "node:assert/strict";
import { test } from "node:test";

import { Connection, renderState, SOCKET_OPTIONS, TransportError } from "../../static/js/connection.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Enough of socket.io-client's Socket for the connection layer. */
class FakeSocket {
  constructor(options) {
    this.options = options;
    this.connected = false;
    this.active = true;
    this.handlers = new Map();
    /** @type {{event: string, payload: any, cb: Function, answered: boolean}[]} */
    this.sent = [];
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(fn);
  }
  fire(event, ...args) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  timeout() {
    return {
      emit: (event, payload, cb) => {
        this.sent.push({ event, payload, cb, answered: false });
      },
    };
  }
  connect() {
    this.connected = true;
    this.fire("connect");
  }
  disconnect() {
    this.disconnects = (this.disconnects ?? 0) + 1;
    if (this.connected) this.drop("io client disconnect");
  }
  /** The connection breaks: unanswered requests fail, like socket.io-client's `_clearAcks`. */
  drop(reason = "transport close") {
    this.connected = false;
    for (const s of this.sent) {
      if (!s.answered) {
        s.answered = true;
        s.cb(new Error("socket has been disconnected"));
      }
    }
    this.fire("disconnect", reason);
  }
  answer(index, ack) {
    const s = this.sent[index];
    s.answered = true;
    s.cb(null, ack);
  }
  of(event) {
    return this.sent.filter((s) => s.event === event);
  }
}

function setUp(onReady = async () => {}, retryMs = 5) {
  let socket;
  const states = [];
  const connection = new Connection({
    io: (options) => {
      socket = new FakeSocket(options);
      return socket;
    },
    auth: { token: "t".repeat(43) },
    onState: (state) => states.push(state),
    onReady,
    retryMs,
  });
  connection.start();
  return { connection, socket, states };
}

test("the socket uses websocket only, the token, and backs off exponentially", () => {
  const { socket } = setUp();
  assert.deepEqual(socket.options.transports, ["websocket"]);
  assert.equal(socket.options.auth.token, "t".repeat(43));
  assert.equal(socket.options.reconnection, true);
  assert.ok(SOCKET_OPTIONS.reconnectionDelayMax > SOCKET_OPTIONS.reconnectionDelay);
});

test("online only after onReady (enter + sync) resolved, on every connect", async () => {
  let readies = 0;
  const { socket, states } = setUp(async () => {
    readies += 1;
  });
  assert.deepEqual(states, ["connecting"]);
  socket.connect();
  await tick();
  assert.deepEqual(states, ["connecting", "connecting", "online"]);
  socket.drop();
  assert.equal(states.at(-1), "offline");
  socket.connect();
  await tick();
  assert.equal(states.at(-1), "online");
  assert.equal(readies, 2);
});

test("a server that lost its link to the others shows reconnecting, and resyncs when it is back", async () => {
  let readies = 0;
  const { connection, socket, states } = setUp(async () => {
    readies += 1;
  });
  socket.connect();
  await tick();
  assert.equal(states.at(-1), "online");
  socket.fire("node.link", { linked: false });
  assert.equal(states.at(-1), "reconnecting");
  assert.equal(socket.connected, true); // the socket itself stays open
  socket.fire("node.link", { linked: false });
  assert.equal(states.filter((s) => s === "reconnecting").length, 1);
  connection.post({ board_id: "b", field_id: "f", text: "Während der Störung" }); // the server still takes it
  assert.equal(socket.of("board.idea.create").length, 1);
  socket.fire("node.link", { linked: true });
  await tick();
  assert.equal(readies, 2); // entered and synced again, as after a reconnect
  assert.equal(states.at(-1), "online");
  socket.drop();
  socket.fire("node.link", { linked: false }); // offline says more than that
  assert.equal(states.at(-1), "offline");
});

test("the reconnecting state is shown in words", () => {
  const el = { dataset: {}, textContent: "" };
  renderState(el, "reconnecting", (key) => `«${key}»`);
  assert.equal(el.dataset.state, "reconnecting");
  assert.equal(el.textContent, "«conn.reconnecting»");
});

test("an unauthenticated refusal shows as refused and stays so", () => {
  const { socket, states } = setUp();
  const err = Object.assign(new Error("refused"), { data: { code: "unauthenticated", message: "Unknown token" } });
  socket.fire("connect_error", err);
  assert.equal(states.at(-1), "refused");
  socket.fire("connect_error", new Error("websocket error"));
  assert.equal(states.at(-1), "refused");
});

test("a refusal without data (socket left inactive by the server's CONNECT_ERROR) is a refusal too", () => {
  const { socket, states } = setUp();
  socket.active = false;
  socket.fire("connect_error", new Error("{'code': 'unauthenticated'}"));
  assert.equal(states.at(-1), "refused");
});

test("retryNow reopens a dropped socket at once, and leaves a live or refused one alone", async () => {
  const { connection, socket, states } = setUp();
  socket.connect();
  await tick();
  connection.retryNow();
  assert.equal(socket.disconnects ?? 0, 0, "connected: nothing to do");
  socket.drop();
  connection.retryNow();
  await tick();
  assert.equal(socket.disconnects, 1);
  assert.equal(states.at(-1), "online");
  socket.drop();
  socket.active = false;
  socket.fire("connect_error", new Error("refused"));
  connection.retryNow();
  assert.equal(socket.disconnects, 1);
});

test("an organizer's connection carries the event id instead of a token", () => {
  let options;
  new Connection({
    io: (o) => {
      options = o;
      return new FakeSocket(o);
    },
    auth: { event_id: "ev_1" },
  }).start();
  assert.deepEqual(options.auth, { event_id: "ev_1" });
});

test("a failed connection attempt shows offline", () => {
  const { socket, states } = setUp();
  socket.fire("connect_error", new Error("websocket error"));
  assert.equal(states.at(-1), "offline");
});

test("request rejects at once when offline, and with a TransportError when the connection drops", async () => {
  const { connection, socket } = setUp();
  await assert.rejects(
    connection.request("room.enter", {}),
    (err) => err instanceof TransportError && err.reason === "offline",
  );
  socket.connect();
  await tick();
  const pending = connection.request("board.sync", { board_id: "brd_1", since: 0 });
  socket.drop();
  await assert.rejects(pending, (err) => err instanceof TransportError && err.reason === "disconnected");
});

test("request resolves with the acknowledgement, ok or not", async () => {
  const { connection, socket } = setUp();
  socket.connect();
  await tick();
  const pending = connection.request("board.idea.delete", { board_id: "brd_1", idea_id: "ide_1" });
  socket.answer(0, { ok: false, error: { code: "forbidden", message: "no" } });
  assert.deepEqual(await pending, { ok: false, error: { code: "forbidden", message: "no" } });
});

test("a post that lost its connection is sent again with the same client_id after the resync", async () => {
  const order = [];
  const { connection, socket } = setUp(async () => {
    order.push("ready");
  });
  socket.connect();
  await tick();
  const answered = connection.post({ board_id: "brd_1", field_id: "fld_1", text: "Mehr Bänke" });
  assert.equal(socket.of("board.idea.create").length, 1);
  const first = socket.of("board.idea.create")[0].payload;
  socket.drop(); // the server may have stored it, but we do not know
  assert.equal(connection.pending, 1);
  order.length = 0;
  socket.connect();
  await tick();
  const sends = socket.of("board.idea.create");
  assert.equal(sends.length, 2);
  assert.equal(sends[1].payload.client_id, first.client_id);
  assert.equal(sends[1].payload.text, "Mehr Bänke");
  assert.deepEqual(order, ["ready"], "resent after the room was entered again");
  socket.answer(socket.sent.indexOf(sends[1]), { ok: true, seq: 1, idea: { id: "ide_1" } });
  assert.equal((await answered).ok, true);
  assert.equal(connection.pending, 0);
});

test("a post made while offline waits for the connection", async () => {
  const { connection, socket } = setUp();
  const answered = connection.post({ board_id: "brd_1", field_id: "fld_1", text: "Später" });
  assert.equal(socket.sent.length, 0);
  socket.connect();
  await tick();
  assert.equal(socket.of("board.idea.create").length, 1);
  socket.answer(0, { ok: false, error: { code: "markup_not_allowed", message: "no markup" } });
  const ack = await answered;
  assert.equal(ack.error.code, "markup_not_allowed");
  assert.equal(connection.pending, 0, "a refusal is final: not sent again");
});

test("a failed onReady is retried while the socket stays connected", async () => {
  let attempts = 0;
  // The retry waits 100 ms: long enough that the state in between can be seen on a busy machine.
  const { socket, states } = setUp(async () => {
    attempts += 1;
    if (attempts === 1) throw new Error("internal");
  }, 100);
  socket.connect();
  await tick();
  assert.notEqual(states.at(-1), "online");
  for (let i = 0; i < 200 && states.at(-1) !== "online"; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(attempts, 2);
  assert.equal(states.at(-1), "online");
});

test("renderState writes the state and its text", () => {
  const el = { dataset: {}, textContent: "" };
  renderState(el, "offline", (key) => `<${key}>`);
  assert.equal(el.dataset.state, "offline");
  assert.equal(el.textContent, "<conn.offline>");
});
