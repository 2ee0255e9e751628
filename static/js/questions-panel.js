// @ts-check
/**
 * Live questions of the event: the form to ask (optionally anonymously), the list sorted by
 * votes or newest, an upvote toggle per question (`aria-pressed`), and for facilitators
 * "beantwortet", "ausblenden" and "wird gerade beantwortet" (pin). Texts go in as text.
 */

import { byId, h, replaceKeepingFocus, showError } from "./dom.js";

/** @typedef {import("./facilitation-model.js").Question} Question */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @typedef {object} QuestionActions
 * @property {(text: string, anonymous: boolean) => Promise<string>} ask
 * @property {(id: string, up: boolean) => Promise<string>} upvote
 * @property {(id: string, answered: boolean) => Promise<string>} answer
 * @property {(id: string, hidden: boolean) => Promise<string>} hide
 * @property {(id: string | null) => Promise<string>} pin
 * @property {() => void} reorder  the order was changed
 * @property {(code: string) => string} message
 */

export class QuestionsPanel {
  /**
   * @param {Translate} t
   * @param {QuestionActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.form = /** @type {HTMLFormElement} */ (byId("question-form", HTMLFormElement));
    this.text = /** @type {HTMLTextAreaElement} */ (byId("question-text", HTMLTextAreaElement));
    this.anonymous = /** @type {HTMLInputElement} */ (byId("question-anonymous", HTMLInputElement));
    this.error = byId("question-error");
    this.order = /** @type {HTMLSelectElement} */ (byId("question-order", HTMLSelectElement));
    this.pinned = byId("question-pinned");
    this.list = byId("question-list");
    this.empty = byId("question-empty");
    this.actionError = byId("question-action-error");
    this.asking = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.order.addEventListener("change", () => actions.reorder());
  }

  /** @returns {"votes" | "newest"} */
  get chosenOrder() {
    return this.order.value === "newest" ? "newest" : "votes";
  }

  async submit() {
    if (this.asking) return;
    this.asking = true;
    showError(this.error, this.text, "");
    try {
      const code = await this.actions.ask(this.text.value, this.anonymous.checked);
      if (code) showError(this.error, this.text, this.actions.message(code));
      else {
        this.text.value = "";
        this.anonymous.checked = false;
      }
    } finally {
      this.asking = false;
    }
  }

  /**
   * @param {{questions: Question[], pinned: string | null, moderator: boolean, canVote: boolean}} view
   */
  render({ questions, pinned, moderator, canVote }) {
    const pin = pinned ? questions.find((q) => q.id === pinned) : undefined;
    this.pinned.hidden = !pin;
    if (pin) this.pinned.replaceChildren(h("strong", { text: this.t("questions.now_answering") }), " ", pin.text);
    const items = questions.map((q) => this.item(q, q.id === pinned, moderator, canVote));
    if (replaceKeepingFocus(this.list, items)) this.order.focus();
    this.empty.hidden = questions.length > 0;
  }

  /**
   * @param {Question} q
   * @param {boolean} isPinned
   * @param {boolean} moderator
   * @param {boolean} canVote
   */
  item(q, isPinned, moderator, canVote) {
    const who = q.anonymous || !q.author ? this.t("questions.anonymous") : q.author.pseudonym;
    const meta = h("p", { class: "question-meta" }, h("span", { text: who }));
    if (q.mine) meta.append(" ", h("span", { class: "question-flag", text: this.t("questions.mine") }));
    if (q.answered) meta.append(" ", h("span", { class: "question-flag is-answered", text: this.t("questions.answered") }));
    if (q.hidden) meta.append(" ", h("span", { class: "question-flag", text: this.t("questions.hidden_flag") }));
    if (isPinned) meta.append(" ", h("span", { class: "question-flag is-pinned", text: this.t("questions.now_answering") }));
    const votes = h("span", {
      class: "question-votes",
      "data-votes": String(q.votes),
      text: this.t("questions.votes", { count: q.votes }),
    });
    const actions = h("p", { class: "question-actions" }, votes);
    if (canVote && !q.mine) {
      const up = h("button", {
        type: "button",
        class: "secondary small upvote",
        "data-key": `up-${q.id}`,
        "aria-pressed": String(q.upvoted === true),
        "aria-label": this.t("questions.upvote_label", { text: q.text }),
        text: this.t("questions.upvote"),
      });
      up.addEventListener("click", () => this.act(() => this.actions.upvote(q.id, q.upvoted !== true)));
      actions.append(" ", up);
    }
    if (moderator) {
      actions.append(
        " ",
        this.control(`answer-${q.id}`, q.answered ? this.t("questions.reopen") : this.t("questions.mark_answered"), q, () =>
          this.actions.answer(q.id, !q.answered),
        ),
        " ",
        this.control(`pin-${q.id}`, isPinned ? this.t("questions.unpin") : this.t("questions.pin"), q, () =>
          this.actions.pin(isPinned ? null : q.id),
        ),
        " ",
        this.control(`hide-${q.id}`, q.hidden ? this.t("questions.unhide") : this.t("questions.hide"), q, () =>
          this.actions.hide(q.id, !q.hidden),
        ),
      );
    }
    return h(
      "li",
      { class: `question${q.answered ? " is-answered" : ""}${isPinned ? " is-pinned" : ""}`, "data-question": q.id },
      h("p", { class: "question-text", text: q.text }),
      meta,
      actions,
    );
  }

  /**
   * A facilitator's button about one question; its name says which question.
   *
   * @param {string} key
   * @param {string} text
   * @param {Question} q
   * @param {() => Promise<string>} action
   */
  control(key, text, q, action) {
    const button = h("button", {
      type: "button",
      class: "secondary small",
      "data-key": key,
      "aria-label": `${text}: ${q.text}`,
      text,
    });
    button.addEventListener("click", () => this.act(action));
    return button;
  }

  /** @param {() => Promise<string>} action */
  async act(action) {
    showError(this.actionError, null, "");
    const code = await action();
    if (code) showError(this.actionError, null, this.actions.message(code));
  }
}
