"""Season archives (SPEC §6 "Seasons"): public like the boards. Views parse input, call the
selectors of leaderboard.seasons and shape the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PublicApiView
from common.pagination import PageNumberPagination
from common.schema import error
from leaderboard import seasons
from leaderboard.games import board_name, game_catalog

BOARD_PARAM = OpenApiParameter(
    "board", OpenApiTypes.STR, OpenApiParameter.PATH, description="A game slug, or `all` (each player's bests summed)."
)


class SeasonRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField(allow_null=True, help_text="null: the account was deleted since.")
    player = serializers.CharField(allow_null=True, help_text="The name when the season was archived.")
    score = serializers.IntegerField()
    date = serializers.DateTimeField(help_text="When the player reached this score (first time).")


class SeasonSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="`d2026-12-06`, `w2026-W49` or `m2026-11`.")
    starts = serializers.DateTimeField()
    ends = serializers.DateTimeField(help_text="Exclusive.")
    players = serializers.IntegerField(help_text="Players on the board (rows beyond the kept ones included).")
    winners = SeasonRowSerializer(many=True, help_text="The top three.")


class SeasonListApi(PublicApiView):
    """A board's archived days, weeks or months, newest first, with their top three."""

    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="leaderboard_seasons_list",
        parameters=[
            BOARD_PARAM,
            OpenApiParameter("period", OpenApiTypes.STR, enum=list(seasons.KINDS), description="Default `week`."),
        ],
        responses={
            200: SeasonSerializer(many=True),
            400: error("`invalid_period`."),
            404: error("`unknown_game`, or `not_found` (a page past the end)."),
        },
        auth=[],
    )
    def get(self, request: Request, board: str) -> Response:
        board = board_name(game_catalog(), board)
        period = seasons.check_season_period(request.query_params.get("period", "week"))
        paginator = self.pagination_class()
        page: list[Any] = paginator.paginate_queryset(seasons.season_list(board=board, period=period), request, self)  # type: ignore[assignment]  # a queryset always gives a page
        return paginator.get_paginated_response(seasons.season_summaries(page))


class SeasonBoardApi(PublicApiView):
    """An archived board: its final rows in rank order."""

    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="leaderboard_season_board",
        parameters=[
            BOARD_PARAM,
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. `w2026-W49`."),
        ],
        responses={
            200: SeasonRowSerializer(many=True),
            404: error("`unknown_game`, `no_season`, or `not_found` (a page past the end)."),
        },
        auth=[],
    )
    def get(self, request: Request, board: str, key: str) -> Response:
        board = board_name(game_catalog(), board)
        season = seasons.season_get(board=board, key=key)
        paginator = self.pagination_class()
        page: list[Any] = paginator.paginate_queryset(seasons.season_entries(season), request, self)  # type: ignore[assignment]  # a queryset always gives a page
        return paginator.get_paginated_response([seasons.season_row(entry) for entry in page])
