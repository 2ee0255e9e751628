// @ts-check
/**
 * A room's map as the browser gets it: the Tiled `.tmj` the server serves (same origin;
 * tilesets embedded, each `image` a file name next to the map), read into tile layers, the
 * walkable grid (the same rules as `rooms/space/tiled.py`: a layer or a tileset tile with
 * `collides: true`, and `wall` zones, block), the zones, and drawn on a canvas with the
 * tileset images loaded from the same origin.
 */

import { TILE } from "./space-path.js";
import { ZONE_KINDS } from "./space-model.js";

/** @typedef {import("./space-model.js").Zone} Zone */
/** @typedef {import("./space-path.js").Grid} Grid */
/**
 * @typedef {{firstgid: number, columns: number, tilecount: number, tilewidth: number, tileheight: number,
 *   margin: number, spacing: number, image: string, collides: Set<number>}} Tileset
 */
/** @typedef {{name: string, data: Uint32Array, opacity: number, visible: boolean}} TileLayer */
/**
 * @typedef {{width: number, height: number, layers: TileLayer[], tilesets: Tileset[], zones: Zone[],
 *   grid: Grid, background: string}} SpaceMapData
 */

const FLIP_MASK = 0x1fffffff; // the top three bits of a gid are Tiled's flip flags

/**
 * @param {unknown} properties  Tiled's `[{name, type, value}]`
 * @param {string} name
 * @returns {unknown}
 */
export function property(properties, name) {
  if (!Array.isArray(properties)) return undefined;
  return properties.find((p) => p && p.name === name)?.value;
}

/**
 * A layer's `data`: an array, or base64 (uncompressed, zlib or gzip) of little-endian uint32.
 *
 * @param {any} layer
 * @param {number} count  width × height
 * @returns {Promise<Uint32Array>}
 */
