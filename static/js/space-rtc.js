// @ts-check
/**
 * Audio and video of one's conversation: a WebRTC mesh, peer to peer (docs/space.md). The
 * members of a conversation (at most 6) connect to each other; the member with the smaller id
 * makes the offer, so two never offer at once. A stage is one-to-many: who stands on it sends
 * to everyone in the room, who only receives. Offers, answers and ICE candidates go through
 * the server (`rtc.signal`), which relays them only inside a conversation (or from a stage).
 *
 * Every connection carries one audio and one video transceiver from the start; turning the
 * microphone or the camera on or off only replaces the track sent, so nothing is negotiated
 * again. Without a camera, or when the browser's permission is denied, the conversation goes
 * on in text (bubble chat). The browser objects are injected, so the logic runs under Node.
 */

import { MEDIA_MAX } from "./space-model.js";

/** @typedef {"both" | "send" | "receive"} Mode  what this page does with a peer's media */
/**
 * What `rtc.signal` carries as `data` (`server/protocol/space.py` `RtcData`).
 *
 * @typedef {{type: "offer" | "answer", sdp: string} | {type: "candidate", candidate: RTCIceCandidateInit} | {type: "bye"}} Signal
 */
/** @typedef {{state: string, stream: MediaStream | null, mode: Mode}} PeerView */

/** How often the offerer opens a failed connection again before it leaves it closed. */
export const RETRIES = 2;

/**
 * Who this page connects to, and how.
 *
 * @param {string} selfId
 * @param {{conversation: import("./space-model.js").Conversation | null, onStage: () => Set<string>,
 *   people: Map<string, unknown>}} model
 * @returns {Map<string, Mode>}
 */
export function plan(selfId, model) {
  /** @type {Map<string, Mode>} */
  const out = new Map();
  const conversation = model.conversation;
  const stage = model.onStage();
  if (conversation && conversation.kind === "stage") {
    for (const id of [...model.people.keys()].sort()) {
      if (id === selfId) continue;
      out.set(id, conversation.members.includes(id) ? "both" : "send");
    }
    return out;
  }
  if (conversation) {
    const others = conversation.members.filter((id) => id !== selfId).sort();
    for (const id of others.slice(0, MEDIA_MAX - 1)) out.set(id, "both");
  }
  for (const id of [...stage].sort()) if (id !== selfId && !out.has(id)) out.set(id, "receive");
  return out;
}

/**
 * @param {Mode} mode
 * @returns {RTCRtpTransceiverDirection}
 */
export function direction(mode) {
  return mode === "both" ? "sendrecv" : mode === "send" ? "sendonly" : "recvonly";
}

/**
 * Whether a signal's payload has the shape this module sends.
 *
 * @param {unknown} data
 * @returns {data is Signal}
 */
export function isSignal(data) {
  if (!data || typeof data !== "object") return false;
  const d = /** @type {any} */ (data);
  if (d.type === "offer" || d.type === "answer") return typeof d.sdp === "string";
  if (d.type === "candidate") return !!d.candidate && typeof d.candidate === "object" && typeof d.candidate.candidate === "string";
  return d.type === "bye";
}

class Peer {
  /**
   * @param {RTCPeerConnection} pc
   * @param {Mode} mode
   * @param {boolean} offerer
   */
  constructor(pc, mode, offerer) {
    this.pc = pc;
    this.mode = mode;
    this.offerer = offerer;
    /** @type {RTCIceCandidateInit[]} candidates that came before the remote description */
    this.early = [];
    /** @type {MediaStream | null} */
    this.stream = null;
    this.retries = 0;
  }
}

export class Mesh {
  /**
   * @param {{
   *   selfId: string,
   *   signal: (to: string, data: Signal) => void,
   *   createPeer: (config: RTCConfiguration) => RTCPeerConnection,
   *   getMedia: (constraints: MediaStreamConstraints) => Promise<MediaStream>,
   *   newStream?: () => MediaStream | null,
   *   onChange?: () => void,
   *   iceServers?: RTCIceServer[],
   * }} options
   */
  constructor({ selfId, signal, createPeer, getMedia, newStream = () => null, onChange = () => {}, iceServers = [] }) {
    this.selfId = selfId;
    this.signal = signal;
    this.createPeer = createPeer;
    this.getMedia = getMedia;
    this.newStream = newStream;
    this.onChange = onChange;
    this.iceServers = iceServers;
    /** @type {Map<string, Peer>} */
    this.peers = new Map();
    /** @type {Map<string, Mode>} */
    this.wanted = new Map();
    /** @type {MediaStreamTrack | null} */
    this.audio = null;
    /** @type {MediaStreamTrack | null} */
    this.video = null;
  }

