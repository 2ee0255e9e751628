"""Websocket frames written straight to a connection's transport.

A broadcast encodes its packet and frame once and writes the same bytes to every
recipient's transport, without a task per recipient; the transport queues what the
socket cannot take yet, and the kernel coalesces. A recipient whose unsent bytes pass a
bound (it stopped reading) is dropped, so it cannot hold memory or stall the others; its
client reconnects and resyncs.

Every frame is written whole and synchronously, so frames never interleave; aiohttp's own
writer is used only for the closing handshake.
"""

from __future__ import annotations

import logging
import struct

from aiohttp import WSMsgType, web

log = logging.getLogger("werkstatt.websocket")


def frame(payload: bytes) -> bytes:
    """One unmasked, final websocket text frame (a server's frames are not masked)."""
    length = len(payload)
    first = 0x80 | WSMsgType.TEXT  # FIN, text
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def write(ws: web.WebSocketResponse, data: bytes, limit: int) -> bool:
    """Write prepared frames to one websocket; False (and the connection dropped) when its
    unsent bytes are past ``limit`` or it is closing."""
    writer = ws._writer
    transport = writer.transport if writer is not None else None
    if transport is None or transport.is_closing() or ws.closed:
        return False
    if transport.get_write_buffer_size() > limit:
        log.warning("dropping a connection that stopped reading (%d bytes unsent)", transport.get_write_buffer_size())
        transport.abort()
        return False
    transport.write(data)
    return True
