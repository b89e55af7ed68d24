"""Fan-out that scales: one Redis message per broadcast, one delivery per web process.

Every web process runs one `Hub` (per event loop), subscribed to one Redis pub/sub channel. A
game broadcast is a single PUBLISH carrying the frame already encoded as JSON text; Redis
hands it to each subscribed hub, which writes that same text to every trivia socket of its
process, directly and in one pass.

So a broadcast costs one Redis command, O(web processes) deliveries and O(local players)
socket writes; nothing is done per player in Redis or in the channel layer. (A channel-layer
group with one member per process was the first design: channels-redis reads a process's
messages one polling round trip at a time, under a lock shared with every consumer of the
process, and during a 1,000-player join storm the hub's messages arrived seconds late.)
Pub/sub has no backlog: a hub that is not subscribed (a restarting process) misses frames,
which is harmless for a live game whose frames carry full state, and the game state itself is
in the database. On top of that the hub:

* batches: when broadcasts come close together it gathers them for TRIVIA_HUB_BATCH_SECONDS
  and writes each socket's frames in one event-loop turn (one system call per socket instead
  of one per frame, which is most of what a frame costs);
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
from django.db import transaction

from common.redis import get_async_redis, get_redis, is_embedded
from common.ws import CLOSE_DISCONNECTED_BY_ADMIN
from common.ws_wire import text_frame
from trivia import presence
from trivia.conf import conf

logger = logging.getLogger("gameconnect.trivia.hub")

FANOUT = "trivia.fanout"
DISCONNECT_ALL = "trivia.disconnect_all"


def hub_channel() -> str:
    """The pub/sub channel. Pub/sub ignores Redis database numbers, so the name carries the
    database and the channel-layer prefix: deployments (and test runs) sharing a Redis server
    don't hear each other."""
    url = settings.REDIS_URL or "embedded"
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "gc")
    return f"{prefix}:trivia:hub:{url.rsplit('/', 1)[-1]}"


def _publish_now(message: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Publish from sync code. A failure is logged, never raised: the data is committed."""
    try:
        get_redis().publish(hub_channel(), json.dumps(message))
    except Exception:
        logger.exception("trivia broadcast failed")


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
    """A broadcast for every hub. `owner` is the player a sheddable frame concerns (it still
    gets it when the frame is shed for everybody else); `seq` is the presence sequence number
    of a join or a leave."""
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


def hub_send_on_commit(message: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Queue `message` (or several, in order, as one Redis message) for every process's hub once
    the transaction commits.

    Inside a web process (a hub is running) the send is handed to the hub's sender task and the
    caller does not wait for Redis: the database thread is free for the next attempt at once,
    and one sender task keeps the frames in commit order. Elsewhere (Celery worker, scripts)
    it is sent synchronously, as `common.broadcast` does.
    """

    def send() -> None:
        stamp = time.time()
        for item in message if isinstance(message, list) else [message]:
            item["at"] = stamp
        sender = _sender
        if sender is not None and sender.submit(message):
            return
        _publish_now(message)

    transaction.on_commit(send)


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


class _Sender:
    """Publishes queued messages one after another from the hub's event loop (in order)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any] | list[dict[str, Any]]] = asyncio.Queue()
        self.task = loop.create_task(self._run(), name="trivia-hub-sender")

    def submit(self, message: dict[str, Any] | list[dict[str, Any]]) -> bool:
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


_sender: _Sender | None = None


class Frames:
    """Broadcast frames for one socket, in order: their JSON texts with, for a join or a leave,
    the presence sequence number. The wire bytes are built once and shared by every socket that
    gets the same frames (`common.ws_wire`)."""

    __slots__ = ("_wire", "items", "parts")

    def __init__(self, items: tuple[tuple[str, int | None], ...], parts: tuple[bytes, ...]) -> None:
        self.items = items
        self.parts = parts
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = b"".join(self.parts)
        return self._wire


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
        self.sender: _Sender | None = None
        self.delivered = 0
        self.shed = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._inbox: collections.deque[dict[str, Any]] = collections.deque()
        self._wake = asyncio.Event()
        self._last_dispatch = 0.0
        self._shed_logged = 0.0
        self._busy: collections.deque[tuple[float, float]] = collections.deque()  # (end, seconds)

    async def start(self) -> None:
        global _sender
        await self._subscribe()
        self.sender = _sender = _Sender(asyncio.get_running_loop())
        self._tasks = [
            self.sender.task,
            asyncio.create_task(self._listen(), name="trivia-hub-listen"),
            asyncio.create_task(self._deliver_batches(), name="trivia-hub-deliver"),
            asyncio.create_task(self._keep_alive(), name="trivia-hub-presence"),
        ]

    async def stop(self) -> None:
        global _sender
        if _sender is self.sender:
            _sender = None
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

    async def _deliver_batches(self) -> None:
        """Deliver the inbox in order: at once when idle; when broadcasts follow each other
        within TRIVIA_HUB_BUSY_SECONDS, after gathering for TRIVIA_HUB_BATCH_SECONDS."""
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            if loop.time() - self._last_dispatch < float(conf("TRIVIA_HUB_BUSY_SECONDS")):
                await asyncio.sleep(float(conf("TRIVIA_HUB_BATCH_SECONDS")))
            self._wake.clear()
            batch = list(self._inbox)
            self._inbox.clear()
            self._last_dispatch = loop.time()
            try:
                await self.dispatch(batch)
            except Exception:
                logger.exception("trivia hub dispatch failed")

    async def dispatch(self, batch: list[dict[str, Any]]) -> None:
        """Deliver messages in order. Runs without yielding, so every frame of a batch for one
        socket is written in the same event-loop turn."""
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
        """Each frame is encoded once; sockets that get the same frames share one buffer, so a
        socket costs one write per batch (see `Frames`)."""
        if not fanouts:
            return
        started = time.perf_counter()
        now = time.time()
        lag_limit = float(conf("TRIVIA_HUB_SHED_LAG_SECONDS"))
        overloaded = self.busy_share(started) > float(conf("TRIVIA_HUB_MAX_BUSY"))
        # (text, wire bytes, excluded user, only this user, presence seq)
        plan: list[tuple[str, bytes, Any, Any, Any]] = []
        for message in fanouts:
            text = message["frame"]
            sent_at = float(message.get("at") or 0.0)
            only = None
            if message.get("shed") and (overloaded or now - sent_at > lag_limit):
                only = message.get("owner") or -1
                self.shed += len(self.sockets) - (1 if only in self.sockets else 0)
            plan.append((text, text_frame(text), message.get("exclude"), only, message.get("seq")))
        everything = tuple(range(len(plan)))
        # Which frames a socket gets depends only on its user id (exclusion, shedding) and on
        # the joins and leaves it already counted: the rare exceptions are computed per socket.
        special = {user for _, _, exclude, only, _ in plan for user in (exclude, only) if user is not None}
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
                    for i, (_, _, exclude, only, seq) in enumerate(plan)
                    if user_id != exclude
                    and (only is None or user_id == only)
                    and (seq is None or counted is None or seq >= counted)
                )
                if not key:
                    continue
            frames = shared.get(key)
            if frames is None:
                frames = shared[key] = Frames(
                    tuple((plan[i][0], plan[i][4]) for i in key), tuple(plan[i][1] for i in key)
                )
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
