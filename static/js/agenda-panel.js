// @ts-check
/**
 * The agenda on the room page: the current step for everyone (in the header area), and for
 * facilitators an editor: the steps with up/down, remove and "set current" buttons, previous
 * and next, and a form to add a step (title, kind, duration in minutes).
 */

import { byId, h, replaceKeepingFocus, showError } from "./dom.js";
import { currentStep, movedPosition } from "./facilitation-model.js";

/** @typedef {import("./facilitation-model.js").Agenda} Agenda */
/** @typedef {import("./facilitation-model.js").Step} Step */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * The name of a step's kind.
 *
 * @param {Translate} t
 * @param {string} kind
 */
export function kindName(t, kind) {
  switch (kind) {
    case "input":
      return t("agenda.kind.input");
    case "plenary":
      return t("agenda.kind.plenary");
    case "breakout":
      return t("agenda.kind.breakout");
    case "voting":
      return t("agenda.kind.voting");
    case "break":
      return t("agenda.kind.break");
    default:
      return kind;
  }
}

/**
 * @typedef {object} AgendaActions
 * @property {(payload: {title: string, kind: string, duration_s: number}) => Promise<string>} add
 * @property {(stepId: string, position: number) => Promise<string>} move
 * @property {(stepId: string) => Promise<string>} remove
 * @property {(stepId: string) => Promise<string>} setCurrent
 * @property {(forward: boolean) => Promise<string>} step
 * @property {(code: string) => string} message
 */

export class AgendaLine {
  /** @param {Translate} t */
  constructor(t) {
    this.t = t;
    this.root = byId("agenda-now");
    this.title = byId("agenda-now-title");
    this.kind = byId("agenda-now-kind");
  }

  /** @param {Agenda | null} agenda */
  render(agenda) {
    const step = currentStep(agenda);
    this.root.hidden = !step;
    if (!step) return;
    this.title.textContent = step.title;
    this.kind.textContent = `(${kindName(this.t, step.kind)})`;
    this.root.dataset.kind = step.kind;
  }
}

export class AgendaEditor {
  /**
   * @param {Translate} t
   * @param {AgendaActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.list = byId("agenda-steps");
    this.empty = byId("agenda-empty");
    this.error = byId("agenda-error");
    this.form = /** @type {HTMLFormElement} */ (byId("agenda-add", HTMLFormElement));
    this.title = /** @type {HTMLInputElement} */ (byId("agenda-title", HTMLInputElement));
    this.kind = /** @type {HTMLSelectElement} */ (byId("agenda-kind", HTMLSelectElement));
    this.minutes = /** @type {HTMLInputElement} */ (byId("agenda-minutes", HTMLInputElement));
    this.addError = byId("agenda-add-error");
    this.previous = byId("agenda-previous");
    this.next = byId("agenda-next");
    /** @type {Agenda | null} */
    this.agenda = null;
    this.previous.addEventListener("click", () => this.act(() => actions.step(false)));
    this.next.addEventListener("click", () => this.act(() => actions.step(true)));
    this.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const minutes = Number(this.minutes.value || "0");
      if (!Number.isFinite(minutes) || minutes < 0) {
        showError(this.addError, this.minutes, this.t("agenda.bad_minutes"));
        return;
      }
      showError(this.addError, this.title, "");
      showError(this.addError, this.minutes, "");
      const code = await actions.add({
        title: this.title.value,
        kind: this.kind.value,
        duration_s: Math.round(minutes * 60),
      });
      if (code) showError(this.addError, this.title, actions.message(code));
      else {
        this.title.value = "";
        this.title.focus();
      }
    });
  }

  /** @param {() => Promise<string>} action */
  async act(action) {
    showError(this.error, null, "");
    const code = await action();
    if (code) showError(this.error, null, this.actions.message(code));
  }

  /** @param {Agenda | null} agenda */
  render(agenda) {
    this.agenda = agenda;
    const steps = agenda?.steps ?? [];
    const items = steps.map((step, index) => this.item(/** @type {Agenda} */ (agenda), step, index));
    if (replaceKeepingFocus(this.list, items)) this.title.focus();
    this.empty.hidden = steps.length > 0;
    this.previous.hidden = !agenda?.current;
    this.next.hidden = steps.length === 0;
  }

  /**
   * @param {Agenda} agenda
   * @param {Step} step
   * @param {number} index
   */
  item(agenda, step, index) {
    const current = agenda.current === step.id;
    const minutes = Math.round(step.duration_s / 60);
    const kind = kindName(this.t, step.kind);
    const length = minutes ? this.t("agenda.minutes_value", { count: minutes }) : "";
    const line = h(
      "p",
      { class: "agenda-step-line" },
      h("span", { class: "agenda-step-title", text: `${index + 1}. ${step.title}` }),
      " ",
      h("span", {
        class: "hint",
        text: length ? `${kind}, ${length}` : kind,
      }),
    );
    if (current) line.append(" ", h("strong", { class: "agenda-current-flag", text: this.t("agenda.current") }));
    const buttons = h("p", { class: "agenda-step-buttons" });
    const add = (/** @type {string} */ key, /** @type {string} */ text, /** @type {() => Promise<string>} */ run) => {
      const button = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `${key}-${step.id}`,
        "aria-label": `${text}: ${step.title}`,
        text,
      });
      button.addEventListener("click", () => this.act(run));
      buttons.append(button, " ");
    };
    const up = movedPosition(agenda, step.id, -1);
    const down = movedPosition(agenda, step.id, 1);
    if (up !== null) add("up", this.t("agenda.up"), () => this.actions.move(step.id, up));
    if (down !== null) add("down", this.t("agenda.down"), () => this.actions.move(step.id, down));
    if (!current) add("current", this.t("agenda.set_current"), () => this.actions.setCurrent(step.id));
    if (!current) add("remove", this.t("agenda.remove"), () => this.actions.remove(step.id));
    return h("li", { class: current ? "agenda-step is-current" : "agenda-step", "aria-current": current ? "step" : undefined }, line, buttons);
  }
}
