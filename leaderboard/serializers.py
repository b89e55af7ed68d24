"""Input and output shapes of the leaderboard API (and of the socket's frames)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leaderboard.rules import PERIODS, day_bounds
from leaderboard.selectors import MAX_RADIUS, MAX_RANK, MAX_REPORT_LIMIT, MAX_WINDOW

DEFAULT_REPORT_DAYS = 7
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: refuses floats (even 12.0), strings and booleans, which IntegerField coerces."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "example": "2026-01-31", "description": "A date or an ISO 8601 datetime."})
class MomentField(serializers.Field):
    """A UTC date or datetime. A date means the whole day: its first instant as a start, its
    last as an end. Naive datetimes are UTC."""

    default_error_messages = {"invalid": "Use a date (2026-01-31) or an ISO 8601 datetime (2026-01-31T18:00:00Z)."}

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid")
        text = data.strip()
        if len(text) > 19 and text[-6] == " ":
            text = text[:-6] + "+" + text[-5:]  # an unencoded "+01:00" arrives as " 01:00"
        try:
            if _DATE_ONLY.fullmatch(text):
                day = parse_date(text)
                if day is None:
                    self.fail("invalid")
                first, last = day_bounds(day)
                return last if self.end_of_day else first
            moment = parse_datetime(text)
            if moment is None:
                self.fail("invalid")
            assert moment is not None
            return moment.replace(tzinfo=UTC) if is_naive(moment) else moment.astimezone(UTC)
        except (ValueError, OverflowError):  # OverflowError: past year 9999 or before year 1 in UTC
            self.fail("invalid")

    def to_representation(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GameSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label: the metaclass moves it into the declared fields
    max_score = serializers.IntegerField()
    order = serializers.ChoiceField(choices=["desc", "asc"], help_text="`desc`: higher is better; `asc`: lower is.")
    trust = serializers.ChoiceField(
        choices=["open", "verified"],
        help_text="`open`: a player's own score ranks at once; `verified`: only scores from game servers, "
        "session organizers or confirmations rank.",
    )


class ScoreSubmitSerializer(serializers.Serializer):
    game = serializers.CharField(max_length=64, help_text="A game slug from /leaderboard/games.")
    score = StrictIntegerField(min_value=0, help_text="A whole number from 0 to the game's max_score.")


class PeriodRanksSerializer(serializers.Serializer):
    day = serializers.IntegerField(allow_null=True)
    week = serializers.IntegerField(allow_null=True)
    month = serializers.IntegerField(allow_null=True)
    all = serializers.IntegerField(allow_null=True)


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The stored score (moderators void it by this id).")
    status = serializers.ChoiceField(
        choices=["ranked", "pending"],
        help_text="`pending`: a self-report on a `verified` game, on no board until a moderator or an "
        "organizer confirms it (best and ranks are then null).",
    )
    game = serializers.SlugField()
    score = serializers.IntegerField()
    best = serializers.IntegerField(allow_null=True, help_text="Your best score in this game, all time.")
    rank = serializers.IntegerField(allow_null=True, help_text="Your rank on the game's all-time board.")
    period_ranks = PeriodRanksSerializer(help_text="Your rank on the game's board for each period.")
    boards_updated = serializers.BooleanField(
        help_text="False when the score was stored but the live boards were unreachable; "
        "ranks are then null and the boards catch up when they are rebuilt."
    )


class BoardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    player = serializers.CharField()
    score = serializers.IntegerField()
    date = serializers.DateTimeField(help_text="When the player reached this score (first time).")


class AroundSerializer(serializers.Serializer):
    results = BoardRowSerializer(many=True)


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="all")


class AroundQuerySerializer(PeriodQuerySerializer):
    radius = serializers.IntegerField(min_value=0, max_value=MAX_RADIUS, default=5)


class ReportQuerySerializer(serializers.Serializer):
    start = MomentField(required=False, help_text=f"Default: {DEFAULT_REPORT_DAYS} days before `end`.")
    end = MomentField(required=False, end_of_day=True, help_text="Default: now. A date includes the whole day.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_REPORT_LIMIT, default=10)
    game = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from django.utils import timezone

        attrs.setdefault("end", timezone.now())
        if "start" not in attrs:
            try:
                attrs["start"] = attrs["end"] - timedelta(days=DEFAULT_REPORT_DAYS)
            except OverflowError:
                attrs["start"] = datetime.min.replace(tzinfo=UTC)
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["end must not be before start."]})
        return attrs


class ReportRowSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.IntegerField(help_text="Sum of the player's best per game in the range.")
    games = serializers.IntegerField(help_text="Distinct games played in the range.")
    game = serializers.SlugField(help_text="The player's best game in the range.")
    date = serializers.DateTimeField(help_text="The player's last submission in the range.")


class ReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    game = serializers.SlugField(allow_null=True)
    results = ReportRowSerializer(many=True)


class WindowFrameSerializer(serializers.Serializer):
    """`subscribe` frame fields (the socket validates with this too)."""

    game = serializers.CharField(max_length=64)
    period = serializers.ChoiceField(choices=PERIODS, default="all")
    # Ranks past any real board are refused here: Redis takes 64-bit indexes only, and a
    # refused index must not look like Redis being down (found by WebSocket fuzzing).
    start = StrictIntegerField(min_value=0, max_value=MAX_RANK, default=0)
    end = StrictIntegerField(min_value=0, max_value=MAX_RANK, default=9)
    squad = serializers.BooleanField(
        default=False, help_text="Me and everyone I have shared a session with, ranked among us (start/end unused)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"] or attrs["end"] - attrs["start"] + 1 > MAX_WINDOW:
            raise serializers.ValidationError(f"Need start <= end and at most {MAX_WINDOW} rows.")
        return attrs


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class SuspensionCreateSerializer(serializers.Serializer):
    user = StrictIntegerField(min_value=1, help_text="The player's user id.")
    until = serializers.DateTimeField(help_text="When the suspension ends (ISO 8601; naive means UTC).")
    reason = serializers.CharField(max_length=500)


class SuspensionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    player = serializers.CharField(source="user.username")
    game = serializers.SlugField(source="game.slug")
    until = serializers.DateTimeField()
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class ScoreRowResultSerializer(serializers.Serializer):
    """One row's answer in a score batch (game servers) or a session's results (organizers)."""

    index = serializers.IntegerField(help_text="The row's place in `scores` (0-based).")
    status = serializers.ChoiceField(choices=["created", "rejected"])
    code = serializers.CharField(required=False, help_text="Rejected rows: why (docs/leaderboard.md lists the codes).")
    detail = serializers.CharField(required=False, help_text="Rejected rows: the reason in words.")
    id = serializers.IntegerField(required=False, help_text="Created rows: the stored score.")
    best = serializers.IntegerField(required=False, allow_null=True, help_text="Created rows: the player's best.")
    rank = serializers.IntegerField(
        required=False, allow_null=True, help_text="Created rows: the player's rank on the game's all-time board."
    )


class ScoreRowResultsSerializer(serializers.Serializer):
    results = ScoreRowResultSerializer(many=True)
