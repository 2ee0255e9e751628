// @ts-check
/**
 * The room's chat: the messages (author, time, text), the send form, and for facilitators a
 * button per message to hide or show it again and per author to silence or unsilence them.
 * Messages go in as text (`textContent`), never as HTML.
 */

import { byId, h, replaceKeepingFocus, showError } from "./dom.js";

/** @typedef {import("./facilitation-model.js").Message} Message */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @typedef {object} ChatActions
 * @property {(text: string) => Promise<string>} send  "" when sent, else the error code
 * @property {(messageId: string, hidden: boolean) => Promise<string>} hide
 * @property {(memberId: string, silenced: boolean) => Promise<string>} silence
 * @property {(code: string) => string} message
 */

/**
 * A time as people read it in a chat: `14:05`.
 *
 * @param {string} iso
 * @param {string} language
 */
export function clockTime(iso, language) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
}

export class ChatPanel {
  /**
   * @param {Translate} t
   * @param {ChatActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.language = document.documentElement.lang || "de";
    this.root = byId("chat-panel");
    this.scroller = byId("chat-scroll");
    this.list = byId("chat-list");
    this.empty = byId("chat-empty");
    this.form = /** @type {HTMLFormElement} */ (byId("chat-form", HTMLFormElement));
    this.text = /** @type {HTMLTextAreaElement} */ (byId("chat-text", HTMLTextAreaElement));
    this.error = byId("chat-error");
    this.silencedNote = byId("chat-silenced");
    this.actionError = byId("chat-action-error");
    this.sending = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.text.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter makes a new line (as chats do).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
  }

  /** Whether the member is in the chat (typing or reading): then new messages are not announced. */
  get reading() {
    return this.root.contains(document.activeElement);
  }

  async submit() {
    if (this.sending) return;
    const text = this.text.value;
    if (!text.trim()) {
      showError(this.error, this.text, this.t("chat.empty_text"));
      return;
    }
    this.sending = true;
    showError(this.error, this.text, "");
    try {
      const code = await this.actions.send(text);
      if (code) showError(this.error, this.text, this.actions.message(code));
      else this.text.value = "";
    } finally {
      this.sending = false;
    }
  }

  /**
   * @param {{messages: Message[], me: string, moderator: boolean, silenced: boolean,
   *   silencedMembers: Set<string>, roleOf: (id: string) => string}} view
   */
  render({ messages, me, moderator, silenced, silencedMembers, roleOf }) {
    const stick = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 40;
    const items = messages.map((m) => this.item(m, me, moderator, silencedMembers, roleOf));
    const lost = replaceKeepingFocus(this.list, items);
    if (lost) this.text.focus();
    this.empty.hidden = messages.length > 0;
    this.silencedNote.hidden = !silenced;
    const described = new Set((this.text.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
    if (silenced) described.add(this.silencedNote.id);
    else described.delete(this.silencedNote.id);
    this.text.setAttribute("aria-describedby", [...described].join(" "));
    if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /**
   * @param {Message} m
   * @param {string} me
   * @param {boolean} moderator
   * @param {Set<string>} silencedMembers
   * @param {(id: string) => string} roleOf  "" when not known
   */
  item(m, me, moderator, silencedMembers, roleOf) {
    const time = clockTime(m.sent_at, this.language);
    const head = h(
      "p",
      { class: "chat-meta" },
      h("span", { class: "chat-author", text: m.author.pseudonym }),
      " ",
      h("time", { datetime: m.sent_at, text: time }),
    );
    if (m.hidden) head.append(" ", h("span", { class: "chat-flag", text: this.t("chat.hidden_flag") }));
    const li = h("li", { class: m.hidden ? "chat-message is-hidden" : "chat-message" }, head, h("p", { class: "chat-text", text: m.text }));
    if (moderator) {
      const hide = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `hide-${m.id}`,
        text: m.hidden ? this.t("chat.unhide") : this.t("chat.hide"),
        "aria-label": m.hidden
          ? this.t("chat.unhide_label", { name: m.author.pseudonym, time })
          : this.t("chat.hide_label", { name: m.author.pseudonym, time }),
      });
      hide.addEventListener("click", () => this.act(() => this.actions.hide(m.id, !m.hidden)));
      const buttons = h("p", { class: "chat-actions" }, hide);
      if (m.author.id !== me && !["organizer", "facilitator"].includes(roleOf(m.author.id))) {
        const muted = silencedMembers.has(m.author.id);
        const silence = h("button", {
          type: "button",
          class: "secondary small",
          "data-key": `silence-${m.id}`,
          text: muted
            ? this.t("chat.unsilence", { name: m.author.pseudonym })
            : this.t("chat.silence", { name: m.author.pseudonym }),
        });
        silence.addEventListener("click", () => this.act(() => this.actions.silence(m.author.id, !muted)));
        buttons.append(" ", silence);
      }
      li.append(buttons);
    }
    return li;
  }

  /** @param {() => Promise<string>} action */
  async act(action) {
    showError(this.actionError, null, "");
    const code = await action();
    if (code) showError(this.actionError, null, this.actions.message(code));
  }
}
