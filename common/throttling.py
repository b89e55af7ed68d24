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
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac
from redis.exceptions import NoScriptError, RedisError
from rest_framework import throttling

from common.client_ip import client_ip, parse_trusted_proxies
from common.logs import WarnAtMostEvery
from common.rates import parse_rate
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

# Throttling is off while Redis is down: said in the log, at most every 10 s.
_storage_down = WarnAtMostEvery(logger, "throttle storage unavailable, requests let through: %s")


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

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        """DRF's, but periods may carry a count (`10/15min`): common/rates.py."""
        if rate is None:
            return (None, None)
        return parse_rate(rate)

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
        return self.allow_key(key)

    def allow_key(self, key: str) -> bool:
        """Record a request in the window `key` if it has room."""
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


_SPACES = re.compile(r"\s+")


def login_identity(login: str) -> str:
    """The account a login string names, as the sign-in backend finds it: case-folded,
    compatibility-normalised, whitespace trimmed and collapsed, repeated until stable. The same
    steps as `gamers.rules.username_key` (which common may not import; a test holds them equal),
    and for an email a key at least as coarse as `normalize_email`'s (`.strip().lower()`), so
    every spelling that reaches one account shares one window."""
    key = login
    for _ in range(5):
        new = _SPACES.sub(" ", unicodedata.normalize("NFC", unicodedata.normalize("NFKC", key))).strip().casefold()
        if new == key:
            break
        key = new
    return key


class LoginAccountRateThrottle(_RedisWindowMixin, throttling.SimpleRateThrottle):
    """Sign-ins per account (THROTTLE_LOGIN_ACCOUNT_RATE, SPEC §2), whatever address they come
    from: guessing one account's password from many addresses stops, while a LAN party behind
    one address only shares the per-IP window (AuthRateThrottle). Keyed by the login as typed
    (`login` in the body), normalised by `login_identity` and hashed with the secret key, so
    Redis holds no usernames or emails. A body without a text `login` is not counted here
    (the view answers 400)."""

    scope = "login_account"
    rate_setting = "THROTTLE_LOGIN_ACCOUNT_RATE"
    login_field = "login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        data: Any = getattr(request, "data", None)
        login = data.get(self.login_field) if hasattr(data, "get") else None
        return self.cache_key_for(login)

    def cache_key_for(self, login: object) -> str | None:
        if not isinstance(login, str):
            return None
        identity = login_identity(login)
        if not identity:
            return None
        digest = salted_hmac("gameconnect.throttling.login_account", identity).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


def login_attempt_wait(request: Any, login: object) -> float | None:
    """For a sign-in form outside DRF (the admin's): record one attempt in the same per-IP and
    per-account windows as `POST /auth/token`. None when it may go ahead, else the seconds to
    wait (at least 1). Both windows are consulted in the API's order, the IP's first."""
    ip = AuthRateThrottle()
    if not ip.allow_request(request, None):
        return max(1.0, ip.wait() or 1.0)
    account = LoginAccountRateThrottle()
    key = account.cache_key_for(login)
    if key is None or account.rate is None or account.allow_key(key):
        return None
    return max(1.0, account.wait() or 1.0)
