"""Interest cells: who is near whom, cell by cell."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.space.cells import CELL_PX, Cells, cell_of


def test_a_cell_is_ten_tiles() -> None:
    assert CELL_PX == 320
    assert cell_of(0, 0) == (0, 0)
    assert cell_of(319, 319) == (0, 0)
    assert cell_of(320, 641) == (1, 2)


def test_placing_reports_a_change_of_cell() -> None:
    cells = Cells()
    assert cells.place("anna", 10, 10) is True
    assert cells.place("anna", 300, 10) is False
    assert cells.place("anna", 330, 10) is True
    assert cells.cell("anna") == (1, 0)
    assert len(cells) == 1 and "anna" in cells


def test_near_holds_the_three_by_three_cells_around() -> None:
    cells = Cells()
    cells.place("anna", 400, 400)  # cell (1, 1)
    cells.place("ben", 10, 10)  # (0, 0): a corner neighbour
    cells.place("carl", 950, 400)  # (2, 1): beside
    cells.place("dora", 1000, 400)  # (3, 1): too far
    cells.place("emil", 400, 1000)  # (1, 3): too far
    assert cells.near("anna") == {"anna", "ben", "carl"}
    assert cells.near("ben") == {"anna", "ben"}
    assert cells.near("dora") == {"carl", "dora"}
    assert cells.near_point(400, 400) == {"anna", "ben", "carl"}
    assert cells.members((1, 1)) == {"anna"}


def test_removing_a_member() -> None:
    cells = Cells()
    cells.place("anna", 10, 10)
    cells.place("ben", 20, 20)
    cells.remove("anna")
    cells.remove("anna")  # twice: nothing happens
    assert cells.cell("anna") is None
    assert cells.near("anna") == set()
    assert cells.near("ben") == {"ben"}
    cells.remove("ben")
    assert cells.members((0, 0)) == frozenset()
    assert cells.near_point(10, 10) == set()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 2000), st.integers(0, 2000), st.booleans()),
        max_size=60,
    )
)
def test_near_matches_a_scan_of_everyone(moves: list[tuple[str, int, int, bool]]) -> None:
    cells = Cells()
    where: dict[str, tuple[int, int]] = {}
    for member, x, y, leave in moves:
        if leave:
            cells.remove(member)
            where.pop(member, None)
        else:
            cells.place(member, x, y)
            where[member] = (x, y)
    for member, (x, y) in where.items():
        cx, cy = cell_of(x, y)
        expected = {m for m, (mx, my) in where.items() if abs(mx // CELL_PX - cx) <= 1 and abs(my // CELL_PX - cy) <= 1}
        assert cells.near(member) == expected
        assert cells.near_point(x, y) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1600), st.integers(0, 1600)), max_size=40),
    st.tuples(st.integers(0, 5), st.integers(0, 5)),
    st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(0, 5))),
)
def test_who_is_around_one_cell_and_not_another(
    spots: list[tuple[int, int]], cell: tuple[int, int], other: tuple[int, int] | None
) -> None:
    """``around_only``: whom a walk from one cell to another brings near, or takes away (each once)."""
    cells = Cells()
    for n, (x, y) in enumerate(spots):
        cells.place(f"m{n}", x, y)
    only = cells.around_only(cell, other)
    assert len(only) == len(set(only))
    assert set(only) == cells.around(cell) - (cells.around(other) if other is not None else set())
