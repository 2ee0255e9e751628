// @ts-check
/**
 * Breakout rounds in the browser, the pure part: the round as the page keeps it, the form that
 * creates one, seats and who goes where, ranked topic choices, and when the countdown speaks.
 * The views (`breakout-panel.js`, `breakout-console.js`, `breakout-countdown.js`) turn this into
 * DOM; `breakouts.js` wires it to the connection. The limits mirror `rooms/breakouts.py`; the
 * server checks everything again.
 */

/**
 * @typedef {{id: string, name: string, topic: string, field_id: string | null, capacity: number | null,
 *   host_id: string | null, size: number}} BreakoutRoom
 * @typedef {"draft" | "open" | "closing" | "closed"} RoundStatus
 * @typedef {"automatic" | "preference" | "manual" | "self_select" | "reuse" | "rotation"} Mode
 * @typedef {{id: string, number: number, status: RoundStatus, mode: Mode, rooms: BreakoutRoom[],
 *   duration_s: number | null, countdown_s: number, opened_at: string | null, ends_at: string | null,
 *   closes_at: string | null, closed_at: string | null, seq: number, my_room?: string | null,
 *   asked_help?: boolean, my_preferences?: string[], placement?: Record<string, string> | null,
 *   help_queue?: string[] | null, names?: Record<string, string> | null}} Round
 * @typedef {{id: string, pseudonym: string, colour?: string, role: string}} Member
 * @typedef {{name: string, topic: string, field_id: string | null}} RoomDraft
 */

export const ROOMS_MAX = 100;
export const ROOM_NAME_MAX = 60;
export const CAPACITY_MAX = 500;
export const DURATION_MAX_MINUTES = 240;
export const COUNTDOWN_MIN_S = 10;
export const COUNTDOWN_MAX_S = 120;
export const COUNTDOWN_DEFAULT_S = 60;
export const PREFER_MAX = 5;
/** What "+5 min" gives an open round. */
export const EXTEND_SECONDS = 300;
/** The countdown says so once when this many seconds or fewer are left. */
export const FINAL_SECONDS = 10;

/** The modes of a round (`rooms.breakouts.Mode`), in the order the console offers them. */
export const MODES = Object.freeze(["automatic", "preference", "manual", "self_select", "reuse", "rotation"]);

/**
 * The round and what only this member knows of it. `breakout.changed` goes to the whole event
 * in one form, so its `my_room` and `asked_help` say nothing about us: they come from our own
 * acknowledgements and `breakout.state`, and a new round starts them afresh.
 */
export class RoundState {
  constructor() {
    /** @type {Round | null} */
    this.round = null;
    /** @type {string | null} our room in the round (placed or previewed) */
    this.myRoom = null;
    this.askedHelp = false;
    /** @type {string[]} our ranked topic choices (preference rounds), as we last sent them */
    this.preferences = [];
  }

  /**
   * An answer about us (`breakout.state`, or the acknowledgement of our own command).
   *
   * @param {Round | null} round
   */
  own(round) {
    this.broadcast(round);
    if (round) {
      this.myRoom = round.my_room ?? null;
      this.askedHelp = round.asked_help === true;
      this.preferences = round.my_preferences ?? this.preferences;
    }
  }

  /**
   * `breakout.changed`: the round as everyone sees it. An older `seq` of the same round is ignored.
   * Returns false when it was ignored.
   *
   * @param {Round | null} round
   * @returns {boolean}
   */
  broadcast(round) {
    const before = this.round;
    if (round && before && round.id === before.id && round.seq < before.seq) return false;
    if (!round || !before || round.id !== before.id) {
      this.myRoom = null;
      this.askedHelp = false;
      this.preferences = [];
    }
    this.round = round;
    return true;
  }

  /** @param {string} roomId */
  room(roomId) {
    return this.round?.rooms.find((r) => r.id === roomId) ?? null;
  }
}

/**
 * Whether a round's rooms are open (people are in them): open, or counting down to closing.
 *
 * @param {Round | null} round
 */
export function isLive(round) {
  return round !== null && (round.status === "open" || round.status === "closing");
}

