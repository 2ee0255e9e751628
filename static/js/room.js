// @ts-check
/**
 * The room page (`/e/<event_id>`): presence, the room's boards (tabs), the board shown
 * (phase, who looks at it, the facilitator's console, the vote and its results, the post
 * form, the selection for grouping) and the live updates. The page moves with its member
 * between the plenary and breakout rooms (`room.moved`); the breakout rounds themselves are
 * `breakouts.js`'s.
 *
 * State lives in the pure modules (board-state, board-layout, voting, abilities,
 * presence, outbox); the views (board-view, board-console, vote-view) turn it into DOM.
 * This module wires them to the connection. All user text goes in through `textContent`.
 */

import { io } from "../vendor/socket.io-client-4.8.4.esm.min.js";
import { abilities } from "./abilities.js";
import { Announcer } from "./announcer.js";
import { phaseHint } from "./board-hints.js";
import { BoardList } from "./board-list.js";
import { BoardConsole } from "./board-console.js";
import { placeOf, parseTags } from "./board-layout.js";
import { columnName, LiveBoard } from "./board-state.js";
import { WINDOW_CODES, windowLine, windowRefusal, windowShut } from "./board-window.js";
import { BoardView, clusterName } from "./board-view.js";
import { Breakouts } from "./breakouts.js";
import { initial, swatchClass } from "./colours.js";
import { Connection, renderState, TransportError } from "./connection.js";
import { byId, h, replaceKeepingFocus, showError } from "./dom.js";
import { Facilitation, showRemoved } from "./facilitation.js";
import { errorMessage, pageTranslator } from "./i18n.js";
import { browserStorage, forgetMembership, loadMembership } from "./membership.js";
import { PresenceList } from "./presence.js";
import { CLIENT_EVENTS, CONTRIBUTOR_ROLES, MODERATOR_ROLES, SERVER_EVENTS } from "./protocol.js";
import { SpaceSection } from "./space.js";
import { VoteView } from "./vote-view.js";
import { openSession, withDots, withProgress, withVoteState } from "./voting.js";

/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Applied} Applied */
/** @typedef {import("./board-state.js").Change} Change */
/** @typedef {import("./presence.js").Member} Member */
/** @typedef {import("./connection.js").Ack} Ack */
/** @typedef {{member_id: string, pseudonym: string, editing: string | null}} Viewer */
/** @typedef {{id: string, name: string, kind: string}} Room */
/**
 * What `room.enter` and `room.moved` tell of a room.
 *
 * @typedef {{room: Room, presence: Member[], boards: import("./board-list.js").BoardSummary[],
 *   presented?: string | null}} RoomView
 */

const t = pageTranslator(document);
const ANNOUNCE_BY_NAME = 3; // more arrivals (or departures) at once are announced as a count

