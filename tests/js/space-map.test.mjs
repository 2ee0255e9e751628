import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";

import { readMap, readZone, sameOrigin, tilesetOf } from "../../static/js/space-map.js";

function base64(values, compress) {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32LE(v >>> 0, i * 4));
  return (compress ? compress(buf) : buf).toString("base64");
}

const FLOOR = [1, 1, 1, 1, 1, 1];
function tmj(layerExtra = {}) {
  return {
    width: 3,
    height: 2,
    tilewidth: 32,
    tileheight: 32,
    orientation: "orthogonal",
    tilesets: [
      { firstgid: 1, columns: 4, tilecount: 8, tilewidth: 32, tileheight: 32, image: "tiles.png",
        tiles: [{ id: 2, properties: [{ name: "collides", type: "bool", value: true }] }] },
    ],
    layers: [
      { type: "tilelayer", name: "floor", width: 3, height: 2, data: FLOOR, ...layerExtra },
      { type: "tilelayer", name: "walls", width: 3, height: 2, data: [0, 0, 0, 0, 0, 5],
        properties: [{ name: "collides", type: "bool", value: true }] },
      { type: "tilelayer", name: "furniture", width: 3, height: 2, data: [0, 3, 0, 0, 0, 0] },
      { type: "objectgroup", name: "zones", objects: [
        { id: 7, class: "table", name: "Tisch A", x: 0, y: 32, width: 64, height: 32, properties: [{ name: "capacity", type: "int", value: 4 }] },
        { id: 8, type: "spawn", x: 16, y: 16, point: true },
        { id: 9, class: "tree", x: 0, y: 0, width: 32, height: 32 },
        { id: 10, class: "wall", x: 0, y: 0, width: 32, height: 32 },
      ] },
    ],
  };
}

test("a map's tiles, walls (layer, tile property and wall zones) and zones", async () => {
  const map = await readMap(tmj());
  assert.equal(map.layers.length, 3);
  assert.deepEqual([...map.grid.blocked], [1, 1, 0, 0, 0, 1]);
  assert.deepEqual(map.zones.map((z) => [z.id, z.kind, z.name, z.capacity]), [
    ["z7", "table", "Tisch A", 4],
    ["z8", "spawn", "", null],
    ["z10", "wall", "", null],
  ]);
  assert.deepEqual(map.zones[1].rect, { x: 16, y: 16, w: 0, h: 0 });
});

test("layer data in base64, plain, zlib and gzip; flip flags ignored for walls", async () => {
  for (const compress of [undefined, deflateSync, gzipSync]) {
    const extra = { data: base64(FLOOR, compress), encoding: "base64" };
    if (compress) extra.compression = compress === deflateSync ? "zlib" : "gzip";
    const map = await readMap(tmj(extra));
    assert.deepEqual([...map.layers[0].data], FLOOR);
  }
  const flipped = tmj();
  flipped.layers[2].data = [0, (3 | 0x80000000) >>> 0, 0, 0, 0, 0];
  assert.equal((await readMap(flipped)).grid.blocked[1], 1);
  await assert.rejects(readMap(tmj({ data: "AAAA", encoding: "base64", compression: "zstd" })));
  await assert.rejects(readMap({ width: 0 }));
});

test("tilesets by gid; only same-origin files; zones need a known class", () => {
  const sets = [{ firstgid: 1 }, { firstgid: 10 }];
  assert.equal(tilesetOf(sets, 9), sets[0]);
  assert.equal(tilesetOf(sets, 10), sets[1]);
  assert.equal(sameOrigin("tiles.png", "http://h:1/maps/builtin/plenary.tmj"), "http://h:1/maps/builtin/tiles.png");
  assert.equal(sameOrigin("https://cdn.example/x.png", "http://h:1/maps/a/map.tmj"), null);
  assert.equal(sameOrigin("//evil.example/x.png", "http://h:1/maps/a/map.tmj"), null);
  assert.equal(readZone({ id: 1, class: "sofa" }), null);
  assert.equal(readZone({ id: 2, type: "private", x: 0, y: 0, width: 32, height: 32 }).capacity, 6);
});
