"""Trivia broadcasts, the publishing side: one Redis PUBLISH per broadcast (or per group of them).

Game services queue frames with `broadcast_on_commit` / `hub_send_on_commit`; once the
transaction commits, the message is published on one pub/sub channel, and every web process's
hub (trivia.hub, the subscribing side) writes it to its own sockets. The frame is encoded as
JSON text once, here, whatever the number of players and processes.

Inside a web process the publish is handed to a sender task on the hub's event loop, so the
database thread that committed is free at once and one task keeps the frames in commit order.
Elsewhere (a Celery worker, a management command) it is published synchronously.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction

from common.redis import get_async_redis, get_redis

logger = logging.getLogger("gameconnect.trivia.broadcast")

FANOUT = "trivia.fanout"
DISCONNECT_ALL = "trivia.disconnect_all"

Message = dict[str, Any] | list[dict[str, Any]]


def hub_channel() -> str:
    """The pub/sub channel. Pub/sub ignores Redis database numbers, so the name carries the
    database and the channel-layer prefix: deployments (and test runs) sharing a Redis server
    don't hear each other."""
    url = settings.REDIS_URL or "embedded"
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "gc")
    return f"{prefix}:trivia:hub:{url.rsplit('/', 1)[-1]}"


def encode_frame(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"event": event, "data": data}, separators=(",", ":"), ensure_ascii=False)


def fanout_message(
    event: str,
    data: dict[str, Any],
    *,
    exclude_user: int | None = None,
    sheddable: bool = False,
    owner: int | None = None,
    seq: int | None = None,
) -> dict[str, Any]:
    """A broadcast for every hub. `sheddable`: a minor frame an overloaded process may deliver
    only to `owner`, the player it concerns (trivia.hub); `seq`: the presence sequence number of
    a join or a leave."""
    return {
        "type": FANOUT,
        "frame": encode_frame(event, data),
        "exclude": exclude_user,
        "at": time.time(),
        "shed": sheddable,
        "owner": owner,
        "seq": seq,
    }


def broadcast_on_commit(
    event: str,
    data: dict[str, Any],
    *,
    exclude_user: int | None = None,
    sheddable: bool = False,
    owner: int | None = None,
) -> None:
    """Send a frame to every trivia socket on every process once the transaction commits."""
    hub_send_on_commit(fanout_message(event, data, exclude_user=exclude_user, sheddable=sheddable, owner=owner))


def hub_send_on_commit(message: Message) -> None:
    """Queue `message` (or several, in order, as one Redis message) for every process's hub once
    the transaction commits."""

    def send() -> None:
        stamp = time.time()
        for item in message if isinstance(message, list) else [message]:
            item["at"] = stamp
        sender = _sender
        if sender is not None and sender.submit(message):
            return
        _publish_now(message)

    transaction.on_commit(send)


def _publish_now(message: Message) -> None:
    """Publish from sync code. A failure is logged, never raised: the data is committed."""
    try:
        get_redis().publish(hub_channel(), json.dumps(message))
    except Exception:
        logger.exception("trivia broadcast failed")


async def abroadcast(
    event: str,
    data: dict[str, Any],
    *,
    exclude_user: int | None = None,
    sheddable: bool = False,
    owner: int | None = None,
    seq: int | None = None,
) -> None:
    """Broadcast from async code (the consumer): PEER_JOIN, PEER_LEFT, PEER_REACTION."""
    message = fanout_message(event, data, exclude_user=exclude_user, sheddable=sheddable, owner=owner, seq=seq)
    try:
        await get_async_redis().publish(hub_channel(), json.dumps(message))
    except Exception:
        logger.exception("trivia broadcast of %s failed", event)


class Sender:
    """Publishes queued messages one after another from an event loop (in order)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.task = loop.create_task(self._run(), name="trivia-broadcast-sender")

    def submit(self, message: Message) -> bool:
        """Thread-safe; False if the loop is gone (the caller then publishes synchronously)."""
        if self.loop.is_closed() or not self.loop.is_running():
            return False
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, message)
        except RuntimeError:
            return False
        return True

    async def _run(self) -> None:
        client = get_async_redis()
        channel = hub_channel()
        while True:
            message = await self.queue.get()
            try:
                await client.publish(channel, json.dumps(message))
            except Exception:
                logger.exception("trivia broadcast failed")


_sender: Sender | None = None


def sender_start() -> Sender:
    """Publish from the running loop from now on (the hub calls it when it starts)."""
    global _sender
    _sender = Sender(asyncio.get_running_loop())
    return _sender


def sender_stop(sender: Sender) -> None:
    global _sender
    if _sender is sender:
        _sender = None
    sender.task.cancel()
