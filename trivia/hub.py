"""Trivia broadcasts, the subscribing side: one hub per web process writes every broadcast to
its own sockets.

Every web process runs one `Hub` (per event loop), subscribed to the one Redis pub/sub channel
that trivia.broadcast publishes on. A broadcast is a single PUBLISH carrying the frame already
encoded as JSON text; Redis hands it to each subscribed hub, which writes that text to every
trivia socket of its process, in one pass.

So a broadcast costs one Redis command, O(web processes) deliveries and O(local players)
socket writes; nothing is done per player in Redis or in the channel layer. (A channel-layer
group with one member per process was the first design: channels-redis reads a process's
messages one polling round trip at a time, under a lock shared with every consumer of the
process, and during a 1,000-player join storm the hub's messages arrived seconds late.)
Pub/sub has no backlog: a hub that is not subscribed (a restarting process) misses frames,
which is harmless for a live game whose frames carry full state, and the game state itself is
in the database. On top of that the hub:

* delivers whatever arrived while it was busy in one pass (no timer: an idle hub delivers a
  broadcast at once, a busy one in groups as large as the load makes them);
* sheds load: a broadcast marked sheddable (other players' wrong attempts, reactions, joins and
  leaves) is delivered only to the player it concerns when the hub is overloaded: the frame
  is already TRIVIA_HUB_SHED_LAG_SECONDS old when its turn comes, or fanning out took more than
  TRIVIA_HUB_MAX_BUSY of the last second (the event loop must keep time for the players'
  own frames: attempts, WELCOMEs). The game frames (ROUND, SPLIT, REVEAL, the winning
  PEER_ATTEMPT, COIN_DIFF...) are never shed, so they stay on time when a process is flooded;
* tags PEER_JOIN / PEER_LEFT with the presence sequence number of the change, so a socket skips
  those its WELCOME already counted (trivia.presence orders both in Redis);
* keeps its process's players present in Redis (trivia.presence) and closes them all on
  `disconnect-everyone`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
import weakref
from typing import Any, Protocol

from django.conf import settings

from common.redis import get_async_redis, is_embedded
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from trivia import presence
from trivia.broadcast import DISCONNECT_ALL, FANOUT, Sender, hub_channel, sender_start, sender_stop
from trivia.conf import conf

logger = logging.getLogger("gameconnect.trivia.hub")


# The frames one socket gets from a dispatch, in order: each frame's JSON text and, for a join
# or a leave, its presence sequence number.
Frames = tuple[tuple[str, int | None], ...]


class Socket(Protocol):
    user_id: int
    # Joins and leaves numbered below this are already counted (None: not known yet).
    counted_seq: int | None

    async def deliver(self, frames: Frames) -> None: ...

    async def close(self, code: int | None = None) -> None: ...


class Hub:
    """This process's trivia sockets, keyed by user id (one socket per user, SPEC §5)."""

    def __init__(self) -> None:
        self.sockets: dict[int, Socket] = {}
        self.pubsub: Any = None
        self.starting: asyncio.Task[None] | None = None
        self.sender: Sender | None = None
        self.delivered = 0
        self.shed = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._inbox: collections.deque[dict[str, Any]] = collections.deque()
        self._wake = asyncio.Event()
        self._shed_logged = 0.0
        self._busy: collections.deque[tuple[float, float]] = collections.deque()  # (end, seconds)

    async def start(self) -> None:
        await self._subscribe()
        self.sender = sender_start()
        self._tasks = [
            self.sender.task,
            asyncio.create_task(self._listen(), name="trivia-hub-listen"),
            asyncio.create_task(self._deliver(), name="trivia-hub-deliver"),
            asyncio.create_task(self._keep_alive(), name="trivia-hub-presence"),
        ]

    async def stop(self) -> None:
        if self.sender is not None:
            sender_stop(self.sender)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self._unsubscribe()

    async def _subscribe(self) -> None:
        self.pubsub = _subscriber_client().pubsub(ignore_subscribe_messages=True)
        await self.pubsub.subscribe(hub_channel())

    async def _unsubscribe(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                await self.pubsub.aclose()
            self.pubsub = None

    def add(self, socket: Socket) -> Socket | None:
        """Register a socket; returns the one it replaces on this process, if any."""
        previous = self.sockets.get(socket.user_id)
        self.sockets[socket.user_id] = socket
        return previous if previous is not socket else None

    def remove(self, socket: Socket) -> None:
        if self.sockets.get(socket.user_id) is socket:
            del self.sockets[socket.user_id]

    async def _listen(self) -> None:
        """Move published messages to the inbox as fast as they come; resubscribe after a
        Redis failure."""
        while True:
            try:
                if self.pubsub is None:
                    await self._subscribe()
                async for item in self.pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    try:
                        message = json.loads(item["data"])
                    except (TypeError, ValueError):
                        logger.warning("ignoring a malformed hub message")
                        continue
                    if isinstance(message, list):
                        self._inbox.extend(message)
                    else:
                        self._inbox.append(message)
                    self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("trivia hub subscription failed; resubscribing (frames published meanwhile are lost)")
                await self._unsubscribe()
                await asyncio.sleep(0.5)

    async def _deliver(self) -> None:
        """Deliver the inbox in order: at once when idle; what arrives during a dispatch goes
        in the next one."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch = list(self._inbox)
            self._inbox.clear()
            try:
                await self.dispatch(batch)
            except Exception:
                logger.exception("trivia hub dispatch failed")

    async def dispatch(self, batch: list[dict[str, Any]]) -> None:
        """Deliver messages in order."""
        fanouts: list[dict[str, Any]] = []
        for message in batch:
            kind = message.get("type")
            if kind == FANOUT:
                fanouts.append(message)
            elif kind == DISCONNECT_ALL:
                await self._fan_out(fanouts)
                fanouts = []
                for socket in list(self.sockets.values()):
                    with contextlib.suppress(Exception):
                        await socket.close(code=CLOSE_DISCONNECTED_BY_ADMIN)
        await self._fan_out(fanouts)

    def busy_share(self, now: float) -> float:
        """The share of the last second spent fanning out."""
        while self._busy and self._busy[0][0] < now - 1.0:
            self._busy.popleft()
        return sum(seconds for _, seconds in self._busy)

    async def _fan_out(self, fanouts: list[dict[str, Any]]) -> None:
        """Each socket gets the frames meant for it, in order; sockets that get the same frames
        share one `Frames` tuple (computed once)."""
        if not fanouts:
            return
        started = time.perf_counter()
        now = time.time()
        lag_limit = float(conf("TRIVIA_HUB_SHED_LAG_SECONDS"))
        overloaded = self.busy_share(started) > float(conf("TRIVIA_HUB_MAX_BUSY"))
        # (text, excluded user, only this user, presence seq)
        plan: list[tuple[str, Any, Any, Any]] = []
        for message in fanouts:
            text = message["frame"]
            sent_at = float(message.get("at") or 0.0)
            only = None
            if message.get("shed") and (overloaded or now - sent_at > lag_limit):
                only = message.get("owner") or -1
                self.shed += len(self.sockets) - (1 if only in self.sockets else 0)
            plan.append((text, message.get("exclude"), only, message.get("seq")))
        everything = tuple(range(len(plan)))
        # Which frames a socket gets depends only on its user id (exclusion, shedding) and on
        # the joins and leaves it already counted: the rare exceptions are computed per socket.
        special = {user for _, exclude, only, _ in plan for user in (exclude, only) if user is not None}
        seqs = [seq for *_, seq in plan if seq is not None]
        lowest_seq = min(seqs) if seqs else None
        shed_any = any(only is not None for *_, only, _ in plan)
        shared: dict[tuple[int, ...], Frames] = {}
        for user_id, socket in list(self.sockets.items()):
            counted = socket.counted_seq
            if (
                not shed_any
                and user_id not in special
                and (lowest_seq is None or counted is None or counted <= lowest_seq)
            ):
                key = everything
            else:
                key = tuple(
                    i
                    for i, (_, exclude, only, seq) in enumerate(plan)
                    if user_id != exclude
                    and (only is None or user_id == only)
                    and (seq is None or counted is None or seq >= counted)
                )
                if not key:
                    continue
            frames = shared.get(key)
            if frames is None:
                frames = shared[key] = tuple((plan[i][0], plan[i][3]) for i in key)
            try:
                await socket.deliver(frames)
                self.delivered += len(key)
            except Exception:
                logger.debug("delivery to user %s failed", user_id, exc_info=True)
        self._busy.append((time.perf_counter(), time.perf_counter() - started))
        if self.shed and now - self._shed_logged > 10:
            self._shed_logged = now
            logger.warning(
                "trivia hub is behind: %s minor frames shed so far (%s delivered)", self.shed, self.delivered
            )

    async def _keep_alive(self) -> None:
        """Refresh this process's presence."""
        while True:
            await asyncio.sleep(float(conf("TRIVIA_PRESENCE_REFRESH_SECONDS")))
            try:
                await presence.refresh(list(self.sockets))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("trivia presence refresh failed")


def _subscriber_client() -> Any:
    """A client for the hub's subscription. The shared async client has a 5 s socket timeout,
    which would drop a quiet subscription; this one waits as long as it takes and pings the
    server to notice a dead connection."""
    if is_embedded():
        return get_async_redis()
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(
        settings.REDIS_URL, decode_responses=True, socket_connect_timeout=2, health_check_interval=15
    )


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
