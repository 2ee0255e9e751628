// @ts-check
/**
 * The room page's space section (docs/space.md): enters the room's space after every
 * (re)connect and room change, keeps the model (space-model.js) up to date from the server's
 * events, and shows it two ways — the map (space-view.js) and the list (space-list.js) — with
 * one's conversation beside both: its members, audio and video (space-rtc.js), microphone,
 * camera, lock and status, and the bubble chat. Joins and leaves of one's conversation are
 * announced through the page's live region.
 *
 * The list view can be made the default; the choice is kept in the browser (localStorage).
 */

import { initial, swatchClass } from "./colours.js";
import { byId, h, showError } from "./dom.js";
import { errorMessage } from "./i18n.js";
import { CLIENT_EVENTS, SERVER_EVENTS } from "./protocol.js";
import { MapPainter } from "./space-map.js";
import { locateSentence, SpaceModel, STATUSES, zoneName } from "./space-model.js";
import { SpaceList } from "./space-list.js";
import { isDirection } from "./space-motion.js";
import { Mesh, plan } from "./space-rtc.js";
import { SpaceView } from "./space-view.js";

/** @typedef {import("./connection.js").Ack} Ack */
/** @typedef {import("./space-motion.js").Position} Position */
/** @typedef {import("./i18n.js").Translate} Translate */

export const VIEW_KEY = "werkstatt.space.view";
const ANNOUNCE_BY_NAME = 3;
const CHAT_KEEP = 100;

/**
 * @param {unknown} value
 * @returns {Position | null}
 */
export function readPosition(value) {
  const p = /** @type {any} */ (value);
  if (!p || typeof p.x !== "number" || typeof p.y !== "number") return null;
  return { x: p.x, y: p.y, dir: isDirection(p.dir) ? p.dir : "down", moving: p.moving === true };
}

