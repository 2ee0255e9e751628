// The Node.js Socket.IO peer of werkstatt's fan-out and idle benchmarks: what a team would
// otherwise deploy, a plain `socket.io` server relaying each new idea to everyone in one room.
//
//   node relay.js --port 8123 [--host 127.0.0.1]
//
// It speaks to the same load generator as werkstatt (bench/client.py): websocket-only
// Socket.IO v4 connections with `auth: {token}` (any token is accepted), everyone in one
// room from the moment they connect, and the three events the workloads use, with the
// shapes werkstatt sends:
//
//   board.idea.create {board_id, field_id, text, title?, tags?, colour?}
//       → ack {ok: true, seq, idea} and `board.changed` {board_id, seq, type: "idea.created",
//         idea_id, idea, …} to everyone in the room, the poster included
//   room.enter → ack {ok: true, me, event, room, presence, boards}
//   board.sync {board_id, since} → ack {ok: true, board_id, seq, changes, snapshot: null}
//
// Nothing is stored beyond memory and nothing is checked beyond what the harness needs; no
// presence events are sent. It prints "listening on PORT" once it accepts connections and
// stops on SIGTERM/SIGINT.
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const HOST = option("host", "127.0.0.1");
const PORT = Number(option("port", "0"));
const ROOM = "plenary";
const COLOURS = ["yellow", "green", "blue", "pink", "orange", "purple"];

function id(prefix) {
  return `${prefix}_${crypto.randomBytes(9).toString("base64url")}`;
}

function now() {
  // werkstatt's timestamps carry microseconds: "2026-11-23T16:41:50.421227Z"
  return new Date().toISOString().replace("Z", "000Z");
}

const event = {
  id: id("ev"),
  title: "Bench-Werkstatt",
  description: "Lasttest",
  language: "de",
  fields: ["Mobilität", "Bildung", "Digitale Verwaltung", "Umwelt und Klima"].map((name) => ({
    id: id("fld"),
    name,
  })),
};
const room = { id: id("rm"), name: "Plenum", kind: "plenary" };
const board = { id: id("bd"), title: event.title, seq: 0 };
const changes = []; // every change, in seq order (for board.sync)
const members = new Map(); // socket id → member
let joined = 0;

function failure(code, message) {
  return { ok: false, error: { code, message } };
}

function createIdea(member, payload) {
  if (!payload || payload.board_id !== board.id) return failure("not_found", "No such board.");
  const text = typeof payload.text === "string" ? payload.text.trim() : "";
  if (!text) return failure("invalid", "The text is empty.");
  if (!event.fields.some((f) => f.id === payload.field_id)) return failure("not_found", "No such field.");
  const at = now();
  const idea = {
    id: id("idea"),
    board_id: board.id,
    field_id: payload.field_id,
    title: typeof payload.title === "string" ? payload.title : "",
    text,
    tags: Array.isArray(payload.tags) ? payload.tags : [],
    colour: COLOURS.includes(payload.colour) ? payload.colour : null,
    position: "V",
    cluster_id: null,
    status: "visible",
    phase: "collect",
    merged_from: [],
    author: { id: member.id, pseudonym: member.pseudonym, colour: member.colour },
    reports: 0,
    reported_by_me: false,
    review: null,
    created_at: at,
    updated_at: at,
  };
  board.seq += 1;
  const change = {
    board_id: board.id,
    seq: board.seq,
    type: "idea.created",
    idea_id: idea.id,
    idea,
    ideas: null,
    cluster_id: null,
    cluster: null,
    comment_id: null,
    comment: null,
    comments: null,
    settings: null,
    session: null,
  };
  changes.push(change);
  return { ack: { ok: true, seq: board.seq, idea }, change };
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  } else {
    res.writeHead(404).end();
  }
});

const io = new Server(server, {
  transports: ["websocket"],
  perMessageDeflate: false, // socket.io 4's default, said out loud: a browser's offer is declined
  serveClient: false,
  cors: { origin: false },
});

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== "string" || !token) return next(new Error("unauthorized"));
  next();
});

io.on("connection", (socket) => {
  joined += 1;
  const member = {
    id: id("mb"),
    pseudonym: `Teilnehmer ${String(joined).padStart(5, "0")}`,
    colour: COLOURS[joined % COLOURS.length],
    role: "participant",
  };
  members.set(socket.id, member);
  socket.join(ROOM);

  socket.on("room.enter", (_payload, ack) => {
    if (typeof ack !== "function") return;
    ack({
      ok: true,
      me: member,
      event,
      room,
      presence: [...members.values()],
      boards: [{ id: board.id, title: board.title, seq: board.seq }],
    });
  });

  socket.on("board.idea.create", (payload, ack) => {
    const result = createIdea(member, payload);
    if (typeof ack === "function") ack(result.ack || result);
    if (result.change) io.to(ROOM).emit("board.changed", result.change);
  });

  socket.on("board.sync", (payload, ack) => {
    if (typeof ack !== "function") return;
    if (!payload || payload.board_id !== board.id) return ack(failure("not_found", "No such board."));
    const since = Number.isInteger(payload.since) ? payload.since : 0;
    ack({ ok: true, board_id: board.id, seq: board.seq, changes: changes.slice(since), snapshot: null });
  });

  socket.on("disconnect", () => members.delete(socket.id));
});

function stop() {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(PORT, HOST, () => {
  console.log(`listening on ${server.address().port}`);
});
