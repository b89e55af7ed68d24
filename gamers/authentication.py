"""JWT authentication that also keeps `last_seen` fresh (at most one write a minute)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication

from gamers.models import Gamer

LAST_SEEN_RESOLUTION = timedelta(minutes=1)


class JWTAuthentication(BaseJWTAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            now = timezone.now()
            if user.last_seen is None or now - user.last_seen > LAST_SEEN_RESOLUTION:
                # Conditional update: concurrent requests don't all write.
                Gamer.objects.filter(pk=user.pk).exclude(last_seen__gt=now - LAST_SEEN_RESOLUTION).update(last_seen=now)
                user.last_seen = now
        return result


def users_authenticate(user_ids: list[int]) -> list[Gamer | None]:
    """The users of several validated tokens, in one query (None where there is none), with
    `last_seen` kept fresh as `authenticate` does (one conditional UPDATE for the stale ones).

    The async fast path of common/fastpath.py loads the users of concurrent requests with this.
    Refusing inactive users stays the caller's job, as in `authenticate`.
    """
    ids = sorted(set(user_ids))
    # A raw query: the ORM compiling `in_bulk` cost more than reading the rows (one per batch).
    table = connection.ops.quote_name(Gamer._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    found = {u.pk: u for u in Gamer.objects.raw(f"SELECT * FROM {table} WHERE id IN ({placeholders})", ids)}
    now = timezone.now()
    stale = [u.pk for u in found.values() if u.last_seen is None or now - u.last_seen > LAST_SEEN_RESOLUTION]
    if stale:
        Gamer.objects.filter(pk__in=stale).exclude(last_seen__gt=now - LAST_SEEN_RESOLUTION).update(last_seen=now)
        for pk in stale:
            found[pk].last_seen = now
    return [found.get(pk) for pk in user_ids]
