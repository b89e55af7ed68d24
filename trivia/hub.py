"""Fan-out that scales: one channel-layer message per web process, not one per player.

Every web process runs one `Hub` (per event loop). The hub listens on its own channel, which is
the only member of the `trivia.hub` group for that process. A game broadcast is a single
`group_send` to that group carrying the frame already encoded as JSON text; each hub then
writes that same text to every trivia socket of its process, directly and in one pass.

So a broadcast costs O(web processes) channel-layer messages plus O(local players) socket
writes, instead of channels-redis' per-member bookkeeping and one consumer task wake-up per
player. The hub also keeps its process's players present in Redis (trivia.presence) and
closes them all on `disconnect-everyone`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from common.broadcast import broadcast_on_commit as _broadcast_on_commit
from common.broadcast import group_send_now
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from trivia import presence
from trivia.conf import conf

logger = logging.getLogger("gameconnect.trivia.hub")

HUB_GROUP = "trivia.hub"
FANOUT = "trivia.fanout"
DISCONNECT_ALL = "trivia.disconnect_all"


def encode_frame(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"event": event, "data": data}, separators=(",", ":"), ensure_ascii=False)


def fanout_message(event: str, data: dict[str, Any], *, exclude_user: int | None = None) -> dict[str, Any]:
    return {"type": FANOUT, "frame": encode_frame(event, data), "exclude": exclude_user}


def broadcast_on_commit(event: str, data: dict[str, Any], *, exclude_user: int | None = None) -> None:
    """Send a frame to every trivia socket on every process once the transaction commits."""
    _broadcast_on_commit(HUB_GROUP, fanout_message(event, data, exclude_user=exclude_user))


def broadcast_now(event: str, data: dict[str, Any], *, exclude_user: int | None = None) -> None:
    group_send_now(HUB_GROUP, fanout_message(event, data, exclude_user=exclude_user))


async def abroadcast(event: str, data: dict[str, Any], *, exclude_user: int | None = None) -> None:
    layer = get_channel_layer()
    try:
        await layer.group_send(HUB_GROUP, fanout_message(event, data, exclude_user=exclude_user))
    except Exception:
        logger.exception("trivia broadcast of %s failed", event)


class Socket(Protocol):
    user_id: int

    async def deliver(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int | None = None) -> None: ...


class Hub:
    """This process's trivia sockets, keyed by user id (one socket per user, SPEC §5)."""

    def __init__(self) -> None:
        self.sockets: dict[int, Socket] = {}
        self.channel: str | None = None
        self.starting: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        layer = get_channel_layer()
        self.channel = await layer.new_channel()
        await layer.group_add(HUB_GROUP, self.channel)
        self._tasks = [
            asyncio.create_task(self._listen(), name="trivia-hub-listen"),
            asyncio.create_task(self._keep_alive(), name="trivia-hub-presence"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.channel is not None:
            with contextlib.suppress(Exception):
                await get_channel_layer().group_discard(HUB_GROUP, self.channel)

    def add(self, socket: Socket) -> Socket | None:
        """Register a socket; returns the one it replaces on this process, if any."""
        previous = self.sockets.get(socket.user_id)
        self.sockets[socket.user_id] = socket
        return previous if previous is not socket else None

    def remove(self, socket: Socket) -> None:
        if self.sockets.get(socket.user_id) is socket:
            del self.sockets[socket.user_id]

    async def _listen(self) -> None:
        layer = get_channel_layer()
        assert self.channel is not None
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("trivia hub receive failed; retrying")
                await asyncio.sleep(0.5)
                continue
            try:
                await self.dispatch(message)
            except Exception:
                logger.exception("trivia hub dispatch failed")

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == FANOUT:
            # One ASGI message shared by every socket: the frame is encoded once per process.
            out = {"type": "websocket.send", "text": message["frame"]}
            exclude = message.get("exclude")
            for user_id, socket in list(self.sockets.items()):
                if user_id == exclude:
                    continue
                try:
                    await socket.deliver(out)
                except Exception:
                    logger.debug("delivery to user %s failed", user_id, exc_info=True)
        elif kind == DISCONNECT_ALL:
            for socket in list(self.sockets.values()):
                with contextlib.suppress(Exception):
                    await socket.close(code=CLOSE_DISCONNECTED_BY_ADMIN)

    async def _keep_alive(self) -> None:
        """Refresh this process's presence and its hub group membership."""
        layer = get_channel_layer()
        while True:
            await asyncio.sleep(float(conf("TRIVIA_PRESENCE_REFRESH_SECONDS")))
            try:
                await presence.refresh(list(self.sockets))
                await layer.group_add(HUB_GROUP, self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("trivia presence refresh failed")


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


async def get_hub() -> Hub:
    """The hub of the running event loop, started on first use (concurrent callers share it)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
        hub.starting = loop.create_task(hub.start())
    assert hub.starting is not None
    try:
        await asyncio.shield(hub.starting)
    except Exception:
        if _hubs.get(loop) is hub:
            del _hubs[loop]
        raise
    return hub


def local_hub() -> Hub | None:
    """The running loop's hub if it was started (no side effects)."""
    try:
        return _hubs.get(asyncio.get_running_loop())
    except RuntimeError:
        return None


async def stop_hub() -> None:
    """Stop the running loop's hub (tests; a server just exits)."""
    hub = _hubs.pop(asyncio.get_running_loop(), None)
    if hub is not None:
        await hub.stop()