class RoomPage {
  /** @param {string} eventId */
  constructor(eventId) {
    this.eventId = eventId;
    this.status = byId("conn-status");
    this.heading = byId("room-heading");
    this.roomName = byId("room-name");
    // The page's title is "<room> – <event> – werkstatt"; the room part follows the page's room.
    const initialRoom = `${this.roomName.textContent} – `;
    this.eventTitle = document.title.startsWith(initialRoom) ? document.title.slice(initialRoom.length) : document.title;
    this.noToken = byId("no-token");
    this.me = byId("me");
    this.presenceList = byId("presence-list");
    this.presenceCount = byId("presence-count");
    // Beside the board the people are listed; above it (a phone) they fold behind their heading
    // and count, so that the first screen reaches the ideas. A click unfolds them.
    const presenceDetails = /** @type {HTMLDetailsElement} */ (byId("presence-details", HTMLDetailsElement));
    const stacked = window.matchMedia("(max-width: 48rem)");
    presenceDetails.open = !stacked.matches;
    stacked.addEventListener("change", () => (presenceDetails.open = !stacked.matches));
    // The space, too, starts folded on a phone (its heading the summary): one tap unfolds the map and
    // the list. Only at the start: a phone turned sideways keeps it as its person left it.
    const spaceDetails = /** @type {HTMLDetailsElement} */ (byId("space-details", HTMLDetailsElement));
    spaceDetails.open = !stacked.matches;
    this.tabs = byId("board-tabs");
    this.panel = byId("board-panel");
    this.newBoardOpen = byId("new-board-open");
    this.newBoardForm = /** @type {HTMLFormElement} */ (byId("new-board-form", HTMLFormElement));
    this.newBoardTitle = /** @type {HTMLInputElement} */ (byId("new-board-title", HTMLInputElement));
    this.newBoardAnonymous = /** @type {HTMLInputElement} */ (byId("new-board-anonymous", HTMLInputElement));
    this.newBoardError = byId("new-board-error");
    this.phase = byId("board-phase");
    this.flags = byId("board-flags");
    this.viewersLine = byId("board-viewers");
    this.phaseHint = byId("phase-hint");
    this.windowLine = byId("board-window");
    this.board = byId("board");
    this.postForm = /** @type {HTMLFormElement} */ (byId("post-form", HTMLFormElement));
    this.postOpen = byId("post-open");
    /** whether the member opened the post form ("Neue Idee"); it stays open for the next idea */
    this.postWanted = false;
    this.postField = /** @type {HTMLSelectElement} */ (byId("post-field", HTMLSelectElement));
    this.postTitle = /** @type {HTMLInputElement} */ (byId("post-title", HTMLInputElement));
    this.postText = /** @type {HTMLTextAreaElement} */ (byId("post-text", HTMLTextAreaElement));
    this.postTags = /** @type {HTMLInputElement} */ (byId("post-tags", HTMLInputElement));
    this.postColour = /** @type {HTMLSelectElement} */ (byId("post-colour", HTMLSelectElement));
    this.postError = byId("post-error");
    this.postStatus = byId("post-status");
    this.postClosed = byId("post-closed");
    this.observerNote = byId("observer-note");
    this.selectionBar = byId("selection-bar");
    this.selectionCount = byId("selection-count");
    this.groupCreate = byId("group-create");
    this.groupReason = byId("group-reason");
    this.selectionClear = byId("selection-clear-row");
    this.groupHeading = /** @type {HTMLInputElement} */ (byId("group-heading", HTMLInputElement));
    this.mergeControls = byId("merge-controls");
    this.mergeTarget = /** @type {HTMLSelectElement} */ (byId("merge-target", HTMLSelectElement));
    this.selectionError = byId("selection-error");
    this.announcer = new Announcer(byId("announcer"));

    /** @type {Member | null} */
    this.self = null;
    /** @type {Room | null} the room the page is in */
    this.room = null;
    this.presence = new PresenceList();
    /** @type {Map<string, string>} the pseudonyms of everyone this page saw, for the breakout console */
    this.names = new Map();
    this.boards = new BoardList();
    /** @type {LiveBoard | null} */
    this.live = null;
    /** @type {Viewer[]} */
    this.viewers = [];
    /** @type {Set<string>} ideas selected for grouping or merging, in the order chosen */
    this.selected = new Set();
    /** @type {Set<string>} ideas this member reported */
    this.reported = new Set();
    /** @type {Set<string>} ideas this page is changing: their changes are announced by the page itself */
    this.quiet = new Set();
    /** @type {string | null} the idea whose editor is open */
    this.editingId = null;
    this.posting = false;
    /** @type {Connection | null} */
    this.connection = null;
    this.hadMembership = false;
    this.can = abilities(
      "observer",
      { phase: "collect", silent: false, revealed: false, locked: false, premoderation: false, anonymous: false },
      null,
    );

    const say = (/** @type {string} */ message) => this.announcer.say(message);
    const message = (/** @type {string} */ code) => errorMessage(t, { code });
    this.view = new BoardView(this.board, t, {
      edit: (id, fields) => this.ideaRequest(id, CLIENT_EVENTS.ideaEdit, { idea_id: id, ...fields }),
      remove: async (id) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.ideaDelete, { idea_id: id });
        if (!code) say(t("deleted"));
        return code;
      },
      move: async (id, target, how) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.ideaMove, { idea_id: id, ...target });
        if (!code) this.announcePlace(id, how);
        return code;
      },
      assign: async (id, clusterId) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.clusterAssign, { idea_id: id, cluster_id: clusterId });
        if (!code) {
          const cluster = clusterId ? this.live?.state.clusters.get(clusterId) : null;
          say(cluster ? t("announce.assigned", { cluster: clusterName(t, cluster) }) : t("announce.taken_out"));
          this.view.focusIdea(id);
        }
        return code;
      },
      group: (ids) => this.group(ids, ""),
      select: (id, on) => {
        if (on) this.selected.add(id);
        else this.selected.delete(id);
        this.renderAll();
      },
      report: async (id) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.ideaReport, { idea_id: id });
        if (!code || code === "already_reported") {
          this.reported.add(id);
          say(t("announce.reported"));
          this.renderAll();
          this.view.focusIdea(id);
          return "";
        }
        return code;
      },
      moderate: async (id, action) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.ideaModerate, { idea_id: id, action });
        if (!code) {
          say(t(`announce.moderated.${action}`));
          this.view.focusIdea(id);
        }
        return code;
      },
      comment: async (id, text) => {
        const code = await this.ideaRequest(id, CLIENT_EVENTS.commentCreate, { idea_id: id, text });
        if (!code) say(t("announce.commented"));
        return code;
      },
      deleteComment: (commentId) => this.boardRequest(CLIENT_EVENTS.commentDelete, { comment_id: commentId }),
      moderateComment: (commentId, hidden) =>
        this.boardRequest(CLIENT_EVENTS.commentModerate, { comment_id: commentId, hidden }),
      renameCluster: (clusterId, heading) =>
        this.boardRequest(CLIENT_EVENTS.clusterRename, { cluster_id: clusterId, heading }),
      nestCluster: (clusterId, parentId) =>
        this.boardRequest(CLIENT_EVENTS.clusterNest, { cluster_id: clusterId, parent_id: parentId }),
      dissolveCluster: async (clusterId) => {
        const code = await this.boardRequest(CLIENT_EVENTS.clusterDissolve, { cluster_id: clusterId });
        if (!code) say(t("announce.dissolved"));
        return code;
      },
      dot: (id, add) => this.dot(id, add),
      editing: (ideaId) => {
        this.editingId = ideaId;
        this.sendView();
      },
      say,
      message,
    });
    this.console = new BoardConsole(t, {
      phase: (phase, silent) =>
        this.boardRequest(CLIENT_EVENTS.boardPhase, silent === null ? { phase } : { phase, silent }),
      reveal: () => this.boardRequest(CLIENT_EVENTS.boardReveal, {}),
      lock: (locked) => this.boardRequest(CLIENT_EVENTS.boardLock, { locked }),
      premoderation: (on) => this.boardRequest(CLIENT_EVENTS.boardPremoderation, { on }),
      openVote: (payload) => this.boardRequest(CLIENT_EVENTS.voteOpen, payload),
      extend: async (sessionId, seconds) => {
        const code = await this.boardRequest(CLIENT_EVENTS.voteExtend, { session_id: sessionId, seconds });
        if (!code) say(t("announce.extended", { count: Math.round(seconds / 60) }));
        return code;
      },
      close: (sessionId, reveal) => this.boardRequest(CLIENT_EVENTS.voteClose, { session_id: sessionId, reveal }),
      revealVote: (sessionId) => this.boardRequest(CLIENT_EVENTS.voteReveal, { session_id: sessionId }),
      focusIdea: (id) => this.view.focusIdea(id),
      message,
    });
    this.votes = new VoteView(t, say);
    this.breakouts = new Breakouts(t, {
      request: (event, payload) => this.send(event, payload),
      say,
      present: () => this.presence.sorted(),
      nameOf: (id) => this.names.get(id) ?? "",
      clockSynced: () => this.facilitation.clockSynced(),
    });
    this.space = new SpaceSection(t, {
      request: (event, payload) => this.send(event, payload),
      emit: (event, payload) => this.connection?.emit(event, payload),
      say,
      openBoard: (title) => {
        const board = this.boards.boards.find((b) => b.title === title) ?? this.boards.boards[0];
        if (!board) return;
        say(t("space.announce.board", { title: board.title }));
        this.selectBoard(board.id);
      },
    });
    this.facilitation = new Facilitation(t, {
      request: (event, payload) => this.send(event, payload),
      say,
      clock: this.breakouts.clock,
      roleOf: (id) => this.presence.sorted().find((member) => member.id === id)?.role ?? "",
      boardId: () => this.live?.state.boardId ?? null,
      follow: (boardId) => {
        if (this.boards.has(boardId)) this.selectBoard(boardId);
      },
      removed: () => this.removed(),
    });
  }

  start() {
    const membership = loadMembership(browserStorage(), this.eventId);
    this.hadMembership = membership !== null;
    const connection = new Connection({
      io: /** @type {any} */ (io),
      // Without a membership, an organizer of the event gets in with their session cookie.
      auth: membership ? { token: membership.token } : { event_id: this.eventId },
      onState: (state) => this.onState(state),
      onReady: () => this.enter(),
    });
    this.connection = connection;
    connection.on(SERVER_EVENTS.boardChanged, (change) => this.live?.receive(change));
    connection.on(SERVER_EVENTS.presenceChanged, (data) => this.presenceChanged(data));
    connection.on(SERVER_EVENTS.roomMoved, (data) => this.moved(data));
    connection.on(SERVER_EVENTS.breakoutChanged, (data) => this.breakouts.changed(data));
    this.facilitation.listen(connection);
    this.space.listen(connection);
    connection.on(SERVER_EVENTS.roomBoard, (summary) => {
      if (this.boards.add(summary)) {
        this.renderTabs();
        this.announcer.say(t("announce.board_added", { title: summary.title }));
      }
    });
    connection.on(SERVER_EVENTS.boardPresence, (data) => {
      if (data?.board_id !== this.live?.state.boardId || !Array.isArray(data.viewers)) return;
      this.viewers = data.viewers;
      this.renderAll();
    });
    connection.on(SERVER_EVENTS.voteDots, (dots) => this.live?.update((state) => withDots(state, dots)));
    connection.on(SERVER_EVENTS.voteProgress, (progress) =>
      this.live?.update((state) => withProgress(state, progress)),
    );
    this.wireForms();
    window.addEventListener("online", () => connection.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") connection.retryNow();
    });
    connection.start();
  }

  wireForms() {
    this.postForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitPost();
    });
    this.postText.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.postForm.requestSubmit();
      }
    });
    this.postOpen.addEventListener("click", () => this.togglePostForm(!this.postWanted));
    byId("post-cancel").addEventListener("click", () => this.togglePostForm(false));
    this.postForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.togglePostForm(false);
      }
    });
    this.newBoardOpen.addEventListener("click", () => this.toggleNewBoard());
    byId("new-board-cancel").addEventListener("click", () => this.toggleNewBoard(false));
    this.newBoardForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.toggleNewBoard(false);
      }
    });
    this.newBoardForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.createBoard();
    });
    this.groupCreate.addEventListener("click", () => {
      if (this.selected.size < 2) this.announcer.say(t("select.need_two"));
      else this.group([...this.selected], this.groupHeading.value);
    });
    byId("merge-do").addEventListener("click", () => this.merge());
    byId("selection-clear").addEventListener("click", () => {
      const first = [...this.selected][0];
      this.selected.clear();
      this.renderAll();
      if (first) this.view.focusIdea(first);
    });
  }

  /** No membership, or the server refused it: say so, and point to the invitation link. */
  refuse() {
    this.noToken.hidden = false;
    this.board.setAttribute("aria-busy", "false");
    this.postForm.hidden = true;
    renderState(this.status, "refused", t);
  }

  /** A facilitator removed this member from the event: no reconnecting, and a clear message. */
  removed() {
    this.connection?.close();
    const store = browserStorage();
    if (store) forgetMembership(store, this.eventId);
    this.status.dataset.state = "refused";
    this.status.textContent = t("removed.status");
    showRemoved();
  }

  /** @param {import("./connection.js").ConnState} state */
  onState(state) {
    if (this.connection?.closed) return; // removed: the page says so already
    renderState(this.status, state, t);
    if (state === "offline" || state === "refused") this.space.left();
    if (state === "refused") {
      const store = browserStorage();
      if (store && this.hadMembership) forgetMembership(store, this.eventId);
      this.refuse();
    }
  }

  // -- requests ---------------------------------------------------------------------------

  /**
   * Send an event about the shown board; resolves to "" when it worked, else the error code.
   *
   * @param {string} event
   * @param {Record<string, unknown>} payload  without `board_id`
   * @returns {Promise<string>}
   */
  async boardRequest(event, payload) {
    const ack = await this.request(event, payload);
    return ack.ok ? "" : (ack.error?.code ?? "internal");
  }

  /**
   * @param {string} event
   * @param {Record<string, unknown>} payload  without `board_id`
   * @returns {Promise<Ack>}
   */
  async request(event, payload) {
    const live = this.live;
    const connection = this.connection;
    if (!live || !connection) return { ok: false, error: { code: "offline", message: "" } };
    try {
      const ack = await connection.request(event, { board_id: live.state.boardId, ...payload });
      if (ack.ok && typeof ack.seq === "number" && live === this.live) live.acknowledged(ack.seq);
      if (!ack.ok) this.windowPassed(live, ack);
      return ack;
    } catch (err) {
      return { ok: false, error: { code: err instanceof TransportError ? "offline" : "internal", message: "" } };
    }
  }

  /**
   * A refusal because the board's window is not open: the moment passed while the page was open
   * (or its clock is off), so the page asks where the window stands now (board-window.js).
   *
   * @param {LiveBoard} live
   * @param {Ack} ack
   */
  windowPassed(live, ack) {
    if (!WINDOW_CODES.includes(ack.error?.code ?? "") || live !== this.live) return;
    live
      .resnapshot()
      .then(() => {
        if (live === this.live && !this.postClosed.hidden) this.announcer.say(this.postClosed.textContent ?? "");
      })
      .catch(() => {});
  }

  /**
   * Send any event; resolves to its acknowledgement, or an `offline` / `internal` error.
   *
   * @param {string} event
   * @param {Record<string, unknown>} payload
   * @returns {Promise<Ack>}
   */
  async send(event, payload) {
    const connection = this.connection;
    if (!connection) return { ok: false, error: { code: "offline", message: "" } };
    try {
      return await connection.request(event, payload);
    } catch (err) {
      return { ok: false, error: { code: err instanceof TransportError ? "offline" : "internal", message: "" } };
    }
  }

  /**
   * A request about one idea: its own change is announced by the page, not as someone else's.
   *
   * @param {string} id
   * @param {string} event
   * @param {Record<string, unknown>} payload
   */
  async ideaRequest(id, event, payload) {
    this.quiet.add(id);
    try {
      return await this.boardRequest(event, payload);
    } finally {
      this.quiet.delete(id);
    }
  }

  // -- entering and syncing -------------------------------------------------------------

  /**
   * After every (re)connect: who am I, where am I (the plenary, or my breakout room), who is
   * here, which boards; then sync the shown one, and learn the breakout round.
   */
  async enter() {
    const connection = /** @type {Connection} */ (this.connection);
    const answer = await connection.request(CLIENT_EVENTS.roomEnter, {});
    if (!answer.ok) throw new Error(answer.error?.code ?? "internal");
    const ack = /** @type {RoomView & {me: Member, event: {fields: {id: string, name: string}[]}}} */ (
      /** @type {unknown} */ (answer)
    );
    this.self = ack.me;
    this.names.set(ack.me.id, ack.me.pseudonym);
    this.me.textContent = t("me", { name: ack.me.pseudonym, role: t(`role.${ack.me.role}`) });
    this.me.hidden = false;
    const contributor = CONTRIBUTOR_ROLES.includes(ack.me.role);
    this.observerNote.hidden = contributor;
    const moderator = MODERATOR_ROLES.includes(ack.me.role);
    this.newBoardOpen.hidden = !moderator;
    // Others never need the console; out of the page, its controls are out of everyone's way.
    if (!moderator) this.console.root.remove();
    const from = this.room;
    let active = this.showRoom(ack);
    if (from && from.id !== ack.room.id) this.arrived(ack.room, ""); // moved while the connection was away
    await this.breakouts.entered(ack);
    await this.facilitation.entered(ack);
    this.renderPresence(); // with the facilitators' buttons, now that the role is known
    this.space.enter(ack.me.id).catch(() => {}); // the space of this room; the boards do not wait for it
    const spotlit = this.facilitation.spotlitHere(); // a board in the spotlight is the one to show
    if (spotlit && spotlit !== active && this.boards.has(spotlit)) {
      this.boards.active = spotlit;
      active = spotlit;
      this.renderTabs();
    }
    if (active) await this.showBoard(active, true);
  }

  /**
   * `room.moved`: the member's connections are in another room now (a breakout round opened or
   * closed, a facilitator moved them, they chose a room or visit one). The page becomes that
   * room: its name, who is there, its boards (the presented one, or the first); it says so and
   * puts the focus on the room's heading.
   *
   * @param {RoomView & {reason?: string}} data
   */
  async moved(data) {
    if (!data?.room || typeof data.room.id !== "string" || !Array.isArray(data.boards)) return;
    const from = this.room;
    const active = this.showRoom(data);
    this.breakouts.moved(data.room);
    this.facilitation.moved(data.room);
    if (from?.id !== data.room.id) this.arrived(data.room, data.reason ?? "");
    if (this.self) this.space.enter(this.self.id).catch(() => {});
    if (!active) return;
    try {
      await this.showBoard(active);
    } catch {
      // The next (re)connect syncs the shown board.
    }
  }

  /**
   * Say where the page is now, and put the focus on the room's heading (what was focused is gone).
   *
   * @param {Room} room
   * @param {string} reason  `room.moved`'s
   */
  arrived(room, reason) {
    if (room.kind === "breakout") {
      this.announcer.say(t(reason === "visit" ? "announce.visiting" : "announce.in_breakout", { name: room.name }));
    } else {
      this.announcer.say(t("announce.in_plenary"));
    }
    this.heading.focus();
  }

  /**
   * Show the room of `room.enter` or `room.moved`: its name, who is there, its boards. Another
   * room than before drops the board shown (its state, selection, viewers). Returns the board
   * to show, or null when the room has none.
   *
   * @param {RoomView} view
   * @returns {string | null}
   */
  showRoom(view) {
    const other = this.room?.id !== view.room.id;
    this.room = view.room;
    const breakout = view.room.kind === "breakout";
    const name = breakout ? t("room.breakout", { name: view.room.name }) : t("room.plenary");
    this.roomName.textContent = name;
    document.title = `${name} – ${this.eventTitle}`;
    this.presence.reset(view.presence);
    for (const member of view.presence) this.names.set(member.id, member.pseudonym);
    this.renderPresence();
    if (other) {
      this.dropBoard();
      this.boards = new BoardList();
    }
    let active = this.boards.reset(view.boards);
    if (other && view.presented && this.boards.has(view.presented)) {
      this.boards.active = view.presented;
      active = view.presented;
    }
    this.renderTabs();
    this.panel.hidden = !active;
    if (!active) {
      this.postForm.hidden = true;
      this.board.setAttribute("aria-busy", "false");
    }
    return active;
  }

  /** Forget the board shown: the page is in another room now. */
  dropBoard() {
    this.live = null;
    this.view.clear();
    this.selected.clear();
    this.viewers = [];
    this.editingId = null;
    this.postWanted = false;
    this.postOpen.setAttribute("aria-expanded", "false");
    this.postForm.hidden = true;
    this.selectionBar.hidden = true;
  }

  /**
   * Show a board: a new one from a snapshot; the same one after a reconnect from what it missed.
   *
   * @param {string} boardId
   * @param {boolean} [reconnected]
   */
  async showBoard(boardId, reconnected = false) {
    const connection = /** @type {Connection} */ (this.connection);
    if (!this.live || this.live.state.boardId !== boardId) {
      this.view.clear();
      this.selected.clear();
      this.viewers = [];
      this.editingId = null;
      this.board.setAttribute("aria-busy", "true");
      this.live = new LiveBoard(
        boardId,
        async (since) => {
          const answer = await connection.request(CLIENT_EVENTS.boardSync, { board_id: boardId, since });
          if (!answer.ok) throw new Error(answer.error?.code ?? "internal");
          return /** @type {any} */ (answer);
        },
        (state, applied, snapshot) => this.onBoard(state, applied, snapshot),
      );
      reconnected = false;
    }
    const live = this.live;
    await live.sync();
    if (live !== this.live) return;
    await this.sendView();
    if (reconnected && openSession(live.state)) {
      // Dots placed from another tab while we were away are not in the changes.
      const answer = await connection.request(CLIENT_EVENTS.voteState, { board_id: boardId });
      if (answer.ok && live === this.live) live.update((state) => withVoteState(state, /** @type {any} */ (answer)));
    }
  }

  /** Tell the server which board this page shows and which idea it edits. */
  async sendView() {
    const live = this.live;
    const connection = this.connection;
    if (!live || !connection || connection.socket?.connected !== true) return;
    try {
      const ack = await connection.request(CLIENT_EVENTS.boardView, {
        board_id: live.state.boardId,
        editing: this.editingId,
      });
      if (ack.ok && live === this.live && Array.isArray(ack.viewers)) {
        this.viewers = ack.viewers;
        this.renderAll();
      }
    } catch {
      // Shown again after the next (re)connect.
    }
  }

  /**
   * @param {BoardState} state
   * @param {Applied[]} applied
   * @param {boolean} snapshot
   */
  onBoard(state, applied, snapshot) {
    if (applied.some(({ change }) => change.type === "board.window")) {
      this.live?.resnapshot().catch(() => {}); // where the new window stands, by the server's clock
    }
    if (snapshot) this.renderFieldOptions(state);
    this.renderAll();
    for (const { change, before } of applied) this.announceChange(state, change, before);
  }

  // -- boards (tabs) ------------------------------------------------------------------------

  renderTabs() {
    const active = this.boards.active;
    const tabs = this.boards.boards.map((board) => {
      const selected = board.id === active;
      const tab = h("button", {
        type: "button",
        role: "tab",
        id: `tab-${board.id}`,
        class: "tab",
        "aria-selected": String(selected),
        "aria-controls": "board-panel",
        tabindex: selected ? "0" : "-1",
        text: board.title,
      });
      tab.addEventListener("click", () => this.selectBoard(board.id));
      tab.addEventListener("keydown", (event) => {
        /** @type {string | null} */
        let next = null;
        if (event.key === "ArrowRight") next = this.boards.neighbour(board.id, 1);
        else if (event.key === "ArrowLeft") next = this.boards.neighbour(board.id, -1);
        else if (event.key === "Home") next = this.boards.boards[0]?.id ?? null;
        else if (event.key === "End") next = this.boards.boards.at(-1)?.id ?? null;
        if (next === null) return;
        event.preventDefault();
        this.selectBoard(next, true);
      });
      return tab;
    });
    this.tabs.replaceChildren(...tabs);
    if (active) this.panel.setAttribute("aria-labelledby", `tab-${active}`);
  }

  /**
   * @param {string} boardId
   * @param {boolean} [focusTab]
   */
  async selectBoard(boardId, focusTab = false) {
    if (this.live?.state.boardId !== boardId) {
      this.boards.active = boardId;
      this.renderTabs();
      if (focusTab) document.getElementById(`tab-${boardId}`)?.focus();
      try {
        await this.showBoard(boardId);
      } catch {
        // The next (re)connect syncs the shown board.
      }
    }
    if (focusTab) document.getElementById(`tab-${boardId}`)?.focus();
  }

  /** @param {boolean} [open] */
  toggleNewBoard(open) {
    const show = open ?? this.newBoardForm.hidden;
    this.newBoardForm.hidden = !show;
    this.newBoardOpen.setAttribute("aria-expanded", String(show));
    if (show) this.newBoardTitle.focus();
    else this.newBoardOpen.focus();
  }

  async createBoard() {
    const connection = this.connection;
    if (!connection) return;
    showError(this.newBoardError, this.newBoardTitle, "");
    try {
      const ack = await connection.request(CLIENT_EVENTS.boardCreate, {
        title: this.newBoardTitle.value,
        anonymous: this.newBoardAnonymous.checked,
      });
      if (!ack.ok) {
        showError(this.newBoardError, this.newBoardTitle, errorMessage(t, ack.error));
        return;
      }
      this.boards.add(ack.board);
      this.newBoardTitle.value = "";
      this.newBoardAnonymous.checked = false;
      this.newBoardForm.hidden = true;
      this.newBoardOpen.setAttribute("aria-expanded", "false");
      this.announcer.say(t("announce.board_created", { title: ack.board.title }));
      await this.selectBoard(ack.board.id, true);
    } catch (err) {
      showError(
        this.newBoardError,
        this.newBoardTitle,
        errorMessage(t, { code: err instanceof TransportError ? "offline" : "internal" }),
      );
    }
  }

  // -- rendering ----------------------------------------------------------------------------

  renderAll() {
    const live = this.live;
    const self = this.self;
    if (!live || !self) return;
    const state = live.state;
    if (state.seq === null) return;
    const can = abilities(self.role, state.settings, openSession(state), state.windowState);
    this.can = can;
    for (const id of [...this.selected]) {
      const idea = state.ideas.get(id);
      if (!idea || idea.status !== "visible" || !can.select) this.selected.delete(id);
    }
    this.renderStatus(state);
    this.facilitation.renderSpotlight();
    this.console.render(state, can.moderator);
    // outside its window a participant is no voter of the board's round for now (board-window.js)
    this.votes.render(state, can.voter && !windowShut(state.windowState, can.moderator));
    this.renderPostForm(state);
    /** @type {Map<string, string>} */
    const editors = new Map();
    for (const viewer of this.viewers) {
      if (viewer.editing && viewer.member_id !== self.id) {
        editors.set(viewer.editing, state.settings.anonymous ? "" : viewer.pseudonym);
      }
    }
    this.view.render({ state, can, me: self.id, editors, selected: this.selected, reported: this.reported });
    this.renderSelection(state);
  }

  /** @param {BoardState} state */
  renderStatus(state) {
    const s = state.settings;
    this.phase.textContent = t("phase.label", { phase: t(`phase.${s.phase}`) });
    this.phase.dataset.phase = s.phase;
    const flags = [];
    if (s.silent && !s.revealed) flags.push(t("flags.silent"));
    if (s.locked) flags.push(t("flags.locked"));
    if (s.premoderation) flags.push(t("flags.premoderation"));
    if (s.anonymous) flags.push(t("flags.anonymous"));
    this.flags.textContent = flags.join(" · ");
    this.flags.hidden = flags.length === 0;
    // outside the window the post form's place says why nothing can be added (renderPostForm)
    this.phaseHint.textContent = windowShut(state.windowState, this.can.moderator) ? "" : phaseHint(t, state, this.can);
    this.phaseHint.hidden = !this.phaseHint.textContent;
    const windowText = windowLine(t, document.documentElement.lang, s, state.windowState);
    this.windowLine.textContent = windowText;
    this.windowLine.hidden = !windowText;
    const names = this.viewers.map((v) => v.pseudonym);
    this.viewersLine.textContent = names.length
      ? t("viewers", { count: names.length, names: names.join(", ") })
      : "";
    this.viewersLine.hidden = names.length === 0;
  }

  /** @param {BoardState} state */
  renderPostForm(state) {
    const can = this.can;
    const wasHidden = this.postForm.hidden;
    this.postOpen.hidden = !can.post;
    this.postForm.hidden = !can.post || !this.postWanted;
    this.postClosed.hidden = !can.contributor || can.post;
    if (!can.post && can.contributor) {
      const lang = document.documentElement.lang;
      this.postClosed.textContent =
        windowRefusal(t, lang, state.settings, state.windowState, can.moderator) ||
        (state.settings.locked ? t("post.locked") : t("post.closed", { phase: t(`phase.${state.settings.phase}`) }));
    }
    if (wasHidden && !this.postForm.hidden && this.postField.options.length === 0) this.renderFieldOptions(state);
  }

  /**
   * Open the post form ("Neue Idee": the focus goes into it) or close it (back to the button).
   *
   * @param {boolean} open
   */
  togglePostForm(open) {
    const hadFocus = this.postForm.contains(document.activeElement);
    this.postWanted = open;
    this.postOpen.setAttribute("aria-expanded", String(open));
    if (this.live && this.self) this.renderAll();
    if (open && !this.postForm.hidden) this.postField.focus();
    else if (!open && hadFocus) this.postOpen.focus();
  }

  /** @param {BoardState} state */
  renderFieldOptions(state) {
    const chosen = this.postField.value;
    this.postField.replaceChildren(...state.columns.map((c) => h("option", { value: c.id, text: c.name })));
    if (state.columns.some((c) => c.id === chosen)) this.postField.value = chosen;
  }

  /** @param {BoardState} state */
  renderSelection(state) {
    const count = this.selected.size;
    // Always in the cluster phase (it explains selecting), else while something is selected.
    const show = this.can.select && (count > 0 || state.settings.phase === "cluster");
    if (!show && this.selectionBar.contains(document.activeElement)) {
      this.view.focusIdea([...state.ideas.keys()][0] ?? "");
    }
    this.selectionBar.hidden = !show;
    if (!show) return;
    this.selectionCount.textContent = t("select.count", { count });
    this.selectionClear.hidden = count === 0;
    const tooFew = count < 2;
    this.groupCreate.setAttribute("aria-disabled", String(tooFew));
    this.groupReason.hidden = !tooFew;
    if (tooFew) this.groupCreate.setAttribute("aria-describedby", "group-reason");
    else this.groupCreate.removeAttribute("aria-describedby");
    const merge = this.can.moderator && count >= 2;
    this.mergeControls.hidden = !merge;
    if (merge) {
      const options = [...this.selected].map((id) => {
        const idea = state.ideas.get(id);
        return h("option", { value: id, text: idea ? idea.title || idea.text : id });
      });
      const chosen = this.mergeTarget.value;
      this.mergeTarget.replaceChildren(...options);
      if (this.selected.has(chosen)) this.mergeTarget.value = chosen;
    }
  }

  // -- grouping, merging, voting ------------------------------------------------------------

  /**
   * Group ideas (the first chosen decides the column); focus the new group's heading.
   *
   * @param {string[]} ids
   * @param {string} heading
   * @returns {Promise<string>}
   */
  async group(ids, heading) {
    if (ids.length === 0) return "";
    showError(this.selectionError, null, "");
    for (const id of ids) this.quiet.add(id);
    const ack = await this.request(CLIENT_EVENTS.clusterCreate, { idea_ids: ids, heading });
    for (const id of ids) this.quiet.delete(id);
    if (!ack.ok) {
      const code = ack.error?.code ?? "internal";
      if (this.selected.size) showError(this.selectionError, null, errorMessage(t, ack.error));
      return code;
    }
    this.selected.clear();
    this.groupHeading.value = "";
    this.renderAll();
    const cluster = ack.cluster;
    this.announcer.say(t("announce.grouped", { count: ids.length, cluster: clusterName(t, cluster) }));
    this.view.focusCluster(cluster.id);
    return "";
  }

  async merge() {
    const target = this.mergeTarget.value;
    const others = [...this.selected].filter((id) => id !== target);
    if (!target || others.length === 0) return;
    showError(this.selectionError, null, "");
    const ack = await this.request(CLIENT_EVENTS.ideaMerge, { target_id: target, idea_ids: others });
    if (!ack.ok) {
      showError(this.selectionError, null, errorMessage(t, ack.error));
      return;
    }
    this.selected.clear();
    this.renderAll();
    this.announcer.say(t("announce.merged", { count: others.length }));
    this.view.focusIdea(target);
  }

  /**
   * Place or take back one dot.
   *
   * @param {string} id
   * @param {boolean} add
   * @returns {Promise<string>}
   */
  async dot(id, add) {
    const live = this.live;
    const session = live ? openSession(live.state) : null;
    if (!live || !session) return "vote_closed";
    const ack = await this.request(add ? CLIENT_EVENTS.voteCast : CLIENT_EVENTS.voteRemove, {
      session_id: session.id,
      idea_id: id,
    });
    if (!ack.ok) return ack.error?.code ?? "internal";
    if (live === this.live) live.update((state) => withDots(state, ack.dots));
    const mine = ack.dots.dots[id] ?? 0;
    this.announcer.say(
      t(add ? "announce.dot_added" : "announce.dot_removed", {
        mine,
        remaining: ack.dots.remaining,
        count: session.budget,
      }),
    );
    return "";
  }

  // -- announcements --------------------------------------------------------------------------

  /**
   * Say where the idea is now, after this page moved it.
   *
   * @param {string} id
   * @param {string} how
   */
  announcePlace(id, how) {
    const state = this.live?.state;
    const place = state ? placeOf(state, id) : null;
    if (!state || !place) return;
    const cluster = place.clusterId ? state.clusters.get(place.clusterId) : null;
    const where = t(cluster ? "announce.place_in_cluster" : "announce.place", {
      index: place.index,
      count: place.count,
      field: columnName(state, place.columnId),
      cluster: cluster ? clusterName(t, cluster) : "",
    });
    this.announcer.say(how === "drop" ? t("announce.dropped", { place: where }) : where);
  }

  /**
   * @param {BoardState} state
   * @param {Change} change
   * @param {Idea | undefined} before
   */
  announceChange(state, change, before) {
    const mine = this.self?.id;
    const type = change.type;
    if (change.idea_id && this.quiet.has(change.idea_id)) return;
    if (type === "idea.deleted") {
      if (change.idea_id && this.view.deleting.delete(change.idea_id)) return;
      if (before) this.announcer.say(t("announce.deleted"));
      return;
    }
    if (type === "board.phase" && change.settings) {
      this.announcer.say(t("announce.phase", { phase: t(`phase.${change.settings.phase}`) }));
      return;
    }
    if (type === "board.revealed") return this.announcer.say(t("announce.revealed"));
    if (type === "board.locked" && change.settings) {
      return this.announcer.say(t(change.settings.locked ? "announce.locked" : "announce.unlocked"));
    }
    if (type === "vote.opened" && change.session) {
      return this.announcer.say(t("announce.vote_started", { count: change.session.budget }));
    }
    if (type === "vote.closed") return this.announcer.say(t("announce.vote_closed"));
    if (type === "vote.revealed") return this.announcer.say(t("announce.vote_revealed"));
    if (type === "vote.extended") return this.announcer.say(t("announce.vote_extended"));
    if (type === "cluster.created" && change.cluster) {
      return this.announcer.say(t("announce.cluster_created", { cluster: clusterName(t, change.cluster) }));
    }
    if (type === "comment.created" && change.comment && change.comment.author?.id !== mine) {
      const idea = state.ideas.get(change.comment.idea_id);
      return this.announcer.say(t("announce.comment", { idea: idea ? idea.title || idea.text : "" }));
    }
    const idea = change.idea;
    if (!idea) return;
    if (idea.author && idea.author.id === mine) {
      if (type === "idea.approved") this.announcer.say(t("announce.yours_approved"));
      else if (type === "idea.hidden") this.announcer.say(t("announce.yours_hidden"));
      return;
    }
    const name = idea.author?.pseudonym ?? t("board.anonymous");
    if (type === "idea.created") {
      this.announcer.say(t("announce.created", { name, field: columnName(state, idea.field_id), text: idea.text }));
    } else if (type === "idea.edited" && before) {
      this.announcer.say(t("announce.edited", { name }));
    } else if (type === "idea.moved" && before && before.field_id !== idea.field_id) {
      this.announcer.say(
        t("announce.moved", { text: idea.title || idea.text, field: columnName(state, idea.field_id) }),
      );
    } else if (type === "idea.reported" && this.can.moderator) {
      this.announcer.say(t("announce.reported_mod", { text: idea.title || idea.text }));
    } else if (type === "idea.approved" && !before) {
      this.announcer.say(t("announce.created", { name, field: columnName(state, idea.field_id), text: idea.text }));
    }
  }

  // -- presence ------------------------------------------------------------------------------

  /**
   * `presence.changed`: who arrived and who left. A few are announced by name; a crowd
   * (a workshop starting) as a count, so that a screen reader is not flooded.
   *
   * @param {{joined?: Member[], left?: string[]} | undefined} data
   */
  presenceChanged(data) {
    const joined = (Array.isArray(data?.joined) ? data.joined : []).filter(
      (member) => member && typeof member.id === "string" && this.presence.add(member),
    );
    const left = (Array.isArray(data?.left) ? data.left : [])
      .map((memberId) => (typeof memberId === "string" ? this.presence.remove(memberId) : undefined))
      .filter((member) => member !== undefined);
    if (joined.length === 0 && left.length === 0) return;
    for (const member of joined) this.names.set(member.id, member.pseudonym);
    this.renderPresence();
    this.breakouts.presenceChanged();
    const others = joined.filter((member) => member.id !== this.self?.id);
    if (!this.self) return; // before room.enter answered: its list is the news
    if (others.length > ANNOUNCE_BY_NAME) {
      this.announcer.say(t("announce.joined_many", { count: others.length }));
    } else {
      for (const member of others) this.announcer.say(t("announce.joined", { name: member.pseudonym }));
    }
    if (left.length > ANNOUNCE_BY_NAME) {
      this.announcer.say(t("announce.left_many", { count: left.length }));
    } else {
      for (const member of left) this.announcer.say(t("announce.left", { name: member.pseudonym }));
    }
  }

  renderPresence() {
    this.space.present(this.presence.sorted());
    const items = this.presence.sorted().map((member) => {
      const li = h(
        "li",
        { class: "member" },
        h("span", {
          class: `avatar ${swatchClass(member.colour)}`,
          "aria-hidden": "true",
          text: initial(member.pseudonym),
        }),
        h("span", { class: "member-name", text: member.pseudonym }),
      );
      if (member.role !== "participant") {
        li.append(" ", h("span", { class: "member-role", text: `(${t(`role.${member.role}`)})` }));
      }
      if (member.id === this.self?.id) li.append(" ", h("span", { class: "member-you", text: t("presence.you") }));
      const remove = this.facilitation.memberActions(member);
      if (remove) li.append(" ", remove);
      return li;
    });
    if (replaceKeepingFocus(this.presenceList, items)) this.heading.focus();
    this.presenceCount.textContent = String(this.presence.size);
  }

  // -- posting ---------------------------------------------------------------------------------

  async submitPost() {
    const live = this.live;
    const connection = this.connection;
    if (this.posting || !live || !connection) return;
    this.posting = true;
    showError(this.postError, this.postText, "");
    this.postForm.setAttribute("aria-busy", "true");
    this.postText.readOnly = true;
    if (!connection.usable) this.postStatus.textContent = t("board.queued");
    try {
      /** @type {{board_id: string, field_id: string, text: string, title?: string, tags?: string[], colour?: string}} */
      const post = { board_id: live.state.boardId, field_id: this.postField.value, text: this.postText.value };
      if (this.postTitle.value.trim()) post.title = this.postTitle.value;
      const tags = parseTags(this.postTags.value);
      if (tags.length) post.tags = tags;
      if (this.postColour.value) post.colour = this.postColour.value;
      const ack = await connection.post(post);
      if (ack.ok) {
        this.postText.value = "";
        this.postTitle.value = "";
        this.postTags.value = "";
        this.announcer.say(t("posted"));
        if (live === this.live) live.acknowledged(ack.seq);
      } else {
        showError(this.postError, this.postText, errorMessage(t, ack.error));
        this.windowPassed(live, ack);
      }
    } finally {
      this.posting = false;
      this.postStatus.textContent = "";
      this.postText.readOnly = false;
      this.postForm.removeAttribute("aria-busy");
    }
  }
}

const root = document.getElementById("room");
if (root?.dataset.eventId) {
  new RoomPage(root.dataset.eventId).start();
}
