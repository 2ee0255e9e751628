"""The breakout workload's check: what each participant was told, against the facilitator's
placement and the plenary — lost arrivals and wrong rooms are found, and fail the run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bench import breakout, cli
from bench.breakout import CLOSE, OPEN, Participant, Sent, check, parse_moved, scan_moved

PLENARY = "rm_plenum"
TEXT = "Bitte zurück (1)"
PLACEMENT = {"mb_a": "rm_1", "mb_b": "rm_2", "mb_c": "rm_1"}


def person(member_id: str, *, room: str | None = None, back: bool = True, heard: bool = True) -> Participant:
    """A participant told what a correct run tells: moved at 1.1 s, the broadcast at 2.1, back at 3.2."""
    p = Participant(member_id)
    p.moves.append((OPEN, room or PLACEMENT[member_id], 1.1))
    if heard:
        p.broadcasts.append((TEXT, 2.1))
    if back:
        p.moves.append((CLOSE, PLENARY, 3.2))
    return p


def checked(people: list[Participant], *, broadcast: bool = True, preview: dict[str, str] = PLACEMENT) -> Any:
    sent = Sent(open=1.0, close=3.0, broadcast=2.0 if broadcast else None, broadcast_text=TEXT)
    return check(people, plenary=PLENARY, preview=preview, placement=PLACEMENT, sent=sent)


def test_a_correct_run_is_clean() -> None:
    result = checked([person(m) for m in PLACEMENT])
    assert result["lost"] == 0 and result["violations"] == 0
    assert [round(t, 3) for t in result["opened"]] == [0.1] * 3
    assert [round(t, 3) for t in result["heard"]] == [0.1] * 3
    assert [round(t, 3) for t in result["closed"]] == [0.2] * 3


def test_missing_arrivals_are_lost_once_per_participant() -> None:
    never_back = person("mb_a", back=False, heard=False)  # missed two things: one participant lost
    never_moved = Participant("mb_b")
    result = checked([never_back, never_moved, person("mb_c")])
    assert result["lost"] == 2
    assert (result["lost_open"], result["lost_broadcast"], result["lost_close"]) == (1, 2, 2)
    assert result["violations"] == 0


def test_no_broadcast_measured_loses_nobody() -> None:
    result = checked([person(m, heard=False) for m in PLACEMENT], broadcast=False)
    assert result["lost"] == 0 and result["heard"] == []


def test_wrong_rooms_and_strays_are_violations() -> None:
    elsewhere = person("mb_a", room="rm_2")  # not where the acknowledgement placed them
    strayed = person("mb_b")
    strayed.moves.append(("moved", "rm_1", 3.5))  # moved away again after the close
    twice = person("mb_c")
    twice.moves.insert(1, (OPEN, "rm_1", 1.2))
    twice.broadcasts.append((TEXT, 2.2))
    unplaced = person("mb_a")
    unplaced.member_id = "mb_x"
    result = checked([elsewhere, strayed, twice, unplaced], preview={**PLACEMENT, "mb_c": "rm_2"})
    assert result["lost"] == 0
    assert result["wrong_room_open"] == 1
    assert result["not_back_in_plenary"] == 1 and result["unexpected_moves"] == 1
    assert result["duplicates"] == 2
    assert result["preview_changed"] == 1 and result["unplaced"] == 1
    assert result["violations"] == 7


def test_a_close_to_another_room_is_a_violation() -> None:
    p = person("mb_a", back=False)
    p.moves.append((CLOSE, "rm_2", 3.1))
    result = checked([p, person("mb_b"), person("mb_c")])
    assert result["wrong_room_close"] == 1 and result["lost"] == 0


@pytest.mark.parametrize(
    "moved",
    [
        {"room": {"id": "rm_1", "name": 'Raum "reason":"x"', "kind": "breakout"}, "presence": [], "reason": OPEN},
        {
            "room": {"id": PLENARY, "name": "Plenum", "kind": "plenary"},
            "presence": [{"id": "mb_a", "pseudonym": '"room":{"id":"rm_9"'}],
            "boards": [{"id": "bd_1", "title": "x", "seq": 3}],
            "presented": None,
            "reason": CLOSE,
        },
    ],
)
def test_scan_agrees_with_the_parse(moved: dict[str, Any]) -> None:
    packet = b"42" + json.dumps(["room.moved", moved], separators=(",", ":"), ensure_ascii=False).encode()
    assert scan_moved(packet) == parse_moved(packet) == (moved["reason"], moved["room"]["id"])


def test_scan_gives_up_where_the_shape_differs() -> None:
    packet = b'42["room.moved",{"reason":"breakout_open","room":{"name":"x","id":"rm_1"}}]'
    assert scan_moved(packet) is None
    assert parse_moved(packet) == (OPEN, "rm_1")


@pytest.mark.parametrize(("key", "status"), [("lost", 1), ("violations", 1), ("errors", 1), (None, 0)])
def test_the_exit_status_fails_on_anything_lost_or_wrong(
    monkeypatch: pytest.MonkeyPatch, key: str | None, status: int
) -> None:
    async def run(_args: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        result: dict[str, Any] = {"workload": "breakout", "lost": 0, "violations": 0, "errors": 0}
        if key is not None:
            result[key] = 1
        return result

    monkeypatch.setattr(breakout, "run", run)
    assert cli.main(["breakout", "--clients", "2", "--rooms", "1"]) == status
