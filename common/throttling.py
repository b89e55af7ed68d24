"""Throttles whose rates come from settings at request time (THROTTLE_*_RATE, SPEC §0).

DRF binds rates when the module is imported; reading them per instance lets tests and
deployments change them through settings.

Storage: DRF keeps each client's request times as a pickled list in the Django cache (a get and
a set per throttle, a new Redis client per call with the Redis cache backend, and the whole list
unpickled and pickled again on each request). Ours keep the same sliding window in a Redis list
(newest first) updated by one Lua script: one round trip on the process-wide client checks and
records every throttle of a request, atomically (two concurrent requests can't both take the
last slot). Same rates, same keys per scope and client, same 429 and `Retry-After` as DRF's.
If Redis can't be reached the request is let through (and logged): a throttle must not turn an
outage of Redis into an outage of the API.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from redis.exceptions import NoScriptError, RedisError
from rest_framework import throttling

from common.batching import GroupRunner
from common.client_ip import client_ip, parse_trusted_proxies
from common.redis import get_async_redis, get_redis

logger = logging.getLogger("gameconnect.throttling")

KEY_PREFIX = "thr:"

# KEYS: one history list per throttle. ARGV: now, then (duration, limit) per key.
# -> per key {allowed 0|1, requests in the window (before this one when refused), oldest time}
THROTTLE_LUA = """
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local duration = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if (not oldest) or tonumber(oldest) > now - duration then break end
    redis.call('RPOP', key)
  end
  local n = redis.call('LLEN', key)
  local allowed = 0
  if n < limit then
    redis.call('LPUSH', key, ARGV[1])
    redis.call('EXPIRE', key, math.ceil(duration))
    n = n + 1
    allowed = 1
  end
  out[i] = {allowed, n, redis.call('LINDEX', key, -1) or ARGV[1]}
end
return out
"""
_SHA = hashlib.sha1(THROTTLE_LUA.encode()).hexdigest()


class _RedisWindowMixin:
    """DRF's sliding-window throttle (SimpleRateThrottle) kept in Redis, one round trip."""

    rate_setting: str
    # Set by SimpleRateThrottle: rate, num_requests, duration, timer, get_cache_key.
    rate: str | None
    num_requests: int
    duration: int
    now: float
    _count: int = 0
    _oldest: float = 0.0

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting)

    def get_ident(self, request: Any) -> str:
        """The client's address under TRUSTED_PROXIES (common/client_ip.py). DRF's own takes the
        whole X-Forwarded-For header, which any client writes, as the identity."""
        meta = request.META
        trusted = parse_trusted_proxies(settings.TRUSTED_PROXIES)
        return client_ip(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), trusted)

    def allow_request(self, request: Any, view: Any) -> bool:
        return throttles_check([self], request, view) is None  # type: ignore[list-item]

    def wait(self) -> float | None:
        # DRF's formula, from the window's size and oldest entry instead of the whole list.
        remaining = self.duration - (self.now - self._oldest) if self._count else self.duration
        available = self.num_requests - self._count + 1
        if available <= 0:
            return None
        return remaining / float(available)


def _plan(throttles: list[Any], request: Any, view: Any) -> tuple[list[Any], list[str], list[Any]]:
    active, keys, args = [], [], []
    now = None
    for throttle in throttles:
        if throttle.rate is None:
            continue
        key = throttle.get_cache_key(request, view)
        if key is None:
            continue
        now = now if now is not None else throttle.timer()
        throttle.now = now
        active.append(throttle)
        keys.append(KEY_PREFIX + key)
        args += [throttle.duration, throttle.num_requests]
    return active, keys, [repr(now), *args]


def _apply(active: list[Any], result: list[Any]) -> list[float] | None:
    """Waits of the refusing throttles (DRF's APIView.check_throttles), or None when all allow."""
    waits = []
    for throttle, (allowed, count, oldest) in zip(active, result, strict=True):
        throttle._count, throttle._oldest = int(count), float(oldest)
        if not int(allowed):
            waits.append(throttle.wait())
    return waits or None


