// @ts-check
/**
 * What everyone sees of the facilitation above the board: the facilitators' broadcasts as
 * dismissible banners in a `role="status"` region (so screen readers read them as they come),
 * and the raise-hand toggle (`aria-pressed`).
 */

import { byId, h } from "./dom.js";

/** @typedef {import("./i18n.js").Translate} Translate */
/** @typedef {{text: string, scope: string, room_id: string | null, from: {id: string, pseudonym: string}, at: string}} Broadcast */

/** At most this many broadcasts stay on the page; older ones go. */
const KEEP = 3;

export class BroadcastBanner {
  /** @param {Translate} t */
  constructor(t) {
    this.t = t;
    this.root = byId("broadcasts");
    this.serial = 0;
  }

  /** @param {Broadcast} broadcast */
  show(broadcast) {
    if (!broadcast || typeof broadcast.text !== "string") return;
    this.serial += 1;
    const id = `broadcast-${this.serial}`;
    const from = broadcast.from?.pseudonym ?? "";
    const close = h("button", {
      type: "button",
      class: "secondary small broadcast-close",
      "aria-label": this.t("broadcast.dismiss_label", { name: from }),
      text: this.t("broadcast.dismiss"),
    });
    const banner = h(
      "div",
      { class: "broadcast", id },
      h("p", { class: "broadcast-from", text: this.t("broadcast.from", { name: from }) }),
      h("p", { class: "broadcast-text", text: broadcast.text }),
      close,
    );
    close.addEventListener("click", () => {
      const next = banner.nextElementSibling ?? banner.previousElementSibling;
      banner.remove();
      const button = next?.querySelector("button");
      if (button instanceof HTMLElement) button.focus();
      else byId("room-heading").focus();
    });
    this.root.prepend(banner);
    while (this.root.children.length > KEEP) this.root.lastElementChild?.remove();
  }
}

export class HandToggle {
  /**
   * @param {Translate} t
   * @param {(up: boolean) => Promise<string>} toggle
   * @param {(code: string) => string} message
   */
  constructor(t, toggle, message) {
    this.t = t;
    this.button = byId("hand-toggle");
    this.error = byId("hand-error");
    this.place = byId("hand-place");
    this.up = false;
    this.button.addEventListener("click", async () => {
      this.error.hidden = true;
      const code = await toggle(!this.up);
      if (code) {
        this.error.textContent = message(code);
        this.error.hidden = false;
      }
    });
  }

  /**
   * @param {boolean} shown  participants (and observers not)
   * @param {boolean} up
   * @param {number} place  1-based place in the queue, 0 when not in it
   */
  render(shown, up, place) {
    this.up = up;
    byId("hand-row").hidden = !shown;
    this.button.setAttribute("aria-pressed", String(up));
    this.place.hidden = !shown || !up;
    this.place.textContent = up && place > 0 ? this.t("hand.place", { place }) : "";
  }
}
