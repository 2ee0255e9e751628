"""The maps that ship with werkstatt: ``plenary`` (the plenary's default) and ``breakout`` (breakout rooms').

The files lie next to this module: ``<name>.tmj`` and the tileset image ``werkstatt-tiles.png``,
drawn for werkstatt by scripts/make-tiles and laid out by scripts/make-maps (both under the
project's licence). They are read with ``importlib.resources`` (so they work from a wheel too)
and checked by the same ``load_map`` as an upload, once per process.
"""

from __future__ import annotations

import functools
from importlib import resources

from boards.errors import NotFound
from rooms.space.tiled import LoadedMap, load_map

BUILTIN = ("plenary", "breakout")
IMAGES = ("werkstatt-tiles.png",)


def builtin_file(name: str) -> bytes:
    """A shipped file by name (``plenary.tmj``, ``werkstatt-tiles.png``); NotFound for any other name."""
    if name not in IMAGES and name not in {f"{m}.tmj" for m in BUILTIN}:
        raise NotFound("No such map file.")
    return resources.files(__name__).joinpath(name).read_bytes()


@functools.cache
def builtin(name: str) -> LoadedMap:
    """A shipped map, read and checked once (NotFound for a name not in ``BUILTIN``)."""
    if name not in BUILTIN:
        raise NotFound("No such map.")
    return load_map(builtin_file(f"{name}.tmj"), {image: builtin_file(image) for image in IMAGES})
