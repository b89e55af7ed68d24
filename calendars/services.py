"""Calendar feed keys: issue (and so revoke) the secret of a gamer's feed."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from calendars.models import CalendarKey

KEY_BYTES = 32  # 256 bits of randomness: a key can't be guessed, so no throttle is needed


def key_hash(key: str) -> str:
    """SHA-256 hex of a key. A fast hash suffices: the key is random, not a password."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def calendar_key_issue(*, user: Any) -> str:
    """Issue a new feed key for `user` and return it (it is never stored or shown again).

    The previous key, if any, is replaced in the same row, so from the commit on it answers 404.
    """
    key = secrets.token_urlsafe(KEY_BYTES)
    CalendarKey.objects.update_or_create(
        user_id=user.pk, defaults={"key_hash": key_hash(key), "created_at": timezone.now()}
    )
    return key