export async function layerData(layer, count) {
  if (Array.isArray(layer.data)) return Uint32Array.from(layer.data.slice(0, count), (v) => Number(v) >>> 0);
  if (typeof layer.data !== "string") throw new Error(`layer ${layer.name}: no data`);
  let bytes = Uint8Array.from(atob(layer.data.trim()), (c) => c.charCodeAt(0));
  if (layer.compression === "zlib" || layer.compression === "gzip") {
    const stream = new Blob([bytes]).stream().pipeThrough(
      new DecompressionStream(layer.compression === "zlib" ? "deflate" : "gzip"),
    );
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  } else if (layer.compression) {
    throw new Error(`layer ${layer.name}: compression ${layer.compression} is not read`);
  }
  const out = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count && i * 4 + 3 < bytes.byteLength; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/**
 * Read a `.tmj` (parsed JSON) into what the page draws and walks on.
 *
 * @param {any} tmj
 * @returns {Promise<SpaceMapData>}
 */
export async function readMap(tmj) {
  if (!tmj || typeof tmj !== "object") throw new Error("not a map");
  const width = Number(tmj.width);
  const height = Number(tmj.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error("the map has no size");
  }
  const count = width * height;
  /** @type {Tileset[]} */
  const tilesets = (Array.isArray(tmj.tilesets) ? tmj.tilesets : []).map((/** @type {any} */ ts) => {
    /** @type {Set<number>} */
    const collides = new Set();
    for (const tile of Array.isArray(ts.tiles) ? ts.tiles : []) {
      if (property(tile.properties, "collides") === true) collides.add(Number(tile.id));
    }
    const tilewidth = Number(ts.tilewidth) || TILE;
    const columns = Number(ts.columns) || Math.max(1, Math.floor((Number(ts.imagewidth) || tilewidth) / tilewidth));
    return {
      firstgid: Number(ts.firstgid) || 1,
      columns,
      tilecount: Number(ts.tilecount) || 0,
      tilewidth,
      tileheight: Number(ts.tileheight) || TILE,
      margin: Number(ts.margin) || 0,
      spacing: Number(ts.spacing) || 0,
      image: String(ts.image ?? ""),
      collides,
    };
  });
  tilesets.sort((a, b) => a.firstgid - b.firstgid);
  const blocked = new Uint8Array(count);
  /** @type {TileLayer[]} */
  const layers = [];
  /** @type {Zone[]} */
  const zones = [];
  /** @param {any[]} list */
  const walk = async (list) => {
    for (const layer of list) {
      if (layer?.type === "group" && Array.isArray(layer.layers)) {
        await walk(layer.layers);
      } else if (layer?.type === "tilelayer") {
        const data = await layerData(layer, count);
        const collides = property(layer.properties, "collides") === true;
        for (let i = 0; i < count; i++) {
          const gid = data[i] & FLIP_MASK;
          if (gid === 0) continue;
          if (collides) blocked[i] = 1;
          else {
            const ts = tilesetOf(tilesets, gid);
            if (ts && ts.collides.has(gid - ts.firstgid)) blocked[i] = 1;
          }
        }
        layers.push({
          name: String(layer.name ?? ""),
          data,
          opacity: typeof layer.opacity === "number" ? layer.opacity : 1,
          visible: layer.visible !== false,
        });
      } else if (layer?.type === "objectgroup") {
        for (const object of Array.isArray(layer.objects) ? layer.objects : []) {
          const zone = readZone(object);
          if (zone) zones.push(zone);
        }
      }
    }
  };
  await walk(Array.isArray(tmj.layers) ? tmj.layers : []);
  for (const zone of zones) {
    if (zone.kind !== "wall") continue;
    const { x, y, w, h } = zone.rect;
    for (let row = Math.floor(y / TILE); row < Math.ceil((y + Math.max(h, 1)) / TILE); row++) {
      for (let col = Math.floor(x / TILE); col < Math.ceil((x + Math.max(w, 1)) / TILE); col++) {
        if (col >= 0 && row >= 0 && col < width && row < height) blocked[row * width + col] = 1;
      }
    }
  }
  return {
    width,
    height,
    layers,
    tilesets,
    zones,
    grid: { width, height, blocked },
    background: typeof tmj.backgroundcolor === "string" ? tmj.backgroundcolor : "#dfe3e8",
  };
}

/**
 * A Tiled object as a zone (its `class`, or `type` before Tiled 1.9), or null.
 *
 * @param {any} object
 * @returns {Zone | null}
 */
export function readZone(object) {
  const kind = object?.class || object?.type;
  if (typeof kind !== "string" || !ZONE_KINDS.includes(kind)) return null;
  const capacity = property(object.properties, "capacity");
  const board = property(object.properties, "board");
  const point = object.point === true;
  return {
    id: `z${object.id}`,
    kind: /** @type {Zone["kind"]} */ (kind),
    name: typeof object.name === "string" ? object.name : "",
    rect: {
      x: Math.round(Number(object.x) || 0),
      y: Math.round(Number(object.y) || 0),
      w: point ? 0 : Math.round(Number(object.width) || 0),
      h: point ? 0 : Math.round(Number(object.height) || 0),
    },
    capacity:
      kind === "table" || kind === "private" ? (typeof capacity === "number" ? capacity : 6) : null,
    board: kind === "board" && typeof board === "string" ? board : null,
  };
}

/**
 * @param {Tileset[]} tilesets  by firstgid
 * @param {number} gid  without flip flags
 * @returns {Tileset | null}
 */
export function tilesetOf(tilesets, gid) {
  /** @type {Tileset | null} */
  let found = null;
  for (const ts of tilesets) {
    if (ts.firstgid <= gid) found = ts;
    else break;
  }
  return found;
}

/**
 * The same-origin address of a map's file: relative to the map's URL; anything on another
 * origin is refused (the page loads nothing from elsewhere).
 *
 * @param {string} name
 * @param {string} mapUrl  absolute
 * @returns {string | null}
 */
export function sameOrigin(name, mapUrl) {
  try {
    const url = new URL(name, mapUrl);
    return url.origin === new URL(mapUrl).origin ? url.href : null;
  } catch {
    return null;
  }
}

/** A loaded map: its data and the tileset images, ready to draw. */
export class MapPainter {
  /**
   * @param {SpaceMapData} map
   * @param {Map<string, CanvasImageSource>} images  by tileset image name
   */
  constructor(map, images) {
    this.map = map;
    this.images = images;
  }

  /**
   * Fetch the `.tmj` at `url` (same origin) and its images.
   *
   * @param {string} url
   * @returns {Promise<MapPainter>}
   */
  static async load(url) {
    const base = new URL(url, document.baseURI).href;
    if (!sameOrigin(base, document.baseURI)) throw new Error("the map is not on this server");
    const response = await fetch(base, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the map did not load (${response.status})`);
    const map = await readMap(await response.json());
    /** @type {Map<string, CanvasImageSource>} */
    const images = new Map();
    await Promise.all(
      map.tilesets.map(async (ts) => {
        const src = sameOrigin(ts.image, base);
        if (!src || images.has(ts.image)) return;
        const image = new Image();
        image.src = src;
        try {
          await image.decode();
          images.set(ts.image, image);
        } catch {
          // drawn without this tileset: its tiles stay the background colour
        }
      }),
    );
    return new MapPainter(map, images);
  }

  /**
   * Draw the tiles within the view (pixels of the map: left, top, width, height) on a context
   * already translated and scaled to the camera.
   *
   * @param {CanvasRenderingContext2D} ctx
   * @param {{x: number, y: number, w: number, h: number}} view
   */
  draw(ctx, view) {
    const { map } = this;
    ctx.fillStyle = map.background;
    ctx.fillRect(0, 0, map.width * TILE, map.height * TILE);
    const c0 = Math.max(0, Math.floor(view.x / TILE));
    const r0 = Math.max(0, Math.floor(view.y / TILE));
    const c1 = Math.min(map.width - 1, Math.floor((view.x + view.w) / TILE));
    const r1 = Math.min(map.height - 1, Math.floor((view.y + view.h) / TILE));
    for (const layer of map.layers) {
      if (!layer.visible) continue;
      ctx.globalAlpha = layer.opacity;
      for (let row = r0; row <= r1; row++) {
        for (let col = c0; col <= c1; col++) {
          const raw = layer.data[row * map.width + col];
          const gid = raw & FLIP_MASK;
          if (gid === 0) continue;
          const ts = tilesetOf(map.tilesets, gid);
          const image = ts && this.images.get(ts.image);
          if (!ts || !image) continue;
          const local = gid - ts.firstgid;
          const sx = ts.margin + (local % ts.columns) * (ts.tilewidth + ts.spacing);
          const sy = ts.margin + Math.floor(local / ts.columns) * (ts.tileheight + ts.spacing);
          ctx.drawImage(image, sx, sy, ts.tilewidth, ts.tileheight, col * TILE, row * TILE, TILE, TILE);
        }
      }
    }
    ctx.globalAlpha = 1;
  }
}
