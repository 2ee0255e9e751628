// @ts-check
/**
 * The room page (`/e/<event_id>`): presence, the live idea board and the post form.
 *
 * State lives in the pure modules (board-state, presence, outbox); this module turns it
 * into DOM and wires up the events. All user text goes in through `textContent`.
 */

import { io } from "../vendor/socket.io-client-4.8.4.esm.min.js";
import { Announcer } from "./announcer.js";
import { columnIdeas, columnName, LiveBoard } from "./board-state.js";
import { initial, swatchClass } from "./colours.js";
import { Connection, renderState, TransportError } from "./connection.js";
import { byId, h, showError } from "./dom.js";
import { errorMessage, pageTranslator } from "./i18n.js";
import { forgetMembership, loadMembership } from "./membership.js";
import { PresenceList } from "./presence.js";
import { CLIENT_EVENTS, CONTRIBUTOR_ROLES, MODERATOR_ROLES, SERVER_EVENTS } from "./protocol.js";

/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Applied} Applied */
/** @typedef {import("./presence.js").Member} Member */

/**
 * @typedef {object} IdeaView
 * @property {HTMLLIElement} li
 * @property {HTMLParagraphElement} title
 * @property {HTMLParagraphElement} text
 * @property {HTMLParagraphElement} status
 * @property {HTMLSpanElement} avatar
 * @property {HTMLSpanElement} author
 * @property {HTMLDivElement} actions
 * @property {HTMLButtonElement} editButton
 * @property {HTMLButtonElement} deleteButton
 * @property {HTMLDivElement} confirm
 * @property {HTMLButtonElement} confirmButton
 * @property {HTMLParagraphElement} error
 * @property {HTMLFormElement | null} editForm
 */

/**
 * @typedef {object} ColumnView
 * @property {HTMLElement} section
 * @property {HTMLHeadingElement} heading
 * @property {HTMLSpanElement} name
 * @property {HTMLSpanElement} count
 * @property {HTMLUListElement} list
 * @property {HTMLParagraphElement} empty
 */

const t = pageTranslator(document);

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked by the browser's settings
  }
}

class RoomPage {
  /** @param {string} eventId */
  constructor(eventId) {
    this.eventId = eventId;
    this.status = byId("conn-status");
    this.noToken = byId("no-token");
    this.me = byId("me");
    this.presenceList = byId("presence-list");
    this.presenceCount = byId("presence-count");
    this.board = byId("board");
    this.postForm = /** @type {HTMLFormElement} */ (byId("post-form", HTMLFormElement));
    this.postField = /** @type {HTMLSelectElement} */ (byId("post-field", HTMLSelectElement));
    this.postText = /** @type {HTMLTextAreaElement} */ (byId("post-text", HTMLTextAreaElement));
    this.postError = byId("post-error");
    this.postStatus = byId("post-status");
    this.observerNote = byId("observer-note");
    this.announcer = new Announcer(byId("announcer"));

    /** @type {Member | null} */
    this.self = null;
    this.presence = new PresenceList();
    /** @type {LiveBoard | null} */
    this.live = null;
    /** @type {Map<string, ColumnView>} */
    this.columns = new Map();
    /** @type {Map<string, IdeaView>} */
    this.ideas = new Map();
    /** @type {Set<string>} ideas whose deletion this page asked for (not announced) */
    this.deleting = new Set();
    this.posting = false;
    /** @type {Connection | null} */
    this.connection = null;
    this.hadMembership = false;
  }

