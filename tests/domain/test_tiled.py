"""Reading Tiled maps: a good map in each of Tiled's encodings, and hostile maps refused with a message."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from boards.errors import NotFound
from rooms.space.maps import BUILTIN, builtin, builtin_file
from rooms.space.model import TILE, ZoneKind
from rooms.space.tiled import InvalidMap, LoadedMap, load_map

W, H = 10, 8


def png(width: int = 64, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 200, 200, 255)).save(out, format="PNG")
    return out.getvalue()


PNG = png()


def tileset(**changes: Any) -> dict[str, Any]:
    ts: dict[str, Any] = {
        "firstgid": 1,
        "name": "tiles",
        "tilewidth": 32,
        "tileheight": 32,
        "tilecount": 2,
        "columns": 2,
        "image": "tiles.png",
        "imagewidth": 64,
        "imageheight": 32,
        "margin": 0,
        "spacing": 0,
        "tiles": [{"id": 1, "properties": [{"name": "collides", "type": "bool", "value": True}]}],
    }
    ts.update(changes)
    return ts


def good_map() -> dict[str, Any]:
    floor = [1] * (W * H)
    floor[W * 2 + 5] = 2  # a collides tile at (5, 2)
    walls = [0] * (W * H)
    for col in range(W):
        walls[col] = walls[(H - 1) * W + col] = 1
    return {
        "type": "map",
        "version": "1.10",
        "orientation": "orthogonal",
        "renderorder": "right-down",
        "infinite": False,
        "width": W,
        "height": H,
        "tilewidth": 32,
        "tileheight": 32,
        "layers": [
            {"id": 1, "name": "floor", "type": "tilelayer", "width": W, "height": H, "data": floor},
            {
                "id": 2,
                "name": "walls",
                "type": "tilelayer",
                "width": W,
                "height": H,
                "data": walls,
                "properties": [{"name": "collides", "type": "bool", "value": True}],
            },
            {
                "id": 3,
                "name": "zones",
                "type": "objectgroup",
                "objects": [
                    {"id": 1, "name": "in", "type": "spawn", "x": 48, "y": 48, "width": 0, "height": 0, "point": True},
                    {
                        "id": 2,
                        "name": "Table A",
                        "class": "table",
                        "x": 64,
                        "y": 96,
                        "width": 96,
                        "height": 64,
                        "properties": [{"name": "capacity", "type": "int", "value": 4}],
                    },
                    {"id": 3, "name": "", "class": "wall", "x": 256, "y": 64, "width": 32, "height": 32},
                    {
                        "id": 4,
                        "name": "Ideas",
                        "class": "board",
                        "x": 32,
                        "y": 192,
                        "width": 64,
                        "height": 32,
                        "properties": [{"name": "board", "type": "string", "value": "Our ideas"}],
                    },
                    {"id": 5, "name": "a note\nof two lines", "type": "", "x": 1, "y": 1, "width": 5, "height": 5},
                    {"id": 6, "name": "", "type": "lamp", "ellipse": True, "x": -50, "y": 1e9, "width": 5, "height": 5},
                ],
            },
        ],
        "tilesets": [tileset()],
    }


def load(doc: dict[str, Any], files: dict[str, bytes] | None = None) -> LoadedMap:
    return load_map(json.dumps(doc).encode(), {"tiles.png": PNG} if files is None else files)


def refused(doc: dict[str, Any] | bytes, files: dict[str, bytes] | None = None) -> str:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with pytest.raises(InvalidMap) as caught:
        load_map(data, {"tiles.png": PNG} if files is None else files)
    assert caught.value.code == "invalid_map"
    return caught.value.message


def test_a_good_map_reads_into_the_rules_view() -> None:
    loaded = load(good_map())
    space = loaded.space
    assert (space.width, space.height) == (W, H)
    assert not space.walkable(0, 0) and not space.walkable(3, H - 1)  # the collides layer
    assert not space.walkable(5, 2)  # the collides tile
    assert not space.walkable(8, 2)  # the wall zone
    assert space.walkable(1, 1) and space.walkable(5, 3)
    assert space.spawns == ((1, 1),)
    kinds = {z.id: (z.kind, z.name, z.capacity, z.board) for z in space.zones}
    assert kinds == {
        "z1": (ZoneKind.SPAWN, "in", None, None),
        "z2": (ZoneKind.TABLE, "Table A", 4, None),
        "z3": (ZoneKind.WALL, "", None, None),
        "z4": (ZoneKind.BOARD, "Ideas", None, "Our ideas"),
    }
    table = next(z for z in space.zones if z.kind is ZoneKind.TABLE)
    assert (table.rect.x, table.rect.y, table.rect.w, table.rect.h) == (64, 96, 96, 64)


def test_the_client_copy_is_rebuilt_with_plain_arrays_and_only_zones() -> None:
    doc = good_map()
    doc["layers"][0]["data"] = encode(doc["layers"][0]["data"], "zlib")
    doc["layers"][0].update(encoding="base64", compression="zlib")
    doc["layers"][0]["properties"] = [{"name": "secret", "type": "string", "value": "x" * 100}]
    client = load(doc).client
    assert client["layers"][0]["data"] == good_map()["layers"][0]["data"]
    assert "encoding" not in client["layers"][0] and "properties" not in client["layers"][0]
    assert [o["id"] for o in client["layers"][2]["objects"]] == [1, 2, 3, 4]
    assert client["tilesets"][0]["image"] == "tiles.png"
    assert load(doc).images == ("tiles.png",)
    json.dumps(client)  # serialisable
    assert load(client).space == load(good_map()).space  # and it reads back the same


def encode(data: list[int], compression: str) -> str:
    raw = struct.pack(f"<{len(data)}I", *data)
    if compression == "zlib":
        raw = zlib.compress(raw)
    elif compression == "gzip":
        raw = gzip.compress(raw)
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("compression", ["", "zlib", "gzip"])
def test_base64_layers_read_like_arrays(compression: str) -> None:
    doc = good_map()
    for layer in doc["layers"][:2]:
        layer["data"] = encode(layer["data"], compression)
        layer["encoding"] = "base64"
        layer["compression"] = compression
    assert load(doc).space == load(good_map()).space


def test_flipped_tiles_keep_their_flags_for_the_client_and_their_walls() -> None:
    doc = good_map()
    doc["layers"][0]["data"][W * 2 + 5] = 2 | 0x80000000
    loaded = load(doc)
    assert not loaded.space.walkable(5, 2)
    assert loaded.client["layers"][0]["data"][W * 2 + 5] == 2 | 0x80000000


def test_an_external_tileset_is_embedded() -> None:
    doc = good_map()
    ts = tileset()
    del ts["firstgid"]
    ts["type"] = "tileset"
    ts["image"] = "../art/tiles.png"
    doc["tilesets"] = [{"firstgid": 1, "source": "sets/tiles.tsj"}]
    loaded = load(doc, {"tiles.tsj": json.dumps(ts).encode(), "tiles.png": PNG})
    assert loaded.space == load(good_map()).space
    assert loaded.client["tilesets"][0]["image"] == "tiles.png"
    assert "source" not in loaded.client["tilesets"][0]


def test_a_rectangle_spawn_gives_its_walkable_tiles() -> None:
    doc = good_map()
    doc["layers"][2]["objects"][0] = {"id": 1, "class": "spawn", "x": 0, "y": 0, "width": 96, "height": 64}
    assert load(doc).space.spawns == ((0, 1), (1, 1), (2, 1))  # row 0 is wall


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc = copy.deepcopy(good_map())
    change(doc)
    return doc


def set_layer(i: int, **kw: Any) -> Callable[[dict[str, Any]], object]:
    return lambda d: d["layers"][i].update(kw)


def set_object(i: int, **kw: Any) -> Callable[[dict[str, Any]], object]:
    return lambda d: d["layers"][2]["objects"][i].update(kw)


def set_tileset(**kw: Any) -> Callable[[dict[str, Any]], object]:
    return lambda d: d["tilesets"][0].update(kw)


HOSTILE: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("isometric", lambda d: d.update(orientation="isometric"), "orthogonal"),
    ("infinite", lambda d: d.update(infinite=True), "infinite"),
    ("16 px tiles", lambda d: d.update(tilewidth=16), "32 × 32"),
    ("tile width as text", lambda d: d.update(tilewidth="32"), "32 × 32"),
    ("too small", lambda d: d.update(width=7), "'width' must be 8–200"),
    ("too large", lambda d: d.update(height=201), "'height' must be 8–200"),
    ("huge width", lambda d: d.update(width=10**300), "'width' must be 8–200"),
    ("float width", lambda d: d.update(width=10.5), "whole number"),
    ("bool width", lambda d: d.update(width=True), "whole number"),
    ("width missing", lambda d: d.pop("width"), "'width' is missing"),
    ("layers not a list", lambda d: d.update(layers={"a": 1}), "'layers' must be a list"),
    ("17 layers", lambda d: d["layers"].extend([d["layers"][0]] * 14), "more than 16"),
    ("a layer not an object", lambda d: d["layers"].append(7), "Layer 4 is not a JSON object"),
    ("group layer", lambda d: d["layers"].append({"id": 9, "type": "group", "layers": []}), "group layer"),
    ("image layer", lambda d: d["layers"].append({"id": 9, "type": "imagelayer"}), "image layer"),
    ("unknown layer", lambda d: d["layers"].append({"id": 9, "type": "x"}), "unknown layer type"),
    ("duplicate layer id", set_layer(1, id=1), "layer id 1 is used twice"),
    ("short data", lambda d: d["layers"][0]["data"].pop(), "list of 80 tile ids"),
    ("data with text", lambda d: d["layers"][0]["data"].__setitem__(3, "1"), "other than tile ids"),
    ("data with float", lambda d: d["layers"][0]["data"].__setitem__(3, 1.0), "other than tile ids"),
    ("data negative", lambda d: d["layers"][0]["data"].__setitem__(3, -1), "other than tile ids"),
    ("unknown gid", lambda d: d["layers"][0]["data"].__setitem__(3, 3), "tile id 3 is in no tileset"),
    ("layer size", set_layer(0, width=W + 1), "size differs"),
    ("layer offset", set_layer(0, x=2), "corner"),
    ("chunks", set_layer(0, chunks=[]), "chunked"),
    ("bad encoding", set_layer(0, encoding="xml"), "unknown 'encoding'"),
    ("not base64", set_layer(0, encoding="base64", data="@@@@"), "not valid Base64"),
    ("base64 short", set_layer(0, encoding="base64", data=base64.b64encode(b"\0" * 8).decode()), "fewer tiles"),
    ("zstd", set_layer(0, encoding="base64", compression="zstd", data=""), "Zstandard compression is not supported"),
    ("lz4", set_layer(0, encoding="base64", compression="lz4", data=""), "unknown 'compression'"),
    ("bad zlib", set_layer(0, encoding="base64", compression="zlib", data="AAAA"), "not valid zlib"),
    (
        "zlib bomb",
        set_layer(
            0, encoding="base64", compression="zlib", data=base64.b64encode(zlib.compress(b"\0" * 50_000_000)).decode()
        ),
        "more tiles",
    ),
    (
        "gzip bomb",
        set_layer(
            0, encoding="base64", compression="gzip", data=base64.b64encode(gzip.compress(b"\1" * 20_000_000)).decode()
        ),
        "more tiles",
    ),
    ("collides as text", set_layer(1, properties=[{"name": "collides", "value": "true"}]), "must be a boolean"),
    ("properties not a list", set_layer(1, properties="x"), "'properties' must be a list"),
    ("opacity", set_layer(1, opacity=2), "'opacity' must be 0–1"),
    ("visible text", set_layer(1, visible="yes"), "'visible' must be true or false"),
    ("name too long", set_layer(0, name="x" * 101), "longer than 100"),
    ("name control", set_layer(0, name="a\x00b"), "control characters"),
    ("zone name control", set_object(1, name="Tisch\n1"), "control characters"),
    ("no tile layer", lambda d: d.update(layers=[d["layers"][2]]), "no tile layer"),
    ("no tileset", lambda d: d.update(tilesets=[]), "no tileset"),
    ("9 tilesets", lambda d: d.update(tilesets=[tileset(firstgid=1 + 2 * i) for i in range(9)]), "more than 8"),
    ("overlapping tilesets", lambda d: d["tilesets"].append(tileset(firstgid=2, name="b")), "overlap"),
    ("tileset 16 px", set_tileset(tilewidth=16), "32 × 32"),
    ("image collection", lambda d: d["tilesets"][0].pop("image"), "one image"),
    ("tile with image", set_tileset(tiles=[{"id": 0, "image": "a.png"}]), "own image"),
    ("tile id outside", set_tileset(tiles=[{"id": 5}]), "'id' must be 0–1"),
    ("tilecount beyond image", set_tileset(tilecount=3), "'tilecount' must be 1–2"),
    ("columns wrong", set_tileset(columns=3), "'columns' does not match"),
    ("image size wrong", set_tileset(imagewidth=96), "reload the image"),
    ("image missing", set_tileset(image="other.png"), "'other.png' was not uploaded"),
    ("image path traversal name", set_tileset(image="../../.htaccess"), "not allowed"),
    ("image not png name", set_tileset(image="tiles.gif"), "was not uploaded"),
    ("external missing", lambda d: d.update(tilesets=[{"firstgid": 1, "source": "x.tsj"}]), "'x.tsj' was not uploaded"),
    ("firstgid huge", set_tileset(firstgid=2**40), "'firstgid' must be"),
    ("no spawn", lambda d: d["layers"][2]["objects"].pop(0), "no spawn zone"),
    ("spawn on a wall", set_object(0, x=5, y=5), "no walkable tile"),
    ("spawn outside", set_object(0, x=W * TILE + 1), "'x' must be"),
    ("point table", set_object(1, width=0, height=0), "must be a rectangle, not a point"),
    ("ellipse table", set_object(1, ellipse=True), "rectangle or a point"),
    ("polygon table", set_object(1, polygon=[]), "rectangle or a point"),
    ("rotated table", set_object(1, rotation=45), "rotated"),
    ("table outside", set_object(1, width=W * TILE), "reaches outside"),
    ("table nan", set_object(1, x=float("nan")), "NaN is not a number"),
    ("capacity 7", set_object(1, properties=[{"name": "capacity", "type": "int", "value": 7}]), "'capacity'"),
    ("capacity text", set_object(1, properties=[{"name": "capacity", "value": "4"}]), "'capacity'"),
    ("board not text", set_object(3, properties=[{"name": "board", "value": 5}]), "'board' must be a text"),
    ("duplicate object id", set_object(1, id=1), "used twice"),
    ("class not text", set_object(4, type=None, **{"class": 5}), "'class' must be a text"),
    ("501 objects", lambda d: d["layers"][2]["objects"].extend({"id": 10 + i} for i in range(497)), "more than 500"),
    ("not a map", lambda d: d.update(type="tileset"), "not a Tiled map"),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _, c, m in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_hostile_maps_are_refused_with_a_message(change: Callable[[dict[str, Any]], object], message: str) -> None:
    assert message in refused(mutate(change))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b'<?xml version="1.0"?><map/>', "TMX"),
        (b'{"width": NaN}', "not valid JSON"),
        (b'{"width": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"{" + b" " * (2 * 1024 * 1024) + b"}", "larger than 2 MB"),
    ],
    ids=["empty", "utf16", "array", "tmx", "nan", "long int", "deep", "too large"],
)
def test_files_that_are_not_maps_are_refused(data: bytes, message: str) -> None:
    assert message in refused(data)


def test_a_huge_float_is_refused() -> None:
    assert "must be a number" in refused(
        b'{"x": 1}'.replace(b'{"x": 1}', json.dumps(good_map()).encode().replace(b'"x": 64', b'"x": 1e999'))
    )


def fake_png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"GIF89a....", "not a PNG"),
        (PNG[:60], "not a valid PNG"),
        (PNG[:-10] + b"\0" * 10, "not a valid PNG"),
        (fake_png_header(100_000, 100_000) + b"\0" * 100, "larger than 4096 × 4096"),
        (png(4128, 32), "larger than 4096 × 4096"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "larger than 2 MB"),
    ],
    ids=["gif", "truncated", "bad crc", "bomb header", "too wide", "too large file"],
)
def test_bad_images_are_refused(image: bytes, message: str) -> None:
    assert message in refused(good_map(), {"tiles.png": image})


def test_a_jpeg_named_png_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 32)).save(out, format="JPEG")
    assert "not a PNG" in refused(good_map(), {"tiles.png": out.getvalue()})


def test_an_external_tileset_that_is_not_a_tileset_is_refused() -> None:
    doc = mutate(lambda d: d.update(tilesets=[{"firstgid": 1, "source": "t.tsj"}]))
    assert "not a Tiled tileset" in refused(doc, {"t.tsj": b'{"type": "map"}', "tiles.png": PNG})
    assert "not valid JSON" in refused(doc, {"t.tsj": b"{", "tiles.png": PNG})
    assert "nested too deeply" in refused(doc, {"t.tsj": b"[" * 100_000, "tiles.png": PNG})


# --- the maps that ship ---------------------------------------------------------------------

MAPS_DIR = Path(__file__).parent.parent.parent / "rooms" / "space" / "maps"


@pytest.mark.parametrize("name", BUILTIN)
def test_the_shipped_maps_read_back(name: str) -> None:
    loaded = builtin(name)
    assert builtin(name) is loaded  # cached
    kinds = [z.kind for z in loaded.space.zones]
    assert kinds.count(ZoneKind.SPAWN) == 1 and ZoneKind.BOARD in kinds and ZoneKind.TABLE in kinds
    assert all(loaded.space.walkable(*tile) for tile in loaded.space.spawns)
    assert loaded.images == ("werkstatt-tiles.png",)
    # walls all around
    space = loaded.space
    assert not any(space.walkable(c, r) for c in range(space.width) for r in (0, space.height - 1))
    assert not any(space.walkable(c, r) for r in range(space.height) for c in (0, space.width - 1))
    # every table's chairs are walkable and inside its zone; a zone's capacity is at most 6
    for zone in space.zones:
        if zone.kind is ZoneKind.TABLE:
            assert zone.capacity == 6
            free = [(c, r) for (c, r) in tiles_in(zone) if space.walkable(c, r)]
            assert len(free) >= 6


def tiles_in(zone: Any) -> list[tuple[int, int]]:
    r = zone.rect
    return [
        (c, row) for row in range(r.y // TILE, (r.y + r.h) // TILE) for c in range(r.x // TILE, (r.x + r.w) // TILE)
    ]


def test_the_plenary_has_what_docs_space_md_promises() -> None:
    space = builtin("plenary").space
    assert (space.width, space.height) == (40, 30)
    kinds = [z.kind for z in space.zones]
    assert kinds.count(ZoneKind.STAGE) == 1 and kinds.count(ZoneKind.QUIET) == 1
    assert 4 <= kinds.count(ZoneKind.TABLE) <= 6 and kinds.count(ZoneKind.BOARD) == 2
    (private,) = [z for z in space.zones if z.kind is ZoneKind.PRIVATE]
    assert private.capacity == 4
    # the private room is closed but for its door: the tiles around the zone are walls except one
    r = private.rect
    left, top, right, bottom = r.x // TILE - 1, r.y // TILE - 1, (r.x + r.w) // TILE, (r.y + r.h) // TILE
    ring = [(c, top) for c in range(left, right + 1)] + [(left, row) for row in range(top, bottom + 1)]
    ring += [(right, row) for row in range(top, bottom + 1)] + [(c, bottom) for c in range(left, right + 1)]
    assert [t for t in ring if space.walkable(*t)] == [(34, 21)]
    assert (space.width, space.height) == (40, 30)
    assert (builtin("breakout").space.width, builtin("breakout").space.height) == (20, 15)


@pytest.mark.parametrize("name", BUILTIN)
def test_pytiled_parser_reads_the_shipped_maps_the_same(name: str) -> None:
    """pytiled-parser (an independent reader of Tiled's format) sees the same layers and objects."""
    import pytiled_parser

    theirs = pytiled_parser.parse_map(MAPS_DIR / f"{name}.tmj")
    ours = builtin(name).client
    assert (theirs.map_size.width, theirs.map_size.height) == (ours["width"], ours["height"])
    their_layers = {layer.name: layer for layer in theirs.layers}
    for layer in ours["layers"]:
        their = their_layers[layer["name"]]
        if layer["type"] == "tilelayer":
            assert [g for row in their.data for g in row] == layer["data"]  # type: ignore[union-attr]
        else:
            objects = {
                (
                    o.id,
                    o.name,
                    o.class_,
                    round(o.coordinates.x),
                    round(o.coordinates.y),
                    round(o.size.width),
                    round(o.size.height),
                    tuple(sorted((o.properties or {}).items())),
                )
                for o in their.tiled_objects  # type: ignore[union-attr]
            }
            assert objects == {
                (
                    o["id"],
                    o["name"],
                    o["type"],
                    o["x"],
                    o["y"],
                    o["width"],
                    o["height"],
                    tuple(sorted((p["name"], p["value"]) for p in o.get("properties", []))),
                )
                for o in layer["objects"]
            }
    (tileset,) = theirs.tilesets.values()
    collides = {tile_id for tile_id, tile in (tileset.tiles or {}).items() if (tile.properties or {}).get("collides")}
    assert collides == {t["id"] for t in ours["tilesets"][0]["tiles"]}
    assert str(tileset.image).endswith("werkstatt-tiles.png")


def test_the_shipped_files_are_what_the_scripts_make() -> None:
    root = MAPS_DIR.parent.parent.parent
    for script in ("make-tiles", "make-maps"):
        done = subprocess.run(
            [sys.executable, str(root / "scripts" / script), "--check"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_builtin_refuses_other_names() -> None:
    with pytest.raises(NotFound):
        builtin("../plenary")
    with pytest.raises(NotFound):
        builtin_file("__init__.py")


# --- any wrong type anywhere: InvalidMap, never another exception -------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list) and len(value) < 20:  # not into the layers' data
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


MAP_PATHS = paths(good_map())[1:]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MAP_PATHS), JSON_VALUES), min_size=1, max_size=3))
def test_any_value_anywhere_is_read_or_refused_as_invalid_map(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc = good_map()
    for path, value in changes:
        target: Any = doc
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the path
    try:
        loaded = load(doc)
    except InvalidMap as error:
        assert error.message
    else:
        assert loaded.space.spawns and load(loaded.client).space == loaded.space


def test_starting_the_server_does_not_load_pillow() -> None:
    code = "import sys, server.app, rooms.space.tiled, rooms.space.maps, server.web.maps; print('PIL' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=MAPS_DIR.parent.parent.parent
    )
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize("name", BUILTIN)
def test_every_zone_of_the_shipped_maps_is_reachable_from_the_entrance(name: str) -> None:
    from rooms.space.grid import find_path

    space = builtin(name).space
    for zone in space.zones:
        free = [t for t in tiles_in(zone) if space.walkable(*t)]
        assert free and find_path(space, space.spawns[0], free[0]) is not None, zone
