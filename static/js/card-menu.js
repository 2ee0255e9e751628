// @ts-check
/**
 * The actions of a card as a disclosure menu (the WAI-ARIA disclosure pattern): one small
 * button ("⋯", named "Aktionen" for screen readers) with `aria-expanded` and
 * `aria-controls`, and right after it in the reading order a list of buttons, shown while
 * it is open.
 *
 * Enter or Space on the button opens and closes it (it is a plain button); Tab goes on
 * into the list; Escape anywhere in it closes it and gives the focus back to the button.
 * Leaving it closes it too: the focus by keyboard, or a click elsewhere (the board view
 * listens for those; closing at the press of the mouse would move what is under it
 * before the click lands, e.g. the button of the next card's menu). Choosing
 * an action closes it: the action moves the focus where its work is (an editor, a
 * confirmation) and gives it back to the button when done.
 */

import { h } from "./dom.js";

/** Whether a mouse button or a finger is down: then leaving by focus is a click's business. */
let pointerDown = false;
let watchingPointer = false;

function watchPointer() {
  if (watchingPointer) return;
  watchingPointer = true;
  document.addEventListener("pointerdown", () => (pointerDown = true), true);
  for (const type of ["pointerup", "pointercancel"]) {
    document.addEventListener(type, () => (pointerDown = false), true);
  }
}

export class CardMenu {
  /**
   * @param {string} id  the list's id
   * @param {string} label  the button's name ("Aktionen")
   * @param {string} describedBy  the id of what the menu is about (the idea's text)
   * @param {(menu: CardMenu, open: boolean) => void} onToggle  told when it opens or closes
   */
  constructor(id, label, describedBy, onToggle) {
    this.onToggle = onToggle;
    watchPointer();
    this.button = h(
      "button",
      {
        type: "button",
        class: "menu-toggle",
        "aria-expanded": "false",
        "aria-controls": id,
        "aria-describedby": describedBy,
      },
      h("span", { class: "menu-dots", "aria-hidden": "true", text: "⋯" }),
      h("span", { class: "visually-hidden", text: label }),
    );
    this.list = h("ul", { class: "card-menu", id, hidden: true });
    /** @type {Map<HTMLButtonElement, HTMLLIElement>} */
    this.items = new Map();
    this.button.addEventListener("click", () => this.set(!this.isOpen));
    /** @type {HTMLElement[]} */
    const parts = [this.button, this.list];
    for (const part of parts) {
      part.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && this.isOpen) {
          event.preventDefault();
          event.stopPropagation();
          this.set(false, true);
        }
      });
      part.addEventListener("focusout", (event) => {
        const next = /** @type {Node | null} */ (event.relatedTarget);
        if (next && !this.contains(next) && !pointerDown) this.set(false);
      });
    }
  }

  get isOpen() {
    return !this.list.hidden;
  }

  /**
   * Add an action: choosing it closes the menu first, then runs it.
   *
   * @param {HTMLButtonElement} button
   * @param {() => void} run
   */
  add(button, run) {
    const li = h("li", {}, button);
    this.items.set(button, li);
    this.list.append(li);
    button.addEventListener("click", () => {
      this.set(false);
      run();
    });
  }

  /** Show the items whose buttons are not hidden; no button at all when none is offered. */
  sync() {
    let any = false;
    for (const [button, li] of this.items) {
      li.hidden = button.hidden;
      any ||= !button.hidden;
    }
    this.button.hidden = !any;
    if (!any && this.isOpen) this.set(false);
  }

  /** @param {Node} node */
  contains(node) {
    return this.button.contains(node) || this.list.contains(node);
  }

  /**
   * Open or close; `refocus` gives the focus back to the button.
   *
   * @param {boolean} open
   * @param {boolean} [refocus]
   */
  set(open, refocus = false) {
    const changed = open !== this.isOpen;
    this.list.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (refocus) this.button.focus();
    if (changed) this.onToggle(this, open);
  }

  /** Give the focus back to the button (after an action's work is done). */
  focus() {
    if (!this.button.hidden) this.button.focus();
  }
}
