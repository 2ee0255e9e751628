"""Interest management: who is near whom, by cells of 10 × 10 tiles.

Rules:

- The space is cut into square cells of ``CELL_PX`` (320 px, 10 tiles); a member at pixel ``(x, y)``
  is in cell ``(x // CELL_PX, y // CELL_PX)``.
- A member's *neighbourhood* is their own cell and the 8 around it; ``near`` gives everyone in it,
  the member included. Since a cell is larger than any conversation distance (``LEAVE_PX``), everyone
  within a conversation's reach of a member is in ``near``.
- Costs: placing and removing are O(1); ``near`` is O(people in the 9 cells). A cell with nobody
  in it is dropped.
"""

from __future__ import annotations

CELL_PX = 320

Cell = tuple[int, int]


def cell_of(x: int, y: int) -> Cell:
    return (x // CELL_PX, y // CELL_PX)


class Cells:
    __slots__ = ("_cell", "_members")

    def __init__(self) -> None:
        self._cell: dict[str, Cell] = {}
        self._members: dict[Cell, set[str]] = {}

    def __len__(self) -> int:
        return len(self._cell)

    def __contains__(self, member_id: object) -> bool:
        return member_id in self._cell

    def place(self, member_id: str, x: int, y: int) -> bool:
        """Add the member or move them to ``(x, y)``; True when their cell changed (or they are new)."""
        cell = cell_of(x, y)
        old = self._cell.get(member_id)
        if old == cell:
            return False
        if old is not None:
            self._leave(member_id, old)
        self._cell[member_id] = cell
        self._members.setdefault(cell, set()).add(member_id)
        return True

    def remove(self, member_id: str) -> None:
        old = self._cell.pop(member_id, None)
        if old is not None:
            self._leave(member_id, old)

    def _leave(self, member_id: str, cell: Cell) -> None:
        members = self._members[cell]
        members.discard(member_id)
        if not members:
            del self._members[cell]

    def cell(self, member_id: str) -> Cell | None:
        return self._cell.get(member_id)

    def members(self, cell: Cell) -> frozenset[str]:
        """Everyone in one cell."""
        return frozenset(self._members.get(cell, ()))

    def around(self, cell: Cell) -> set[str]:
        """Everyone in ``cell`` and the 8 cells around it."""
        col, row = cell
        found: set[str] = set()
        members = self._members
        for c in (col - 1, col, col + 1):
            for r in (row - 1, row, row + 1):
                there = members.get((c, r))
                if there:
                    found |= there
        return found

    def around_only(self, cell: Cell, other: Cell | None) -> list[str]:
        """Everyone in the 3 × 3 cells around ``cell`` that are not also around ``other`` (all of them when
        ``other`` is None): whom a member who went from one cell to the other came near, or left. Only the
        cells that differ are looked at."""
        col, row = cell
        found: list[str] = []
        members = self._members
        for c in (col - 1, col, col + 1):
            for r in (row - 1, row, row + 1):
                if other is not None and abs(c - other[0]) <= 1 and abs(r - other[1]) <= 1:
                    continue
                there = members.get((c, r))
                if there:
                    found.extend(there)
        return found

    def near(self, member_id: str) -> set[str]:
        """Everyone in the 3 × 3 cells around the member (the member included); empty for someone not placed."""
        cell = self._cell.get(member_id)
        return set() if cell is None else self.around(cell)

    def near_point(self, x: int, y: int) -> set[str]:
        return self.around(cell_of(x, y))
