"""Reading a Tiled map (``.tmj``, JSON) into the rules' view (``SpaceMap``) and the browser's copy.

Pure: it reads the bytes it is given (the map and the files uploaded with it: external tilesets,
tileset images) and never the disk. Every limit of docs/space.md is checked here and each
violation raises ``InvalidMap`` with a message that names what is wrong and where.

The input is hostile until checked: the JSON parser's own failures (deep nesting, numbers with
thousands of digits) become ``InvalidMap``; every number is checked for its type and range before
it is used for a size; base64 layer data is decompressed to at most the layer's size (a
compression bomb stops there); tileset images are PNGs checked with Pillow, whose size is read
from the header before any pixel is decoded.

The browser's copy (``LoadedMap.client``) is rebuilt from what was read, not passed through:
tilesets embedded (each ``image`` the bare file name the server serves it under, next to the
map), tile layers' ``data`` always a plain array (never base64), object layers holding only the
zones, and only the properties werkstatt reads. Tiled opens it too.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import io
import itertools
import json
import math
import re
import sys
import zlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boards.errors import InvalidInput
from rooms.space.model import TILE, Rect, SpaceMap, Zone, ZoneKind

MAX_MAP_BYTES = 2 * 1024 * 1024  # the .tmj, and each external tileset file
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 4096  # pixels
MIN_SIDE, MAX_SIDE = 8, 200  # tiles
MAX_LAYERS = 16
MAX_TILESETS = 8
MAX_OBJECTS = 500
MAX_CAPACITY = 6
MAX_NAME = 100  # characters of a layer's, tileset's, zone's or board's name
MAX_TILES_PER_TILESET = (MAX_IMAGE_SIDE // TILE) ** 2
GID_FLAGS = 0xF0000000  # Tiled's flip (and hexagonal rotation) bits of a tile id
GID_MAX = 0x0FFFFFFF
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class InvalidMap(InvalidInput):
    code = "invalid_map"


@dataclass(frozen=True, slots=True, eq=False)
class LoadedMap:
    space: SpaceMap
    client: dict[str, Any]  # the .tmj as the browser gets it (see the module docstring)

    @property
    def images(self) -> tuple[str, ...]:
        """The file names of the tileset images the client map names (each once, in order)."""
        return tuple(dict.fromkeys(ts["image"] for ts in self.client["tilesets"]))


def load_map(data: bytes, files: Mapping[str, bytes]) -> LoadedMap:
    """Read a ``.tmj``; ``files``: the uploaded files by name (external tilesets, PNG images)."""
    if len(data) > MAX_MAP_BYTES:
        raise InvalidMap(f"The map file is larger than {MAX_MAP_BYTES // (1024 * 1024)} MB.")
    doc = _parse_json(data, "The map")
    return _Reader(files).read(doc)


def _parse_json(data: bytes, what: str) -> dict[str, Any]:
    if data.lstrip()[:1] == b"<":
        raise InvalidMap(f"{what} is XML (TMX/TSX): save it in Tiled's JSON format (.tmj/.tsj).")
    try:
        text = data.decode("utf-8-sig")
        doc = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InvalidMap(f"{what} is not UTF-8 text.") from None
    except RecursionError:
        raise InvalidMap(f"{what} is nested too deeply.") from None
    except ValueError as error:  # json.JSONDecodeError, and ints of more than 4300 digits
        raise InvalidMap(f"{what} is not valid JSON ({_short(str(error))}).") from None
    if not isinstance(doc, dict):
        raise InvalidMap(f"{what} is not a JSON object.")
    return doc


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- typed reads with a message naming where -------------------------------------------------


def _int(obj: Mapping[str, Any], key: str, where: str, lo: int, hi: int, default: int | None = None) -> int:
    value = obj.get(key, default)
    if value is None:
        raise InvalidMap(f"{where}: '{key}' is missing.")
    if isinstance(value, float) and value.is_integer() and lo <= value <= hi:
        value = int(value)
    if type(value) is not int:
        raise InvalidMap(f"{where}: '{key}' must be a whole number.")
    if not lo <= value <= hi:
        raise InvalidMap(f"{where}: '{key}' must be {lo}–{hi} (it is {_short(str(value), 20)}).")
    return value


def _number(obj: Mapping[str, Any], key: str, where: str, lo: float, hi: float, default: float = 0) -> float:
    value = obj.get(key, default)
    if type(value) not in (int, float) or not math.isfinite(value):
        raise InvalidMap(f"{where}: '{key}' must be a number.")
    if not lo <= value <= hi:
        raise InvalidMap(f"{where}: '{key}' must be {lo:g}–{hi:g} (it is {value:g}).")
    return float(value)


def _str(obj: Mapping[str, Any], key: str, where: str, default: str | None = None, limit: int = MAX_NAME) -> str:
    value = obj.get(key, default)
    if value is None:
        raise InvalidMap(f"{where}: '{key}' is missing.")
    if not isinstance(value, str):
        raise InvalidMap(f"{where}: '{key}' must be a text.")
    if len(value) > limit:
        raise InvalidMap(f"{where}: '{key}' is longer than {limit} characters.")
    if CONTROL.search(value):
        raise InvalidMap(f"{where}: '{key}' holds control characters.")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str, limit: int) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise InvalidMap(f"{where}: '{key}' must be a list.")
    if len(value) > limit:
        raise InvalidMap(f"{where}: more than {limit} entries in '{key}'.")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidMap(f"{where} is not a JSON object.")
    return value


def _properties(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Tiled's custom properties (``[{name, type, value}]``) as a dict of the names werkstatt reads."""
    raw = obj.get("properties", [])
    if isinstance(raw, dict):  # Tiled before 1.2 wrote a plain object
        raw = [{"name": k, "value": v} for k, v in raw.items()]
    if not isinstance(raw, list) or len(raw) > 100:
        raise InvalidMap(f"{where}: 'properties' must be a list of at most 100 properties.")
    found: dict[str, Any] = {}
    for prop in raw:
        prop = _object(prop, f"{where}: a property")
        name = prop.get("name")
        if name in ("collides", "capacity", "board"):
            found[name] = prop.get("value")
    return found


