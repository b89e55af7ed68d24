"""Gaming sessions and what gamers do with them (SPEC §3).

The invariants that matter are held by the database, not only by the services:
one attendance / like / review per gamer and session (unique constraints), and the ranges
of `max_attendees` and `rating` (check constraints). The "never more attendees than
`max_attendees`" invariant spans rows, so it is held by `services.session_join`, which
reads the attendee counter under a row lock on the session.

Each session carries counters of its rows (`attendee_count`, `like_count`, `review_count`,
`rating_sum`, `waiting_count`, `trend_score`), so lists order and read them without counting:
see `sessions_app.counters` for how they stay exact. `rating_rank` is a stored generated
column computed by the database from two of them (the `-avg_rating` ordering).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Cast, Length, Upper
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from sessions_app.rules import (
    DESCRIPTION_MAX,
    GAME_MAX,
    MAX_ATTENDEES_MAX,
    MAX_ATTENDEES_MIN,
    RATED_MIN_REVIEWS,
    RATING_MAX,
    RATING_MIN,
    REVIEW_MAX,
    TITLE_MAX,
)

if TYPE_CHECKING:
    from gamers.models import Gamer


class Platform(models.TextChoices):
    PC = "pc", "PC"
    PLAYSTATION = "playstation", "PlayStation"
    XBOX = "xbox", "Xbox"
    SWITCH = "switch", "Nintendo Switch"
    MOBILE = "mobile", "Mobile"
    OTHER = "other", "Other"


class GameSession(models.Model):
    """A session a gamer hosts and others join.

    The four counters are the number of its attendances, likes and reviews and the sum of the
    reviews' ratings. They are kept by `sessions_app.counters` in the same transaction as each
    change of those rows (never by hand: `editable=False`), and are never negative (the
    positive-integer check constraint refuses a decrement below zero rather than let a
    counter drift).

    Indexes: one per list ordering (each ending on `id`, the tie-break every ordering uses;
    a B-tree serves both directions), and one per filter, ending on the default ordering so
    a filtered default list also reads in order. `game` is matched ignoring case as
    `UPPER(game) = UPPER(%s)`, so its index is on `UPPER(game)`.
    """

    title = models.CharField(max_length=TITLE_MAX)
    game = models.CharField(max_length=GAME_MAX)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True, default="")
    platform = models.CharField(max_length=12, choices=Platform.choices)
    starts_at = models.DateTimeField()
    max_attendees = models.PositiveIntegerField()
    is_available = models.BooleanField(default=True, help_text="The organizer's switch: off means nobody can join.")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_sessions", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    attendee_count = models.PositiveIntegerField(default=0, editable=False)
    like_count = models.PositiveIntegerField(default=0, editable=False)
    review_count = models.PositiveIntegerField(default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, editable=False)
    waiting_count = models.PositiveIntegerField(default=0, editable=False)
    # Likes and joins of the last TREND_WINDOW_DAYS that still exist: +1 with each like or join,
    # -1 when it is taken back while counted, -1 when `services.trend_expire` ages it out.
    trend_score = models.PositiveIntegerField(default=0, editable=False)
    # The `-avg_rating` ordering's key, computed by the database in the same statement as every
    # counter change (a stored generated column, so nothing can forget it): 10 + the mean
    # rating for sessions with at least RATED_MIN_REVIEWS reviews (11-15), the mean alone below
    # that (1-5), 0 without reviews. So "well rated with enough reviews first" is one index.
    rating_rank = models.GeneratedField(
        expression=Case(
            When(review_count=0, then=Value(0.0)),
            When(
                review_count__gte=RATED_MIN_REVIEWS,
                then=Value(10.0) + Cast("rating_sum", FloatField()) / Cast("review_count", FloatField()),
            ),
            default=Cast("rating_sum", FloatField()) / Cast("review_count", FloatField()),
            output_field=FloatField(),
        ),
        output_field=FloatField(),
        db_persist=True,
    )
    # When the start reminders went out (`services.reminders_send_due`): the compare-and-set
    # that makes them exactly-once. Reset when `starts_at` changes.
    reminders_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    attendees: models.ManyToManyField[Gamer, Attendance] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Attendance", related_name="joined_sessions", blank=True
    )

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = "gaming session"
        indexes = [
            models.Index(fields=["starts_at", "id"], name="session_by_start"),
            models.Index(fields=["created_at", "id"], name="session_by_created"),
            models.Index(fields=["like_count", "id"], name="session_by_likes"),
            models.Index(fields=["attendee_count", "id"], name="session_by_attendees"),
            models.Index(fields=["rating_rank", "id"], name="session_by_rating"),
            models.Index(fields=["trend_score", "id"], name="session_by_trend"),
            models.Index(Upper("game"), F("starts_at"), F("id"), name="session_by_game"),
            models.Index(fields=["platform", "starts_at", "id"], name="session_by_platform"),
            # Also the organizer foreign key's index (cascades and "sessions I host").
            models.Index(fields=["organizer", "starts_at", "id"], name="session_by_organizer"),
        ]
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

    @property
    def avg_rating(self) -> float | None:
        """Mean rating rounded to 2 places; None without reviews."""
        return rating_average(self.rating_sum, self.review_count)

    @property
    def is_full(self) -> bool:
        return self.attendee_count >= self.max_attendees


def rating_average(rating_sum: int, review_count: int) -> float | None:
    """`rating_sum / review_count` rounded to 2 places; None without reviews."""
    return round(rating_sum / review_count, 2) if review_count else None


class Attendance(models.Model):
    # No single-column indexes: the unique (session, gamer) and the (gamer, session) indexes lead with them.
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="attendances", db_index=False)
    gamer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    joined_at = models.DateTimeField(default=timezone.now)
    # Counted in the session's `trend_score` (a join of the last TREND_WINDOW_DAYS). The
    # organizer's own attendance is never counted: hosting isn't joining.
    trend_counted = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "gamer"], name="attendance_once_per_gamer")]
        # The unique index serves lookups by session; this one serves "my sessions" and stats.
        # The partial one finds the joins the trend window ages out (small: the last days' rows).
        indexes = [
            models.Index(fields=["gamer", "session"], name="attendance_by_gamer"),
            models.Index(fields=["joined_at"], name="attendance_trend_due", condition=Q(trend_counted=True)),
        ]

    def __str__(self) -> str:
        return f"{self.gamer_id} -> session {self.session_id}"


class Like(models.Model):
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="likes", db_index=False)
    gamer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_likes", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Counted in the session's `trend_score` (a like of the last TREND_WINDOW_DAYS).
    trend_counted = models.BooleanField(default=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "gamer"], name="like_once_per_gamer")]
        indexes = [
            models.Index(fields=["gamer", "session"], name="like_by_gamer"),
            models.Index(fields=["created_at"], name="like_trend_due", condition=Q(trend_counted=True)),
        ]

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


class WaitingEntry(models.Model):
    """A gamer waiting for a seat in a full session (SPEC §3 "Waiting list"), first come first
    served by `id` (entries are inserted under the session's row lock, so id order is arrival
    order). Never at the same time as an attendance of the same gamer: the services that add
    either take the session's row lock and remove the other."""

    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="waiting", db_index=False)
    gamer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waiting", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "waiting entries"
        constraints = [models.UniqueConstraint(fields=["session", "gamer"], name="waiting_once_per_gamer")]
        indexes = [
            models.Index(fields=["session", "id"], name="waiting_in_order"),
            models.Index(fields=["gamer", "session"], name="waiting_by_gamer"),
        ]

    def __str__(self) -> str:
        return f"{self.gamer_id} waits for session {self.session_id}"
