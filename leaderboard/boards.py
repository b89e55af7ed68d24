"""The boards: Redis sorted sets, one per board (a game or `all`) and period.

Keys (see rules.board_key): `lb:b:<board>:<period key>`, e.g. `lb:b:cod:d2026-01-15`,
`lb:b:all:w2026-W03`, `lb:b:chess:all`. Members are user ids, scores the 53-bit encoding of
rules.encode (value high, reversed time low). `lb:names` maps user id -> username so a window is
read in one round trip. `lb:g:<board key>` are the push gates (below).

Invariants, all kept by one Lua script per submission (atomic in Redis):
* a game board holds each player's best value in the period and the first time they reached it
  (a later equal or lower value is not an improvement and changes nothing);
* the `all` board entry of a player is derived from the game boards of the same period: the sum
  of their bests, reached at the latest of those first times. The script recomputes it from the
  game boards, so applying a submission twice, or out of order, gives the same boards as a
  rebuild from the database (rebuild.py relies on this to replay late submissions).

Pushes: when a board changes, the script sets its gate `lb:g:<key>` for the push interval
(SET NX PX) and, only if the gate was free, the caller sends one `board.changed` message to the
channel-layer group of that board. So a burst of any size sends at most one message per board
per interval to the layer, whatever the number of web processes. Sockets re-read their window
once more an interval after every notice (consumers.py), which picks up the changes whose
notice the gate swallowed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.errors import Unavailable
from common.redis import get_async_redis, get_redis
from leaderboard import rules
from leaderboard.rules import PERIODS, PeriodWindow
from leaderboard.scripts import AROUND_LUA, RECORD_LUA, SQUAD_LUA, WINDOW_LUA

logger = logging.getLogger("gameconnect.leaderboard")

NAMES_KEY = "lb:names"
WHEN_KEY = "lb:when"
BOARD_PREFIX = "lb:b:"
GATE_PREFIX = "lb:g:"
# After a connection failure, calls fail fast; Redis is probed again this often.
RETRY_AFTER_FAILURE_SECONDS = 2.0

_SHA = {lua: hashlib.sha1(lua.encode()).hexdigest() for lua in (RECORD_LUA, WINDOW_LUA, AROUND_LUA, SQUAD_LUA)}


class BoardsUnavailable(Unavailable):
    default_code = "leaderboard_unavailable"

    def __init__(self) -> None:
        super().__init__("The live leaderboards are unavailable right now; try again shortly.")


class _Breaker:
    """Once Redis is found unreachable, calls fail at once instead of each waiting out the
    client's connect timeout and retries (seconds). A background thread pings Redis every
    RETRY_AFTER_FAILURE_SECONDS and closes the breaker when it answers, so no request waits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = False
        self.next_probe = 0.0
        self.probing = False

    def check(self) -> None:
        if not self.open:
            return
        with self.lock:
            start = not self.probing and time.monotonic() >= self.next_probe
            self.probing = self.probing or start
        if start:
            threading.Thread(target=self._probe, name="leaderboard-redis-probe", daemon=True).start()
        raise BoardsUnavailable()

    def _probe(self) -> None:
        try:
            get_redis().ping()
            healthy = True
        except RedisError:
            healthy = False
        with self.lock:
            self.probing = False
            self.open = not healthy
            self.next_probe = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
        if healthy:
            logger.warning("leaderboard Redis is back; run rebuild_leaderboards for the scores it missed")

    def trip(self, exc: Exception) -> None:
        """Redis failed: open the breaker if it is unreachable; log anything else loudly."""
        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            with self.lock:
                if not self.open:
                    logger.warning("leaderboard Redis unavailable: %s", exc)
                self.open = True
                self.next_probe = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
        else:
            logger.error("leaderboard Redis error: %s", exc)

    def reset(self) -> None:
        with self.lock:
            self.open = False
            self.next_probe = 0.0


