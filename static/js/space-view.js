// @ts-check
/**
 * The space as a map on a canvas: the tiles, the zones' outlines, everyone's avatar (their
 * colour, initial and name), one's conversation highlighted; a camera that follows one's own
 * avatar. Arrow keys or WASD walk (while the map has the focus); a click or tap walks there
 * along a path around the walls (space-path.js). Positions go to the server through
 * `onMove` at most every 200 ms while walking, plus on stop and turn (space-motion.js).
 *
 * The canvas is hidden from screen readers (`aria-hidden`); its focusable frame says what it
 * is and points to the list view, which shows the same space as text.
 */

import { initial } from "./colours.js";
import { followPath, Interpolator, isWalkKey, keyVector, MoveSender, walk } from "./space-motion.js";
import { findPath, nearestWalkable, TILE, tileOf, waypoints } from "./space-path.js";
import { zoneName } from "./space-model.js";

/** @typedef {import("./space-motion.js").Position} Position */
/** @typedef {import("./space-model.js").SpaceModel} SpaceModel */
/** @typedef {import("./space-map.js").MapPainter} MapPainter */

/** How many tiles at least fit the smaller side of the view (a phone shows 12 × 12 tiles or so). */
const MIN_TILES = 11;
/** How long "show" (locate) keeps the camera on someone and their avatar ringed. */
export const SPOT_MS = 5000;
const ZONE_STROKES = /** @type {Record<string, string>} */ ({
  table: "#1f5fa8",
  private: "#6a2c91",
  stage: "#a1261c",
  quiet: "#1e5e24",
  board: "#6b4400",
});

/**
 * The scale from map pixels to CSS pixels for a view of `width` × `height`: 1 on a laptop,
 * larger on a projector, smaller on a phone, so that at least MIN_TILES fit.
 *
 * @param {number} width
 * @param {number} height
 * @returns {number}
 */
export function viewScale(width, height) {
  const fit = Math.min(width, height) / (MIN_TILES * TILE);
  return Math.max(0.6, Math.min(1.6, fit));
}

/**
 * The camera's top-left corner (map pixels): centred on (x, y), kept inside the map when the map
 * is larger than the view, centred when it is smaller.
 *
 * @param {number} x
 * @param {number} y
 * @param {number} viewW  map pixels
 * @param {number} viewH
 * @param {number} mapW
 * @param {number} mapH
 * @returns {[number, number]}
 */
export function cameraAt(x, y, viewW, viewH, mapW, mapH) {
  const axis = (/** @type {number} */ c, /** @type {number} */ view, /** @type {number} */ size) =>
    size <= view ? (size - view) / 2 : Math.max(0, Math.min(size - view, c - view / 2));
  return [axis(x, viewW, mapW), axis(y, viewH, mapH)];
}

