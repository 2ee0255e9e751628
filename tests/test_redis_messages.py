"""The pub/sub messages the Redis fan-out reads itself (``server.transport.redisfanout.parse_messages``),
however the connection cuts them into reads, and the node's own messages it skips there; and the envelope
of ``Forms``."""

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


OWN = b"W1\x00\x01\x02\r\n\x05\x06\x07"  # MAGIC and a node id (with CR LF in it)
OTHER = b"W1\x00\x01\x02\r\n\x05\x06\x08"  # another node's, one byte apart


def message(channel: bytes, data: bytes) -> bytes:
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(channel), channel, len(data), data)


ECHO = message(b"werkstatt:room", OWN + b"F\x81\x05hello")
# a node's stream with its own messages in it: first, between others', one after another, and last
ECHO_STREAM = (
    ECHO
    + b"*3\r\n$9\r\nsubscribe\r\n$14\r\nwerkstatt:room\r\n:1\r\n"
    + message(b"werkstatt:room", OTHER + b"F\x81\x05hello")
    + message(b"werkstatt:room", OWN)
    + message(b"werkstatt:room", OWN + b"V" + b"*3\r\n$7\r\nmessage\r\n" * 20)
    + message(b"werkstatt:" + OWN, OWN[:-1])  # not its own: the payload is one byte short of the id
    + message(b"werkstatt:_nodes", OWN + b"T[1]")
    + message(b"werkstatt:_nodes", b"")
    + message(b"werkstatt:room", b"x" + OWN)
    + b"*3\r\n$11\r\nunsubscribe\r\n$14\r\nwerkstatt:room\r\n:0\r\n"
    + message(b"werkstatt:room", OWN + b"R")
)
ECHO_MESSAGES = [
    [b"subscribe", b"werkstatt:room", 1],
    [b"message", b"werkstatt:room", OTHER + b"F\x81\x05hello"],
    [b"message", b"werkstatt:" + OWN, OWN[:-1]],
    [b"message", b"werkstatt:_nodes", b""],
    [b"message", b"werkstatt:room", b"x" + OWN],
    [b"unsubscribe", b"werkstatt:room", 0],
]
ECHOES = 5


def read_in(chunks: list[bytes]) -> list[list[Any]]:
    out: list[list[Any]] = []
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        del buffer[: parse_messages(buffer, out.append)]
    assert not buffer
    return out


def read_skipping(chunks: list[bytes], own: bytes = OWN) -> tuple[list[list[Any]], int]:
    """What ``parse_messages`` hands on with ``own`` set, read as the chunks arrive, and how many it skipped."""
    out: list[list[Any]] = []
    echoes: list[None] = []
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        del buffer[: parse_messages(buffer, out.append, own, lambda: echoes.append(None))]
    assert not buffer
    return out, len(echoes)


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_messages_cut_anywhere_are_read_whole_and_in_order(cut: int) -> None:
    assert read_in([STREAM[:cut], STREAM[cut:]]) == MESSAGES


def test_messages_read_a_byte_at_a_time() -> None:
    assert read_in([STREAM[i : i + 1] for i in range(len(STREAM))]) == MESSAGES


def test_without_own_every_message_is_handed_on() -> None:
    everything = read_in([ECHO_STREAM])
    assert len(everything) == len(ECHO_MESSAGES) + ECHOES
    assert [m for m in everything if not (m[0] == b"message" and m[2].startswith(OWN))] == ECHO_MESSAGES


@pytest.mark.parametrize("cut", range(len(ECHO_STREAM) + 1))
def test_own_messages_cut_anywhere_are_skipped_whole_and_the_others_read_in_order(cut: int) -> None:
    assert read_skipping([ECHO_STREAM[:cut], ECHO_STREAM[cut:]]) == (ECHO_MESSAGES, ECHOES)


def test_own_messages_read_a_byte_at_a_time_are_skipped() -> None:
    assert read_skipping([ECHO_STREAM[i : i + 1] for i in range(len(ECHO_STREAM))]) == (ECHO_MESSAGES, ECHOES)


def test_an_own_message_is_skipped_only_once_it_is_whole() -> None:
    for cut in range(len(ECHO)):
        assert parse_messages(ECHO[:cut], pytest.fail, OWN) == 0
    assert parse_messages(ECHO, pytest.fail, OWN) == len(ECHO)


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


@pytest.mark.parametrize("cuts", [(), (5,), (len(ECHO) - 1,), (len(ECHO), len(ECHO) + 1), (60, 90, 150, 250)])
async def test_the_subscription_skips_the_nodes_own_messages_however_they_are_cut(cuts: tuple[int, ...]) -> None:
    out: list[list[Any]] = []
    echoes: list[None] = []
    subscription = Subscription(Transport(), out.append, OWN, lambda: echoes.append(None))
    for start, stop in zip((0, *cuts), (*cuts, len(ECHO_STREAM)), strict=True):
        subscription.data_received(ECHO_STREAM[start:stop])
    assert out == ECHO_MESSAGES and len(echoes) == ECHOES and not subscription.buffer


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
    redis-py's own RESP2 parser give the same messages; and with ``own`` set, read in the pieces they
    arrived in, the same but those whose payload starts with ``own``."""
    import random

    import redis.asyncio as aioredis
    from redis._parsers import _AsyncRESP2Parser

    rng = random.Random(7)
    payloads = [b"", b"\r\n", b"*3\r\n$7\r\n", b"W1" + bytes(range(256))]
    payloads += [bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 13, 300, 5000, 70_000)))) for _ in range(40)]
    own = b"W1" + bytes(range(8))  # the node id ``payloads[3]`` starts with
    payloads += [own, own[:-1], b"W1" + bytes(range(1, 9)), b"\r\n" + own]
    payloads += [own + p for p in payloads[4:12]]
    rng.shuffle(payloads)
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
    chunks = [bytes(received)]
    buffer = bytearray(received)
    while True:
        del buffer[: parse_messages(buffer, ours.append)]
        if len(ours) >= total:
            break
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        chunks.append(chunk)
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
    not_own = [m for m in theirs if not (m[0] == b"message" and m[2].startswith(own))]
    echoes = len(theirs) - len(not_own)
    assert echoes == sum(p.startswith(own) for p in payloads) == 10
    assert read_skipping(chunks, own) == (not_own, echoes)
    handed: list[list[Any]] = []
    skipped: list[None] = []
    subscription = Subscription(Transport(), handed.append, own, lambda: skipped.append(None))  # as a node reads
    for chunk in chunks:
        subscription.data_received(chunk)
    assert (handed, len(skipped)) == (not_own, echoes) and not subscription.buffer
