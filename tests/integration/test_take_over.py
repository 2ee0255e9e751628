"""The aiohttp internals that taking a websocket over from aiohttp relies on.

``server.transport.websocket.take_over`` reads the bytes aiohttp's request handler read past the
request (``_message_tail``), clears its ``transport`` and calls its ``connection_lost``, so
that aiohttp lets go of the connection. These are not aiohttp's public API: pyproject.toml
pins aiohttp to the minor versions tested, and this test fails loudly when an aiohttp that
changed them is installed (the behaviour itself is tested in test_websocket.py:
``test_the_upgrade_and_a_first_packet_in_one_write``,
``test_aiohttp_lets_go_of_the_connection_and_shutting_down_closes_it``).
"""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

from aiohttp import web_protocol
from aiohttp.base_protocol import BaseProtocol
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def pinned(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (requirement,) = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == name]
    return requirement


def test_the_installed_aiohttp_and_wsproto_are_the_pinned_minor_versions() -> None:
    for name in ("aiohttp", "wsproto"):
        requirement = pinned(name)
        assert requirement.specifier.prereleases is not True
        assert any(spec.operator == "<" for spec in requirement.specifier), f"{name} is pinned below a next minor"
        assert version(name) in requirement.specifier, f"{name} {version(name)} is not the tested {requirement}"


def test_aiohttps_request_handler_still_has_what_the_take_over_uses() -> None:
    handler = web_protocol.RequestHandler
    assert "_message_tail" in handler.__slots__  # the bytes read past the upgrade request
    assert "_message_tail" in inspect.getsource(handler.data_received)
    # its transport is set to None, so that aiohttp does not close it as it lets go
    assert issubclass(handler, BaseProtocol) and "transport" in BaseProtocol.__slots__
    assert "if self.transport is not None:" in inspect.getsource(handler.start)  # where it would close it
    assert list(inspect.signature(handler.connection_lost).parameters) == ["self", "exc"]


def test_wsproto_still_has_the_frame_decoder_the_size_check_reads() -> None:
    """``WebSocketProtocol._announced`` reads the length a frame's header announced."""
    from wsproto import ConnectionType
    from wsproto.connection import Connection

    connection = Connection(ConnectionType.SERVER)
    connection.receive_data(bytes([0x81, 0x80 | 127]) + (2**40).to_bytes(8, "big") + b"mask")
    assert list(connection.events()) == []
    decoder = connection._proto._frame_decoder
    assert decoder.header is not None and decoder.header.payload_len == 2**40 and decoder.payload_consumed == 0
    assert len(decoder.buffer) == 0  # the header is read: nothing held back
    # between messages (what lets an idle connection drop its wsproto state): no header, nothing buffered
    idle = Connection(ConnectionType.SERVER)
    idle.receive_data(bytes([0x81, 0x80 | 1]) + b"\0\0\0\0" + b"3" + bytes([0x81]))  # a message, and a byte more
    assert [type(e).__name__ for e in idle.events()] == ["TextMessage"]
    idle_decoder = idle._proto._frame_decoder
    assert idle_decoder.header is None and len(idle_decoder.buffer) == 1
