"""The server's own text frames (``server.transport.websocket.frame``), read back by wsproto as a client reads them."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import Ping, Pong, TextMessage

from server.transport.websocket import PING, PONG, frame


def read_as_client(data: bytes) -> list[object]:
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(data)
    return list(client.events())


@given(st.text(max_size=70_000))
@example("x" * 125)
@example("x" * 126)
@example("x" * 65_535)
@example("x" * 65_536)
@example("ü" * 63)  # 126 bytes: the 16-bit length starts at bytes, not characters
@settings(max_examples=200, deadline=None)
def test_every_text_frame_reads_back_whole_in_the_shortest_length(text: str) -> None:
    payload = text.encode()
    data = frame(payload)
    (event,) = read_as_client(data)  # wsproto refuses longer length encodings than needed
    assert isinstance(event, TextMessage) and event.message_finished and event.data == text
    assert len(data) - len(payload) == (2 if len(payload) < 126 else 4 if len(payload) < 65536 else 10)


def test_control_frames_read_back() -> None:
    assert [type(e) for e in read_as_client(frame(b"hi", PING) + frame(b"", PONG))] == [Ping, Pong]
