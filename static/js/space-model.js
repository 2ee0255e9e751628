// @ts-check
/**
 * What the page knows of its room's space, without the DOM: the people (name, colour, status,
 * position), the zones and who is in each, and this member's conversation. It applies the
 * server's events (`space.enter`'s answer, `space.moves`, `space.gone`, `space.zones`,
 * `space.status`, `conversation.changed`, docs/space.md) and says what changed, so the views
 * redraw and the list view announces joins and leaves.
 */

import { isDirection } from "./space-motion.js";
import { TILE } from "./space-path.js";

/** @typedef {import("./space-motion.js").Direction} Direction */
/** @typedef {"available" | "away" | "hand"} Status */
/** @typedef {"spawn" | "table" | "private" | "stage" | "quiet" | "board" | "wall"} ZoneKind */
/**
 * @typedef {{id: string, kind: ZoneKind, name: string, rect: {x: number, y: number, w: number, h: number},
 *   capacity: number | null, board: string | null}} Zone
 */
/**
 * @typedef {{id: string, pseudonym: string, colour: string, status: Status,
 *   x: number | null, y: number | null, dir: Direction, moving: boolean}} Person
 *   x and y are null while the person is out of sight (not near: no moves are sent for them)
 */
/** @typedef {"bubble" | "table" | "private" | "stage"} ConversationKind */
/**
 * @typedef {{id: string, kind: ConversationKind, zone_id: string | null, members: string[], locked: boolean}} Conversation
 */
/** @typedef {{joined: string[], left: string[], before: Conversation | null, after: Conversation | null}} ConversationDiff */

export const STATUSES = Object.freeze(["available", "away", "hand"]);
export const ZONE_KINDS = Object.freeze(["spawn", "table", "private", "stage", "quiet", "board", "wall"]);
export const CONVERSATION_KINDS = Object.freeze(["bubble", "table", "private", "stage"]);
/** Zones a person can be in and the list view shows, in this order. */
export const LISTED_KINDS = Object.freeze(["stage", "table", "private", "quiet", "board"]);
/** At most this many in one conversation's audio and video (the server's `MEDIA_MAX`). */
export const MEDIA_MAX = 6;

/**
 * @param {unknown} value
 * @returns {Conversation | null}  a valid conversation, else null
 */
export function readConversation(value) {
  if (!value || typeof value !== "object") return null;
  const c = /** @type {Record<string, unknown>} */ (value);
  if (typeof c.id !== "string" || !Array.isArray(c.members)) return null;
  if (typeof c.kind !== "string" || !CONVERSATION_KINDS.includes(c.kind)) return null;
  return {
    id: c.id,
    kind: /** @type {ConversationKind} */ (c.kind),
    zone_id: typeof c.zone_id === "string" ? c.zone_id : null,
    members: c.members.filter((m) => typeof m === "string"),
    locked: c.locked === true,
  };
}

/**
 * `space.zones`: `{zones: {zone id: [member ids]}}` (or the mapping itself, or a list of
 * `{zone_id, members}`) as a Map.
 *
 * @param {unknown} data
 * @returns {Map<string, string[]>}
 */
export function readZones(data) {
  /** @type {Map<string, string[]>} */
  const out = new Map();
  if (!data || typeof data !== "object") return out;
  let zones = /** @type {any} */ (data);
  if ("zones" in zones) zones = zones.zones;
  if (Array.isArray(zones)) {
    for (const item of zones) {
      const id = item?.zone_id ?? item?.id;
      if (typeof id === "string" && Array.isArray(item.members)) {
        out.set(
          id,
          item.members.filter((/** @type {unknown} */ m) => typeof m === "string"),
        );
      }
    }
  } else if (zones && typeof zones === "object") {
    for (const [id, members] of Object.entries(zones)) {
      if (Array.isArray(members)) out.set(id, members.filter((m) => typeof m === "string"));
    }
  }
  return out;
}

/**
 * A zone's name for people: its own (from the map), else its kind and number ("Tisch 2").
 *
 * @param {Zone} zone
 * @param {Zone[]} zones  all of the map's, for the number
 * @param {import("./i18n.js").Translate} t
 * @returns {string}
 */
export function zoneName(zone, zones, t) {
  if (zone.name) return zone.name;
  const same = zones.filter((z) => z.kind === zone.kind);
  const number = same.indexOf(zone) + 1;
  return same.length > 1 ? t(`space.zone_numbered.${zone.kind}`, { index: number }) : t(`space.zone.${zone.kind}`);
}

/**
 * How many tiles apart two map positions are, as the crow flies (rounded).
 *
 * @param {{x: number, y: number}} a
 * @param {{x: number, y: number}} b
 * @returns {number}
 */
