"""JWT authentication that also keeps `last_seen` fresh (at most one write a minute)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication

from gamers.models import Gamer

LAST_SEEN_RESOLUTION = timedelta(minutes=1)


class JWTAuthentication(BaseJWTAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and isinstance(result[0], Gamer):  # AUTH_USER_MODEL: always a Gamer
            user = result[0]
            now = timezone.now()
            if user.last_seen is None or now - user.last_seen > LAST_SEEN_RESOLUTION:
                # Conditional update: concurrent requests don't all write.
                Gamer.objects.filter(pk=user.pk).exclude(last_seen__gt=now - LAST_SEEN_RESOLUTION).update(last_seen=now)
                user.last_seen = now
        return result
