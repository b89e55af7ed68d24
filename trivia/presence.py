"""Who is playing, on which socket: Redis (real, or the embedded emulation) with expiry.

* `trivia:presence` — sorted set, member = user id, score = when the entry expires (epoch s).
  Each web process re-scores its own players every TRIVIA_PRESENCE_REFRESH_SECONDS, so the
  players of a crashed process drop out after TRIVIA_PRESENCE_TTL_SECONDS.
* `trivia:conns` — hash, user id -> channel name of that user's one live trivia socket. A new
  socket takes the slot atomically and is told the old channel, which it closes with 4002
  (on whichever process it lives).

Async functions serve the consumer and the hub; sync ones serve REST views and services.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from common.redis import get_async_redis, get_redis
from trivia.conf import conf

PRESENCE_KEY = "trivia:presence"
CONNS_KEY = "trivia:conns"
# Bumped by every claim and release: orders presence changes against each socket's count.
SEQ_KEY = "trivia:presence:seq"

# KEYS: conns, presence, seq. ARGV: user id, channel, expires_at, now. Returns {previous
# channel or "", 1 if the user was already present, players present now, sequence number}.
_CLAIM = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
local present = 0
if score and tonumber(score) > tonumber(ARGV[4]) then present = 1 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local count = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[4], '+inf')
return {old or '', present, count, redis.call('INCR', KEYS[3])}
"""

# KEYS: conns, presence, seq. ARGV: user id, channel. Leaves only if the slot is still ours;
# returns the sequence number of the leave, or 0.
_RELEASE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return redis.call('INCR', KEYS[3])
end
return 0
"""

# KEYS: conns, presence. ARGV: now. Forgets players whose process stopped refreshing them.
_PRUNE = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, uid in ipairs(gone) do redis.call('HDEL', KEYS[1], uid) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
return #gone
"""


def _expiry(now: float) -> float:
    return now + float(conf("TRIVIA_PRESENCE_TTL_SECONDS"))


class Claim(NamedTuple):
    previous: str | None  # the channel of the socket this one replaces
    was_present: bool
    players: int  # present now, this user included
    seq: int  # joins and leaves with a lower number are counted in `players`


async def claim(user_id: int, channel: str) -> Claim:
    """Make `channel` the user's one live socket, atomically, and count the players."""
    now = time.time()
    client = get_async_redis()
    old, present, count, seq = await client.eval(  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
        _CLAIM, 3, CONNS_KEY, PRESENCE_KEY, SEQ_KEY, user_id, channel, _expiry(now), now
    )
    return Claim(old or None, bool(int(present)), int(count), int(seq))


async def release(user_id: int, channel: str) -> int:
    """Leave, if `channel` still holds the user's slot: the sequence number of the leave when
    the user is now gone, else 0."""
    return int(await get_async_redis().eval(_RELEASE, 3, CONNS_KEY, PRESENCE_KEY, SEQ_KEY, user_id, channel))  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type


async def refresh(user_ids: Iterable[int]) -> None:
    """Extend the presence of this process's players and forget expired ones."""
    now = time.time()
    client = get_async_redis()
    ids = list(user_ids)
    if ids:
        await client.zadd(PRESENCE_KEY, dict.fromkeys((str(i) for i in ids), _expiry(now)))
    await client.eval(_PRUNE, 2, CONNS_KEY, PRESENCE_KEY, now)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type


async def acount() -> int:
    return int(await get_async_redis().zcount(PRESENCE_KEY, f"({time.time()}", "+inf"))


async def aplayer_ids() -> list[int]:
    return [int(i) for i in await get_async_redis().zrangebyscore(PRESENCE_KEY, f"({time.time()}", "+inf")]


def count() -> int:
    return int(get_redis().zcount(PRESENCE_KEY, f"({time.time()}", "+inf"))  # type: ignore[arg-type]  # redis-py gives sync and async clients one `Awaitable | value` return type


def player_ids() -> list[int]:
    return [int(i) for i in get_redis().zrangebyscore(PRESENCE_KEY, f"({time.time()}", "+inf")]  # type: ignore[union-attr]  # redis-py gives sync and async clients one `Awaitable | value` return type


def playing(user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` are connected right now (one round trip)."""
    ids = [int(i) for i in user_ids]
    if not ids:
        return set()
    now = time.time()
    scores: list[Any] = get_redis().zmscore(PRESENCE_KEY, [str(i) for i in ids])  # type: ignore[assignment]  # redis-py gives sync and async clients one `Awaitable | value` return type
    return {uid for uid, score in zip(ids, scores, strict=True) if score is not None and float(score) > now}
