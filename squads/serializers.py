from __future__ import annotations

from rest_framework import serializers

from leaderboard.serializers import BoardRowSerializer


class SquadRowSerializer(BoardRowSerializer):
    rank = serializers.IntegerField(help_text="Rank within the squad (1 = best), by the board's rule.")
    board_rank = serializers.IntegerField(help_text="Rank on the whole board.")


class SquadSerializer(serializers.Serializer):
    results = SquadRowSerializer(many=True)
