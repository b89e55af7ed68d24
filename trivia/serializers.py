"""Input and output shapes of the trivia REST API (SPEC §5)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from gamers.models import Gamer
from trivia.models import Entry, EntryReport


class LeaderboardRowSerializer(serializers.ModelSerializer):
    """Expects `playing` (a set of connected user ids) in the context."""

    playing = serializers.SerializerMethodField()

    class Meta:
        model = Gamer
        fields = ["id", "username", "role", "coins", "last_seen", "joined", "playing"]

    def get_playing(self, obj: Gamer) -> bool:
        return obj.pk in self.context.get("playing", set())


class RoundAttemptSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    message = serializers.CharField()
    correct = serializers.BooleanField()


class RoundCurrentSerializer(serializers.Serializer):
    game_state = serializers.ChoiceField(choices=[0, 1, 2], help_text="0 none, 1 split (playing), 2 transition.")
    entry_id = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    clue = serializers.CharField(allow_null=True)
    answer = serializers.CharField(allow_null=True, help_text="Masked in state 1, in full in state 2.")
    current_value = serializers.IntegerField(allow_null=True)
    elapsed_split_seconds = serializers.FloatField(allow_null=True)
    total_split_seconds = serializers.FloatField(allow_null=True)
    split_ends_at = serializers.DateTimeField(
        allow_null=True, help_text="State 1: when the current split ends. State 2: when the next round starts."
    )
    players = serializers.IntegerField()
    attempts = RoundAttemptSerializer(many=True)


class _AnswerHiddenInPlay(serializers.ModelSerializer):
    """An entry whose answer is `null` while it is being played (SPEC §2). Decided by the
    entry's `in_play` annotation (`trivia.selectors.with_in_play`, list pages) or else by the
    `in_play` ids in the context (`trivia.selectors.entry_ids_in_play`); with neither, the
    answer is hidden rather than leaked."""

    answer = serializers.CharField(allow_null=True, read_only=True, help_text="`null` while the entry is being played.")

    def to_representation(self, instance: Entry) -> dict[str, Any]:
        data = super().to_representation(instance)
        hidden = getattr(instance, "in_play", None)
        if hidden is None:
            ids = self.context.get("in_play")
            hidden = ids is None or instance.pk in ids
        if hidden:
            data["answer"] = None
        return data


class EntrySerializer(_AnswerHiddenInPlay):
    class Meta:
        model = Entry
        fields = ["id", "category", "clue", "answer", "value", "banned"]


class EntryCreateSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=100)
    clue = serializers.CharField(max_length=1000)
    answer = serializers.CharField(max_length=200)
    value = serializers.IntegerField(min_value=10, max_value=100, help_text="10 to 100 in steps of 10.")
    banned = serializers.BooleanField(required=False, default=False)


class EntryUpdateSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=100, required=False)
    clue = serializers.CharField(max_length=1000, required=False)
    answer = serializers.CharField(max_length=200, required=False)
    value = serializers.IntegerField(min_value=10, max_value=100, required=False)
    banned = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, write_only=True)


class EntryListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=100)
    banned = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReportListQuerySerializer(serializers.Serializer):
    banned = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReportEntrySerializer(_AnswerHiddenInPlay):
    class Meta:
        model = Entry
        fields = ["id", "category", "clue", "answer"]


class ReporterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


@extend_schema_serializer(component_name="EntryReport")
class ReportSerializer(serializers.ModelSerializer):
    """Expects the `report_count` annotation and prefetched `votes__gamer` (report_list)."""

    entry = ReportEntrySerializer()
    reporters = serializers.SerializerMethodField()
    report_count = serializers.IntegerField()
    banned = serializers.BooleanField(source="entry.banned")

    class Meta:
        model = EntryReport
        fields = ["id", "entry", "reporters", "report_count", "banned", "last_reported"]

    @extend_schema_field(ReporterSerializer(many=True))
    def get_reporters(self, obj: EntryReport) -> list[dict[str, Any]]:
        return [{"id": vote.gamer_id, "username": vote.gamer.username} for vote in obj.votes.all()]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SystemInfoSerializer(serializers.Serializer):
    server_version = serializers.CharField()
    min_app_version_code = serializers.IntegerField()
    latest_app_version_code = serializers.IntegerField()
    trivia_running = serializers.BooleanField()
