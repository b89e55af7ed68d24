"""Writing one broadcast to many WebSocket clients cheaply (daphne only).

A frame sent through ASGI costs, per socket: daphne's reply hop, autobahn's framing and logging
calls, and Twisted's buffered write (a `send` plus two `epoll` changes, as the reactor starts and
stops watching the socket). For a broadcast the frame is the same for everybody, so
`text_frame` encodes it once (a server frame is never masked) and `RawWriter` hands the bytes
of one or several frames straight to the socket: one `send` system call when nothing is
queued on the connection, else behind what is queued (order is kept either way).

Anything that is not a plain daphne/autobahn/TCP socket (the test communicator, a TLS
transport, a socket that negotiated permessage-deflate) gets no RawWriter, and callers fall
back to ordinary ASGI sends.
"""

from __future__ import annotations

import functools
from typing import Any


def text_frame(text: str) -> bytes:
    """A complete, unmasked, unfragmented WebSocket text frame (RFC 6455 §5.2)."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class RawWriter:
    """Writes encoded frames to one daphne WebSocket connection."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol

    def write(self, data: bytes) -> bool:
        """Write encoded frames; False when the socket is not open (closing, closed)."""
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return False
        transport = protocol.transport
        if transport is None:
            return False
        _send(transport, data)
        return True


def raw_writer(base_send: Any) -> RawWriter | None:
    """A RawWriter for the connection behind a consumer's `base_send`, when it is a daphne
    WebSocket over plain TCP without compression; else None."""
    if not isinstance(base_send, functools.partial) or not base_send.args:
        return None
    server = getattr(base_send.func, "__self__", None)
    protocol = base_send.args[0]
    if type(server).__module__ != "daphne.server" or not hasattr(protocol, "sendData"):
        return None
    if getattr(protocol, "_perMessageCompress", None) is not None:
        return None  # a compressed connection: let autobahn frame every message
    if not _is_tcp(getattr(protocol, "transport", None)):
        return None
    return RawWriter(protocol)


def _is_tcp(transport: Any) -> bool:
    try:
        from twisted.internet import tcp
    except ImportError:  # pragma: no cover - daphne always brings Twisted
        return False
    return isinstance(transport, tcp.Connection)


def _send(transport: Any, data: bytes) -> None:
    """Send at once when the connection has nothing queued; else queue behind it (Twisted).

    Twisted's `write` always queues and makes the reactor watch the socket for writability, then
    sends and stops watching: three system calls per write, which on this kind of VM are most of
    what a broadcast costs. When the queue is empty a direct `send` is the same thing, in order.
    """
    queued = getattr(transport, "_tempDataBuffer", None)
    if (
        queued is None
        or queued
        or len(transport.dataBuffer) > transport.offset
        or not transport.connected
        or transport.disconnecting
        or getattr(transport, "_writeDisconnected", True)
    ):
        transport.write(data)
        return
    sent = transport.writeSomeData(data)
    if isinstance(sent, int) and sent >= len(data):
        return
    # Partly sent (a full socket buffer), or failed: Twisted takes the rest, or notices the loss.
    transport.write(data[sent:] if isinstance(sent, int) and sent > 0 else data)
