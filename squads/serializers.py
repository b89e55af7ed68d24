from __future__ import annotations

from rest_framework import serializers

from leaderboard.serializers import BoardRowSerializer


class SquadRowSerializer(BoardRowSerializer):
    rank = serializers.IntegerField(help_text="Rank within the squad (1 = best), by the board's rule.")
    board_rank = serializers.IntegerField(help_text="Rank on the whole board.")


class SquadSerializer(serializers.Serializer):
    results = SquadRowSerializer(many=True)


# --- session results and confirmations (issue 17, helper "results") ---


class ResultRowInSerializer(serializers.Serializer):
    player = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The attendee's user id.")
    score = serializers.JSONField(help_text="A whole number from 0 to the game's max_score (checked per row).")


class ResultsInSerializer(serializers.Serializer):
    game = serializers.CharField(max_length=64, help_text="A game slug from /leaderboard/games.")
    scores = ResultRowInSerializer(many=True, allow_empty=False, help_text="Up to 500 rows.")


class PendingScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    game = serializers.SlugField()
    player = serializers.CharField()
    user_id = serializers.IntegerField()
    score = serializers.IntegerField()
    achieved_at = serializers.DateTimeField()
    sessions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Started sessions you organized that this player attended."
    )
