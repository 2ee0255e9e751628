"""A room's space: a Gather-style 2D map people walk on (docs/space.md). Pure domain, no IO.

- ``model``: the rules' view of a map (tiles, zones, spawn tiles);
- ``grid``: pixels and tiles, lines through walls, A* paths, the nearest free tile;
- ``zones``: which zones a pixel lies in (indexed by tile);
- ``movement``: which moves are accepted, where people arrive, where "go to" takes them;
- ``cells``: interest management (who is near whom, by cells of 10 × 10 tiles);
- ``conversations``: zone conversations and proximity bubbles, kept up to date move by move.
"""
