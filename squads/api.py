"""The squad board (SPEC §6 "Squad board", issue 17 item 5): me and everyone I have shared a
session with, ranked on a leaderboard board by its own rule.

It joins two domain apps that sit side by side in the layers (common/tests/test_layers.py):
`sessions_app` knows who attended what, `leaderboard` knows the boards, and neither may import
the other. So this read side lives one layer up, like `calendars` over sessions and events: it
asks `sessions_app` for the squad's ids (one bounded query) and `leaderboard` for those ids' rows
(one Redis script). See docs/leaderboard.md, "Squad board".
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error
from leaderboard import selectors as boards
from leaderboard import serializers as lb
from leaderboard.api import BOARD_PARAM, PERIOD_PARAM, UNAVAILABLE, UNKNOWN_BOARD
from leaderboard.games import board_name, game_catalog
from squads.members import squad_of
from squads.serializers import SquadSerializer


class SquadBoardApi(APIView):
    """Me and everyone I have shared a session with (at most 500, the most recent), ranked among
    ourselves on a board by its rule; players without a score there are left out."""

    @extend_schema(
        parameters=[BOARD_PARAM, PERIOD_PARAM],
        responses={
            200: SquadSerializer,
            400: error("`period` is not one of all, month, week, day."),
            404: UNKNOWN_BOARD,
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, board: str) -> Response:
        board = board_name(game_catalog(), board)
        query = lb.PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        members = squad_of(request.user.pk)  # type: ignore[arg-type]  # IsAuthenticated (the default): a signed-in Gamer
        rows = boards.board_squad(game=board, period=query.validated_data["period"], user_ids=members)
        return Response({"results": rows})
