// @ts-check
/**
 * The facilitators' console for the running workshop (beside the board's and the breakout
 * console): broadcasts, the room's raise-hand queue, the spotlight on the shown board. The
 * timer controls and the agenda editor live in it too (`timer-view.js`, `agenda-panel.js`).
 */

import { byId, h, replaceKeepingFocus, showError } from "./dom.js";

/** @typedef {import("./facilitation-model.js").Hands} Hands */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @typedef {object} ConsoleActions
 * @property {(text: string, scope: string) => Promise<string>} broadcast
 * @property {(expected: string | null) => Promise<string>} callNext
 * @property {(memberId: string) => Promise<string>} lower
 * @property {(on: boolean) => Promise<string>} spotlight
 * @property {(code: string) => string} message
 */

export class FacilitationConsole {
  /**
   * @param {Translate} t
   * @param {ConsoleActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.root = byId("facilitation-console");
    this.broadcastForm = /** @type {HTMLFormElement} */ (byId("broadcast-form", HTMLFormElement));
    this.broadcastText = /** @type {HTMLTextAreaElement} */ (byId("broadcast-text", HTMLTextAreaElement));
    this.broadcastError = byId("broadcast-error");
    this.broadcastDone = byId("broadcast-done");
    this.handsList = byId("hands-queue");
    this.handsEmpty = byId("hands-empty");
    this.handsNext = byId("hands-next");
    this.handsError = byId("hands-error");
    this.spotlightButton = byId("spotlight-toggle");
    this.spotlightError = byId("spotlight-error");
    /** @type {Hands | null} */
    this.hands = null;
    this.spotlit = false;
    this.broadcastForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const scope = new FormData(this.broadcastForm).get("broadcast_scope");
      showError(this.broadcastError, this.broadcastText, "");
      this.broadcastDone.textContent = "";
      const code = await actions.broadcast(this.broadcastText.value, typeof scope === "string" ? scope : "everyone");
      if (code) showError(this.broadcastError, this.broadcastText, actions.message(code));
      else {
        this.broadcastText.value = "";
        this.broadcastDone.textContent = t("broadcast.sent");
      }
    });
    this.handsNext.addEventListener("click", () =>
      this.act(this.handsError, () => actions.callNext(this.hands?.queue[0]?.member_id ?? null)),
    );
    this.spotlightButton.addEventListener("click", () =>
      this.act(this.spotlightError, () => actions.spotlight(!this.spotlit)),
    );
  }

  /**
   * @param {HTMLElement} error
   * @param {() => Promise<string>} action
   */
  async act(error, action) {
    showError(error, null, "");
    const code = await action();
    if (code) showError(error, null, this.actions.message(code));
  }

  /** @param {Hands | null} hands  the queue of the page's room */
  renderHands(hands) {
    this.hands = hands;
    const queue = hands?.queue ?? [];
    const items = queue.map((hand, index) => {
      const lower = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `lower-${hand.member_id}`,
        "aria-label": this.t("hands.lower_label", { name: hand.pseudonym }),
        text: this.t("hands.lower"),
      });
      lower.addEventListener("click", () => this.act(this.handsError, () => this.actions.lower(hand.member_id)));
      return h("li", { class: "hand" }, h("span", { text: `${index + 1}. ${hand.pseudonym}` }), " ", lower);
    });
    if (replaceKeepingFocus(this.handsList, items)) this.handsNext.focus();
    this.handsEmpty.hidden = queue.length > 0;
    this.handsNext.setAttribute("aria-disabled", String(queue.length === 0));
  }

  /**
   * @param {boolean} canSpotlight  a board is shown
   * @param {boolean} spotlit  the shown board is in the spotlight
   */
  renderSpotlight(canSpotlight, spotlit) {
    this.spotlit = spotlit;
    this.spotlightButton.hidden = !canSpotlight && !spotlit;
    this.spotlightButton.textContent = spotlit ? this.t("spotlight.end") : this.t("spotlight.start");
  }
}
