"""Gaming sessions and what gamers do with them (SPEC §3).

The invariants that matter are held by the database, not only by the services:
one attendance / like / review per gamer and session (unique constraints), and the ranges
of `max_attendees` and `rating` (check constraints). The "never more attendees than
`max_attendees`" invariant spans rows, so it is held by `services.session_join`, which
counts under a row lock on the session.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from sessions_app.rules import (
    DESCRIPTION_MAX,
    GAME_MAX,
    MAX_ATTENDEES_MAX,
    MAX_ATTENDEES_MIN,
    RATING_MAX,
    RATING_MIN,
    REVIEW_MAX,
    TITLE_MAX,
)


class Platform(models.TextChoices):
    PC = "pc", "PC"
    PLAYSTATION = "playstation", "PlayStation"
    XBOX = "xbox", "Xbox"
    SWITCH = "switch", "Nintendo Switch"
    MOBILE = "mobile", "Mobile"
    OTHER = "other", "Other"


class GameSession(models.Model):
    """A session a gamer hosts and others join. Counts and averages are never stored here:
    read views compute them in the query (see `selectors.session_list`)."""

    title = models.CharField(max_length=TITLE_MAX)
    game = models.CharField(max_length=GAME_MAX, db_index=True)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True, default="")
    platform = models.CharField(max_length=12, choices=Platform.choices, db_index=True)
    starts_at = models.DateTimeField(db_index=True)
    max_attendees = models.PositiveIntegerField()
    is_available = models.BooleanField(default=True, help_text="The organizer's switch: off means nobody can join.")
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_sessions")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Attendance", related_name="joined_sessions", blank=True
    )

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = "gaming session"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attendees__gte=MAX_ATTENDEES_MIN) & Q(max_attendees__lte=MAX_ATTENDEES_MAX),
                name="session_max_attendees_range",
            ),
            models.CheckConstraint(condition=Q(platform__in=Platform.values), name="session_platform_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="session_title_not_empty"),
            models.CheckConstraint(condition=~Q(game=""), name="session_game_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX), name="session_description_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.game})"


class Attendance(models.Model):
    # No single-column indexes: the unique (session, gamer) and the (gamer, session) indexes lead with them.
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="attendances", db_index=False)
    gamer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "gamer"], name="attendance_once_per_gamer")]
        # The unique index serves lookups by session; this one serves "my sessions" and stats.
        indexes = [models.Index(fields=["gamer", "session"], name="attendance_by_gamer")]

    def __str__(self) -> str:
        return f"{self.gamer_id} -> session {self.session_id}"


class Like(models.Model):
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="likes", db_index=False)
    gamer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_likes", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "gamer"], name="like_once_per_gamer")]
        indexes = [models.Index(fields=["gamer", "session"], name="like_by_gamer")]

    def __str__(self) -> str:
        return f"{self.gamer_id} likes session {self.session_id}"


class Review(models.Model):
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_reviews", db_index=False
    )
    rating = models.PositiveSmallIntegerField()
    content = models.TextField(max_length=REVIEW_MAX, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="review_once_per_gamer"),
            models.CheckConstraint(
                condition=Q(rating__gte=RATING_MIN) & Q(rating__lte=RATING_MAX), name="review_rating_range"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("content"), REVIEW_MAX), name="review_content_length"
            ),
        ]
        indexes = [models.Index(fields=["author", "session"], name="review_by_author")]

    def __str__(self) -> str:
        return f"{self.rating}/5 by {self.author_id} on session {self.session_id}"
