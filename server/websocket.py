"""The websocket under Socket.IO, and the fast way to send one message to many.

python-socketio sends each message to each recipient through a queue and a task of its
own (about 60 µs per delivery here). A broadcast instead encodes the Socket.IO packet and
the websocket frame once and writes the same bytes to every recipient's transport, without
a task per recipient; the transport coalesces what is queued for one socket. A recipient
whose unsent bytes pass a bound (it stopped reading) is dropped, so it cannot hold memory
or stall the others; its client reconnects and resyncs.

Frames are written whole and synchronously, as aiohttp writes its own, so they never
interleave with what python-socketio sends on the same socket (acknowledgements, pings).
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from aiohttp import WSMsgType, web
from engineio.async_drivers.aiohttp import WebSocket

from server import jsoncodec

log = logging.getLogger("werkstatt.websocket")

ENVIRON_KEY = "werkstatt.websocket"


def websocket_factory(*, compress: bool) -> type[WebSocket]:
    """Engine.IO's aiohttp websocket, with per-message compression as configured, and the
    response kept in the environ so that the gateway can reach its transport."""

    class ConfiguredWebSocket(WebSocket):
        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=compress)
            await self._sock.prepare(request)
            environ[ENVIRON_KEY] = self._sock
            self.environ = environ
            await self.handler(self)
            return self._sock

    return ConfiguredWebSocket


def text_frame(event: str, data: Any) -> bytes:
    """One unmasked websocket text frame carrying the Socket.IO event packet ``42[event, data]``."""
    payload = b"42" + jsoncodec.dumpb([event, data])
    length = len(payload)
    first = 0x80 | WSMsgType.TEXT  # FIN, text
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def write(ws: web.WebSocketResponse, frame: bytes, limit: int) -> bool:
    """Write a prepared frame to one websocket; False (and the connection dropped) when its
    unsent bytes are past ``limit`` or it is closing."""
    writer = ws._writer
    transport = writer.transport if writer is not None else None
    if transport is None or transport.is_closing() or ws.closed:
        return False
    if transport.get_write_buffer_size() > limit:
        log.warning("dropping a connection that stopped reading (%d bytes unsent)", transport.get_write_buffer_size())
        transport.abort()
        return False
    transport.write(frame)
    return True