_warned_at = 0.0


def _storage_down(exc: Exception) -> None:
    """Log that throttling is off, at most every 10 s: an outage must not flood the log."""
    global _warned_at
    if time.monotonic() - _warned_at > 10:
        _warned_at = time.monotonic()
        logger.warning("throttle storage unavailable, requests let through: %s", exc)


def throttles_check(throttles: list[Any], request: Any, view: Any) -> list[float | None] | None:
    """Check and record every throttle of a request in one round trip; the waits when refused."""
    return throttles_check_many([(throttles, request, view)])[0]


def throttles_check_many(checks: list[tuple[list[Any], Any, Any]]) -> list[list[float | None] | None]:
    """throttles_check for several requests (throttles, request, view), in one round trip."""
    plans = [_plan(throttles, request, view) for throttles, request, view in checks]
    calls = [(keys, args) for active, keys, args in plans if active]
    if not calls:
        return [None] * len(checks)
    try:
        results = iter(_eval_scripts(calls))
    except RedisError as exc:
        _storage_down(exc)
        return [None] * len(checks)
    return [_apply_result(active, next(results)) if active else None for active, _, _ in plans]


def _apply_result(active: list[Any], result: Any) -> list[float | None] | None:
    if isinstance(result, Exception):  # this script failed (the others ran): let it through
        _storage_down(result)
        return None
    return _apply(active, result)


def _eval_scripts(calls: list[tuple[list[str], list[Any]]]) -> list[Any]:
    """The throttle script for each (keys, args), in one pipeline; a failed one gets its error."""
    client = get_redis()
    results = _pipeline(client, calls).execute(raise_on_error=False)
    if _script_missing(results):
        client.script_load(THROTTLE_LUA)  # Redis restarted or its script cache was flushed
        results = _pipeline(client, calls).execute(raise_on_error=False)
    return results


def _pipeline(client: Any, calls: list[tuple[list[str], list[Any]]]) -> Any:
    pipe = client.pipeline(transaction=False)
    for keys, args in calls:
        pipe.evalsha(_SHA, len(keys), *keys, *args)
    return pipe


def _script_missing(results: list[Any]) -> bool:
    return any(isinstance(result, NoScriptError) for result in results)


async def athrottles_check(throttles: list[Any], request: Any, view: Any) -> list[float | None] | None:
    """throttles_check on the event loop's client: the checks of concurrent requests share one
    round trip (a pipeline of scripts, each still atomic on its own keys)."""
    active, keys, args = _plan(throttles, request, view)
    if not active:
        return None
    try:
        result = await _scripts.submit((keys, args))
    except RedisError as exc:
        _storage_down(exc)
        return None
    return _apply_result(active, result)


async def _aeval_scripts(calls: list[tuple[list[str], list[Any]]]) -> list[Any]:
    """_eval_scripts on the event loop's client."""
    client = get_async_redis()
    results = await _pipeline(client, calls).execute(raise_on_error=False)
    if _script_missing(results):
        await client.script_load(THROTTLE_LUA)
        results = await _pipeline(client, calls).execute(raise_on_error=False)
    return results


def _on_the_loop(work: Any) -> Any:
    return work  # already a coroutine function: one pipeline on the loop's client, no thread


_scripts: GroupRunner[tuple[list[str], list[Any]], Any] = GroupRunner(_aeval_scripts, run=_on_the_loop)


class UserRateThrottle(_RedisWindowMixin, throttling.UserRateThrottle):
    rate_setting = "THROTTLE_USER_RATE"


class AnonRateThrottle(_RedisWindowMixin, throttling.AnonRateThrottle):
    rate_setting = "THROTTLE_ANON_RATE"


class AuthRateThrottle(_RedisWindowMixin, throttling.SimpleRateThrottle):
    """Login and register: per client IP, whoever is signed in."""

    scope = "auth"
    rate_setting = "THROTTLE_AUTH_RATE"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