  start() {
    const membership = loadMembership(storage(), this.eventId);
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
    connection.on(SERVER_EVENTS.presenceJoined, (member) => this.joined(member));
    connection.on(SERVER_EVENTS.presenceLeft, (data) => this.left(data?.member_id));
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
    window.addEventListener("online", () => connection.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") connection.retryNow();
    });
    connection.start();
  }

  /** No membership, or the server refused it: say so, and point to the invitation link. */
  refuse() {
    this.noToken.hidden = false;
    this.board.setAttribute("aria-busy", "false");
    this.postForm.hidden = true;
    renderState(this.status, "refused", t);
  }

  /** @param {import("./connection.js").ConnState} state */
  onState(state) {
    renderState(this.status, state, t);
    if (state === "refused") {
      const store = storage();
      if (store && this.hadMembership) forgetMembership(store, this.eventId);
      this.refuse();
    }
  }

  // -- entering and syncing ----------------------------------------------------------------

  /** After every (re)connect: who am I, who is here, which board; then sync it. */
  async enter() {
    const connection = /** @type {Connection} */ (this.connection);
    const ack = await connection.request(CLIENT_EVENTS.roomEnter, {});
    if (!ack.ok) throw new Error(ack.error?.code ?? "internal");
    this.self = ack.me;
    this.me.textContent = t("me", { name: ack.me.pseudonym, role: t(`role.${ack.me.role}`) });
    this.me.hidden = false;
    this.presence.reset(ack.presence);
    this.renderPresence();
    const contributor = CONTRIBUTOR_ROLES.includes(ack.me.role);
    this.observerNote.hidden = contributor;
    const summary = ack.boards[0];
    if (!summary) {
      this.postForm.hidden = true;
      this.board.setAttribute("aria-busy", "false");
      return;
    }
    if (!this.live || this.live.state.boardId !== summary.id) {
      this.live = new LiveBoard(
        summary.id,
        async (since) => {
          const answer = await connection.request(CLIENT_EVENTS.boardSync, { board_id: summary.id, since });
          if (!answer.ok) throw new Error(answer.error?.code ?? "internal");
          return /** @type {any} */ (answer);
        },
        (state, applied, snapshot) => this.onBoard(state, applied, snapshot),
      );
    }
    await this.live.sync();
    // The form once the board (and so its fields of action) is known.
    this.postForm.hidden = !contributor;
  }

  /**
   * @param {BoardState} state
   * @param {Applied[]} applied
   * @param {boolean} snapshot
   */
  onBoard(state, applied, snapshot) {
    if (snapshot) this.renderFieldOptions(state);
    this.renderBoard(state);
    for (const { change, before } of applied) this.announceChange(state, change, before);
  }

  /**
   * @param {BoardState} state
   * @param {import("./board-state.js").Change} change
   * @param {Idea | undefined} before
   */
  announceChange(state, change, before) {
    const mine = this.self?.id;
    if (change.type === "idea.deleted") {
      if (change.idea_id && this.deleting.delete(change.idea_id)) return;
      if (before) this.announcer.say(t("announce.deleted"));
      return;
    }
    const idea = change.idea;
    if (!idea || (idea.author && idea.author.id === mine)) return;
    const name = this.authorName(idea);
    if (change.type === "idea.created") {
      this.announcer.say(t("announce.created", { name, field: columnName(state, idea.field_id), text: idea.text }));
    } else if (change.type === "idea.edited" && before) {
      this.announcer.say(t("announce.edited", { name }));
    }
  }

  /** @param {Idea} idea */
  authorName(idea) {
    return idea.author?.pseudonym ?? t("board.anonymous");
  }

  // -- presence ------------------------------------------------------------------------------

  /** @param {Member} member */
  joined(member) {
    if (!member || typeof member.id !== "string") return;
    if (this.presence.add(member)) {
      this.renderPresence();
      if (this.self && member.id !== this.self.id) {
        this.announcer.say(t("announce.joined", { name: member.pseudonym }));
      }
    }
  }

  /** @param {string | undefined} memberId */
  left(memberId) {
    if (!memberId) return;
    const member = this.presence.remove(memberId);
    if (member) {
      this.renderPresence();
      this.announcer.say(t("announce.left", { name: member.pseudonym }));
    }
  }

  renderPresence() {
    const items = this.presence.sorted().map((member) => {
      const li = h(
        "li",
        { class: "member" },
        h("span", { class: `avatar ${swatchClass(member.colour)}`, "aria-hidden": "true", text: initial(member.pseudonym) }),
        h("span", { class: "member-name", text: member.pseudonym }),
      );
      if (member.role !== "participant") {
        li.append(" ", h("span", { class: "member-role", text: `(${t(`role.${member.role}`)})` }));
      }
      if (member.id === this.self?.id) li.append(" ", h("span", { class: "member-you", text: t("presence.you") }));
      return li;
    });
    this.presenceList.replaceChildren(...items);
    this.presenceCount.textContent = String(this.presence.size);
  }

  // -- the board -----------------------------------------------------------------------------

  /** @param {BoardState} state */
  renderFieldOptions(state) {
    const chosen = this.postField.value;
    this.postField.replaceChildren(...state.columns.map((c) => h("option", { value: c.id, text: c.name })));
    if (state.columns.some((c) => c.id === chosen)) this.postField.value = chosen;
  }

  /** @param {number} count */
  countText(count) {
    return t(count === 1 ? "board.count_one" : "board.count", { count });
  }

  /** @param {BoardState} state */
  renderBoard(state) {
    this.board.setAttribute("aria-busy", "false");
    const focused = document.activeElement;
    /** @type {HTMLElement | null} */
    let refocus = null;

    // Ideas that are gone first, so that nothing else has to move.
    for (const [id, view] of this.ideas) {
      if (state.ideas.has(id)) continue;
      if (focused && view.li.contains(focused)) refocus = this.focusAfterRemoval(view.li);
      view.li.remove();
      this.ideas.delete(id);
    }

    const wanted = new Set(state.columns.map((c) => c.id));
    for (const [id, column] of this.columns) {
      if (!wanted.has(id)) {
        column.section.remove();
        this.columns.delete(id);
      }
    }
    state.columns.forEach((column, index) => {
      const view = this.columns.get(column.id) ?? this.createColumn(column.id);
      if (this.board.children[index] !== view.section) {
        this.board.insertBefore(view.section, this.board.children[index] ?? null);
      }
      view.name.textContent = column.name;
      const ideas = columnIdeas(state, column.id);
      view.count.textContent = this.countText(ideas.length);
      view.empty.hidden = ideas.length > 0;
      ideas.forEach((idea, position) => {
        const item = this.ideas.get(idea.id) ?? this.createIdea(idea.id);
        this.updateIdea(item, idea);
        if (view.list.children[position] !== item.li) {
          view.list.insertBefore(item.li, view.list.children[position] ?? null);
        }
      });
    });

    if (refocus) refocus.focus();
    else if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
      focused.focus(); // moved to another column
    }
  }

  /**
   * Where focus goes when the idea holding it disappears: the next idea, the previous
   * one, or the column's heading.
   *
   * @param {HTMLLIElement} li
   * @returns {HTMLElement | null}
   */
  focusAfterRemoval(li) {
    for (const sibling of [li.nextElementSibling, li.previousElementSibling]) {
      const button = sibling?.querySelector("button:not([hidden])");
      if (button instanceof HTMLElement && button.offsetParent !== null) return button;
    }
    const section = li.closest("section");
    return section?.querySelector("h3") ?? null;
  }

  /** @param {string} id */
  createColumn(id) {
    const headingId = `col-${id}-heading`;
    const name = h("span", { class: "column-name" });
    const count = h("span", { class: "column-count" });
    const heading = h("h3", { id: headingId, tabindex: "-1" }, name, " ", count);
    const list = h("ul", { class: "ideas", "aria-labelledby": headingId });
    const empty = h("p", { class: "empty", text: t("board.empty") });
    const section = h("section", { class: "column", "aria-labelledby": headingId }, heading, list, empty);
    /** @type {ColumnView} */
    const view = { section, heading, name, count, list, empty };
    this.columns.set(id, view);
    return view;
  }

  /** @param {string} id */
  createIdea(id) {
    const base = `idea-${id}`;
    const title = h("p", { class: "idea-title", hidden: true });
    const text = h("p", { class: "idea-text", id: `${base}-text` });
    const status = h("p", { class: "idea-status", hidden: true });
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    const author = h("span", { class: "idea-author" });
    const editButton = h("button", { type: "button", class: "secondary", text: t("board.edit") });
    editButton.setAttribute("aria-describedby", `${base}-text`);
    const deleteButton = h("button", { type: "button", class: "secondary", text: t("board.delete") });
    deleteButton.setAttribute("aria-describedby", `${base}-text`);
    const actions = h("div", { class: "idea-actions" }, editButton, deleteButton);
    const confirmText = h("p", { id: `${base}-confirm`, text: t("board.delete_confirm") });
    const confirmButton = h("button", { type: "button", class: "danger", text: t("board.delete") });
    const cancelButton = h("button", { type: "button", class: "secondary", text: t("board.cancel") });
    const confirm = h(
      "div",
      { class: "idea-confirm", role: "group", "aria-labelledby": `${base}-confirm`, hidden: true },
      confirmText,
      confirmButton,
      cancelButton,
    );
    const error = h("p", { class: "error", id: `${base}-error`, role: "alert", hidden: true });
    const li = h(
      "li",
      { class: "idea", id: base },
      title,
      text,
      status,
      h("p", { class: "idea-meta" }, avatar, " ", author),
      actions,
      confirm,
      error,
    );
    /** @type {IdeaView} */
    const view = {
      li,
      title,
      text,
      status,
      avatar,
      author,
      actions,
      editButton,
      deleteButton,
      confirm,
      confirmButton,
      error,
      editForm: null,
    };
    editButton.addEventListener("click", () => this.startEdit(id));
    deleteButton.addEventListener("click", () => this.askDelete(id));
    confirmButton.addEventListener("click", () => this.confirmDelete(id));
    cancelButton.addEventListener("click", () => this.cancelDelete(id));
    confirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.cancelDelete(id);
      }
    });
    this.ideas.set(id, view);
    return view;
  }

  /** @param {Idea} idea */
  mayEdit(idea) {
    const self = this.self;
    return !!self && CONTRIBUTOR_ROLES.includes(self.role) && idea.author?.id === self.id;
  }

  /** @param {Idea} idea */
  mayDelete(idea) {
    return this.mayEdit(idea) || (!!this.self && MODERATOR_ROLES.includes(this.self.role));
  }

  /**
   * @param {IdeaView} view
   * @param {Idea} idea
   */
  updateIdea(view, idea) {
    view.title.textContent = idea.title ?? "";
    view.title.hidden = !idea.title;
    view.text.textContent = idea.text;
    view.avatar.className = idea.author ? `avatar ${swatchClass(idea.author.colour)}` : "avatar avatar-anonymous";
    view.avatar.textContent = idea.author ? initial(idea.author.pseudonym) : "?";
    view.author.textContent = t("board.by", { name: this.authorName(idea) });
    const status = idea.status && idea.status !== "visible" ? idea.status : "";
    view.status.textContent = status ? t(`board.status.${status}`) : "";
    view.status.hidden = !status;
    view.editButton.hidden = !this.mayEdit(idea);
    view.deleteButton.hidden = !this.mayDelete(idea);
    const busy = view.editForm !== null || !view.confirm.hidden;
    view.actions.hidden = busy || (view.editButton.hidden && view.deleteButton.hidden);
    view.text.hidden = view.editForm !== null;
  }

  /** @param {string} id */
  currentIdea(id) {
    return this.live?.state.ideas.get(id);
  }

  // -- editing ---------------------------------------------------------------------------------

  /** @param {string} id */
  startEdit(id) {
    const view = this.ideas.get(id);
    const idea = this.currentIdea(id);
    if (!view || !idea || view.editForm) return;
    const base = `idea-${id}`;
    const textarea = h("textarea", { id: `${base}-edit-text`, rows: "3", maxlength: "2000" });
    textarea.value = idea.text;
    const select = h("select", { id: `${base}-edit-field` });
    for (const column of this.live?.state.columns ?? []) {
      select.append(h("option", { value: column.id, text: column.name }));
    }
    select.value = idea.field_id;
    const error = h("p", { class: "error", id: `${base}-edit-error`, role: "alert", hidden: true });
    const form = h(
      "form",
      { class: "edit-form" },
      h("label", { for: textarea.id, text: t("board.edit_label") }),
      textarea,
      h("label", { for: select.id, text: t("board.field") }),
      select,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", text: t("board.save") }),
        h("button", { type: "button", class: "secondary", "data-action": "cancel", text: t("board.cancel") }),
      ),
      error,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveEdit(id, textarea, select, error);
    });
    form.querySelector('[data-action="cancel"]')?.addEventListener("click", () => this.endEdit(id));
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.endEdit(id);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target === textarea) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    view.editForm = form;
    view.text.after(form);
    this.updateIdea(view, idea);
    textarea.focus();
  }

  /**
   * @param {string} id
   * @param {HTMLTextAreaElement} textarea
   * @param {HTMLSelectElement} select
   * @param {HTMLElement} error
   */
  async saveEdit(id, textarea, select, error) {
    const idea = this.currentIdea(id);
    const live = this.live;
    if (!idea || !live || !this.connection) return;
    /** @type {{board_id: string, idea_id: string, text?: string, field_id?: string}} */
    const payload = { board_id: live.state.boardId, idea_id: id };
    if (textarea.value !== idea.text) payload.text = textarea.value;
    if (select.value !== idea.field_id) payload.field_id = select.value;
    if (payload.text === undefined && payload.field_id === undefined) {
      this.endEdit(id);
      return;
    }
    showError(error, textarea, "");
    try {
      const ack = await this.connection.request(CLIENT_EVENTS.ideaEdit, payload);
      if (!ack.ok) {
        showError(error, textarea, errorMessage(t, ack.error));
        return;
      }
      live.acknowledged(ack.seq);
      this.endEdit(id);
    } catch (err) {
      showError(error, textarea, errorMessage(t, { code: err instanceof TransportError ? "offline" : "internal" }));
    }
  }

  /** @param {string} id */
  endEdit(id) {
    const view = this.ideas.get(id);
    if (!view?.editForm) return;
    view.editForm.remove();
    view.editForm = null;
    const idea = this.currentIdea(id);
    if (idea) this.updateIdea(view, idea);
    view.editButton.focus();
  }

  // -- deleting --------------------------------------------------------------------------------

  /** @param {string} id */
  askDelete(id) {
    const view = this.ideas.get(id);
    const idea = this.currentIdea(id);
    if (!view || !idea) return;
    view.confirm.hidden = false;
    this.updateIdea(view, idea);
    view.confirmButton.focus();
  }

  /** @param {string} id */
  cancelDelete(id) {
    const view = this.ideas.get(id);
    const idea = this.currentIdea(id);
    if (!view || !idea) return;
    view.confirm.hidden = true;
    this.updateIdea(view, idea);
    view.deleteButton.focus();
  }

  /** @param {string} id */
  async confirmDelete(id) {
    const view = this.ideas.get(id);
    const live = this.live;
    if (!view || !live || !this.connection) return;
    showError(view.error, null, "");
    this.deleting.add(id);
    try {
      const ack = await this.connection.request(CLIENT_EVENTS.ideaDelete, { board_id: live.state.boardId, idea_id: id });
      if (!ack.ok) {
        this.deleting.delete(id);
        showError(view.error, null, errorMessage(t, ack.error));
        return;
      }
      this.announcer.say(t("deleted"));
      live.acknowledged(ack.seq);
    } catch (err) {
      this.deleting.delete(id);
      showError(view.error, null, errorMessage(t, { code: err instanceof TransportError ? "offline" : "internal" }));
    }
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
    if (connection.state !== "online") this.postStatus.textContent = t("board.queued");
    try {
      const ack = await connection.post({
        board_id: live.state.boardId,
        field_id: this.postField.value,
        text: this.postText.value,
      });
      if (ack.ok) {
        this.postText.value = "";
        this.announcer.say(t("posted"));
        live.acknowledged(ack.seq);
      } else {
        showError(this.postError, this.postText, errorMessage(t, ack.error));
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