export function tilesApart(a, b) {
  return Math.round(Math.hypot(a.x - b.x, a.y - b.y) / TILE);
}

/**
 * The zone the list view would list someone standing at (x, y) under, if any: of the zones there,
 * the first in the list's order (a stage before a table, …).
 *
 * @param {Zone[]} zones
 * @param {number} x
 * @param {number} y
 * @returns {Zone | null}
 */
export function listedZoneAt(zones, x, y) {
  for (const kind of LISTED_KINDS) {
    for (const z of zones) {
      const r = z.rect;
      if (z.kind === kind && r.x <= x && x < r.x + Math.max(r.w, 1) && r.y <= y && y < r.y + Math.max(r.h, 1)) return z;
    }
  }
  return null;
}

/**
 * What "show" (locate) says of someone: where they stand — their zone as the page names it,
 * or just the room — and how many tiles from oneself ("Bert ist im Bereich „Tisch 2“, 5 Felder
 * von Ihnen entfernt.").
 *
 * @param {string} name  their pseudonym
 * @param {{x: number, y: number}} at  where they stand
 * @param {{x: number, y: number}} from  where oneself stands
 * @param {Zone[]} zones  the map's
 * @param {import("./i18n.js").Translate} t
 * @returns {string}
 */
export function locateSentence(name, at, from, zones, t) {
  const count = tilesApart(at, from);
  const zone = listedZoneAt(zones, at.x, at.y);
  if (zone) return t("space.locate.in_zone", { name, zone: zoneName(zone, zones, t), count });
  return t("space.locate.in_room", { name, count });
}

export class SpaceModel {
  constructor() {
    /** @type {string | null} */
    this.selfId = null;
    /** @type {Map<string, Person>} */
    this.people = new Map();
    /** @type {Zone[]} */
    this.zones = [];
    /** @type {Map<string, string[]>} zone id → who is in it */
    this.occupancy = new Map();
    /** @type {Conversation | null} */
    this.conversation = null;
    /** @type {string | null} whom this member follows */
    this.following = null;
  }

  /**
   * A new room (or a reconnect): everyone as the server says, the map's zones.
   *
   * @param {string} selfId
   * @param {{people: Array<Partial<Person> & {id: string}>, zones?: unknown, conversation?: unknown,
   *   following?: unknown}} data
   * @param {Zone[]} zones
   */
  reset(selfId, data, zones) {
    this.selfId = selfId;
    this.zones = zones;
    const known = this.people;
    this.people = new Map();
    for (const entry of data.people) {
      const before = known.get(entry.id);
      this.people.set(entry.id, {
        id: entry.id,
        pseudonym: entry.pseudonym ?? before?.pseudonym ?? "",
        colour: entry.colour ?? before?.colour ?? "slate",
        status: entry.status && STATUSES.includes(entry.status) ? entry.status : "available",
        x: typeof entry.x === "number" ? entry.x : null,
        y: typeof entry.y === "number" ? entry.y : null,
        dir: isDirection(entry.dir) ? entry.dir : "down",
        moving: entry.moving === true,
      });
    }
    this.occupancy = readZones(data.zones);
    this.conversation = readConversation(data.conversation);
    this.following = typeof data.following === "string" ? data.following : null;
  }

  /**
   * The zones a map position lies in (`rooms.space.movement.zones_at`).
   *
   * @param {number} x
   * @param {number} y
   * @returns {Zone[]}
   */
  zonesAt(x, y) {
    return this.zones.filter((z) => {
      const r = z.rect;
      return r.x <= x && x < r.x + Math.max(r.w, 1) && r.y <= y && y < r.y + Math.max(r.h, 1);
    });
  }

  /**
   * Who is in the room (the room page's presence): names and colours; new people are added
   * (out of sight until a move comes), people no longer present removed.
   *
   * @param {Array<{id: string, pseudonym: string, colour: string}>} members
   */
  present(members) {
    const ids = new Set(members.map((m) => m.id));
    for (const member of members) {
      const person = this.people.get(member.id);
      if (person) {
        person.pseudonym = member.pseudonym;
        person.colour = member.colour;
      } else {
        this.people.set(member.id, {
          id: member.id,
          pseudonym: member.pseudonym,
          colour: member.colour,
          status: "available",
          x: null,
          y: null,
          dir: "down",
          moving: false,
        });
      }
    }
    for (const id of [...this.people.keys()]) if (!ids.has(id)) this.people.delete(id);
  }

  /** @param {string} id */
  person(id) {
    return this.people.get(id) ?? null;
  }