def _collides(props: Mapping[str, Any], where: str) -> bool:
    value = props.get("collides", False)
    if not isinstance(value, bool):
        raise InvalidMap(f"{where}: the property 'collides' must be a boolean (true or false).")
    return value


def _file(files: Mapping[str, bytes], reference: str, where: str, what: str) -> tuple[str, bytes]:
    """A referenced file by its bare name (Tiled stores paths relative to the map: only the name counts)."""
    name = reference.replace("\\", "/").rsplit("/", 1)[-1]
    if not FILE_NAME.fullmatch(name):
        raise InvalidMap(
            f"{where}: the {what} file name '{_short(name, 40)}' is not allowed "
            "(letters, digits, '.', '-', '_'; at most 64 characters)."
        )
    content = files.get(name)
    if content is None:
        raise InvalidMap(f"{where}: the {what} '{name}' was not uploaded with the map.")
    return name, content


def _decode_data(layer: Mapping[str, Any], where: str, count: int) -> list[int]:
    raw = layer.get("data")
    encoding = layer.get("encoding", "csv")
    if encoding == "csv":  # Tiled's name for a plain JSON array
        if not isinstance(raw, list) or len(raw) != count:
            raise InvalidMap(f"{where}: 'data' must be a list of {count} tile ids (width × height).")
        if not all(type(g) is int and 0 <= g <= 0xFFFFFFFF for g in raw):
            raise InvalidMap(f"{where}: 'data' holds something other than tile ids (whole numbers 0–4294967295).")
        return raw
    if encoding != "base64":
        raise InvalidMap(f"{where}: unknown 'encoding' (werkstatt reads CSV and Base64).")
    if not isinstance(raw, str) or len(raw) > MAX_MAP_BYTES:
        raise InvalidMap(f"{where}: 'data' must be a Base64 text.")
    try:
        packed = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidMap(f"{where}: 'data' is not valid Base64.") from None
    expected = count * 4
    compression = layer.get("compression", "")
    if compression == "zstd":
        raise InvalidMap(
            f"{where}: Zstandard compression is not supported; in Tiled's map properties choose "
            "'Base64 (zlib compressed)', 'Base64 (gzip compressed)', 'Base64 (uncompressed)' or CSV."
        )
    if compression in ("zlib", "gzip"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if compression == "gzip" else 0))
        try:
            # at most one byte more than the layer needs: a compression bomb stops here
            packed = inflater.decompress(packed, expected + 1)
        except zlib.error:
            raise InvalidMap(f"{where}: 'data' is not valid {compression} data.") from None
    elif compression != "":
        raise InvalidMap(f"{where}: unknown 'compression' '{_short(str(compression), 20)}'.")
    if len(packed) != expected:
        raise InvalidMap(
            f"{where}: 'data' holds {'more' if len(packed) > expected else 'fewer'} tiles than width × height."
        )
    tiles = array("I")
    assert tiles.itemsize == 4
    tiles.frombytes(packed)
    if sys.byteorder == "big":  # Tiled writes little-endian
        tiles.byteswap()
    return tiles.tolist()


