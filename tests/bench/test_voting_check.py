"""The voting workload's check finds lost dots and violations in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.voting import Tally, verify


def database(path: Path, votes: list[tuple[str, str, int]], *, budget: int = 4, cap: int = 2) -> Path:
    con = sqlite3.connect(path)
    con.executescript(
        """CREATE TABLE vote_sessions (id TEXT, budget INTEGER, cap INTEGER, "cast" INTEGER);
        CREATE TABLE ballots (session_id TEXT, member_id TEXT, used INTEGER);
        CREATE TABLE votes (session_id TEXT, member_id TEXT, idea_id TEXT, dots INTEGER);"""
    )
    used: dict[str, int] = {}
    for member, idea, dots in votes:
        con.execute("INSERT INTO votes VALUES ('vs', ?, ?, ?)", (member, idea, dots))
        used[member] = used.get(member, 0) + dots
    con.executemany("INSERT INTO ballots VALUES ('vs', ?, ?)", used.items())
    con.execute("INSERT INTO vote_sessions VALUES ('vs', ?, ?, ?)", (budget, cap, sum(used.values())))
    con.commit()
    con.close()
    return path


def told(acked: dict[tuple[str, str], int]) -> Tally:
    tally = Tally()
    tally.acked.update(acked)
    return tally


def test_agreement_is_clean(tmp_path: Path) -> None:
    db = database(tmp_path / "a.db", [("m1", "i1", 2), ("m2", "i1", 1)])
    checked = verify(f"sqlite:///{db}", "vs", told({("m1", "i1"): 2, ("m2", "i1"): 1}), [{"idea_id": "i1", "dots": 3}])
    assert checked["lost"] == 0 and checked["violations"] == 0 and checked["stored_dots"] == 3


def test_lost_and_unacknowledged_dots(tmp_path: Path) -> None:
    db = database(tmp_path / "b.db", [("m1", "i1", 1), ("m2", "i2", 2)])
    checked = verify(f"sqlite:///{db}", "vs", told({("m1", "i1"): 2, ("m2", "i2"): 1}), None)
    assert checked["lost"] == 1  # m1 was told of two dots, one is stored
    assert checked["stored_not_acknowledged"] == 1 and checked["violations"] == 1  # m2 has one it was refused


def test_budget_cap_and_tally_violations(tmp_path: Path) -> None:
    votes = [("m1", "i1", 3), ("m1", "i2", 2)]  # over the cap of 2 and over the budget of 4
    db = database(tmp_path / "c.db", votes)
    checked = verify(f"sqlite:///{db}", "vs", told({("m1", "i1"): 3, ("m1", "i2"): 2}), [{"idea_id": "i1", "dots": 2}])
    assert checked["over_cap"] == 1 and checked["over_budget"] == 1
    assert checked["tally_mismatch"] == 2  # i1 revealed with 2 instead of 3, i2 missing from the results
    assert checked["violations"] == 4