  /** @returns {Person | null} */
  get self() {
    return this.selfId ? this.person(this.selfId) : null;
  }

  /**
   * `space.moves`' items: `[[member_id, x, y, dir, moving], …]`. Returns the ids that moved;
   * malformed items, and our own (the page walks us), are skipped.
   *
   * @param {unknown} items
   * @returns {string[]}
   */
  applyMoves(items) {
    /** @type {string[]} */
    const moved = [];
    if (!Array.isArray(items)) return moved;
    for (const item of items) {
      if (!Array.isArray(item) || item.length < 5) continue;
      const [id, x, y, dir, moving] = item;
      if (typeof id !== "string" || typeof x !== "number" || typeof y !== "number") continue;
      if (id === this.selfId) continue; // the server places us only by space.corrected and space.goto
      let person = this.people.get(id);
      if (!person) {
        person = { id, pseudonym: "", colour: "slate", status: "available", x, y, dir: "down", moving: false };
        this.people.set(id, person);
      }
      person.x = x;
      person.y = y;
      person.dir = isDirection(dir) ? dir : person.dir;
      person.moving = moving === true;
      moved.push(id);
    }
    return moved;
  }

  /**
   * `space.gone`: these are out of sight now (or left the room).
   *
   * @param {unknown} data  a list of ids, or `{members: [...]}`
   * @returns {string[]}
   */
  applyGone(data) {
    const ids = Array.isArray(data) ? data : Array.isArray(/** @type {any} */ (data)?.members) ? /** @type {any} */ (data).members : [];
    /** @type {string[]} */
    const gone = [];
    for (const id of ids) {
      const person = typeof id === "string" ? this.people.get(id) : undefined;
      if (!person || id === this.selfId) continue;
      person.x = null;
      person.y = null;
      person.moving = false;
      gone.push(id);
    }
    return gone;
  }

  /** @param {unknown} data */
  applyZones(data) {
    this.occupancy = readZones(data);
  }

  /**
   * `space.status`: `{member_id, status}`. True when it changed something.
   *
   * @param {unknown} data
   * @returns {boolean}
   */
  applyStatus(data) {
    const d = /** @type {any} */ (data);
    const person = typeof d?.member_id === "string" ? this.people.get(d.member_id) : undefined;
    if (!person || !STATUSES.includes(d.status)) return false;
    person.status = d.status;
    return true;
  }

  /**
   * `conversation.changed`: this member's conversation now. Returns who joined and who left
   * (this member not counted), for the announcements and the peer connections.
   *
   * @param {unknown} data
   * @returns {ConversationDiff}
   */
  setConversation(data) {
    const before = this.conversation;
    const after = readConversation(data);
    this.conversation = after;
    const self = this.selfId;
    const was = new Set(before?.members ?? []);
    const now = new Set(after?.members ?? []);
    return {
      joined: [...now].filter((id) => !was.has(id) && id !== self),
      left: [...was].filter((id) => !now.has(id) && id !== self),
      before,
      after,
    };
  }

  /** @returns {string[]} the others in this member's conversation */
  partners() {
    return (this.conversation?.members ?? []).filter((id) => id !== this.selfId);
  }

  /** @returns {Set<string>} everyone standing on a stage of this room */
  onStage() {
    const out = new Set();
    for (const zone of this.zones) {
      if (zone.kind === "stage") for (const id of this.occupancy.get(zone.id) ?? []) out.add(id);
    }
    return out;
  }

  /**
   * The zones the list view shows, each with the people in it (by name), and then the people in
   * none of them.
   *
   * @returns {{zones: Array<{zone: Zone, people: Person[]}>, elsewhere: Person[]}}
   */
  regions() {
    const placed = new Set();
    const zones = [];
    for (const kind of LISTED_KINDS) {
      for (const zone of this.zones) {
        if (zone.kind !== kind) continue;
        const people = (this.occupancy.get(zone.id) ?? [])
          .map((id) => this.people.get(id))
          .filter((p) => p !== undefined);
        for (const p of people) placed.add(p.id);
        zones.push({ zone, people: byName(people) });
      }
    }
    const elsewhere = byName([...this.people.values()].filter((p) => !placed.has(p.id)));
    return { zones, elsewhere };
  }

  /** @param {string} id */
  name(id) {
    return this.people.get(id)?.pseudonym || "?";
  }
}

/**
 * @param {Person[]} people
 * @returns {Person[]}
 */
export function byName(people) {
  return [...people].sort((a, b) => {
    const x = a.pseudonym.toLocaleLowerCase();
    const y = b.pseudonym.toLocaleLowerCase();
    if (x !== y) return x < y ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