  /** @param {RTCIceServer[]} servers */
  setIceServers(servers) {
    this.iceServers = servers;
  }

  /**
   * Connect to the peers in `wanted` (their modes), close the others.
   *
   * @param {Map<string, Mode>} wanted
   */
  update(wanted) {
    this.wanted = wanted;
    for (const [id, peer] of [...this.peers]) {
      const mode = wanted.get(id);
      if (mode === undefined || mode !== peer.mode) this.drop(id);
    }
    for (const [id, mode] of wanted) {
      if (this.peers.has(id)) continue;
      if (this.selfId < id) this.open(id, mode, true);
    }
    this.onChange();
  }

  /**
   * @param {string} id
   * @param {Mode} mode
   * @param {boolean} offerer
   * @returns {Peer}
   */
  open(id, mode, offerer) {
    const pc = this.createPeer({ iceServers: this.iceServers });
    const peer = new Peer(pc, mode, offerer);
    this.peers.set(id, peer);
    pc.onicecandidate = (event) => {
      if (this.peers.get(id) !== peer || !event.candidate || !event.candidate.candidate) return;
      const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = event.candidate.toJSON();
      /** @type {RTCIceCandidateInit} */
      const init = { candidate: candidate ?? "" };
      if (typeof sdpMid === "string") init.sdpMid = sdpMid;
      if (typeof sdpMLineIndex === "number") init.sdpMLineIndex = sdpMLineIndex;
      if (typeof usernameFragment === "string") init.usernameFragment = usernameFragment;
      this.signal(id, { type: "candidate", candidate: init });
    };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(id) !== peer) return;
      // the offerer tries again once a connection failed (a network change, a lost candidate)
      if (pc.connectionState === "failed" && offerer && peer.retries < RETRIES) {
        const mode = peer.mode;
        const retries = peer.retries + 1;
        this.drop(id);
        const again = this.open(id, mode, true);
        again.retries = retries;
      }
      this.onChange();
    };
    pc.ontrack = (event) => {
      if (this.peers.get(id) !== peer) return;
      if (!peer.stream) peer.stream = event.streams[0] ?? this.newStream();
      if (peer.stream && !peer.stream.getTracks().includes(event.track)) peer.stream.addTrack(event.track);
      this.onChange();
    };
    if (offerer) {
      const dir = direction(mode);
      const audio = pc.addTransceiver("audio", { direction: dir });
      const video = pc.addTransceiver("video", { direction: dir });
      if (mode !== "receive") {
        audio.sender.replaceTrack(this.audio).catch(() => {});
        video.sender.replaceTrack(this.video).catch(() => {});
      }
      this.offer(id, peer).catch(() => this.failed(id, peer));
    }
    return peer;
  }

  /**
   * @param {string} id
   * @param {Peer} peer
   */
  async offer(id, peer) {
    const offer = await peer.pc.createOffer();
    if (this.peers.get(id) !== peer) return;
    await peer.pc.setLocalDescription(offer);
    const local = peer.pc.localDescription;
    if (local && this.peers.get(id) === peer) {
      this.signal(id, { type: "offer", sdp: local.sdp });
    }
  }

  /**
   * `rtc.signal` from the server: `{from, data}`.
   *
   * @param {unknown} message
   */
  async receive(message) {
    const m = /** @type {any} */ (message);
    const from = m?.from;
    const data = m?.data;
    if (typeof from !== "string" || from === this.selfId || !isSignal(data)) return;
    let peer = this.peers.get(from);
    try {
      if (data.type === "offer") {
        if (peer && peer.offerer) return; // we offer to them; an offer from them is out of turn
        if (peer) this.drop(from); // a new offer: they started afresh
        // The server relays only inside a conversation; our `conversation.changed` may come after.
        const mode = this.wanted.get(from) ?? "both";
        peer = this.open(from, mode, false);
        await peer.pc.setRemoteDescription({ type: "offer", sdp: data.sdp });
        if (this.peers.get(from) !== peer) return;
        for (const transceiver of peer.pc.getTransceivers()) {
          transceiver.direction = direction(mode);
          const kind = transceiver.receiver.track?.kind;
          if (mode !== "receive") {
            await transceiver.sender.replaceTrack(kind === "audio" ? this.audio : kind === "video" ? this.video : null);
          }
        }
        await this.flushEarly(peer);
        const answer = await peer.pc.createAnswer();
        await peer.pc.setLocalDescription(answer);
        const local = peer.pc.localDescription;
        if (local && this.peers.get(from) === peer) this.signal(from, { type: "answer", sdp: local.sdp });
        this.onChange();
      } else if (data.type === "answer") {
        if (!peer || !peer.offerer || peer.pc.signalingState !== "have-local-offer") return;
        await peer.pc.setRemoteDescription({ type: "answer", sdp: data.sdp });
        await this.flushEarly(peer);
      } else if (data.type === "candidate" && peer) {
        if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(data.candidate);
        else peer.early.push(data.candidate);
      } else if (data.type === "bye" && peer) {
        this.drop(from); // they hung up
        this.onChange();
      }
    } catch {
      if (peer) this.failed(from, peer);
    }
  }

  /** @param {Peer} peer */
  async flushEarly(peer) {
    const early = peer.early;
    peer.early = [];
    for (const candidate of early) await peer.pc.addIceCandidate(candidate).catch(() => {});
  }

  /**
   * A connection that could not be set up: closed (the next change of the conversation opens it again).
   *
   * @param {string} id
   * @param {Peer} peer
   */
  failed(id, peer) {
    if (this.peers.get(id) !== peer) return;
    this.drop(id);
    this.onChange();
  }

  /** @param {string} id */
  drop(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.pc.onicecandidate = null;
    peer.pc.ontrack = null;
    peer.pc.onconnectionstatechange = null;
    peer.pc.close();
  }

  /** Close every connection and stop the microphone and camera (a new room, the page goes). */
  close() {
    for (const id of [...this.peers.keys()]) this.drop(id);
    this.wanted = new Map();
    this.audio?.stop();
    this.video?.stop();
    this.audio = null;
    this.video = null;
    this.onChange();
  }

  /**
   * Turn the microphone or the camera on or off. Resolves to "" when it worked, else
   * `media_denied` (the browser's permission) or `media_missing` (no such device).
   *
   * @param {"audio" | "video"} kind
   * @param {boolean} on
   * @returns {Promise<string>}
   */
  async setMedia(kind, on) {
    const current = kind === "audio" ? this.audio : this.video;
    if (on && current) return "";
    if (!on) {
      current?.stop();
      this.setTrack(kind, null);
      return "";
    }
    try {
      const stream = await this.getMedia(kind === "audio" ? { audio: true } : { video: { width: 320, height: 240 } });
      const track = (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks())[0];
      if (!track) return "media_missing";
      this.setTrack(kind, track);
      return "";
    } catch (err) {
      const name = /** @type {{name?: string}} */ (err)?.name;
      return name === "NotAllowedError" || name === "SecurityError" ? "media_denied" : "media_missing";
    }
  }

  /**
   * @param {"audio" | "video"} kind
   * @param {MediaStreamTrack | null} track
   */
  setTrack(kind, track) {
    if (kind === "audio") this.audio = track;
    else this.video = track;
    for (const peer of this.peers.values()) {
      if (peer.mode === "receive") continue;
      for (const transceiver of peer.pc.getTransceivers()) {
        if (transceiver.receiver.track?.kind === kind) transceiver.sender.replaceTrack(track).catch(() => {});
      }
    }
    this.onChange();
  }

  /** @returns {Map<string, PeerView>} every connection: its state and what it receives */
  view() {
    /** @type {Map<string, PeerView>} */
    const out = new Map();
    for (const [id, peer] of this.peers) {
      out.set(id, { state: peer.pc.connectionState, stream: peer.stream, mode: peer.mode });
    }
    return out;
  }
}
