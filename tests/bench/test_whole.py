"""The workshop workload's parts: what each participant is told, read without parsing where it can be."""

from __future__ import annotations

import orjson
import pytest

from bench.fanout import MARK, Progress, Receiver
from bench.whole import COLLECT, LATER, VOTE, Board, Chat, chat_text, parse_first_board, scan_first_board, walks


def packet(event: str, payload: object) -> bytes:
    return b"42" + orjson.dumps([event, payload])


def test_a_chat_message_is_timed_once_by_its_number() -> None:
    progress = Progress()
    chat = Chat(10, progress)
    author = {"id": "mb_1", "pseudonym": "Rita"}
    message = {"id": "m1", "room_id": "r1", "author": author, "sent_at": "2026-12-06T13:00:00Z", "hidden": False}
    chat(packet("chat.message", {**message, **chat_text(3)}), 1.5)
    chat(packet("chat.message", {**message, **chat_text(3)}), 1.7)  # twice
    chat(packet("chat.message", {**message, "text": "Hallo zusammen"}), 1.8)  # not the workload's
    chat(packet("chat.message", {**message, **chat_text(12)}), 1.9)  # beyond the run's messages
    assert chat.arrived[3] == 1.5 and chat.repeats == 1 and progress.delivered == 1
    assert sum(1 for t in chat.arrived if t) == 1


def test_the_board_times_ideas_while_collecting_and_the_reveal_afterwards() -> None:
    phase = [COLLECT]
    ideas, reveals = Progress(), Progress()
    board = Board(Receiver(5, ideas), phase, reveals)
    idea = {"id": "i2", "text": f"{MARK}0000002"}
    board(packet("board.changed", {"board_id": "b", "seq": 1, "type": "idea.created", "idea": idea}), 2.0)
    assert board.ideas.arrived[2] == 2.0 and ideas.delivered == 1 and board.ideas.disorder == 0
    phase[0] = VOTE
    board(packet("board.changed", {"board_id": "b", "seq": 2, "type": "vote.opened"}), 3.0)
    assert board.ideas.disorder == 0 and not board.revealed  # the vote's own changes are not ideas
    phase[0] = LATER
    revealed = packet("board.changed", {"board_id": "b", "seq": 3, "type": "vote.revealed", "session": {}})
    board(revealed, 4.0)
    board(revealed, 5.0)
    assert board.revealed == 4.0 and reveals.delivered == 1


def test_the_first_board_of_a_move_is_found_without_parsing_everyone_present() -> None:
    presence = [{"id": f"mb_{k}", "pseudonym": f"T {k}", "boards": "x"} for k in range(3)]
    moved = {
        "room": {"id": "r_7", "name": "Raum 007", "kind": "breakout"},
        "presence": presence,
        "boards": [{"id": "b_9", "title": "Ideen", "seq": 4}, {"id": "b_10", "title": "Mehr", "seq": 0}],
        "presented": None,
        "reason": "breakout_open",
    }
    assert scan_first_board(packet("room.moved", moved)) == parse_first_board(packet("room.moved", moved)) == "b_9"
    empty = {**moved, "boards": []}
    assert scan_first_board(packet("room.moved", empty)) is None is parse_first_board(packet("room.moved", empty))


@pytest.mark.parametrize(
    ("clients", "nodes", "walkers", "per_node"),
    [(30, 1, 15, [15]), (30, 2, 15, [7, 8]), (1000, 2, 500, [250, 250]), (31, 2, 10, [5, 5]), (9, 2, 9, [5, 4])],
)
def test_walkers_are_spread_over_the_nodes(clients: int, nodes: int, walkers: int, per_node: list[int]) -> None:
    walking = [i for i in range(clients) if walks(i, clients, nodes, walkers)]
    assert len(walking) == walkers
    assert [sum(1 for i in walking if i % nodes == node) for node in range(nodes)] == per_node
    if walkers * 2 == clients and nodes == 1:  # half: every other one
        assert walking == list(range(1, clients, 2))
