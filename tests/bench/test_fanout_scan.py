"""The fan-out workload reads each delivery with ``scan_change``; it must agree with a full parse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.fanout import MARK, Progress, Receiver, parse_change, scan_change


def packet(change: dict[str, Any]) -> bytes:
    return b"42" + json.dumps(["board.changed", change], separators=(",", ":"), ensure_ascii=False).encode()


def created(seq: int, text: str, **more: Any) -> dict[str, Any]:
    idea = {"id": "idea_1", "board_id": "bd_1", "title": 'a "seq":9, title', "text": text, "tags": []}
    return {"board_id": "bd_1", "seq": seq, "type": "idea.created", "idea_id": "idea_1", "idea": idea, **more}


@pytest.mark.parametrize(
    "change",
    [
        created(1, f"{MARK}0000003"),
        created(12, f"{MARK}0000042", session=None, comments=None),
        created(5, 'Radwege „sicher“ "seq":7, "text":"Idee #0000001"'),  # not one of ours: quotes are escaped
        created(6, f"{MARK}00x"),
        {"board_id": "bd_1", "seq": 7, "type": "idea.updated", "idea": {"text": f"{MARK}0000001"}},
        {"board_id": "bd_1", "seq": 8, "type": "idea.created", "idea": None},
    ],
)
def test_scan_agrees_with_the_parse(change: dict[str, Any]) -> None:
    raw = packet(change)
    assert scan_change(raw) in (parse_change(raw), None)


def test_scan_gives_up_where_the_shape_differs() -> None:
    assert scan_change(packet({"type": "idea.created", "seq": 3})) is None  # seq last: no comma after it
    assert scan_change(packet({"type": "idea.created"})) is None


def test_receiver_counts_arrivals_and_disorder() -> None:
    progress = Progress()
    receiver = Receiver(4, progress)
    for seq, k in ((1, 0), (2, 2), (2, 2), (4, 1)):
        receiver(packet(created(seq, f"{MARK}{k:07d}")), float(seq))
    assert receiver.scan is True
    assert list(receiver.arrived) == [1.0, 4.0, 2.0, 0.0]
    assert progress.delivered == 3 and receiver.disorder == 3  # the duplicate (twice: seq and idea) and the gap


def test_receiver_parses_when_the_scan_disagrees() -> None:
    receiver = Receiver(2, Progress())
    odd = {"board_id": "bd_1", "session": {"seq": 99}, **created(1, f"{MARK}0000001")}  # a nested seq first
    receiver(packet(odd), 1.0)
    assert receiver.scan is False and receiver.disorder == 0 and receiver.arrived[1] == 1.0