/** @returns {Storage | null} */
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export class SpaceSection {
  /**
   * @param {Translate} t
   * @param {{
   *   request: (event: string, payload: Record<string, unknown>) => Promise<Ack>,
   *   emit: (event: string, payload: Record<string, unknown>) => void,
   *   say: (message: string) => void,
   *   openBoard: (title: string | null) => void,
   * }} hooks
   */
  constructor(t, hooks) {
    this.t = t;
    this.hooks = hooks;
    this.root = byId("space");
    this.listRoot = byId("space-list");
    this.listPanel = byId("space-list-panel");
    this.mapPanel = byId("space-map-panel");
    this.showList = byId("space-show-list");
    this.showMap = byId("space-show-map");
    this.listDefault = /** @type {HTMLInputElement} */ (byId("space-list-default", HTMLInputElement));
    this.error = byId("space-error");
    this.convSummary = byId("space-conversation-summary");
    this.convMembers = byId("space-conversation-members");
    this.mic = byId("space-mic");
    this.camera = byId("space-camera");
    this.lock = byId("space-lock");
    this.mediaError = byId("space-media-error");
    this.media = byId("space-media");
    this.stageLine = byId("space-stage-line");
    this.statusSelect = /** @type {HTMLSelectElement} */ (byId("space-status", HTMLSelectElement));
    this.chatLog = byId("space-chat-log");
    this.chatForm = /** @type {HTMLFormElement} */ (byId("space-chat-form", HTMLFormElement));
    this.chatText = /** @type {HTMLInputElement} */ (byId("space-chat-text", HTMLInputElement));
    this.chatError = byId("space-chat-error");
    this.model = new SpaceModel();
    this.list = new SpaceList(this.listRoot, t, {
      goto: (target, label) => this.goto(target, label),
      follow: (memberId) => this.follow(memberId),
      locate: (memberId) => this.locate(memberId),
    });
    /** @type {string | null} the board wall this member stands at */
    this.boardZone = null;
    /** @type {Map<string, string>} CSS colour of each avatar colour name */
    this.colours = new Map();
    this.view = new SpaceView(byId("space-stage"), /** @type {HTMLCanvasElement} */ (byId("space-canvas", HTMLCanvasElement)), t, {
      move: (pos) => this.walked(pos),
      colourOf: (name) => this.colourOf(name),
    });
    /** @type {Mesh | null} */
    this.mesh = null;
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** @type {string | null} the map's URL shown */
    this.mapUrl = null;
    /** @type {MapPainter | null} */
    this.painter = null;
    /** @type {Array<{id: string, pseudonym: string, colour: string}>} the room's presence */
    this.presence = [];
    this.entered = false;
    /** @type {Map<string, HTMLElement>} video tiles by member */
    this.tiles = new Map();
    this.renderQueued = false;

    const stored = storage()?.getItem(VIEW_KEY);
    this.listDefault.checked = stored === "list";
    this.setView(stored === "list" ? "list" : "map");
    this.showList.addEventListener("click", () => this.setView("list", true));
    this.showMap.addEventListener("click", () => this.setView("map", true));
    byId("space-to-list").addEventListener("click", () => this.setView("list", true));
    this.listDefault.addEventListener("change", () => {
      const store = storage();
      if (this.listDefault.checked) store?.setItem(VIEW_KEY, "list");
      else store?.removeItem(VIEW_KEY);
    });
    this.mic.addEventListener("click", () => this.toggleMedia("audio"));
    this.camera.addEventListener("click", () => this.toggleMedia("video"));
    this.lock.addEventListener("click", () => this.toggleLock());
    this.statusSelect.addEventListener("change", () => this.setStatus(this.statusSelect.value));
    this.chatForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendChat();
    });
  }

  /** @param {import("./connection.js").Connection} connection */
  listen(connection) {
    connection.on(SERVER_EVENTS.spaceSettings, (data) => {
      if (Array.isArray(data?.ice_servers)) this.setIceServers(data.ice_servers);
    });
    connection.on(SERVER_EVENTS.spaceMoves, (data) => {
      if (!this.entered) return;
      this.view.moved(this.model.applyMoves(data?.moves));
    });
    connection.on(SERVER_EVENTS.spaceGone, (data) => {
      if (!this.entered) return;
      this.view.gone(this.model.applyGone(data));
    });
    connection.on(SERVER_EVENTS.spaceCorrected, (data) => {
      const pos = readPosition(data);
      if (pos && this.entered) this.placed(pos);
    });
    connection.on(SERVER_EVENTS.spaceZones, (data) => {
      if (!this.entered) return;
      this.model.applyZones(data);
      this.updateMesh();
      this.queueRender();
    });
    connection.on(SERVER_EVENTS.spaceStatus, (data) => {
      if (this.entered && this.model.applyStatus(data)) this.queueRender();
    });
    connection.on(SERVER_EVENTS.spaceUnfollowed, (data) => {
      if (this.entered) this.unfollowed(data);
    });
    connection.on(SERVER_EVENTS.conversationChanged, (data) => {
      if (this.entered) this.conversationChanged(data?.conversation ?? null);
    });
    connection.on(SERVER_EVENTS.bubbleMessage, (data) => this.message(data));
    connection.on(SERVER_EVENTS.rtcSignal, (data) => this.mesh?.receive(data));
  }

  /**
   * The STUN/TURN servers (`space.settings`' `ice_servers`) for the connections opened from now on.
   *
   * @param {any[]} servers
   */
  setIceServers(servers) {
    this.iceServers = servers
      .filter((s) => typeof s?.urls === "string" || Array.isArray(s?.urls))
      .map((s) => {
        /** @type {RTCIceServer} */
        const server = { urls: s.urls };
        if (typeof s.username === "string") server.username = s.username;
        if (typeof s.credential === "string") server.credential = s.credential;
        return server;
      });
    this.mesh?.setIceServers(this.iceServers);
  }

  /**
   * The room's presence changed (or the page entered a room): names and colours.
   *
   * @param {Array<{id: string, pseudonym: string, colour: string}>} members
   */
  present(members) {
    this.presence = members;
    if (!this.entered) return;
    this.model.present(members);
    this.updateMesh();
    this.queueRender();
  }

  /**
   * Enter the room's space (after `room.enter` and `room.moved`). A server without the space, or
   * a map that does not load, leaves the section hidden; the rest of the page works on.
   *
   * @param {string} selfId
   */
  async enter(selfId) {
    this.entered = false;
    const ack = await this.hooks.request(CLIENT_EVENTS.spaceEnter, {});
    if (!ack.ok) {
      this.root.hidden = true;
      return;
    }
    try {
      if (ack.map_url !== this.mapUrl || !this.painter) {
        this.painter = await MapPainter.load(String(ack.map_url));
        this.mapUrl = String(ack.map_url);
      }
    } catch {
      this.root.hidden = true;
      return;
    }
    if (Array.isArray(ack.ice_servers)) this.setIceServers(ack.ice_servers);
    const me = ack.me;
    this.model.reset(
      selfId,
      {
        people: Array.isArray(ack.avatars) ? ack.avatars : [],
        zones: ack.zones,
        conversation: null,
        following: ack.following,
      },
      this.painter.map.zones,
    );
    this.model.present(this.presence);
    const pos = readPosition(me) ?? { x: 16, y: 16, dir: "down", moving: false };
    this.view.reset(this.painter, this.model, pos);
    this.boardZone = this.model.zonesAt(pos.x, pos.y).find((z) => z.kind === "board")?.id ?? null;
    this.mesh?.close();
    this.mesh = new Mesh({
      selfId,
      iceServers: this.iceServers,
      signal: (to, data) => void this.hooks.request(CLIENT_EVENTS.rtcSignal, { to, data }),
      createPeer: (config) => new RTCPeerConnection(config),
      getMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
      newStream: () => new MediaStream(),
      onChange: () => this.renderMedia(),
    });
    this.mic.setAttribute("aria-pressed", "false");
    this.camera.setAttribute("aria-pressed", "false");
    this.entered = true;
    this.root.dataset.self = selfId; // which avatar is this page's (the browser tests read it)
    this.root.hidden = false;
    this.view.show(!this.mapPanel.hidden);
    this.chatLog.replaceChildren();
    this.conversationChanged(ack.conversation ?? null, true);
  }

  /** The page leaves the space (the connection dropped): hang up. */
  left() {
    this.entered = false;
    this.mesh?.close();
  }

  /**
   * @param {"list" | "map"} which
   * @param {boolean} [focus]
   */
  setView(which, focus = false) {
    const list = which === "list";
    this.listPanel.hidden = !list;
    this.mapPanel.hidden = list;
    this.showList.setAttribute("aria-pressed", String(list));
    this.showMap.setAttribute("aria-pressed", String(!list));
    this.view.show(!list && this.entered);
    if (focus) (list ? byId("space-list-heading") : byId("space-stage")).focus();
  }

  /** @param {string} name */
  colourOf(name) {
    let colour = this.colours.get(name);
    if (!colour) {
      const probe = h("span", { class: swatchClass(name), hidden: true });
      document.body.append(probe);
      colour = getComputedStyle(probe).backgroundColor || "#4f5661";
      probe.remove();
      this.colours.set(name, colour);
    }
    return colour;
  }

  /**
   * @param {import("./space-list.js").Target} target
   * @param {string} label
   */
  async goto(target, label) {
    showError(this.error, null, "");
    const ack = await this.hooks.request(CLIENT_EVENTS.spaceGoto, target);
    if (!ack.ok) {
      showError(this.error, null, errorMessage(this.t, ack.error));
      return;
    }
    const pos = readPosition(ack.position);
    if (pos) this.placed(pos);
    this.hooks.say(this.t("space.announce.went", { name: label }));
  }

  /**
   * Follow someone (their id), or stop (null).
   *
   * @param {string | null} memberId
   */
  async follow(memberId) {
    showError(this.error, null, "");
    const ack = await this.hooks.request(CLIENT_EVENTS.spaceFollow, { member_id: memberId });
    if (!ack.ok) {
      showError(this.error, null, errorMessage(this.t, ack.error));
      return;
    }
    this.model.following = typeof ack.following === "string" ? ack.following : null;
    const pos = readPosition(ack.position);
    if (pos) this.placed(pos);
    this.hooks.say(
      this.model.following
        ? this.t("space.announce.following", { name: this.model.name(this.model.following) })
        : this.t("space.announce.not_following"),
    );
    this.queueRender();
  }

  /**
   * "Show" someone (their id): the map centres on them and rings their avatar for a few seconds
   * (the view shown stays), and the live region says where they are and how far.
   *
   * @param {string} memberId
   */
  async locate(memberId) {
    showError(this.error, null, "");
    const ack = await this.hooks.request(CLIENT_EVENTS.spaceLocate, { member_id: memberId });
    if (!ack.ok) {
      showError(this.error, null, errorMessage(this.t, ack.error));
      return;
    }
    const at = readPosition(ack.position);
    const from = this.view.pos;
    if (!at || !from || !this.entered) return;
    this.view.locate(memberId, at);
    this.hooks.say(locateSentence(this.model.name(memberId), at, from, this.model.zones, this.t));
  }

  /**
   * Following ended (`space.unfollowed`): whom we followed left the room's space, or we walked on our
   * own in another tab. The follow button goes up.
   *
   * @param {any} data
   */
  unfollowed(data) {
    const leader = typeof data?.member_id === "string" ? data.member_id : null;
    if (!leader || this.model.following !== leader) return;
    this.model.following = null;
    const name = data.reason === "left" ? this.model.people.get(leader)?.pseudonym : undefined;
    this.hooks.say(name ? this.t("space.announce.follow_ended", { name }) : this.t("space.announce.not_following"));
    this.queueRender();
  }

  /**
   * The page walked us (keys or a click): the position goes out; walking ends following.
   *
   * @param {Position} pos
   */
  walked(pos) {
    this.hooks.emit(CLIENT_EVENTS.spaceMove, { x: pos.x, y: pos.y, dir: pos.dir, moving: pos.moving });
    if (this.model.following && pos.moving) {
      this.model.following = null;
      this.queueRender();
    }
    this.arrivedAt(pos);
  }

  /**
   * The server placed us (`space.goto`, `space.follow`, `space.corrected`).
   *
   * @param {Position} pos
   */
  placed(pos) {
    this.view.placed(pos);
    this.arrivedAt(pos);
  }

  /**
   * Walking up to a board wall opens its board (docs/space.md).
   *
   * @param {Position} pos
   */
  arrivedAt(pos) {
    const wall = this.model.zonesAt(pos.x, pos.y).find((z) => z.kind === "board") ?? null;
    if ((wall?.id ?? null) === this.boardZone) return;
    this.boardZone = wall?.id ?? null;
    if (wall) this.hooks.openBoard(wall.board);
  }

  /**
   * @param {unknown} data
   * @param {boolean} [entering]
   */
  conversationChanged(data, entering = false) {
    const diff = this.model.setConversation(data);
    const t = this.t;
    const name = (/** @type {string} */ id) => this.model.name(id);
    if (!entering || diff.after) {
      if (diff.after && (!diff.before || diff.before.id !== diff.after.id)) {
        const others = this.model.partners().map(name);
        const place = this.conversationPlace(diff.after);
        this.hooks.say(
          others.length > 0
            ? t("space.announce.entered", { place, names: others.join(", ") })
            : t("space.conversation_alone", { place }),
        );
      } else if (!diff.after && diff.before) {
        this.hooks.say(t("space.announce.left_conversation"));
      } else {
        if (diff.joined.length > ANNOUNCE_BY_NAME) this.hooks.say(t("space.announce.joined_many", { count: diff.joined.length }));
        else for (const id of diff.joined) this.hooks.say(t("space.announce.joined", { name: name(id) }));
        if (diff.left.length > ANNOUNCE_BY_NAME) this.hooks.say(t("space.announce.left_many", { count: diff.left.length }));
        else for (const id of diff.left) this.hooks.say(t("space.announce.left", { name: name(id) }));
        if (diff.before && diff.after && diff.before.locked !== diff.after.locked) {
          this.hooks.say(t(diff.after.locked ? "space.announce.locked" : "space.announce.unlocked"));
        }
      }
    }
    if (diff.before?.id !== diff.after?.id) this.chatLog.replaceChildren();
    this.updateMesh();
    this.queueRender();
  }

  /**
   * "at table 1", "in a bubble", … for the announcements and the summary.
   *
   * @param {import("./space-model.js").Conversation} conversation
   */
  conversationPlace(conversation) {
    const zone = this.model.zones.find((z) => z.id === conversation.zone_id);
    if (conversation.kind === "bubble" || !zone) return this.t("space.place.bubble");
    return this.t(`space.place.${conversation.kind}`, { name: zoneName(zone, this.model.zones, this.t) });
  }

  updateMesh() {
    if (!this.mesh || !this.model.selfId) return;
    this.mesh.update(plan(this.model.selfId, this.model));
  }

  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render() {
    const t = this.t;
    this.list.render(this.model);
    this.view.wake();
    const conversation = this.model.conversation;
    const partners = this.model.partners();
    if (!conversation) {
      this.convSummary.textContent = t("space.no_conversation");
    } else {
      const place = this.conversationPlace(conversation);
      this.convSummary.textContent =
        partners.length === 0
          ? t("space.conversation_alone", { place })
          : t("space.conversation_summary", { place, count: partners.length });
    }
    this.convMembers.replaceChildren(
      ...partners.map((id) =>
        h("li", { "data-member": id }, h("span", { class: "member-name", text: this.model.name(id) })),
      ),
    );
    this.convMembers.hidden = partners.length === 0;
    const bubble = conversation?.kind === "bubble";
    this.lock.hidden = !bubble;
    this.lock.setAttribute("aria-pressed", String(bubble && conversation.locked));
    this.lock.textContent = t(bubble && conversation.locked ? "space.unlock" : "space.lock");
    this.chatForm.hidden = !conversation;
    const self = this.model.self;
    if (self && this.statusSelect.value !== self.status) this.statusSelect.value = self.status;
    // a stage one is not on: the room hears it
    const onStage = [...this.model.onStage()].filter((id) => id !== this.model.selfId && !partners.includes(id));
    this.stageLine.hidden = onStage.length === 0 || conversation?.kind === "stage";
    this.stageLine.textContent = this.stageLine.hidden
      ? ""
      : t("space.from_stage", { names: onStage.map((id) => this.model.name(id)).join(", ") });
    this.renderMedia();
  }

  /** The video tiles: one per connection, with its state as a data attribute (the tests read it). */
  renderMedia() {
    const mesh = this.mesh;
    const views = mesh ? mesh.view() : new Map();
    for (const [id, tile] of [...this.tiles]) {
      if (!views.has(id)) {
        tile.remove();
        this.tiles.delete(id);
      }
    }
    for (const [id, peer] of views) {
      let tile = this.tiles.get(id);
      if (!tile) {
        const video = h("video", { autoplay: true, playsinline: true, "aria-hidden": "true" });
        const person = this.model.person(id);
        tile = h(
          "figure",
          { class: "space-tile", "data-peer": id },
          h("span", {
            class: "space-tile-initial",
            "aria-hidden": "true",
            text: initial(person?.pseudonym || "?"),
          }),
          video,
          h("figcaption", { text: this.model.name(id) }),
        );
        this.media.append(tile);
        this.tiles.set(id, tile);
      }
      tile.dataset.state = peer.state;
      tile.dataset.mode = peer.mode;
      const video = /** @type {HTMLVideoElement} */ (tile.querySelector("video"));
      if (peer.stream && video.srcObject !== peer.stream) video.srcObject = peer.stream;
      const caption = tile.querySelector("figcaption");
      if (caption) caption.textContent = this.model.name(id);
    }
    this.media.hidden = this.tiles.size === 0;
  }

  /** @param {"audio" | "video"} kind */
  async toggleMedia(kind) {
    const button = kind === "audio" ? this.mic : this.camera;
    const on = button.getAttribute("aria-pressed") !== "true";
    showError(this.mediaError, null, "");
    const code = (await this.mesh?.setMedia(kind, on)) ?? "offline";
    if (code) {
      showError(this.mediaError, null, this.t(`space.${code}`));
      button.setAttribute("aria-pressed", "false");
      return;
    }
    button.setAttribute("aria-pressed", String(on));
  }

  async toggleLock() {
    const locked = this.model.conversation?.locked !== true;
    const ack = await this.hooks.request(CLIENT_EVENTS.bubbleLock, { locked });
    if (!ack.ok) showError(this.error, null, errorMessage(this.t, ack.error));
    else if (ack.conversation !== undefined) this.conversationChanged(ack.conversation);
  }

  /** @param {string} status */
  async setStatus(status) {
    if (!STATUSES.includes(status)) return;
    const ack = await this.hooks.request(CLIENT_EVENTS.spaceStatus, { status });
    if (!ack.ok) {
      showError(this.error, this.statusSelect, errorMessage(this.t, ack.error));
      return;
    }
    showError(this.error, this.statusSelect, "");
    const self = this.model.self;
    if (self && STATUSES.includes(ack.status ?? status)) self.status = /** @type {any} */ (ack.status ?? status);
    this.queueRender();
  }

  async sendChat() {
    const text = this.chatText.value.trim();
    if (!text) {
      showError(this.chatError, this.chatText, this.t("space.chat_empty"));
      return;
    }
    const ack = await this.hooks.request(CLIENT_EVENTS.bubbleChat, { text });
    if (!ack.ok) {
      showError(this.chatError, this.chatText, errorMessage(this.t, ack.error));
      return;
    }
    showError(this.chatError, this.chatText, "");
    this.chatText.value = "";
  }

  /** @param {any} data  `bubble.message` */
  message(data) {
    if (!this.entered || typeof data?.text !== "string" || data.conversation_id !== this.model.conversation?.id) return;
    const author = typeof data.author?.pseudonym === "string" ? data.author.pseudonym : "?";
    const mine = data.author?.id === this.model.selfId;
    this.chatLog.append(
      h("li", { class: mine ? "mine" : undefined }, h("strong", { text: `${author}: ` }), h("span", { text: data.text })),
    );
    while (this.chatLog.children.length > CHAT_KEEP) this.chatLog.firstElementChild?.remove();
    this.chatLog.scrollTop = this.chatLog.scrollHeight;
    if (!mine) this.hooks.say(this.t("space.announce.message", { name: author, text: data.text }));
  }
}
