// @ts-check
/**
 * The facilitator's console for breakout rounds ("Gruppenräume"): create a round (a number of
 * rooms with their names, or one room per field of action; capacity, mode, duration, countdown),
 * the preview of who goes where with a room `<select>` per person (the keyboard's way to move
 * someone, in the preview and live), open, visit a room and come back, the calls for help,
 * more time, close with the countdown or at once, and after it the next World Café round.
 *
 * The form is in the page's template; the round's part is built here from parts that are
 * rebuilt only when what they show changed, and the table of people is updated in place, so
 * that a `<select>` someone is using is not replaced under their hands while others move.
 */

import { seatsText } from "./breakout-panel.js";
import {
  createPayload,
  fieldRooms,
  MODES,
  newEntries,
  peopleRows,
  roomNames,
  EXTEND_SECONDS,
  COUNTDOWN_DEFAULT_S,
} from "./breakout-model.js";
import { byId, h, replaceKeepingFocus, showError } from "./dom.js";

/** @typedef {import("./breakout-model.js").Round} Round */
/** @typedef {import("./breakout-model.js").Member} Member */
/** @typedef {import("./breakout-model.js").RoomDraft} RoomDraft */
/** @typedef {import("./breakout-model.js").CreatePayload} CreatePayload */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * What the console's controls do; each resolves to an error code, or "" when it worked.
 *
 * @typedef {object} ConsoleActions
 * @property {(payload: CreatePayload) => Promise<string>} create
 * @property {(mode: string) => Promise<string>} assign
 * @property {(memberId: string, roomId: string | null) => Promise<string>} move
 * @property {() => Promise<string>} open
 * @property {(now: boolean) => Promise<string>} close
 * @property {(seconds: number) => Promise<string>} extend
 * @property {(roomId: string | null) => Promise<string>} visit
 * @property {(memberId: string) => Promise<string>} answerHelp
 * @property {() => Promise<string>} rotate
 * @property {(message: string) => void} say
 * @property {(code: string) => string} message
 */

/**
 * What the console shows.
 *
 * @typedef {object} ConsoleView
 * @property {Round | null} round
 * @property {{id: string, name: string, kind: string} | null} room  the room this facilitator is in
 * @property {Member[]} present  who is in that room
 * @property {(id: string) => string} nameOf  a member's pseudonym, "" when the page never saw them
 */

/**
 * @param {Translate} t
 * @param {string} mode
 */
export function modeLabel(t, mode) {
  switch (mode) {
    case "automatic":
      return t("breakout.mode.automatic");
    case "preference":
      return t("breakout.mode.preference");
    case "manual":
      return t("breakout.mode.manual");
    case "self_select":
      return t("breakout.mode.self_select");
    case "reuse":
      return t("breakout.mode.reuse");
    case "rotation":
      return t("breakout.mode.rotation");
    default:
      return mode;
  }
}

/**
 * @param {Translate} t
 * @param {string} mode
 */
export function modeHint(t, mode) {
  switch (mode) {
    case "automatic":
      return t("breakout.mode_hint.automatic");
    case "preference":
      return t("breakout.mode_hint.preference");
    case "manual":
      return t("breakout.mode_hint.manual");
    case "self_select":
      return t("breakout.mode_hint.self_select");
    case "reuse":
      return t("breakout.mode_hint.reuse");
    case "rotation":
      return t("breakout.mode_hint.rotation");
    default:
      return "";
  }
}

/**
 * @param {Translate} t
 * @param {string} status
 */
export function statusLabel(t, status) {
  switch (status) {
    case "draft":
      return t("breakout.status.draft");
    case "open":
      return t("breakout.status.open");
    case "closing":
      return t("breakout.status.closing");
    case "closed":
      return t("breakout.status.closed");
    default:
      return status;
  }
}

/** Modes that place people as soon as the round is created; the others wait for choices or hands. */
const ASSIGN_ON_CREATE = new Set(["automatic", "reuse", "rotation"]);

/** The order of the round's parts, by status. */
const ORDER = {
  draft: ["header", "assign", "rooms", "people", "controls"],
  open: ["header", "controls", "help", "rooms", "people"],
  closing: ["header", "controls", "help", "rooms", "people"],
  closed: ["header", "controls"],
};

