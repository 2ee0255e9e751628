"""werkstatt's parse of Socket.IO event packets, held against python-socketio's own codec.

The endpoint parses the packets it takes itself (``server.transport.endpoint.parse_event``: orjson,
no packet object per message); python-socketio's ``Packet`` is the reference for the wire
format. Every packet its encoder writes parses the same here, and nothing is taken here that
it would refuse or read differently.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from engineio import packet as eio
from hypothesis import example, given, settings
from hypothesis import strategies as st
from socketio import packet as sio

from server.transport.endpoint import (
    EIO_CLOSE,
    EIO_MESSAGE,
    EIO_NOOP,
    EIO_PING,
    EIO_PONG,
    EIO_UPGRADE,
    parse_connect,
    parse_event,
    split_packet,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def theirs(rest: str) -> tuple[int | None, Any] | None:
    """python-socketio's reading of an event packet ``2`` + ``rest``; None where it refuses it."""
    try:
        packet = sio.Packet(encoded_packet="2" + rest)
    except (ValueError, IndexError):
        return None
    return packet.id, packet.data


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values (-0.0 and 0.0 alike, as both parsers read them)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


@given(name=st.text(), args=st.lists(json_values, max_size=3), ack=st.none() | st.integers(0, 10**15 - 1))
@settings(max_examples=300, deadline=None)
def test_every_event_the_reference_encoder_writes_parses_the_same(name: str, args: list[Any], ack: int | None) -> None:
    encoded = sio.Packet(sio.EVENT, data=[name, *args], id=ack).encode()
    assert isinstance(encoded, str) and encoded.startswith("2")
    ours = parse_event(encoded[1:])
    assert ours is not None
    assert ours == (ack, [name, *args])
    assert theirs(encoded[1:]) == ours


@given(
    rest=st.text()
    | st.builds(
        lambda digits, body: digits + body,
        st.text(alphabet="0123456789²٣-/", max_size=18),
        st.sampled_from(['["a"]', '["a",1]', "[]", '{"a":1}', "[NaN]", "x", "", '["a",' + "9" * 30 + "]", ' ["a"]']),
    )
)
@example(rest="")
@example(rest="12")
@example(rest='²["x"]')
@example(rest='1-["x"]')
@example(rest='/admin,["x"]')
@example(rest='1234567890123456["x"]')
@settings(max_examples=500, deadline=None)
def test_nothing_is_taken_that_the_reference_refuses_or_reads_otherwise(rest: str) -> None:
    ours = parse_event(rest)
    if ours is None:
        return  # refusing more than the reference is allowed (see parse_event)
    reference = theirs(rest)
    assert reference is not None, f"taken here, refused by python-socketio: {rest!r}"
    assert reference[0] == ours[0]
    assert len(reference[1]) == len(ours[1]) and all(map(same, reference[1], ours[1]))


namespaces = st.sampled_from(["/", "/admin", "/x?token=1"]) | st.from_regex(r"/[a-z]{1,8}", fullmatch=True)


@given(auth=st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=4), namespace=namespaces)
@settings(max_examples=200, deadline=None)
def test_every_connect_the_reference_encoder_writes_splits_and_parses_the_same(
    auth: dict[str, Any] | None, namespace: str
) -> None:
    encoded = sio.Packet(sio.CONNECT, data=auth, namespace=namespace).encode()
    assert isinstance(encoded, str)
    kind, ours_namespace, rest = split_packet(encoded)
    reference = sio.Packet(encoded_packet=encoded)
    assert kind == "0" and reference.packet_type == sio.CONNECT
    assert ours_namespace == (reference.namespace or "/")
    assert parse_connect(rest) == (reference.data,)


@given(
    packet=st.builds(
        lambda kind, namespace, body: kind + namespace + body,
        st.sampled_from("0123456"),
        st.sampled_from(["", "/admin,", "/admin", "/x?y=1,", "/,"]),
        st.sampled_from(["", '{"token":"t"}', '["a",1]', '12["a"]', '1-["a"]', "[NaN]", "null", "{"]),
    )
    | st.text(max_size=30)
)
@settings(max_examples=500, deadline=None)
def test_every_packet_splits_as_the_reference_splits_it(packet: str) -> None:
    """Type and namespace as python-socketio reads them; connects and events parsed only where it agrees."""
    try:
        reference = sio.Packet(encoded_packet=packet)
    except (ValueError, IndexError):
        reference = None
    kind, namespace, rest = split_packet(packet)
    if kind == "0" and (auth := parse_connect(rest)) is not None:
        assert reference is not None and reference.packet_type == sio.CONNECT
        assert namespace == (reference.namespace or "/") and auth == (reference.data,)
    if kind == "2" and (event := parse_event(rest)) is not None:
        assert reference is not None and reference.packet_type == sio.EVENT
        assert namespace == (reference.namespace or "/") and event == (reference.id, reference.data)


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (EIO_CLOSE, eio.CLOSE),
        (EIO_PING, eio.PING),
        (EIO_PONG, eio.PONG),
        (EIO_MESSAGE, eio.MESSAGE),
        (EIO_UPGRADE, eio.UPGRADE),
        (EIO_NOOP, eio.NOOP),
    ],
)
def test_engine_io_packet_types_are_numbered_as_python_engineio_numbers_them(ours: str, reference: int) -> None:
    assert eio.Packet(encoded_packet=ours + "probe").packet_type == reference
    assert eio.Packet(reference, data="probe").encode() == ours + "probe"
