"""Throttles whose rates come from settings at request time (THROTTLE_*_RATE, SPEC §0).

DRF binds rates when the module is imported; reading them per instance lets tests and
deployments change them through settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import throttling


class _SettingsRateMixin:
    rate_setting: str

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting)


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