_breaker = _Breaker()
_check_breaker = _breaker.check
_trip = _breaker.trip
breaker_reset = _breaker.reset


def run_script(lua: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
    """EVALSHA (EVAL when the script isn't cached yet) on the sync client; 503 when Redis is down."""
    _check_breaker()
    client = client if client is not None else get_redis()
    try:
        try:
            return client.evalsha(_SHA[lua], len(keys), *keys, *args)
        except NoScriptError:
            return client.eval(lua, len(keys), *keys, *args)
    except RedisError as exc:
        _trip(exc)
        raise BoardsUnavailable() from exc


async def arun_script(lua: str, keys: list[str], args: list[Any]) -> Any:
    _check_breaker()
    client = get_async_redis()
    try:
        try:
            return await client.evalsha(_SHA[lua], len(keys), *keys, *args)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
        except NoScriptError:
            return await client.eval(lua, len(keys), *keys, *args)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
    except RedisError as exc:
        _trip(exc)
        raise BoardsUnavailable() from exc


def board_group(board: str, period: str) -> str:
    """Channel-layer group of one board and period kind (`lb.cod.week`)."""
    return f"lb.{board}.{period}"


def board_notify(board: str, period: str) -> None:
    boards_notify([(board, period)])


def boards_notify(changed: list[tuple[str, str]]) -> None:
    """Tell the sockets watching these (board, period) pairs, in one trip to the channel layer
    (from sync code each trip costs an event-loop hop). Failures are logged, never raised."""
    layer = get_channel_layer()
    if layer is None or not changed:
        return

    async def send_all() -> None:
        for board, period in changed:
            message = {"type": "board.changed", "board": board, "period": period}
            await layer.group_send(board_group(board, period), message)

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.exception("board notices to the channel layer failed")


# --- writes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    best: int  # the player's all-time best in the game
    ranks: dict[str, int | None]  # period -> 1-based rank on the game's board (None: period over)
    improved: dict[str, bool]


def record_keys(*, game: str, slugs: list[str], windows: list[PeriodWindow]) -> list[str]:
    return list(_record_keys(game, tuple(slugs), tuple(w.key for w in windows)))


@functools.lru_cache(maxsize=256)
def _record_keys(game: str, slugs: tuple[str, ...], window_keys: tuple[str, ...]) -> tuple[str, ...]:
    # The same few dozen keys for every submission to a game in a day: made once.
    keys = [NAMES_KEY, WHEN_KEY]
    for window in window_keys:
        all_key = rules.board_key_of(rules.ALL_BOARD, window)
        keys += [all_key, GATE_PREFIX + rules.board_key_of(game, window), GATE_PREFIX + all_key]
        keys += [rules.board_key_of(slug, window) for slug in slugs]
    return tuple(keys)


@dataclass(frozen=True)
class RecordCall:
    """One submission for the record script: its keys and arguments, and what it applies to."""

    game: str
    windows: list[PeriodWindow]
    keys: list[str]
    args: list[Any]
    asc_max: int = 0  # an `asc` game's max_score (the board holds max_score - value); 0: `desc`


def record_call(
    *,
    user_id: int,
    username: str,
    game: str,
    slugs: list[str],
    value: int,
    achieved_at: datetime,
    score_id: int,
    asc_max: int = 0,
) -> RecordCall:
    """The record script's keys and arguments for one ranked score.

    `slugs` are the games whose bests add up to the `all` board (Catalog.summed). An `asc` game
    (`asc_max` = its max_score) is not among them: its board holds `asc_max - value`, so the
    lowest time ranks first with the same script and reads, and the `all` board is left alone.
    """
    # A backdated score whose day (week, month) board has expired only counts for the others.
    now = time.time()
    windows = [w for w in rules.period_windows(achieved_at) if not w.expire_at or w.expire_at > now]
    at_ms = rules.epoch_ms(achieved_at)
    if asc_max:
        value, slugs, index = asc_max - value, [game], -1  # -1: the game's board only, no `all`
    else:
        index = slugs.index(game) + 1
    args: list[Any] = [user_id, username, value, len(slugs), index, _gate_ms(), at_ms]
    for window in windows:
        args += [rules.tie_at_ms(window, at_ms=at_ms, score_id=score_id), window.expire_at]
    return RecordCall(game, windows, record_keys(game=game, slugs=slugs, windows=windows), args, asc_max)


def board_record(
    *,
    user_id: int,
    username: str,
    game: str,
    slugs: list[str],
    value: int,
    achieved_at: datetime,
    score_id: int,
    asc_max: int = 0,
    notify: bool = True,
    client: Any = None,
) -> Recorded:
    """Apply one submission to every board it belongs to (the game's and `all`, four periods).

    Idempotent and order-independent (see the module docstring). `slugs` is every game slug in
    a fixed order (Catalog.slugs). Raises BoardsUnavailable when Redis can't be reached.
    """
    call = record_call(
        user_id=user_id,
        username=username,
        game=game,
        slugs=slugs,
        value=value,
        achieved_at=achieved_at,
        score_id=score_id,
        asc_max=asc_max,
    )
    result = run_script(RECORD_LUA, call.keys, call.args, client=client)
    recorded, notices = _recorded(call, result)
    if notify and notices:
        boards_notify(notices)
    return recorded


def boards_record_many(calls: list[RecordCall]) -> list[Recorded | BoardsUnavailable]:
    """Apply several submissions in one round trip (a pipeline of record scripts, in order),
    then send their board notices in one trip to the channel layer.

    Each submission is its own atomic script, so one that fails doesn't stop the others: its
    place in the answer holds BoardsUnavailable. Raises BoardsUnavailable when Redis can't be
    reached at all.
    """
    if not calls:
        return []
    if len(calls) == 1:
        results: list[Any] = [run_script(RECORD_LUA, calls[0].keys, calls[0].args)]
    else:
        results = _pipelined(RECORD_LUA, calls)
    out: list[Recorded | BoardsUnavailable] = []
    notices: list[tuple[str, str]] = []
    for call, answer in zip(calls, results, strict=True):
        if isinstance(answer, Exception):
            _trip(answer)
            out.append(BoardsUnavailable())
            continue
        recorded, notes = _recorded(call, answer)
        out.append(recorded)
        notices += [n for n in notes if n not in notices]
    if notices:
        boards_notify(notices)
    return out


def _pipelined(lua: str, calls: list[RecordCall]) -> list[Any]:
    """Run a script once per call in one pipeline; per-call errors are returned in place."""
    _check_breaker()
    client = get_redis()
    results: list[Any] = [None] * len(calls)
    todo = list(range(len(calls)))
    try:
        for attempt in range(2):
            pipe = client.pipeline(transaction=False)
            for i in todo:
                pipe.evalsha(_SHA[lua], len(calls[i].keys), *calls[i].keys, *calls[i].args)
            for i, answer in zip(todo, pipe.execute(raise_on_error=False), strict=True):
                results[i] = answer
            todo = [i for i in todo if isinstance(results[i], NoScriptError)]
            if not todo:
                break
            if attempt == 0:
                client.script_load(lua)  # Redis restarted or its script cache was flushed
    except RedisError as exc:
        _trip(exc)
        raise BoardsUnavailable() from exc
    return results


def _recorded(call: RecordCall, result: list[Any]) -> tuple[Recorded, list[tuple[str, str]]]:
    game, windows = call.game, call.windows
    ranks: dict[str, int | None] = dict.fromkeys(PERIODS)
    improved: dict[str, bool] = dict.fromkeys(PERIODS, False)
    best = 0
    notices: list[tuple[str, str]] = []
    for window, (did_improve, rank0, best_value, note_game, note_all) in zip(windows, result, strict=True):
        ranks[window.period] = int(rank0) + 1
        improved[window.period] = bool(did_improve)
        if window.period == "all":
            best = call.asc_max - int(best_value) if call.asc_max else int(best_value)
        if note_game:
            notices.append((game, window.period))
        if note_all:
            notices.append((rules.ALL_BOARD, window.period))
    return Recorded(best=best, ranks=ranks, improved=improved), notices


def _gate_ms() -> int:
    return max(1, round(settings.LEADERBOARD_PUSH_INTERVAL_SECONDS * 1000))


# --- reads ---------------------------------------------------------------------------------


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Slice:
    total: int
    rows: list[dict[str, Any]]
    missing_names: list[int]  # user ids the names hash lacked
    score_ids: dict[int, int]  # on `all`-time boards: row index -> id of the score whose date to show


def parse_rows(window: PeriodWindow, flat: list[Any], asc_max: int = 0) -> Slice:
    """Rows of a WINDOW/AROUND script answer: {rank, user_id, player, score, date}.

    `player` is None where the names hash lacked it, and `date` None on an `all`-time board
    where the when hash lacked it: the selectors fill those from the database
    (Slice.missing_names, Slice.score_ids). `asc_max`: the board of an `asc` game (record_call).
    """
    total, start = int(flat[0]), int(flat[1])
    sl = Slice(total, [], [], {})
    if start < 0:
        return sl
    for i in range(2, len(flat), 4):
        _add_row(sl, window, start + len(sl.rows) + 1, flat[i : i + 4], asc_max)
    return sl


def _add_row(sl: Slice, window: PeriodWindow, rank: int, raw: list[Any], asc_max: int = 0) -> dict[str, Any]:
    """Append the row of one script answer (member, score, name, when) to `sl`."""
    user_id = int(raw[0])
    value, tie = rules.decode(float(raw[1]))
    if asc_max:
        value = asc_max - value
    name, when = raw[2], raw[3]
    if not name:
        sl.missing_names.append(user_id)
    moment = rules.time_of(window, tie)
    if moment is None and when:
        moment = rules.from_epoch_ms(int(when))
    elif moment is None:
        sl.score_ids[len(sl.rows)] = tie
    row = {
        "rank": rank,
        "user_id": user_id,
        "player": name or None,
        "score": value,
        "date": iso(moment) if moment else None,
    }
    sl.rows.append(row)
    return row


def fill_from_db(sl: Slice, names: dict[int, str], dates: dict[int, datetime]) -> None:
    for row in sl.rows:
        if row["player"] is None:
            row["player"] = names.get(row["user_id"], "deleted player")
    for index, score_id in sl.score_ids.items():
        moment = dates.get(score_id)
        sl.rows[index]["date"] = iso(moment) if moment else None


def window_of(period: str, at: datetime | None) -> PeriodWindow:
    return rules.period_window(period, at or timezone.now())


def _kind(window: PeriodWindow) -> str:
    return "t" if window.timed else "i"


def read_window(board: str, window: PeriodWindow, start: int, end: int, asc_max: int = 0) -> Slice:
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    return parse_rows(window, run_script(WINDOW_LUA, keys, [start, end, _kind(window)]), asc_max)


def read_total(board: str, window: PeriodWindow) -> int:
    _check_breaker()
    try:
        return int(get_redis().zcard(rules.board_key(board, window)))  # type: ignore[arg-type]  # redis-py gives sync and async clients one `Awaitable | value` return type
    except RedisError as exc:
        _trip(exc)
        raise BoardsUnavailable() from exc


def read_around(board: str, window: PeriodWindow, user_id: int, radius: int, asc_max: int = 0) -> Slice:
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    return parse_rows(window, run_script(AROUND_LUA, keys, [user_id, radius, _kind(window)]), asc_max)


def read_members(board: str, window: PeriodWindow, user_ids: list[int], asc_max: int = 0) -> Slice:
    """The rows of these players on a board (those without a score there are left out), in the
    board's order, without reading the rest of it: one ZMSCORE and a ZREVRANK per member found.
    `rank` is the rank among them (1-based), `board_rank` the rank on the whole board."""
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    flat = run_script(SQUAD_LUA, keys, [_kind(window), *user_ids]) if user_ids else []
    return _members_slice(window, flat, asc_max)


def _members_slice(window: PeriodWindow, flat: list[Any], asc_max: int) -> Slice:
    # The board's own order: its ranks are unique and follow (score desc, then Redis's member
    # order on equal scores), so sorting by them gives exactly the board's tie rule.
    found = sorted((flat[i : i + 5] for i in range(0, len(flat), 5)), key=lambda raw: int(raw[2]))
    sl = Slice(len(found), [], [], {})
    for raw in found:
        row = _add_row(sl, window, len(sl.rows) + 1, [raw[0], raw[1], raw[3], raw[4]], asc_max)
        row["board_rank"] = int(raw[2]) + 1
    return sl


async def aread_members(board: str, window: PeriodWindow, user_ids: list[int], asc_max: int = 0) -> Slice:
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    flat = await arun_script(SQUAD_LUA, keys, [_kind(window), *user_ids]) if user_ids else []
    return _members_slice(window, flat, asc_max)


async def aread_window(board: str, window: PeriodWindow, start: int, end: int, asc_max: int = 0) -> Slice:
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    return parse_rows(window, await arun_script(WINDOW_LUA, keys, [start, end, _kind(window)]), asc_max)


async def aread_around(board: str, window: PeriodWindow, user_id: int, radius: int, asc_max: int = 0) -> Slice:
    keys = [rules.board_key(board, window), NAMES_KEY, WHEN_KEY]
    return parse_rows(window, await arun_script(AROUND_LUA, keys, [user_id, radius, _kind(window)]), asc_max)


def names_store(names: dict[int, str]) -> None:
    """Back-fill usernames the names hash lacked (best effort)."""
    if not names:
        return
    try:
        get_redis().hset(NAMES_KEY, mapping={str(k): v for k, v in names.items()})
    except RedisError:
        logger.warning("could not back-fill leaderboard names")


def when_store(dates: dict[int, datetime]) -> None:
    """Back-fill the when hash (best effort)."""
    if not dates:
        return
    try:
        get_redis().hset(WHEN_KEY, mapping={str(k): rules.epoch_ms(v) for k, v in dates.items()})
    except RedisError:
        logger.warning("could not back-fill leaderboard dates")


def current_board_keys(boards: list[str], at: datetime | None = None) -> list[str]:
    windows = rules.period_windows(at or timezone.now())
    return [rules.board_key(board, window) for board in boards for window in windows]


def notify_all_boards(boards: list[str], periods: tuple[str, ...] = PERIODS) -> None:
    boards_notify([(board, period) for board in boards for period in periods])


def board_forget(user_ids: list[int]) -> None:
    """Take players off every board and out of the names hash (their account is gone)."""
    client = get_redis()
    keys = list(client.scan_iter(match=BOARD_PREFIX + "*", count=1000))
    members = [str(u) for u in user_ids]
    for i in range(0, len(members), 1000):
        chunk = members[i : i + 1000]
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, *chunk)
        pipe.hdel(NAMES_KEY, *chunk)
        pipe.execute()


def rollover_check(at: datetime | None = None) -> list[str]:
    """Notice the start of a new day, week or month once (across processes) and tell the sockets
    watching those periods, whose boards just became empty. Returns the periods that rolled."""
    client = get_redis()
    rolled = []
    for window in rules.period_windows(at or timezone.now()):
        if window.end is None:
            continue
        previous = client.set(f"lb:period:{window.period}", window.key, get=True)
        if previous is not None and previous != window.key:
            rolled.append(window.period)
    return rolled
