"""The pub/sub messages the Redis fan-out reads itself (``server.transport.redisfanout.parse_messages``),
however the connection cuts them into reads; and the envelope of ``Forms``."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from redis.exceptions import RedisError

from server.transport.redisfanout import MalformedMessage, Subscription, forms_body, parse_messages, read_forms

STREAM = (
    b"*3\r\n$9\r\nsubscribe\r\n$14\r\nwerkstatt:room\r\n:1\r\n"
    b"*3\r\n$7\r\nmessage\r\n$14\r\nwerkstatt:room\r\n$11\r\nW1\r\n\x00binary\r\n"
    b"*3\r\n$7\r\nmessage\r\n$14\r\nwerkstatt:room\r\n$0\r\n\r\n"
    b"*3\r\n$11\r\nunsubscribe\r\n$14\r\nwerkstatt:room\r\n:0\r\n"
)
MESSAGES = [
    [b"subscribe", b"werkstatt:room", 1],
    [b"message", b"werkstatt:room", b"W1\r\n\x00binary"],
    [b"message", b"werkstatt:room", b""],
    [b"unsubscribe", b"werkstatt:room", 0],
]


def read_in(chunks: list[bytes]) -> list[list[Any]]:
    out: list[list[Any]] = []
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        del buffer[: parse_messages(buffer, out.append)]
    assert not buffer
    return out


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_messages_cut_anywhere_are_read_whole_and_in_order(cut: int) -> None:
    assert read_in([STREAM[:cut], STREAM[cut:]]) == MESSAGES


def test_messages_read_a_byte_at_a_time() -> None:
    assert read_in([STREAM[i : i + 1] for i in range(len(STREAM))]) == MESSAGES


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def abort(self) -> None:
        self.aborted = True


@pytest.mark.parametrize("cuts", [(), (5,), (40, 41), (60, 90, 150), tuple(range(1, len(STREAM)))])
async def test_the_subscription_delivers_what_arrives_however_it_is_cut(cuts: tuple[int, ...]) -> None:
    out: list[list[Any]] = []
    transport = Transport()
    subscription = Subscription(transport, out.append)
    assert transport.protocol is subscription
    for start, stop in zip((0, *cuts), (*cuts, len(STREAM)), strict=True):
        subscription.data_received(STREAM[start:stop])
    assert out == MESSAGES and not subscription.buffer
    subscription.data_received(b"-ERR not a message\r\n")
    assert transport.aborted  # connected again by the fan-out's reader, once the connection is lost
    subscription.connection_lost(None)
    assert subscription.lost.done()


@pytest.mark.parametrize(
    "stream", [b"-ERR unknown command\r\n", b"*x\r\n", b"*1\r\n$y\r\n", b"*1\r\n:z\r\n", b"*1\r\n+OK\r\n"]
)
def test_what_is_not_a_message_is_refused_not_taken_for_one(stream: bytes) -> None:
    with pytest.raises(RedisError):  # the reader connects again
        parse_messages(bytearray(stream), lambda _m: None)


def test_forms_travel_whole() -> None:
    frames = [b"public", b"moderated", b"own \xe2\x9c\x93"]
    body = forms_body(frames, 0, 1, {"m-1": 2, "m-2": 2, "Jürgen": 0})
    assert read_forms(b"header" + body, 6) == (
        b"public",
        b"moderated",
        {"m-1": frames[2], "m-2": frames[2], "Jürgen": b"public"},
    )


@pytest.mark.parametrize("cut", [1, 5, 12, 20])
def test_cut_forms_are_refused(cut: int) -> None:
    body = forms_body([b"public", b"moderated"], 0, 1, {"m-1": 1})
    with pytest.raises(MalformedMessage):
        read_forms(body[:-cut], 0)


async def test_what_a_real_redis_sends_is_read_as_redis_py_reads_it(redis_url: str) -> None:
    """The oracle: the bytes a real Redis sends a subscriber — binary payloads of every size, with CR, LF
    and "$"/"*" inside, empty ones, channels subscribed and left — read by ``parse_messages`` and by
    redis-py's own RESP2 parser give the same messages."""
    import random

    import redis.asyncio as aioredis
    from redis._parsers import _AsyncRESP2Parser

    rng = random.Random(7)
    payloads = [b"", b"\r\n", b"*3\r\n$7\r\n", b"W1" + bytes(range(256))]
    payloads += [bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 13, 300, 5000, 70_000)))) for _ in range(40)]
    fresh = os.urandom(6).hex().encode()
    channels = [b"werkstatt:room:" + fresh, b"werkstatt:event:\xc3\xa4\r\n" + fresh, b"werkstatt:mods:" + fresh]
    host, port = redis_url.removeprefix("redis://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))

    def command(*parts: bytes) -> bytes:
        return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)

    writer.write(command(b"SUBSCRIBE", *channels))
    publisher = aioredis.Redis.from_url(redis_url)
    received = bytearray()
    while received.count(b"subscribe\r\n") < len(channels):
        received += await asyncio.wait_for(reader.read(65536), 5)
    expected = 0
    for n, payload in enumerate(payloads):
        expected += await publisher.publish(channels[n % len(channels)], payload)
    writer.write(command(b"UNSUBSCRIBE", channels[0]))
    total = len(channels) + expected + 1  # subscribed, the messages, unsubscribed
    ours: list[list[Any]] = []
    buffer = bytearray(received)
    while True:
        del buffer[: parse_messages(buffer, ours.append)]
        if len(ours) >= total:
            break
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        received += chunk
        buffer += chunk
    writer.close()
    await publisher.aclose()

    stream = asyncio.StreamReader()
    stream.feed_data(bytes(received))
    stream.feed_eof()
    parser = _AsyncRESP2Parser(socket_read_size=65536)
    parser._stream = stream
    parser._connected = True
    theirs = [await parser.read_response(disable_decoding=True) for _ in range(total)]
    assert ours == theirs
    assert [m[2] for m in ours if m[0] == b"message"] == payloads
