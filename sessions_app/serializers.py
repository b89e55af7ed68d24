"""Input and output shapes of the sessions API (SPEC §3)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gamers.serializers import GamerPublicSerializer, GamerSummarySerializer
from sessions_app import rules
from sessions_app.models import GameSession, Platform, Review
from sessions_app.selectors import ORDERINGS

# Ids in query strings and bodies: beyond this they can't name a row (bigint), and PostgreSQL
# would refuse the comparison.
ID_MAX = 2**63 - 1


# The views answer sessions with `selectors.session_rows` (rows read with `.values()`, no
# serializer machinery per row and field); this serializer documents that shape in the OpenAPI
# schema, and `tests/test_lists.py` holds the two byte-for-byte equal. Serializing a
# `GameSession` from `selectors.session_list` / `session_detail` gives the same output.
class GameSessionSerializer(serializers.ModelSerializer):
    """A session as every read view shows it."""

    organizer = GamerSummarySerializer(read_only=True)
    attendee_count = serializers.IntegerField(read_only=True)
    is_full = serializers.BooleanField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)
    review_count = serializers.IntegerField(read_only=True)
    avg_rating = serializers.SerializerMethodField()
    waiting_count = serializers.IntegerField(read_only=True, help_text="Gamers on the waiting list.")
    liked_by_me = serializers.BooleanField(read_only=True)
    joined_by_me = serializers.BooleanField(read_only=True)
    waiting_by_me = serializers.BooleanField(read_only=True, help_text="The caller is on the waiting list.")

    class Meta:
        model = GameSession
        fields = [
            "id",
            "title",
            "game",
            "description",
            "platform",
            "starts_at",
            "max_attendees",
            "is_available",
            "organizer",
            "created_at",
            "updated_at",
            "attendee_count",
            "is_full",
            "like_count",
            "review_count",
            "avg_rating",
            "waiting_count",
            "liked_by_me",
            "joined_by_me",
            "waiting_by_me",
        ]

    def get_avg_rating(self, obj: Any) -> float | None:
        """Mean rating rounded to 2 places; null without reviews."""
        value = getattr(obj, "avg_rating", None)
        return None if value is None else round(float(value), 2)


class GameSessionWriteSerializer(serializers.Serializer):
    """POST and PUT need every required field; PATCH (partial) any subset."""

    title = serializers.CharField(max_length=rules.TITLE_MAX)
    game = serializers.CharField(max_length=rules.GAME_MAX)
    description = serializers.CharField(
        max_length=rules.DESCRIPTION_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    platform = serializers.ChoiceField(choices=Platform.choices)
    starts_at = serializers.DateTimeField(help_text="ISO 8601; must be in the future.")
    max_attendees = serializers.IntegerField(min_value=rules.MAX_ATTENDEES_MIN, max_value=rules.MAX_ATTENDEES_MAX)
    is_available = serializers.BooleanField(required=False)


class SessionListQuerySerializer(serializers.Serializer):
    game = serializers.CharField(required=False, max_length=rules.GAME_MAX, help_text="Exact game, ignoring case.")
    platform = serializers.ChoiceField(choices=Platform.choices, required=False)
    organizer = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Organizer's id.")
    joinable = serializers.BooleanField(
        required=False, default=False, help_text="true: switched on, not started and not full."
    )
    starts_after = serializers.DateTimeField(required=False)
    starts_before = serializers.DateTimeField(required=False)
    search = serializers.CharField(
        required=False, max_length=200, allow_blank=True, help_text="Words to find in title, game or description."
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        required=False,
        help_text="Default `starts_at`. `-avg_rating`: top rated, sessions with at least 3 reviews first;"
        " `trending`: most likes and joins of the last 7 days.",
    )


class MySessionsQuerySerializer(SessionListQuerySerializer):
    organizer = None  # type: ignore[assignment]  # DRF's way to drop an inherited field
    as_ = serializers.ChoiceField(
        choices=["organizer", "attendee"],
        required=False,
        help_text="organizer: sessions I host; attendee: sessions I joined; absent: both.",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["as"] = fields.pop("as_")
        return fields


class AttendanceResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    attendee_count = serializers.IntegerField()


class JoinInputSerializer(serializers.Serializer):
    wait = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: on a full session, take a place on the waiting list (202) instead of a 409.",
    )


class WaitResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    position = serializers.IntegerField(help_text="Place on the waiting list, 1 = next to get a seat.")


class AttendeeSerializer(GamerPublicSerializer):
    joined_at = serializers.DateTimeField(read_only=True, help_text="When they joined the session.")

    class Meta(GamerPublicSerializer.Meta):
        fields = [*GamerPublicSerializer.Meta.fields, "joined_at"]


class ReviewSerializer(serializers.ModelSerializer):
    author = GamerSummarySerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "session", "author", "rating", "content", "created_at", "updated_at"]
        read_only_fields = fields


class ReviewModerationSerializer(ReviewSerializer):
    session_title = serializers.CharField(source="session.title", read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "session_title"]
        read_only_fields = fields


class ReviewWriteSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=rules.RATING_MIN, max_value=rules.RATING_MAX)
    content = serializers.CharField(max_length=rules.REVIEW_MAX, required=False, allow_blank=True)


class ReviewListQuerySerializer(serializers.Serializer):
    session = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    author = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    rating = serializers.IntegerField(required=False, min_value=rules.RATING_MIN, max_value=rules.RATING_MAX)
    search = serializers.CharField(required=False, max_length=200, allow_blank=True, help_text="Words in the content.")


class ModerationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, max_length=500, allow_blank=True)