/**
 * The names of `count` rooms: the ones given so far stay (a person may have edited them), the
 * others are `defaultName(number)`.
 *
 * @param {number} count
 * @param {string[]} previous
 * @param {(number: number) => string} defaultName
 * @returns {string[]}
 */
export function roomNames(count, previous, defaultName) {
  const n = Math.max(0, Math.min(ROOMS_MAX, Math.floor(count) || 0));
  return Array.from({ length: n }, (_, index) => previous[index] ?? defaultName(index + 1));
}

/**
 * One room per field of action: its name (cut to what a room's name may hold), the field as topic.
 *
 * @param {{id: string, name: string}[]} fields
 * @returns {RoomDraft[]}
 */
export function fieldRooms(fields) {
  return fields
    .slice(0, ROOMS_MAX)
    .map((f) => ({ name: f.name.slice(0, ROOM_NAME_MAX), topic: f.name.slice(0, 200), field_id: f.id }));
}

/**
 * A whole number from a form field; "" (and only spaces) is null, anything else not a whole number NaN.
 *
 * @param {string} text
 * @returns {number | null}
 */
export function wholeNumber(text) {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/**
 * @typedef {object} CreateForm
 * @property {RoomDraft[]} rooms
 * @property {string} capacity  "" for no limit
 * @property {string} mode
 * @property {string} duration  minutes, "" for none
 * @property {string} countdown  seconds
 *
 * @typedef {{rooms: {name: string, topic?: string, field_id?: string, capacity?: number}[], mode: Mode,
 *   duration_s: number | null, countdown_s: number}} CreatePayload
 *
 * @typedef {{error: "count" | "name" | "names_twice" | "capacity" | "duration" | "countdown" | "mode",
 *   index?: number}} CreateError
 */

/**
 * Check the form of a new round as the server would, and build `breakout.create`'s payload.
 *
 * @param {CreateForm} form
 * @returns {{payload: CreatePayload} | CreateError}
 */
export function createPayload(form) {
  if (form.rooms.length < 1 || form.rooms.length > ROOMS_MAX) return { error: "count" };
  /** @type {Set<string>} */
  const seen = new Set();
  for (const [index, room] of form.rooms.entries()) {
    const name = room.name.trim();
    if (name === "" || name.length > ROOM_NAME_MAX) return { error: "name", index };
    const key = name.toLocaleLowerCase();
    if (seen.has(key)) return { error: "names_twice", index };
    seen.add(key);
  }
  const capacity = wholeNumber(form.capacity);
  if (capacity !== null && !(capacity >= 1 && capacity <= CAPACITY_MAX)) return { error: "capacity" };
  const duration = wholeNumber(form.duration);
  if (duration !== null && !(duration >= 1 && duration <= DURATION_MAX_MINUTES)) return { error: "duration" };
  const countdown = wholeNumber(form.countdown);
  if (countdown === null || !(countdown >= COUNTDOWN_MIN_S && countdown <= COUNTDOWN_MAX_S)) {
    return { error: "countdown" };
  }
  if (!MODES.includes(form.mode)) return { error: "mode" };
  return {
    payload: {
      rooms: form.rooms.map((room) => {
        /** @type {{name: string, topic?: string, field_id?: string, capacity?: number}} */
        const out = { name: room.name.trim() };
        if (room.topic) out.topic = room.topic;
        if (room.field_id) out.field_id = room.field_id;
        if (capacity !== null) out.capacity = capacity;
        return out;
      }),
      mode: /** @type {Mode} */ (form.mode),
      duration_s: duration === null ? null : duration * 60,
      countdown_s: countdown,
    },
  };
}

/**
 * Whether a room has no seat left (for someone not in it yet).
 *
 * @param {BreakoutRoom} room
 */
export function isFull(room) {
  return room.capacity !== null && room.size >= room.capacity;
}

/**
 * Who to list in the console's table of who goes where: everyone placed, and the participants
 * present here who are not, by name. A member the page never saw (joined straight into a room)
 * has no name: `name` is then "".
 *
 * @param {Record<string, string>} placement
 * @param {Member[]} present  the members present in the facilitator's room
 * @param {(id: string) => string} nameOf  "" when unknown
 * @returns {{id: string, name: string, roomId: string | null}[]}
 */
export function peopleRows(placement, present, nameOf) {
  /** @type {Map<string, string | null>} */
  const rows = new Map();
  for (const member of present) if (member.role === "participant") rows.set(member.id, null);
  for (const [memberId, roomId] of Object.entries(placement)) rows.set(memberId, roomId);
  return [...rows]
    .map(([id, roomId]) => ({ id, name: nameOf(id), roomId }))
    .sort((a, b) => {
      if (!a.name !== !b.name) return a.name ? -1 : 1; // the unknown last
      const x = a.name.toLocaleLowerCase();
      const y = b.name.toLocaleLowerCase();
      if (x !== y) return x < y ? -1 : 1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
}

/**
 * Those in `after` who were not in `before`: new calls for help, to announce once.
 *
 * @param {string[]} before
 * @param {string[]} after
 */
export function newEntries(before, after) {
  const old = new Set(before);
  return after.filter((id) => !old.has(id));
}

/**
 * Add a room to the ranked choices (at the end), unless it is there or the list is full.
 *
 * @param {string[]} choices
 * @param {string} roomId
 * @returns {string[]}
 */
export function addChoice(choices, roomId) {
  if (choices.includes(roomId) || choices.length >= PREFER_MAX) return choices;
  return [...choices, roomId];
}

/**
 * @param {string[]} choices
 * @param {string} roomId
 * @returns {string[]}
 */
export function removeChoice(choices, roomId) {
  return choices.filter((id) => id !== roomId);
}

/**
 * Move a choice `step` places (-1: up, 1: down); at either end it stays.
 *
 * @param {string[]} choices
 * @param {string} roomId
 * @param {number} step
 * @returns {string[]}
 */
export function moveChoice(choices, roomId, step) {
  const from = choices.indexOf(roomId);
  const to = from + step;
  if (from < 0 || to < 0 || to >= choices.length) return choices;
  const out = [...choices];
  out.splice(from, 1);
  out.splice(to, 0, roomId);
  return out;
}

/**
 * When the countdown speaks: once as it starts, once at the last `FINAL_SECONDS` — not every
 * second. A new countdown (another round, or a new closing time) starts again.
 */
export class CountdownCues {
  constructor() {
    this.key = "";
    this.started = false;
    this.final = false;
  }

  /**
   * @param {string} key  what identifies this countdown (the round and its closing time)
   * @param {number} seconds  whole seconds left
   * @returns {"start" | "final" | null}  what to say now
   */
  next(key, seconds) {
    if (key !== this.key) {
      this.key = key;
      this.started = false;
      this.final = false;
    }
    if (seconds <= 0) return null;
    if (!this.started) {
      this.started = true;
      if (seconds <= FINAL_SECONDS) this.final = true;
      return "start";
    }
    if (!this.final && seconds <= FINAL_SECONDS) {
      this.final = true;
      return "final";
    }
    return null;
  }
}

/**
 * What the participants' panel shows.
 *
 * - `hidden`: no round, or nothing for this member to do;
 * - `wait`: a round is being prepared (the facilitators place people);
 * - `choose`: a self-select round (in draft, or open): the rooms to choose from (and, in a
 *   breakout room, what `inroom` shows);
 * - `prefer`: a preference round in draft: ranked topic choices;
 * - `inroom`: in a breakout room while the round is live;
 * - `plenary`: the rooms are live, but this member is in the plenary;
 * - `results`: the round closed: what the groups produced.
 *
 * @param {Round | null} round
 * @param {{role: string, roomKind: string}} me  `roomKind` of the room the page is in
 * @returns {"hidden" | "wait" | "choose" | "prefer" | "inroom" | "plenary" | "results"}
 */
export function panelMode(round, me) {
  if (!round) return "hidden";
  if (round.status === "closed") return "results";
  const moderator = me.role === "organizer" || me.role === "facilitator";
  if (moderator) return "hidden"; // their console shows the round
  const participant = me.role === "participant";
  if (round.status === "draft") {
    if (participant && round.mode === "self_select") return "choose";
    if (participant && round.mode === "preference") return "prefer";
    return "wait";
  }
  if (participant && round.mode === "self_select" && round.status === "open") return "choose";
  return me.roomKind === "breakout" ? "inroom" : "plenary";
}
