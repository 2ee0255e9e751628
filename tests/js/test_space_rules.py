"""The browser walks by the server's rules: on the shipped maps, the client's walls, zones, paths and
straight lines (``static/js/space-map.js``, ``static/js/space-path.js``) are the domain's
(``rooms.space.tiled``, ``rooms.space.grid``). The JavaScript runs under Node
(``tests/js/space-rules-check.mjs``); without ``node`` the test is skipped, with ``CI=true`` it fails.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from rooms.space.grid import find_path, line_clear
from rooms.space.maps import BUILTIN, builtin

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed, so the client's path finding cannot be compared"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    assert node is not None
    return node


def _cost(path: list[tuple[int, int]]) -> float:
    return sum(2**0.5 if p[0] != q[0] and p[1] != q[1] else 1 for p, q in itertools.pairwise(path))


@pytest.mark.parametrize("name", BUILTIN)
def test_the_client_walks_by_the_servers_rules(name: str) -> None:
    loaded = builtin(name)
    space = loaded.space
    rng = random.Random(name)
    free = [(c, r) for r in range(space.height) for c in range(space.width) if space.walkable(c, r)]
    paths = [(rng.choice(free), rng.choice(free)) for _ in range(150)]
    paths += [((0, 0), free[0]), (free[0], (space.width - 1, space.height - 1))]  # blocked or outside ends
    lines = []
    for _ in range(300):
        a = (rng.randrange(space.pixel_width), rng.randrange(space.pixel_height))
        b = (
            min(space.pixel_width - 1, max(0, a[0] + rng.randrange(-160, 161))),
            min(space.pixel_height - 1, max(0, a[1] + rng.randrange(-160, 161))),
        )
        lines.append((a, b))
    result = subprocess.run(
        [_node(), str(HERE / "space-rules-check.mjs")],
        input=json.dumps({"tmj": loaded.client, "paths": paths, "lines": lines}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    client = json.loads(result.stdout)
    assert bytes(client["blocked"]) == space.blocked
    zones = [[z.id, z.kind.value, z.name, z.capacity, z.rect.x, z.rect.y, z.rect.w, z.rect.h] for z in space.zones]
    assert [z for z in client["zones"] if z[1] not in ("wall", "spawn")] == [
        z for z in zones if z[1] not in ("wall", "spawn")
    ]
    for (a, b), theirs in zip(paths, client["paths"], strict=True):
        ours = find_path(space, a, b)
        if ours is None or theirs is None:
            assert ours == theirs, (a, b)
            continue

        # equally short (several shortest paths may exist)
        assert abs(_cost(ours) - _cost([(c, r) for c, r in theirs])) < 1e-9, (a, b)
    for (a, b), theirs in zip(lines, client["lines"], strict=True):
        assert line_clear(space, a, b) == theirs, (a, b)
