"""Throttles whose rates come from settings at request time (THROTTLE_*_RATE, SPEC §0).

DRF binds rates when the module is imported; reading them per instance lets tests and
deployments change them through settings.

The request counts live in the cache, which is Redis in production. When Redis is down the
throttles let requests through (and log it) instead of failing them: otherwise every API
request, including the ones that work without Redis (tickets, sessions, score submissions),
would be a 500 for the length of the outage.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger("gameconnect.throttling")
_warned_at = 0.0


class _SettingsRateMixin:
    rate_setting: str

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting)

    def allow_request(self, request: Any, view: Any) -> bool:
        global _warned_at
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except RedisError as exc:
            if time.monotonic() - _warned_at > 10:
                _warned_at = time.monotonic()
                logger.warning("throttling is off while the cache (Redis) is unavailable: %s", exc)
            return True


class UserRateThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    rate_setting = "THROTTLE_USER_RATE"


class AnonRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    rate_setting = "THROTTLE_ANON_RATE"


class AuthRateThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Login and register: per client IP, whoever is signed in."""

    scope = "auth"
    rate_setting = "THROTTLE_AUTH_RATE"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