# --- the reader ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tileset:
    firstgid: int
    tilecount: int
    collides: frozenset[int]  # local tile ids
    client: dict[str, Any]


class _Reader:
    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files
        self.checked_images: dict[str, tuple[int, int]] = {}

    def read(self, doc: dict[str, Any]) -> LoadedMap:
        if doc.get("type", "map") != "map":
            raise InvalidMap("This is not a Tiled map ('type' is not 'map'): upload the .tmj file.")
        if doc.get("orientation") != "orthogonal":
            raise InvalidMap("The map's orientation must be 'orthogonal'.")
        if doc.get("infinite", False) is not False:
            raise InvalidMap("The map is infinite: werkstatt reads fixed-size maps (uncheck 'Infinite' in Tiled).")
        for key in ("tilewidth", "tileheight"):
            if doc.get(key) != TILE or type(doc.get(key)) is not int:
                raise InvalidMap(f"The map's tiles must be {TILE} × {TILE} pixels ('{key}').")
        width = _int(doc, "width", "The map", MIN_SIDE, MAX_SIDE)
        height = _int(doc, "height", "The map", MIN_SIDE, MAX_SIDE)

        tilesets = self._tilesets(doc)
        gids = self._gid_table(tilesets)
        layers = _list(doc, "layers", "The map", MAX_LAYERS)
        blocked = bytearray(width * height)
        client_layers: list[dict[str, Any]] = []
        zones: list[Zone] = []
        object_ids: set[int] = set()
        objects_seen = 0
        layer_ids: set[int] = set()
        for index, raw in enumerate(layers, 1):
            layer = _object(raw, f"Layer {index}")
            name = _str(layer, "name", f"Layer {index}", "")
            where = f"Layer '{name}'" if name else f"Layer {index}"
            layer_id = _int(layer, "id", where, 1, GID_MAX, index)
            if layer_id in layer_ids:
                raise InvalidMap(f"{where}: the layer id {layer_id} is used twice.")
            layer_ids.add(layer_id)
            kind = layer.get("type")
            visible = layer.get("visible", True)
            if not isinstance(visible, bool):
                raise InvalidMap(f"{where}: 'visible' must be true or false.")
            opacity = _number(layer, "opacity", where, 0, 1, 1)
            if kind == "tilelayer":
                client_layers.append(
                    self._tile_layer(layer, where, layer_id, name, width, height, gids, blocked, visible, opacity)
                )
            elif kind == "objectgroup":
                objects = _list(layer, "objects", where, MAX_OBJECTS)
                objects_seen += len(objects)
                if objects_seen > MAX_OBJECTS:
                    raise InvalidMap(f"The map holds more than {MAX_OBJECTS} objects.")
                layer_zones = self._zones(objects, where, width, height, object_ids)
                zones.extend(layer_zones)
                client_layers.append(
                    {
                        "id": layer_id,
                        "name": name,
                        "type": "objectgroup",
                        "draworder": "topdown",
                        "visible": visible,
                        "opacity": opacity,
                        "x": 0,
                        "y": 0,
                        "objects": [_client_zone(z) for z in layer_zones],
                    }
                )
            elif kind == "group":
                raise InvalidMap(f"{where} is a group layer: werkstatt reads tile and object layers only (ungroup it).")
            elif kind == "imagelayer":
                raise InvalidMap(f"{where} is an image layer: werkstatt reads tile and object layers only.")
            else:
                raise InvalidMap(f"{where}: unknown layer type.")
        if not any(layer["type"] == "tilelayer" for layer in client_layers):
            raise InvalidMap("The map has no tile layer.")

        for zone in zones:
            if zone.kind is ZoneKind.WALL:
                for col, row in _tiles_of(zone.rect, width, height):
                    blocked[row * width + col] = 1
        spawns: set[tuple[int, int]] = set()
        for zone in zones:
            if zone.kind is ZoneKind.SPAWN:
                spawns.update(t for t in _tiles_of(zone.rect, width, height) if not blocked[t[1] * width + t[0]])
        if not any(zone.kind is ZoneKind.SPAWN for zone in zones):
            raise InvalidMap("The map has no spawn zone (an object of class 'spawn': a point or a rectangle).")
        if not spawns:
            raise InvalidMap("The map's spawn zones hold no walkable tile.")

        space = SpaceMap(
            width=width,
            height=height,
            blocked=bytes(blocked),
            zones=tuple(zones),
            spawns=tuple(sorted(spawns, key=lambda t: (t[1], t[0]))),
        )
        client: dict[str, Any] = {
            "type": "map",
            "version": "1.10",
            "orientation": "orthogonal",
            "renderorder": "right-down",
            "infinite": False,
            "width": width,
            "height": height,
            "tilewidth": TILE,
            "tileheight": TILE,
            "nextlayerid": max(layer_ids) + 1,
            "nextobjectid": max((int(z.id[1:]) for z in zones), default=0) + 1,
            "layers": client_layers,
            "tilesets": [ts.client for ts in tilesets],
        }
        return LoadedMap(space=space, client=client)

    # tilesets

    def _tilesets(self, doc: Mapping[str, Any]) -> list[_Tileset]:
        raws = _list(doc, "tilesets", "The map", MAX_TILESETS)
        if not raws:
            raise InvalidMap("The map has no tileset.")
        tilesets = []
        for index, raw in enumerate(raws, 1):
            ref = _object(raw, f"Tileset {index}")
            firstgid = _int(ref, "firstgid", f"Tileset {index}", 1, GID_MAX)
            if "source" in ref:
                source = _str(ref, "source", f"Tileset {index}", limit=500)
                name, content = _file(self.files, source, f"Tileset {index}", "tileset")
                if len(content) > MAX_MAP_BYTES:
                    raise InvalidMap(f"The tileset file '{name}' is larger than {MAX_MAP_BYTES // (1024 * 1024)} MB.")
                body = _parse_json(content, f"The tileset file '{name}'")
                if body.get("type", "tileset") != "tileset":
                    raise InvalidMap(f"The tileset file '{name}' is not a Tiled tileset.")
                tilesets.append(self._tileset(body, firstgid, f"Tileset '{name}'"))
            else:
                label = _str(ref, "name", f"Tileset {index}", "")
                tilesets.append(self._tileset(ref, firstgid, f"Tileset '{label}'" if label else f"Tileset {index}"))
        return tilesets

    def _tileset(self, ts: Mapping[str, Any], firstgid: int, where: str) -> _Tileset:
        name = _str(ts, "name", where, "")
        for key in ("tilewidth", "tileheight"):
            if ts.get(key) != TILE or type(ts.get(key)) is not int:
                raise InvalidMap(f"{where}: its tiles must be {TILE} × {TILE} pixels ('{key}').")
        if "image" not in ts:
            raise InvalidMap(f"{where}: a tileset must be one image (werkstatt does not read image collections).")
        image_ref = _str(ts, "image", where, limit=500)
        image, content = _file(self.files, image_ref, where, "image")
        if not image.lower().endswith(".png"):
            raise InvalidMap(f"{where}: the image '{image}' must be a PNG file (.png).")
        img_w, img_h = self._check_png(image, content)
        if ts.get("imagewidth", img_w) != img_w or ts.get("imageheight", img_h) != img_h:
            raise InvalidMap(
                f"{where}: the image '{image}' is {img_w} × {img_h} pixels, the tileset says otherwise "
                "(reload the image in Tiled)."
            )
        margin = _int(ts, "margin", where, 0, 64, 0)
        spacing = _int(ts, "spacing", where, 0, 64, 0)
        columns = max(0, (img_w - 2 * margin + spacing) // (TILE + spacing))
        rows = max(0, (img_h - 2 * margin + spacing) // (TILE + spacing))
        if columns == 0 or rows == 0:
            raise InvalidMap(f"{where}: the image '{image}' is smaller than one tile.")
        if _int(ts, "columns", where, 0, MAX_TILES_PER_TILESET, columns) != columns:
            raise InvalidMap(f"{where}: 'columns' does not match the image (it holds {columns} columns).")
        tilecount = _int(ts, "tilecount", where, 1, columns * rows, columns * rows)
        if firstgid + tilecount - 1 > GID_MAX:
            raise InvalidMap(f"{where}: 'firstgid' is too large.")
        collides: set[int] = set()
        client_tiles = []
        for raw in _list(ts, "tiles", where, tilecount):
            tile = _object(raw, f"{where}: a tile")
            tile_id = _int(tile, "id", f"{where}: a tile", 0, tilecount - 1)
            if "image" in tile:
                raise InvalidMap(f"{where}: tile {tile_id} has its own image (image collections are not read).")
            if _collides(_properties(tile, f"{where}: tile {tile_id}"), f"{where}: tile {tile_id}"):
                collides.add(tile_id)
                client_tiles.append(
                    {"id": tile_id, "properties": [{"name": "collides", "type": "bool", "value": True}]}
                )
        client: dict[str, Any] = {
            "firstgid": firstgid,
            "name": name,
            "tilewidth": TILE,
            "tileheight": TILE,
            "tilecount": tilecount,
            "columns": columns,
            "margin": margin,
            "spacing": spacing,
            "image": image,
            "imagewidth": img_w,
            "imageheight": img_h,
        }
        if client_tiles:
            client["tiles"] = sorted(client_tiles, key=lambda t: t["id"])
        return _Tileset(firstgid, tilecount, frozenset(collides), client)

    def _check_png(self, name: str, content: bytes) -> tuple[int, int]:
        if name in self.checked_images:
            return self.checked_images[name]
        if len(content) > MAX_IMAGE_BYTES:
            raise InvalidMap(f"The image '{name}' is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
        if not content.startswith(PNG_SIGNATURE) or content[12:16] != b"IHDR" or len(content) < 33:
            raise InvalidMap(f"The image '{name}' is not a PNG file.")
        # the size from the header, before Pillow sees the file (no decompression-bomb warning either)
        if max(int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")) > MAX_IMAGE_SIDE:
            raise InvalidMap(f"The image '{name}' is larger than {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} pixels.")
        size = check_png(content)
        if size is None:
            raise InvalidMap(f"The image '{name}' is not a valid PNG file.")
        if max(size) > MAX_IMAGE_SIDE:
            raise InvalidMap(f"The image '{name}' is larger than {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} pixels.")
        self.checked_images[name] = size
        return size

    @staticmethod
    def _gid_table(tilesets: list[_Tileset]) -> list[tuple[int, int, _Tileset]]:
        spans = sorted(((ts.firstgid, ts.firstgid + ts.tilecount, ts) for ts in tilesets), key=lambda s: s[0])
        for (_, end, a), (start, _, b) in itertools.pairwise(spans):
            if start < end:
                raise InvalidMap(
                    f"The tilesets '{a.client['name']}' and '{b.client['name']}' overlap (their 'firstgid' values)."
                )
        return spans

    # layers

    def _tile_layer(
        self,
        layer: Mapping[str, Any],
        where: str,
        layer_id: int,
        name: str,
        width: int,
        height: int,
        gids: list[tuple[int, int, _Tileset]],
        blocked: bytearray,
        visible: bool,
        opacity: float,
    ) -> dict[str, Any]:
        if "chunks" in layer:
            raise InvalidMap(f"{where}: chunked (infinite) layers are not read.")
        if layer.get("width", width) != width or layer.get("height", height) != height:
            raise InvalidMap(f"{where}: the layer's size differs from the map's ({width} × {height}).")
        if layer.get("x", 0) != 0 or layer.get("y", 0) != 0:
            raise InvalidMap(f"{where}: the layer must start at the map's corner (x and y 0).")
        data = _decode_data(layer, where, width * height)
        distinct = {g & GID_MAX for g in set(data)} - {0}
        starts = [start for start, _, _ in gids]
        blocked_gids: set[int] = set()
        for gid in sorted(distinct):
            start, end, ts = gids[max(0, bisect.bisect_right(starts, gid) - 1)]
            if not start <= gid < end:
                raise InvalidMap(f"{where}: the tile id {gid} is in no tileset.")
            if gid - start in ts.collides:
                blocked_gids.add(gid)
        props = _properties(layer, where)
        if _collides(props, where):
            for i, gid in enumerate(data):
                if gid:
                    blocked[i] = 1
        elif blocked_gids:
            for i, gid in enumerate(data):
                if gid and gid & GID_MAX in blocked_gids:
                    blocked[i] = 1
        client: dict[str, Any] = {
            "id": layer_id,
            "name": name,
            "type": "tilelayer",
            "width": width,
            "height": height,
            "x": 0,
            "y": 0,
            "visible": visible,
            "opacity": opacity,
            "data": data,
        }
        if props.get("collides") is True:
            client["properties"] = [{"name": "collides", "type": "bool", "value": True}]
        return client

    def _zones(self, objects: list[Any], where: str, width: int, height: int, object_ids: set[int]) -> list[Zone]:
        zones = []
        kinds = {k.value for k in ZoneKind}
        for index, raw in enumerate(objects, 1):
            obj = _object(raw, f"{where}: object {index}")
            object_id = _int(obj, "id", f"{where}: object {index}", 1, GID_MAX)
            if object_id in object_ids:
                raise InvalidMap(f"{where}: object {object_id}: the object id is used twice.")
            object_ids.add(object_id)
            kind_name = obj.get("class") or obj.get("type") or ""
            if not isinstance(kind_name, str):
                raise InvalidMap(f"{where}: object {object_id}: 'class' must be a text.")
            if kind_name not in kinds:
                continue  # not a zone: a note or a decoration werkstatt does not read (nor shows)
            kind = ZoneKind(kind_name)
            label = _str(obj, "name", f"{where}: object {object_id}", "")
            here = f"{where}: object {object_id}" + (f" ('{label}')" if label else "")
            if obj.get("ellipse", False) is not False or any(k in obj for k in ("polygon", "polyline", "text", "gid")):
                raise InvalidMap(f"{here}: a {kind} zone must be a rectangle or a point.")
            if _number(obj, "rotation", here, -360, 360, 0) != 0:
                raise InvalidMap(f"{here}: a zone must not be rotated.")
            x = _number(obj, "x", here, 0, width * TILE)
            y = _number(obj, "y", here, 0, height * TILE)
            w = _number(obj, "width", here, 0, width * TILE)
            h = _number(obj, "height", here, 0, height * TILE)
            point = obj.get("point", False) is True or (w == 0 and h == 0)
            if point:
                w = h = 0
                if kind is not ZoneKind.SPAWN:
                    raise InvalidMap(f"{here}: a {kind} zone must be a rectangle, not a point.")
                if x >= width * TILE or y >= height * TILE:
                    raise InvalidMap(f"{here}: the point lies outside the map.")
            elif w < 1 or h < 1:
                raise InvalidMap(f"{here}: the rectangle has no area.")
            elif x + w > width * TILE or y + h > height * TILE:
                raise InvalidMap(f"{here}: the rectangle reaches outside the map.")
            rect = Rect(round(x), round(y), round(w), round(h))
            props = _properties(obj, here)
            capacity = None
            board = None
            if kind in (ZoneKind.TABLE, ZoneKind.PRIVATE):
                capacity = props.get("capacity", MAX_CAPACITY)
                if type(capacity) is not int or not 1 <= capacity <= MAX_CAPACITY:
                    raise InvalidMap(f"{here}: 'capacity' must be a whole number 1–{MAX_CAPACITY}.")
            elif kind is ZoneKind.BOARD and "board" in props:
                board = _str(props, "board", here, limit=200).strip() or None
            zones.append(Zone(f"z{object_id}", kind, label.strip(), rect, capacity, board))
        return zones


def check_png(content: bytes) -> tuple[int, int] | None:
    """The PNG's size when Pillow reads it as a whole, valid PNG of at most 4096 × 4096 pixels, else None.

    Pillow is imported here, not at the top: a server start does not load it (only a map upload
    and the tests do).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
            size = image.size
            if max(size) > MAX_IMAGE_SIDE:
                return size  # the caller refuses it by its size; nothing decoded
            image.verify()  # the chunks' checksums
        with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
            image.load()  # every pixel decodes (bounded: 4096 × 4096 at most)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        return None
    return size


def _tiles_of(rect: Rect, width: int, height: int) -> list[tuple[int, int]]:
    """The tiles a zone covers: a point's tile; a rectangle's every tile it overlaps."""
    if rect.w == 0 and rect.h == 0:
        return [(min(rect.x // TILE, width - 1), min(rect.y // TILE, height - 1))]
    first_col, first_row = rect.x // TILE, rect.y // TILE
    last_col = min((rect.x + rect.w - 1) // TILE, width - 1)
    last_row = min((rect.y + rect.h - 1) // TILE, height - 1)
    return [(c, r) for r in range(first_row, last_row + 1) for c in range(first_col, last_col + 1)]


def _client_zone(zone: Zone) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": int(zone.id[1:]),
        "name": zone.name,
        "type": zone.kind.value,
        "class": zone.kind.value,
        "x": zone.rect.x,
        "y": zone.rect.y,
        "width": zone.rect.w,
        "height": zone.rect.h,
        "rotation": 0,
        "visible": True,
    }
    if zone.rect.w == 0 and zone.rect.h == 0:
        obj["point"] = True
    props = []
    if zone.capacity is not None:
        props.append({"name": "capacity", "type": "int", "value": zone.capacity})
    if zone.board is not None:
        props.append({"name": "board", "type": "string", "value": zone.board})
    if props:
        obj["properties"] = props
    return obj
