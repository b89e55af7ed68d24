"""Throttles whose rates come from settings at request time (THROTTLE_*_RATE, SPEC §0).

DRF binds rates when the module is imported; reading them per instance lets tests and
deployments change them through settings.

Storage: DRF keeps each client's request times as a pickled list in the Django cache (a get and
a set per throttle, and the whole list unpickled and pickled again on each request, with a race
between the get and the set). Ours keep the same sliding window in a Redis list (newest first)
updated by one Lua script per throttle: atomic (two concurrent requests can't both take the
last slot) and one round trip. Same rates, same keys per scope and client, same 429 and
`Retry-After` as DRF's. If Redis can't be reached the request is let through (and logged): a
throttle must not turn an outage of Redis into an outage of the API.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from redis.exceptions import NoScriptError, RedisError
from rest_framework import throttling

from common.client_ip import client_ip, parse_trusted_proxies
from common.redis import get_redis

logger = logging.getLogger("gameconnect.throttling")

KEY_PREFIX = "thr:"

# KEYS[1]: the history list. ARGV: now, duration, limit.
# -> {allowed 0|1, requests in the window (before this one when refused), oldest time}
THROTTLE_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
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
return {allowed, n, redis.call('LINDEX', key, -1) or ARGV[1]}
"""
_SHA = hashlib.sha1(THROTTLE_LUA.encode()).hexdigest()

_warned_at = 0.0


def _storage_down(exc: Exception) -> None:
    """Log that throttling is off, at most every 10 s: an outage must not flood the log."""
    global _warned_at
    if time.monotonic() - _warned_at > 10:
        _warned_at = time.monotonic()
        logger.warning("throttle storage unavailable, requests let through: %s", exc)


def window_record(key: str, *, now: float, duration: int, limit: int) -> tuple[bool, int, float]:
    """Record a request in the window `key` if it has room: (allowed, requests in the window,
    oldest request time). Raises RedisError when Redis can't be reached."""
    client = get_redis()
    args: list[str | int] = [repr(now), duration, limit]
    try:
        allowed, count, oldest = client.evalsha(_SHA, 1, KEY_PREFIX + key, *args)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
    except NoScriptError:  # Redis restarted or its script cache was flushed
        allowed, count, oldest = client.eval(THROTTLE_LUA, 1, KEY_PREFIX + key, *args)  # type: ignore[misc]  # redis-py gives sync and async clients one `Awaitable | value` return type
    return bool(int(allowed)), int(count), float(oldest)


class _RedisWindowMixin:
    """DRF's sliding-window throttle (SimpleRateThrottle) kept in Redis, one round trip each."""

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
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]  # SimpleRateThrottle's, which this mixin goes before
        if key is None:
            return True
        self.now = self.timer()  # type: ignore[attr-defined]  # SimpleRateThrottle's, which this mixin goes before
        try:
            allowed, self._count, self._oldest = window_record(
                key, now=self.now, duration=self.duration, limit=self.num_requests
            )
        except RedisError as exc:
            _storage_down(exc)
            return True
        return allowed

    def wait(self) -> float | None:
        # DRF's formula, from the window's size and oldest entry instead of the whole list.
        remaining = self.duration - (self.now - self._oldest) if self._count else self.duration
        available = self.num_requests - self._count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class UserRateThrottle(_RedisWindowMixin, throttling.UserRateThrottle):
    """Signed-in callers, per account. (DRF's also counts anonymous callers per IP, which
    AnonRateThrottle already does: one window and one round trip per request is enough.)"""

    rate_setting = "THROTTLE_USER_RATE"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_RedisWindowMixin, throttling.AnonRateThrottle):
    rate_setting = "THROTTLE_ANON_RATE"


class AuthRateThrottle(_RedisWindowMixin, throttling.SimpleRateThrottle):
    """Login and register: per client IP, whoever is signed in."""

    scope = "auth"
    rate_setting = "THROTTLE_AUTH_RATE"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
