from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CalendarKey(models.Model):
    """The secret that opens a gamer's calendar feed (`GET /me/calendar.ics?key=`).

    Only its SHA-256 is stored, like an API key: a database leak doesn't open anyone's feed.
    One per gamer; issuing a new key replaces the hash, so the old key stops working at once.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_key")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar key of gamer {self.user_id}"
