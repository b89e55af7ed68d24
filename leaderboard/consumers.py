"""WebSocket `/ws/leaderboard/` (SPEC §6): live windows, my rank, score submission, reports.

Frames are JSON objects with an `action`; answers and pushes carry a `type`. Authentication is
the shared one (common.ws): `?token=` or a first frame `{"action": "authenticate", "token"}`
(the trivia shape `{"event": "authentication", "data": {"idToken"}}` works too).

Per user: at most WS_MAX_SOCKETS_PER_USER of these sockets across processes (4005 beyond,
common.socket_cap). `report` frames count against the user's REST window (THROTTLE_USER_RATE,
the same Redis window the REST throttle keeps) and run at most WS_REPORT_CONCURRENCY at a time
per process on the socket database pool (common.ws.ws_db), so reports can't take every thread
that attempts, token checks and submissions need. `add_score` re-checks that the account is
still active next to the write.

A socket watches at most one window (`subscribe`, a new one replaces the old) and one
`my_score`. Each watched board is a channel-layer group (`lb.<board>.<period>`) that receives
`board.changed` notices (boards.py gates them to one per board per interval). On a notice the
socket re-reads what it watches and pushes only what changed, never more than once per
interval per board; it then re-reads once more an interval later (and again while things keep
changing), which catches the changes whose notice the gate swallowed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from redis.exceptions import RedisError
from rest_framework import serializers as drf

from common.errors import PermissionDenied, ServiceError
from common.ratelimit import TokenBucket
from common.redis import get_async_redis
from common.throttling import KEY_PREFIX, THROTTLE_LUA, UserRateThrottle
from common.ws import JWTWebsocketConsumer, account_active, ws_db
from leaderboard import selectors
from leaderboard import serializers as s
from leaderboard.boards import board_group
from leaderboard.games import agame_catalog, board_name
from leaderboard.services import score_submit

logger = logging.getLogger("gameconnect.leaderboard")


@dataclass
class _Feed:
    """What this socket watches on one board (game or `all`) and period."""

    board: str
    period: str
    window: tuple[int, int] | None = None
    squad: list[int] | None = None  # the window is these players' rows (`"squad": true`)
    mine: bool = False
    last_window: dict[str, Any] | None = None
    last_mine: dict[str, Any] | None = None
    task: asyncio.Task[None] | None = None
    last_push: float = float("-inf")
    last_notice: float = float("-inf")

    @property
    def idle(self) -> bool:
        return self.window is None and not self.mine


def _flatten(detail: Any, prefix: str = "") -> str:
    """One readable sentence out of DRF validation errors."""
    if isinstance(detail, dict):
        return "; ".join(_flatten(v, f"{k}: " if k != "non_field_errors" else "") for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(v, prefix) for v in detail)
    return f"{prefix}{detail}"


def _validated(serializer_class: type[drf.Serializer], content: dict[str, Any]) -> dict[str, Any]:
    data = serializer_class(data=content)
    if not data.is_valid():
        raise drf.ValidationError(data.errors)
    return dict(data.validated_data)


async def user_rate_allows(user_id: int) -> bool:
    """One request in the user's REST throttle window (THROTTLE_USER_RATE, the key REST's
    UserRateThrottle uses), from async code: a socket's reports and the same user's REST calls
    share one budget. Redis down: allowed, as REST does."""
    throttle = UserRateThrottle()
    if throttle.rate is None:
        return True
    key = throttle.cache_format % {"scope": throttle.scope, "ident": user_id}
    try:
        allowed, *_ = await get_async_redis().eval(  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
            THROTTLE_LUA, 1, KEY_PREFIX + key, repr(time.time()), throttle.duration, throttle.num_requests
        )
    except RedisError:
        return True
    return bool(int(allowed))


_report_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def report_slots() -> asyncio.Semaphore:
    """This process's (event loop's) report slots: WS_REPORT_CONCURRENCY (default half the
    socket database pool, at least 1)."""
    loop = asyncio.get_running_loop()
    slots = _report_slots.get(loop)
    if slots is None:
        default = max(1, int(getattr(settings, "WS_DB_THREADS", 4)) // 2)
        slots = _report_slots[loop] = asyncio.Semaphore(int(getattr(settings, "WS_REPORT_CONCURRENCY", default)))
    return slots


def _score_submit_if_active(*, user: Any, **data: Any) -> Any:
    if not account_active(user.pk):
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    return score_submit(user=user, **data)


class LeaderboardConsumer(JWTWebsocketConsumer):
    socket_kind = "leaderboard"
    feeds: dict[tuple[str, str], _Feed]
    window_feed: _Feed | None
    mine_feed: _Feed | None

    # --- wire format ---
    async def send_error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})

    async def send_unauthorized(self, message: str) -> None:
        await self.send_json({"type": "unauthorized", "message": message})

    async def send_authenticated(self) -> None:
        await self.send_json({"type": "authenticated", "user_id": self.user.pk, "username": self.user.username})

    # --- lifecycle ---
    async def connect(self) -> None:
        self.feeds = {}
        self.window_feed = None
        self.mine_feed = None
        rate = settings.LEADERBOARD_WS_FRAMES_PER_SECOND
        self.bucket = TokenBucket(rate=rate, capacity=max(1.0, 2 * rate))
        await super().connect()

    async def on_disconnected(self, code: int) -> None:
        for feed in list(self.feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
            await self.channel_layer.group_discard(board_group(feed.board, feed.period), self.channel_name)
        self.feeds = {}

    async def handle_frame(self, content: dict[str, Any]) -> None:
        if not self.bucket.allow():
            await self.send_error("Too many frames; slow down.")
            return
        action = content.get("action")
        handler = self.ACTIONS.get(action) if isinstance(action, str) else None
        if handler is None:
            await self.send_error(f"Unknown action; use one of {', '.join(sorted(self.ACTIONS))}.")
            return
        try:
            await handler(self, content)
        except drf.ValidationError as exc:
            await self.send_error(_flatten(exc.detail))
        except ServiceError as exc:
            await self.send_error(exc.detail)

    # --- actions ---
    async def _board(self, game: Any) -> str:
        return board_name(await agame_catalog(), game, not_found=False)

    async def subscribe(self, content: dict[str, Any]) -> None:
        data = _validated(s.WindowFrameSerializer, content)
        board = await self._board(data["game"])
        if self.window_feed is not None:
            self.window_feed.window = None
            self.window_feed.last_window = None
            await self._release(self.window_feed)
        squad = None
        if data["squad"]:
            squad = await ws_db(import_string(settings.LEADERBOARD_SQUAD_MEMBERS))(self.user.pk)
        feed = await self._feed(board, data["period"])
        feed.window = (data["start"], data["end"])
        feed.squad = squad
        self.window_feed = feed
        payload = await self._window_payload(feed)
        feed.last_window = payload
        feed.last_push = time.monotonic()
        await self.send_json(payload)
        self._notice(feed)

    async def unsubscribe(self, content: dict[str, Any]) -> None:
        for feed in (self.window_feed, self.mine_feed):
            if feed is not None:
                feed.window, feed.mine, feed.last_window, feed.last_mine = None, False, None, None
                await self._release(feed)
        self.window_feed = self.mine_feed = None
        await self.send_json({"type": "unsubscribed"})

    async def my_score(self, content: dict[str, Any]) -> None:
        data = _validated(s.PeriodQuerySerializer, content)
        board = await self._board(content.get("game"))
        if self.mine_feed is not None:
            self.mine_feed.mine = False
            self.mine_feed.last_mine = None
            await self._release(self.mine_feed)
        feed = await self._feed(board, data["period"])
        feed.mine = True
        self.mine_feed = feed
        payload = await self._mine_payload(feed)
        feed.last_mine = payload
        await self.send_json(payload)
        self._notice(feed)

    async def around_me(self, content: dict[str, Any]) -> None:
        data = _validated(s.AroundQuerySerializer, content)
        board = await self._board(content.get("game"))
        rows = await selectors.aboard_around(game=board, user_id=self.user.pk, **data)
        await self.send_json({"type": "around_me", "game": board, "period": data["period"], "result": rows or []})

    async def add_score(self, content: dict[str, Any]) -> None:
        data = _validated(s.ScoreSubmitSerializer, content)
        submission = await ws_db(_score_submit_if_active)(user=self.user, **data)
        await self.send_json({"type": "score_added", **submission.as_dict()})

    async def report(self, content: dict[str, Any]) -> None:
        data = _validated(s.ReportQuerySerializer, content)
        if not await user_rate_allows(self.user.pk):
            await self.send_error("Too many requests; slow down.")
            return
        async with report_slots():
            report = await ws_db(selectors.report_top)(**data)
        body = s.ReportSerializer(report).data
        await self.send_json(
            {
                "type": "report",
                "start": body["start"],
                "end": body["end"],
                "game": body["game"],
                "result": body["results"],
            }
        )

    ACTIONS = {
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "my_score": my_score,
        "around_me": around_me,
        "add_score": add_score,
        "report": report,
    }

    # --- feeds ---
    async def _feed(self, board: str, period: str) -> _Feed:
        feed = self.feeds.get((board, period))
        if feed is None:
            feed = self.feeds[(board, period)] = _Feed(board, period)
            await self.channel_layer.group_add(board_group(board, period), self.channel_name)
        return feed

    async def _release(self, feed: _Feed) -> None:
        if feed.idle and self.feeds.get((feed.board, feed.period)) is feed:
            del self.feeds[(feed.board, feed.period)]
            if feed.task is not None:
                feed.task.cancel()
            await self.channel_layer.group_discard(board_group(feed.board, feed.period), self.channel_name)

    async def _window_payload(self, feed: _Feed) -> dict[str, Any]:
        assert feed.window is not None
        if feed.squad is not None:
            rows = await selectors.aboard_squad(game=feed.board, period=feed.period, user_ids=feed.squad)
            return {
                "type": "scores",
                "game": feed.board,
                "period": feed.period,
                "squad": True,
                "result": rows,
                "total_count": len(rows),
            }
        start, end = feed.window
        window = await selectors.aboard_window(game=feed.board, period=feed.period, start=start, end=end)
        return {
            "type": "scores",
            "game": feed.board,
            "period": feed.period,
            "start": start,
            "end": end,
            "result": window.rows,
            "total_count": window.total_count,
        }

    async def _mine_payload(self, feed: _Feed) -> dict[str, Any]:
        row = await selectors.aboard_me(game=feed.board, period=feed.period, user_id=self.user.pk)
        mine = row or {"rank": None, "user_id": self.user.pk, "player": self.user.username, "score": None, "date": None}
        return {"type": "my_score", "game": feed.board, "period": feed.period, **mine}

    # --- pushes ---
    async def board_changed(self, event: dict[str, Any]) -> None:
        """Channel-layer notice: a board this socket may watch has changed."""
        feed = self.feeds.get((event.get("board", ""), event.get("period", "")))
        if feed is not None:
            self._notice(feed)

    def _notice(self, feed: _Feed) -> None:
        """Something may have changed (a notice, or a new subscription, which may have come in
        while a gate swallowed a notice): make sure the feed is re-read."""
        feed.last_notice = time.monotonic()
        if feed.task is None or feed.task.done():
            feed.task = asyncio.create_task(self._pushes(feed))

    async def _pushes(self, feed: _Feed) -> None:
        """Re-read every interval until one read starts an interval after the last notice.

        A notice at n needs a read after n (its change) and one after n + interval (changes made
        while its gate was closed sent no notice). Reads are an interval apart, and the first
        waits for an interval after the last push, so pushes are too.
        """
        interval = settings.LEADERBOARD_PUSH_INTERVAL_SECONDS
        try:
            await asyncio.sleep(max(0.0, feed.last_push + interval - time.monotonic()))
            while True:
                started = time.monotonic()
                await self._refresh(feed)
                if started >= feed.last_notice + interval:
                    return
                await asyncio.sleep(interval)
        except ServiceError as exc:
            await self.send_error(exc.detail)
        except Exception:
            logger.exception("leaderboard push failed")

    async def _refresh(self, feed: _Feed) -> bool:
        """Re-read what the feed watches; push what changed. True if something was pushed."""
        sent = False
        if feed.window is not None:
            payload = await self._window_payload(feed)
            if payload != feed.last_window and feed.window is not None:
                feed.last_window = payload
                await self.send_json(payload)
                sent = True
        if feed.mine:
            payload = await self._mine_payload(feed)
            if payload != feed.last_mine and feed.mine:
                feed.last_mine = payload
                await self.send_json(payload)
                sent = True
        if sent:
            feed.last_push = time.monotonic()
        return sent