export class SpaceView {
  /**
   * @param {HTMLElement} frame  the focusable element around the canvas
   * @param {HTMLCanvasElement} canvas
   * @param {import("./i18n.js").Translate} t
   * @param {{move: (pos: Position) => void, colourOf: (name: string) => string}} hooks
   */
  constructor(frame, canvas, t, hooks) {
    this.frame = frame;
    this.canvas = canvas;
    this.t = t;
    this.hooks = hooks;
    /** @type {MapPainter | null} */
    this.painter = null;
    /** @type {SpaceModel | null} */
    this.model = null;
    /** @type {Position | null} where this page walks its avatar */
    this.pos = null;
    /** @type {Array<[number, number]>} the waypoints of a click-to-walk */
    this.route = [];
    /** @type {Set<string>} */
    this.keys = new Set();
    this.sender = new MoveSender();
    this.lerp = new Interpolator();
    this.shown = false;
    this.frameRequest = 0;
    this.last = 0;
    this.scale = 1;
    this.camera = /** @type {[number, number]} */ ([0, 0]);
    /** @type {{id: string, x: number, y: number} | null} whom "show" (locate) points out, and where */
    this.spot = null;
    this.spotTimer = 0;

    frame.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || !isWalkKey(event.key)) return;
      event.preventDefault();
      this.unspot(); // walking: the camera is ours again
      this.keys.add(event.key);
      this.route = [];
      this.wake();
    });
    frame.addEventListener("keyup", (event) => {
      this.keys.delete(event.key);
      // a released letter may come back with the other case (Shift): forget both
      this.keys.delete(event.key.toLowerCase());
      this.keys.delete(event.key.toUpperCase());
    });
    frame.addEventListener("blur", () => this.keys.clear());
    // a click or a tap (not the start of a swipe: on a phone the page scrolls over the map)
    canvas.addEventListener("click", (event) => {
      frame.focus({ preventScroll: true });
      const rect = canvas.getBoundingClientRect();
      const x = this.camera[0] + (event.clientX - rect.left) / this.scale;
      const y = this.camera[1] + (event.clientY - rect.top) / this.scale;
      this.walkTo(x, y);
    });
    new ResizeObserver(() => this.resize()).observe(frame);
  }

  /**
   * A new map (or room): the painter, the model, and where the server put us.
   *
   * @param {MapPainter} painter
   * @param {SpaceModel} model
   * @param {Position} pos
   */
  reset(painter, model, pos) {
    this.painter = painter;
    this.model = model;
    this.pos = { ...pos, moving: false };
    this.route = [];
    this.keys.clear();
    this.unspot();
    this.lerp.clear();
    this.sender.reset();
    this.sender.accepted(this.pos, performance.now());
    for (const person of model.people.values()) {
      if (person.x !== null && person.y !== null) this.lerp.push(person.id, person.x, person.y, performance.now());
    }
    this.mark();
    this.wake();
  }

  /**
   * The server placed us (`space.corrected`, `space.goto`'s answer).
   *
   * @param {Position} pos
   */
  placed(pos) {
    this.pos = { ...pos };
    this.route = [];
    this.sender.accepted(this.pos, performance.now());
    this.mark();
    this.wake();
  }

  /**
   * "Show" (locate): for SPOT_MS the camera centres on this person (where the server says they
   * stand, or where their avatar is drawn once they move near) and their avatar is ringed. The
   * frame's `data-spot` names them meanwhile (the browser tests read it).
   *
   * @param {string} id
   * @param {{x: number, y: number}} at
   */
  locate(id, at) {
    this.spot = { id, x: at.x, y: at.y };
    this.frame.dataset.spot = id;
    clearTimeout(this.spotTimer);
    this.spotTimer = window.setTimeout(() => this.unspot(), SPOT_MS);
    this.wake();
  }

  unspot() {
    if (!this.spot) return;
    clearTimeout(this.spotTimer);
    this.spot = null;
    delete this.frame.dataset.spot;
    this.wake();
  }

  /**
   * Where the spotted person is drawn now, if anyone is spotted.
   *
   * @param {number} now
   * @returns {{id: string, x: number, y: number} | null}
   */
  spotAt(now) {
    const spot = this.spot;
    if (!spot) return null;
    const person = this.model?.person(spot.id);
    if (!person) return spot;
    const at = this.lerp.at(spot.id, now) ?? (person.x !== null && person.y !== null ? { x: person.x, y: person.y } : null);
    return at ? { id: spot.id, ...at } : spot;
  }

  /** Our position on the frame's `data-x` and `data-y` (map pixels): what the browser tests read. */
  mark() {
    if (!this.pos) return;
    this.frame.dataset.x = String(this.pos.x);
    this.frame.dataset.y = String(this.pos.y);
  }

  /** @param {string[]} ids  who moved (`space.moves`) */
  moved(ids) {
    const now = performance.now();
    for (const id of ids) {
      const person = this.model?.person(id);
      if (person && person.x !== null && person.y !== null) this.lerp.push(id, person.x, person.y, now);
    }
    this.wake();
  }

  /** @param {string[]} ids */
  gone(ids) {
    for (const id of ids) this.lerp.remove(id);
    this.wake();
  }

  /** @param {boolean} shown */
  show(shown) {
    this.shown = shown;
    if (shown) {
      this.resize();
      this.wake();
    } else {
      this.keys.clear();
    }
  }

  /**
   * Walk to the map position (x, y) along a path around the walls.
   *
   * @param {number} x
   * @param {number} y
   */
  walkTo(x, y) {
    if (!this.painter || !this.pos) return;
    const grid = this.painter.map.grid;
    const goal = nearestWalkable(grid, tileOf(x, y));
    if (!goal) return;
    const path = findPath(grid, tileOf(this.pos.x, this.pos.y), goal);
    if (!path) return;
    const points = waypoints(grid, path);
    points.shift(); // the tile we stand on
    this.route = points;
    this.keys.clear();
    this.wake();
  }

  resize() {
    const rect = this.frame.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(rect.width));
    const h = Math.max(1, Math.round(rect.height));
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.scale = viewScale(w, h);
    this.wake();
  }

  /** Draw again soon (and keep drawing while anything moves). */
  wake() {
    if (!this.shown || this.frameRequest) return;
    this.frameRequest = requestAnimationFrame((now) => this.frameStep(now));
  }

  /** @param {number} now */
  frameStep(now) {
    this.frameRequest = 0;
    const dt = Math.min(0.1, this.last ? (now - this.last) / 1000 : 0);
    this.last = now;
    let busy = this.step(dt, now);
    this.draw(now);
    // others glide for one tick after their last update
    if (this.model) {
      for (const person of this.model.people.values()) if (person.moving) busy = true;
    }
    if (busy || this.spot || this.keys.size > 0 || this.route.length > 0) this.wake();
    else this.last = 0;
  }

  /**
   * Walk our avatar and send its position when due; true while it walks.
   *
   * @param {number} dt
   * @param {number} now
   * @returns {boolean}
   */
  step(dt, now) {
    if (!this.painter || !this.pos) return false;
    const grid = this.painter.map.grid;
    const before = this.pos;
    if (this.keys.size > 0) {
      this.pos = walk(grid, this.pos, keyVector(this.keys), dt);
    } else if (this.route.length > 0) {
      const next = followPath(this.pos, this.route, dt);
      this.pos = next.pos;
      this.route = next.rest;
    } else if (this.pos.moving) {
      this.pos = { ...this.pos, moving: false };
    }
    if (this.sender.due(this.pos, now)) this.hooks.move(this.pos);
    if (this.pos.x !== before.x || this.pos.y !== before.y || this.frame.dataset.x === undefined) this.mark();
    return this.pos.moving || before.moving;
  }

  /** @param {number} now */
  draw(now) {
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !this.painter || !this.model || !this.pos) return;
    const ratio = window.devicePixelRatio || 1;
    const scale = this.scale * ratio;
    const viewW = this.canvas.width / scale;
    const viewH = this.canvas.height / scale;
    const map = this.painter.map;
    const spot = this.spotAt(now);
    const focus = spot ?? this.pos;
    this.camera = cameraAt(focus.x, focus.y, viewW, viewH, map.width * TILE, map.height * TILE);
    const [cx, cy] = this.camera;
    // where the camera stands and its scale, for the browser tests' clicks: "left top scale"
    const view = `${Math.round(cx)} ${Math.round(cy)} ${this.scale}`;
    if (this.frame.dataset.view !== view) this.frame.dataset.view = view;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#1b1f24";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(scale, 0, 0, scale, -cx * scale, -cy * scale);
    this.painter.draw(ctx, { x: cx, y: cy, w: viewW, h: viewH });

    const model = this.model;
    const conversation = model.conversation;
    ctx.lineWidth = 2;
    ctx.font = "600 11px system-ui, sans-serif";
    for (const zone of model.zones) {
      const stroke = ZONE_STROKES[zone.kind];
      if (!stroke || zone.rect.w === 0) continue;
      const mine = conversation?.zone_id === zone.id;
      ctx.strokeStyle = stroke;
      ctx.setLineDash(mine ? [] : [6, 4]);
      ctx.lineWidth = mine ? 4 : 2;
      ctx.strokeRect(zone.rect.x + 1, zone.rect.y + 1, zone.rect.w - 2, zone.rect.h - 2);
      const label = zoneName(zone, model.zones, this.t);
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      const width = ctx.measureText(label).width + 6;
      ctx.fillRect(zone.rect.x + 2, zone.rect.y + 2, width, 15);
      ctx.fillStyle = stroke;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(label, zone.rect.x + 5, zone.rect.y + 4);
    }
    ctx.setLineDash([]);

    const partners = new Set(model.partners());
    /** @type {Array<{id: string, x: number, y: number}>} */
    const drawn = [];
    for (const person of model.people.values()) {
      if (person.id === model.selfId) continue;
      const at = this.lerp.at(person.id, now) ?? (person.x !== null && person.y !== null ? { x: person.x, y: person.y } : null);
      if (at) drawn.push({ id: person.id, ...at });
    }
    drawn.push({ id: /** @type {string} */ (model.selfId), x: this.pos.x, y: this.pos.y });
    // a bubble: a line from us to each partner
    if (conversation && conversation.kind === "bubble") {
      ctx.strokeStyle = "rgba(31,95,168,0.6)";
      ctx.lineWidth = 3;
      for (const other of drawn) {
        if (!partners.has(other.id)) continue;
        ctx.beginPath();
        ctx.moveTo(this.pos.x, this.pos.y);
        ctx.lineTo(other.x, other.y);
        ctx.stroke();
      }
    }
    // whom "show" points out: a pulsing ring (and where they stand, should they be out of sight)
    if (spot) {
      const pulse = 0.5 + 0.5 * Math.sin(now / 180);
      ctx.strokeStyle = "#ffd54a";
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(spot.x, spot.y, 22 + 6 * pulse, 0, Math.PI * 2);
      ctx.stroke();
      ctx.strokeStyle = "#1b1f24";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(spot.x, spot.y, 19 + 6 * pulse, 0, Math.PI * 2);
      ctx.stroke();
      if (!drawn.some((d) => d.id === spot.id)) drawn.push(spot);
    }
    drawn.sort((a, b) => a.y - b.y);
    for (const { id, x, y } of drawn) {
      const person = model.person(id);
      if (!person) continue;
      const self = id === model.selfId;
      this.avatar(ctx, x, y, person, self, partners.has(id));
    }
  }

  /**
   * @param {CanvasRenderingContext2D} ctx
   * @param {number} x
   * @param {number} y
   * @param {import("./space-model.js").Person} person
   * @param {boolean} self
   * @param {boolean} partner
   */
  avatar(ctx, x, y, person, self, partner) {
    const r = 12;
    ctx.globalAlpha = person.status === "away" ? 0.55 : 1;
    if (self || partner) {
      ctx.beginPath();
      ctx.arc(x, y, r + 4, 0, Math.PI * 2);
      ctx.fillStyle = self ? "#ffffff" : "#ffd54a";
      ctx.fill();
    }
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fillStyle = this.hooks.colourOf(person.colour);
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#1b1f24";
    ctx.stroke();
    ctx.fillStyle = "#ffffff";
    ctx.font = "700 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(initial(person.pseudonym || "?"), x, y + 1);
    // which way it faces: a small notch
    const [fx, fy] = { up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0] }[person.dir] ?? [0, 1];
    ctx.beginPath();
    ctx.arc(x + fx * (r - 3), y + fy * (r - 3), 2.5, 0, Math.PI * 2);
    ctx.fill();
    const label = person.status === "hand" ? `✋ ${person.pseudonym}` : person.pseudonym;
    ctx.font = "600 11px system-ui, sans-serif";
    const width = ctx.measureText(label).width + 8;
    ctx.fillStyle = "rgba(27,31,36,0.85)";
    ctx.fillRect(x - width / 2, y + r + 3, width, 15);
    ctx.fillStyle = "#ffffff";
    ctx.textBaseline = "top";
    ctx.fillText(label, x, y + r + 5);
    ctx.globalAlpha = 1;
  }
}