export class BreakoutConsole {
  /**
   * @param {Translate} t
   * @param {ConsoleActions} actions
   */
  constructor(t, actions) {
    this.t = t;
    this.actions = actions;
    this.root = /** @type {HTMLDetailsElement} */ (byId("breakout-console", HTMLDetailsElement));
    this.roundBox = byId("breakout-round");
    this.error = byId("breakout-console-error");
    this.form = /** @type {HTMLFormElement} */ (byId("breakout-create", HTMLFormElement));
    this.count = /** @type {HTMLInputElement} */ (byId("breakout-count", HTMLInputElement));
    this.countRow = byId("breakout-count-row");
    this.fromFields = /** @type {HTMLInputElement} */ (byId("breakout-from-fields", HTMLInputElement));
    this.nameList = byId("breakout-name-list");
    this.capacity = /** @type {HTMLInputElement} */ (byId("breakout-capacity", HTMLInputElement));
    this.mode = /** @type {HTMLSelectElement} */ (byId("breakout-mode", HTMLSelectElement));
    this.modeHint = byId("breakout-mode-hint");
    this.duration = /** @type {HTMLInputElement} */ (byId("breakout-duration", HTMLInputElement));
    this.countdown = /** @type {HTMLInputElement} */ (byId("breakout-countdown-s", HTMLInputElement));
    this.createError = byId("breakout-create-error");
    /** @type {{id: string, name: string}[]} */
    this.fields = [];
    /** @type {RoomDraft[]} the rooms of the form */
    this.drafts = [];
    /** @type {string[]} names typed for numbered rooms, kept when the number changes */
    this.typed = [];
    /** @type {ConsoleView | null} */
    this.view = null;
    /** @type {string[]} the help queue as last shown */
    this.queue = [];
    this.queueRound = "";
    this.busy = false;
    /** the round's parts were reordered with the focus in them: it goes to the round's heading */
    this.focusAfterChange = false;

    /** @type {Record<string, HTMLElement>} */
    this.parts = {};
    for (const name of ["header", "assign", "help", "rooms", "people", "controls"]) {
      this.parts[name] = h("div", { class: `console-part console-part-${name}` });
    }
    this.order = "";
    // The table of people: rows kept per member, updated in place.
    this.peopleCaption = h("caption", {});
    this.peopleBody = h("tbody", {});
    this.peopleTable = h(
      "table",
      { class: "breakout-people" },
      this.peopleCaption,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: t("breakout.person") }),
          h("th", { scope: "col", text: t("breakout.room") }),
        ),
      ),
      this.peopleBody,
    );
    this.peopleEmpty = h("p", { class: "hint", text: t("breakout.nobody") });
    this.parts.people.append(h("div", { class: "table-scroll" }, this.peopleTable), this.peopleEmpty);
    /** @type {Map<string, {row: HTMLTableRowElement, name: HTMLElement, select: HTMLSelectElement, pending: boolean}>} */
    this.rows = new Map();
    this.optionsKey = "";

    this.mode.replaceChildren(...MODES.map((mode) => h("option", { value: mode, text: modeLabel(t, mode) })));
    this.countdown.value = String(COUNTDOWN_DEFAULT_S);
    this.wire();
    this.syncForm();
  }

  wire() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    this.form.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement && event.target.name === "rooms_from") this.syncForm();
    });
    this.count.addEventListener("input", () => this.syncForm());
    this.mode.addEventListener("change", () => (this.modeHint.textContent = modeHint(this.t, this.mode.value)));
    this.modeHint.textContent = modeHint(this.t, this.mode.value);
  }

  /** @param {{id: string, name: string}[]} fields  the event's fields of action */
  setFields(fields) {
    this.fields = fields;
    this.syncForm();
  }

  // -- the form of a new round -------------------------------------------------------------------

  /** The rooms of the form from its choices: numbered, or one per field of action. */
  syncForm() {
    const byField = this.fromFields.checked;
    this.countRow.hidden = byField;
    if (byField) {
      this.drafts = fieldRooms(this.fields);
    } else {
      const count = Number(this.count.value);
      const names = roomNames(Number.isFinite(count) ? count : 0, this.typed, (number) =>
        this.t("breakout.room_default", { index: number }),
      );
      this.drafts = names.map((name) => ({ name, topic: "", field_id: null }));
    }
    this.renderNames();
  }

  renderNames() {
    const byField = this.fromFields.checked;
    const items = this.drafts.map((draft, index) => {
      const id = `breakout-name-${index}`;
      const input = h("input", {
        id,
        "data-key": id,
        maxlength: "60",
        value: draft.name,
        autocomplete: "off",
      });
      input.addEventListener("input", () => {
        draft.name = input.value;
        if (!byField) this.typed[index] = input.value;
      });
      return h(
        "li",
        {},
        h("label", { for: id, text: this.t("breakout.room_name", { index: index + 1 }) }),
        input,
        draft.field_id
          ? h("span", { class: "hint", text: this.t("breakout.room_field", { name: draft.topic }) })
          : null,
      );
    });
    replaceKeepingFocus(this.nameList, items);
  }

  async create() {
    const t = this.t;
    /** @type {HTMLElement | null} */
    let control = null;
    const checked = createPayload({
      rooms: this.drafts,
      capacity: this.capacity.value,
      mode: this.mode.value,
      duration: this.duration.value,
      countdown: this.countdown.value,
    });
    for (const el of [
      this.count,
      this.capacity,
      this.duration,
      this.countdown,
      ...this.nameList.querySelectorAll("input"),
    ]) {
      showError(this.createError, /** @type {HTMLElement} */ (el), "");
    }
    if ("error" in checked) {
      /** @type {string} */
      let message;
      switch (checked.error) {
        case "count":
          message = t("breakout.invalid.count");
          control = this.fromFields.checked ? this.fromFields : this.count;
          break;
        case "name":
          message = t("breakout.invalid.name", { index: (checked.index ?? 0) + 1 });
          control = document.getElementById(`breakout-name-${checked.index ?? 0}`);
          break;
        case "names_twice":
          message = t("breakout.invalid.names_twice", { index: (checked.index ?? 0) + 1 });
          control = document.getElementById(`breakout-name-${checked.index ?? 0}`);
          break;
        case "capacity":
          message = t("breakout.invalid.capacity");
          control = this.capacity;
          break;
        case "duration":
          message = t("breakout.invalid.duration");
          control = this.duration;
          break;
        case "countdown":
          message = t("breakout.invalid.countdown");
          control = this.countdown;
          break;
        default:
          message = t("breakout.invalid.mode");
          control = this.mode;
      }
      showError(this.createError, control, message);
      control?.focus();
      return;
    }
    const mode = checked.payload.mode;
    const ok = await this.run(this.createError, async () => {
      const code = await this.actions.create(checked.payload);
      if (code) return code;
      if (ASSIGN_ON_CREATE.has(mode)) return this.actions.assign(mode);
      return "";
    });
    if (!ok) return;
    const rooms = checked.payload.rooms.length;
    this.actions.say(t("announce.round_created", { count: rooms }));
    this.focusRound();
  }

  focusRound() {
    /** @type {HTMLElement | null} */ (this.roundBox.querySelector("#breakout-round-heading"))?.focus();
  }

  /**
   * Run a request once at a time; its error shows in `errorEl`.
   *
   * @param {HTMLElement} errorEl
   * @param {() => Promise<string>} request
   * @returns {Promise<boolean>} whether it worked
   */
  async run(errorEl, request) {
    if (this.busy) return false;
    this.busy = true;
    try {
      const code = await request();
      showError(errorEl, null, code ? this.actions.message(code) : "");
      return !code;
    } finally {
      this.busy = false;
    }
  }

  // -- the round ----------------------------------------------------------------------------------

  /** @param {ConsoleView} view */
  render(view) {
    this.view = view;
    const round = view.round;
    this.announceHelp(round, view);
    const status = round?.status ?? "none";
    this.form.hidden = status === "draft" || status === "open" || status === "closing";
    if (!round) {
      this.roundBox.replaceChildren();
      this.order = "";
      return;
    }
    const order = ORDER[round.status] ?? [];
    if (this.order !== `${round.id}:${round.status}`) {
      const hadFocus = this.roundBox.contains(document.activeElement);
      this.roundBox.replaceChildren(...order.map((name) => this.parts[name]));
      this.order = `${round.id}:${round.status}`;
      for (const part of Object.values(this.parts)) delete part.dataset.key;
      if (hadFocus && !this.roundBox.contains(document.activeElement)) this.focusAfterChange = true;
    }
    this.part("header", [round.id, round.number, round.status, round.mode], () => this.header(round));
    if (round.status === "draft") this.part("assign", [round.id, round.mode], () => this.assignRow(round));
    this.part("controls", [round.id, round.status, view.room?.kind], () => this.controls(round, view));
    if (round.status !== "closed") {
      const roomsKey = [round.id, round.status, view.room?.id, ...round.rooms.map((r) => `${r.id}:${r.size}`)];
      this.part("rooms", roomsKey, () => this.rooms(round, view));
      this.updatePeople(round, view);
    }
    if (round.status === "open" || round.status === "closing") {
      const queue = round.help_queue ?? [];
      const placement = round.placement ?? {};
      const helpKey = [round.id, ...queue.map((id) => `${id}:${placement[id]}:${view.nameOf(id)}`)];
      this.part("help", helpKey, () => this.help(round, view));
    }
    if (this.focusAfterChange) {
      this.focusAfterChange = false;
      this.focusRound();
    }
  }

  /**
   * Rebuild a part when what it shows changed.
   *
   * @param {string} name
   * @param {unknown[]} key
   * @param {() => (Node | null)[]} build
   */
  part(name, key, build) {
    const el = this.parts[name];
    const text = JSON.stringify(key);
    if (el.dataset.key === text) return;
    el.dataset.key = text;
    if (
      replaceKeepingFocus(
        el,
        build().filter((n) => n !== null),
      )
    )
      this.focusRound();
  }

  /**
   * @param {Round | null} round
   * @param {ConsoleView} view
   */
  announceHelp(round, view) {
    const queue = round?.help_queue ?? [];
    if (!round || round.id !== this.queueRound) {
      this.queueRound = round?.id ?? "";
      this.queue = queue;
      return;
    }
    for (const id of newEntries(this.queue, queue)) {
      const roomId = round.placement?.[id];
      const room = round.rooms.find((r) => r.id === roomId)?.name ?? "";
      this.actions.say(this.t("announce.help_called", { name: this.displayName(id, view), room }));
    }
    this.queue = queue;
  }

  /**
   * @param {string} id
   * @param {ConsoleView} view
   */
  displayName(id, view) {
    return view.nameOf(id) || this.t("breakout.unknown_member", { id: id.slice(-4) });
  }

  /** @param {Round} round */
  header(round) {
    const t = this.t;
    return [
      h("h3", {
        id: "breakout-round-heading",
        class: "console-heading",
        tabindex: "-1",
        text: t("breakout.round_heading", { round: round.number, status: statusLabel(t, round.status) }),
      }),
      h(
        "p",
        { class: "hint" },
        t("breakout.round_mode", { mode: modeLabel(t, round.mode) }),
        " ",
        modeHint(t, round.mode),
      ),
    ];
  }

  /** @param {Round} round */
  assignRow(round) {
    const t = this.t;
    const select = h(
      "select",
      { id: "breakout-assign-mode", "data-key": "assign-mode" },
      ...MODES.map((mode) => h("option", { value: mode, text: modeLabel(t, mode) })),
    );
    select.value = round.mode;
    const button = h("button", {
      type: "button",
      class: "secondary",
      "data-key": "assign",
      text: t("breakout.assign"),
    });
    button.addEventListener("click", () =>
      this.run(this.error, async () => {
        const code = await this.actions.assign(select.value);
        if (!code) this.actions.say(t("announce.assigned_rooms"));
        return code;
      }),
    );
    return [
      h(
        "div",
        { class: "console-row" },
        h("label", { for: "breakout-assign-mode", text: t("breakout.assign_mode") }),
        select,
        button,
      ),
    ];
  }

  /**
   * @param {Round} round
   * @param {ConsoleView} view
   */
  controls(round, view) {
    const t = this.t;
    /**
     * @param {string} key
     * @param {string} label
     * @param {string} className
     * @param {() => Promise<string>} request
     * @param {string} success
     */
    const action = (key, label, className, request, success) => {
      const el = h("button", { type: "button", class: className, "data-key": key, text: label });
      el.addEventListener("click", () =>
        this.run(this.error, async () => {
          const code = await request();
          if (!code && success) this.actions.say(success);
          return code;
        }),
      );
      return el;
    };
    /** @type {(HTMLElement | null)[]} */
    let buttons = [];
    if (round.status === "draft") {
      buttons = [action("open", t("breakout.open"), "", () => this.actions.open(), t("announce.rooms_opened"))];
    } else if (round.status === "open") {
      buttons = [
        action(
          "extend",
          t("breakout.extend", { count: EXTEND_SECONDS / 60 }),
          "secondary",
          () => this.actions.extend(EXTEND_SECONDS),
          t("announce.rooms_extended", { count: EXTEND_SECONDS / 60 }),
        ),
        action("close", t("breakout.close_countdown"), "", () => this.actions.close(false), ""),
        action(
          "close-now",
          t("breakout.close_now"),
          "danger",
          () => this.actions.close(true),
          t("announce.rooms_closed"),
        ),
      ];
    } else if (round.status === "closing") {
      buttons = [
        action(
          "close-now",
          t("breakout.close_now"),
          "danger",
          () => this.actions.close(true),
          t("announce.rooms_closed"),
        ),
      ];
    } else {
      buttons = [
        h("p", { class: "hint", text: t("breakout.closed_hint") }),
        action("rotate", t("breakout.rotate"), "", () => this.actions.rotate(), t("announce.rotated")),
      ];
      // A visit outlasts the round (the rooms closed around this facilitator): the way back.
      if (view.room?.kind === "breakout") {
        buttons.push(
          action("visit-plenary", t("breakout.back_to_plenary"), "secondary", () => this.actions.visit(null), ""),
        );
      }
    }
    return [h("div", { class: "console-row" }, ...buttons.filter((b) => b !== null))];
  }

  /**
   * @param {Round} round
   * @param {ConsoleView} view
   */
  rooms(round, view) {
    const t = this.t;
    const live = round.status === "open" || round.status === "closing";
    const here = view.room;
    const list = h(
      "ul",
      { class: "breakout-room-list" },
      ...round.rooms.map((room) => {
        const item = h(
          "li",
          {},
          h("span", { class: "breakout-room-name", text: room.name }),
          h("span", { class: "breakout-seats", text: seatsText(t, room) }),
        );
        if (!live) return item;
        if (here?.id === room.id) {
          item.append(h("span", { class: "breakout-yours", text: t("breakout.you_are_here") }));
          return item;
        }
        const visit = h(
          "button",
          { type: "button", class: "secondary small", "data-key": `visit-${room.id}` },
          t("breakout.visit"),
          h("span", { class: "visually-hidden", text: ` (${room.name})` }),
        );
        visit.addEventListener("click", () => this.run(this.error, () => this.actions.visit(room.id)));
        item.append(visit);
        return item;
      }),
    );
    /** @type {(Node | null)[]} */
    const out = [h("h4", { class: "breakout-subheading", text: t("breakout.rooms") }), list];
    if (live) {
      const away = here?.kind === "breakout";
      out.push(
        h("p", { text: away ? t("breakout.visiting", { name: here?.name ?? "" }) : t("breakout.in_plenary_mod") }),
      );
      if (away) {
        const back = h("button", { type: "button", "data-key": "visit-plenary", text: t("breakout.back_to_plenary") });
        back.addEventListener("click", () => this.run(this.error, () => this.actions.visit(null)));
        out.push(h("p", {}, back));
      }
    }
    return out;
  }

  /**
   * @param {Round} round
   * @param {ConsoleView} view
   */
  help(round, view) {
    const t = this.t;
    const queue = round.help_queue ?? [];
    const heading = h("h4", { class: "breakout-subheading", text: t("breakout.help_queue", { count: queue.length }) });
    if (queue.length === 0) return [heading, h("p", { class: "hint", text: t("breakout.help_none") })];
    return [
      heading,
      h(
        "ul",
        { class: "breakout-help-queue" },
        ...queue.map((id) => {
          const name = this.displayName(id, view);
          const room = round.rooms.find((r) => r.id === round.placement?.[id])?.name ?? "";
          const go = h(
            "button",
            { type: "button", class: "small", "data-key": `answer-${id}` },
            t("breakout.help_go"),
            h("span", { class: "visually-hidden", text: ` (${name})` }),
          );
          go.addEventListener("click", () => this.run(this.error, () => this.actions.answerHelp(id)));
          return h("li", {}, h("span", { text: t("breakout.help_item", { name, room }) }), " ", go);
        }),
      ),
    ];
  }

  // -- who goes where: the table, updated in place ------------------------------------------------

  /**
   * @param {Round} round
   * @param {ConsoleView} view
   */
  updatePeople(round, view) {
    const t = this.t;
    const rows = peopleRows(round.placement ?? {}, view.present, view.nameOf);
    this.peopleCaption.textContent = t(round.status === "draft" ? "breakout.people_preview" : "breakout.people_live");
    const optionsKey = JSON.stringify([round.id, ...round.rooms.map((r) => [r.id, r.name])]);
    const rebuildOptions = optionsKey !== this.optionsKey;
    this.optionsKey = optionsKey;
    const seen = new Set();
    for (const person of rows) {
      seen.add(person.id);
      let entry = this.rows.get(person.id);
      if (!entry) {
        const select = h("select", { "data-key": `move-${person.id}` });
        const name = h("th", { scope: "row" });
        const row = h("tr", {}, name, h("td", {}, select));
        const created = { row, name, select, pending: false };
        select.addEventListener("change", () => this.move(person.id, created));
        this.rows.set(person.id, created);
        entry = created;
        this.fillOptions(select, round);
      } else if (rebuildOptions) {
        this.fillOptions(entry.select, round);
      }
      const display = person.name || t("breakout.unknown_member", { id: person.id.slice(-4) });
      if (entry.name.textContent !== display) entry.name.textContent = display;
      const label = t("breakout.room_for", { name: display });
      if (entry.select.getAttribute("aria-label") !== label) entry.select.setAttribute("aria-label", label);
      const value = person.roomId ?? "";
      if (!entry.pending && entry.select.value !== value) entry.select.value = value;
    }
    for (const [id, entry] of this.rows) {
      if (!seen.has(id)) {
        entry.row.remove();
        this.rows.delete(id);
      }
    }
    // In order, moving rows only when the order changed (moving a row would take the focus from it).
    const wanted = rows.map((person) => /** @type {{row: HTMLTableRowElement}} */ (this.rows.get(person.id)).row);
    const current = [...this.peopleBody.children];
    if (wanted.length !== current.length || wanted.some((row, i) => row !== current[i])) {
      const focused = document.activeElement;
      this.peopleBody.replaceChildren(...wanted);
      if (focused instanceof HTMLElement && this.peopleBody.contains(focused)) focused.focus();
    }
    this.peopleTable.hidden = rows.length === 0;
    this.peopleEmpty.hidden = rows.length > 0;
  }

  /**
   * @param {HTMLSelectElement} select
   * @param {Round} round
   */
  fillOptions(select, round) {
    const value = select.value;
    select.replaceChildren(
      h("option", { value: "", text: this.t("breakout.plenary") }),
      ...round.rooms.map((room) => h("option", { value: room.id, text: room.name })),
    );
    select.value = value;
  }

  /**
   * Someone's room was changed in their select: move them (in the preview, or live).
   *
   * @param {string} memberId
   * @param {{select: HTMLSelectElement, name: HTMLElement, pending: boolean}} entry
   */
  async move(memberId, entry) {
    const t = this.t;
    const roomId = entry.select.value || null;
    entry.pending = true;
    const code = await this.actions.move(memberId, roomId);
    entry.pending = false;
    showError(this.error, null, code ? this.actions.message(code) : "");
    const round = this.view?.round;
    if (code) {
      entry.select.value = (round?.placement ?? {})[memberId] ?? "";
      return;
    }
    const room = roomId ? (round?.rooms.find((r) => r.id === roomId)?.name ?? "") : t("breakout.plenary");
    this.actions.say(t("announce.person_moved", { name: entry.name.textContent ?? "", room }));
    if (this.view) this.render(this.view);
  }
}
