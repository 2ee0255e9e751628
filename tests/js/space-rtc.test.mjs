import assert from "node:assert/strict";
import { test } from "node:test";

import { isSignal, Mesh, plan } from "../../static/js/space-rtc.js";

const people = (...ids) => new Map(ids.map((id) => [id, {}]));
const model = (conversation, stage = [], everyone = ["a", "b", "c", "d"]) => ({
  conversation,
  onStage: () => new Set(stage),
  people: people(...everyone),
});

test("the plan: a conversation's members both ways, at most six; a stage sends to the room", () => {
  assert.deepEqual([...plan("a", model(null))], []);
  const table = { id: "c1", kind: "table", zone_id: "z1", members: ["a", "c", "b"], locked: false };
  assert.deepEqual([...plan("a", model(table))], [["b", "both"], ["c", "both"]]);
  const big = { ...table, members: ["a", "b", "c", "d", "e", "f", "g", "h"] };
  assert.equal(plan("a", model(big)).size, 5);
  assert.deepEqual([...plan("d", model(null, ["a", "b"]))], [["a", "receive"], ["b", "receive"]]);
  const stage = { id: "c2", kind: "stage", zone_id: "z3", members: ["a", "b"], locked: false };
  assert.deepEqual([...plan("a", model(stage, ["a", "b"]))], [["b", "both"], ["c", "send"], ["d", "send"]]);
});

class FakePC {
  static made = [];
  constructor(config) {
    this.config = config;
    this.transceivers = [];
    this.connectionState = "new";
    this.signalingState = "stable";
    this.remoteDescription = null;
    this.localDescription = null;
    this.closed = false;
    this.candidates = [];
    FakePC.made.push(this);
  }
  addTransceiver(kind, { direction }) {
    const t = { direction, receiver: { track: { kind } }, sender: { track: null, replaceTrack: async (tr) => (t.sender.track = tr) } };
    this.transceivers.push(t);
    return t;
  }
  getTransceivers() {
    return this.transceivers;
  }
  async createOffer() {
    return { type: "offer", sdp: "offer-sdp" };
  }
  async createAnswer() {
    return { type: "answer", sdp: "answer-sdp" };
  }
  async setLocalDescription(d) {
    this.localDescription = d;
    if (d.type === "offer") this.signalingState = "have-local-offer";
    else this.signalingState = "stable";
  }
  async setRemoteDescription(d) {
    this.remoteDescription = d;
    if (d.type === "offer") {
      this.addTransceiver("audio", { direction: "recvonly" });
      this.addTransceiver("video", { direction: "recvonly" });
    }
    this.signalingState = d.type === "offer" ? "have-remote-offer" : "stable";
  }
  async addIceCandidate(c) {
    this.candidates.push(c);
  }
  close() {
    this.closed = true;
    this.connectionState = "closed";
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function mesh(selfId, sent, media = async () => ({ getAudioTracks: () => [{ kind: "audio", stop() {} }], getVideoTracks: () => [] })) {
  return new Mesh({
    selfId,
    signal: (to, data) => sent.push([selfId, to, data]),
    createPeer: (config) => new FakePC(config),
    getMedia: media,
    iceServers: [{ urls: "stun:stun.example.org" }],
  });
}

test("the smaller id offers; the other answers; candidates wait for the description; leaving closes", async () => {
  const sent = [];
  const a = mesh("a", sent);
  const b = mesh("b", sent);
  b.update(new Map([["a", "both"]]));
  assert.equal(b.peers.size, 0, "b waits for a's offer");
  a.update(new Map([["b", "both"]]));
  await tick();
  const [from, to, offer] = sent.shift();
  assert.deepEqual([from, to, offer.type], ["a", "b", "offer"]);
  assert.deepEqual(a.peers.get("b").pc.config.iceServers, [{ urls: "stun:stun.example.org" }]);
  await b.receive({ from: "a", data: { type: "candidate", candidate: { candidate: "early" } } }); // no peer yet: ignored
  await b.receive({ from: "a", data: offer });
  const [, , answer] = sent.shift();
  assert.equal(answer.type, "answer");
  assert.deepEqual(b.peers.get("a").pc.transceivers.map((t) => t.direction), ["sendrecv", "sendrecv"]);
  await a.receive({ from: "b", data: answer });
  assert.equal(a.peers.get("b").pc.remoteDescription.sdp, "answer-sdp");
  await a.receive({ from: "b", data: { type: "candidate", candidate: { candidate: "c1" } } });
  assert.deepEqual(a.peers.get("b").pc.candidates, [{ candidate: "c1" }]);
  const pc = a.peers.get("b").pc;
  a.update(new Map());
  assert.ok(pc.closed);
  assert.equal(a.view().size, 0);
});

test("malformed signals and offers out of turn change nothing", async () => {
  const sent = [];
  const a = mesh("a", sent);
  a.update(new Map([["b", "both"]]));
  await tick();
  const pc = a.peers.get("b").pc;
  for (const bad of [null, "x", { type: "rollback", sdp: "" }, { type: "offer" }, { type: "candidate", candidate: null }]) {
    await a.receive({ from: "b", data: bad });
  }
  await a.receive({ from: "b", data: { type: "offer", sdp: "x" } });
  assert.equal(a.peers.get("b").pc, pc);
  assert.ok(!isSignal({ type: "offer", sdp: 3 }));
  await a.receive({ from: "b", data: { type: "bye" } });
  assert.ok(pc.closed, "bye hangs up");
});

test("microphone on and off replaces the track sent; denied or missing devices say so", async () => {
  const sent = [];
  const a = mesh("a", sent);
  a.update(new Map([["b", "both"], ["c", "receive"]]));
  assert.equal(await a.setMedia("audio", true), "");
  const [audio] = a.peers.get("b").pc.transceivers;
  assert.equal(audio.sender.track.kind, "audio");
  assert.equal(await a.setMedia("audio", false), "");
  assert.equal(audio.sender.track, null);
  assert.equal(await a.setMedia("video", true), "media_missing");
  const denied = mesh("a", sent, async () => {
    throw Object.assign(new Error("no"), { name: "NotAllowedError" });
  });
  assert.equal(await denied.setMedia("video", true), "media_denied");
});

test("a failed connection is offered again, twice at most, by the offerer only", async () => {
  const sent = [];
  const a = mesh("a", sent);
  a.update(new Map([["b", "both"]]));
  await tick();
  for (let i = 0; i < 3; i++) {
    const pc = a.peers.get("b")?.pc;
    assert.ok(pc, `attempt ${i}`);
    pc.connectionState = "failed";
    pc.onconnectionstatechange();
    await tick();
  }
  assert.equal(a.peers.get("b").pc.connectionState, "failed", "after two retries it stays failed (its tile says so)");
  assert.equal(sent.filter(([, , d]) => d.type === "offer").length, 3);
  const b = mesh("b", sent);
  await b.receive({ from: "a", data: { type: "offer", sdp: "x" } });
  const pc = b.peers.get("a").pc;
  pc.connectionState = "failed";
  pc.onconnectionstatechange();
  assert.equal(b.peers.get("a").pc, pc, "the answerer waits for a new offer");
});
