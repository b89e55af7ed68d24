"""The squad board (SPEC §6 "Squad board", issue 17 item 5): me and everyone I have shared a
session with, ranked on a leaderboard board by its own rule.

It joins two domain apps that sit side by side in the layers (common/tests/test_layers.py):
`sessions_app` knows who attended what, `leaderboard` knows the boards, and neither may import
the other. So this read side lives one layer up, like `calendars` over sessions and events: it
asks `sessions_app` for the squad's ids (one bounded query) and `leaderboard` for those ids' rows
(one Redis script). See docs/leaderboard.md, "Squad board".
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import InvalidInput
from common.pagination import PageNumberPagination
from common.schema import error
from leaderboard import selectors as boards
from leaderboard import serializers as lb
from leaderboard.api import BOARD_PARAM, PERIOD_PARAM, UNAVAILABLE, UNKNOWN_BOARD
from leaderboard.games import board_name, game_catalog
from squads import results
from squads.members import squad_of
from squads.serializers import (
    PendingScoreSerializer,
    ResultsInSerializer,
    SquadSerializer,
)


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


# --- session results and confirmations (issue 17, helper "results") ---


class SessionResultsApi(APIView):
    """The organizer posts a started session's results: verified scores for its attendees."""

    @extend_schema(
        request=ResultsInSerializer,
        responses={
            200: lb.ScoreRowResultsSerializer,
            400: error("Validation errors, `too_many_rows` (over 500), `unknown_game`."),
            403: error("`not_organizer`."),
            404: error("`not_found`."),
            409: error("`not_started`."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        scores = request.data.get("scores") if isinstance(request.data, dict) else None
        if isinstance(scores, list) and len(scores) > results.MAX_ROWS:
            raise InvalidInput(
                gettext("At most %(MAX_ROWS)s rows per post.") % {"MAX_ROWS": results.MAX_ROWS}, code="too_many_rows"
            )
        data = ResultsInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = results.results_post(actor=request.user, session_id=pk, **data.validated_data)
        return Response({"results": [row.as_dict() for row in rows]})


class ScoreConfirmApi(APIView):
    """Confirm a pending score: it ranks at once (moderators, or the organizer of a started
    session the player attended)."""

    @extend_schema(
        request=None,
        responses={
            200: lb.SubmissionSerializer,
            403: error("`not_allowed`, `suspended`."),
            404: error("`not_found`."),
            409: error("`not_pending`."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return Response(results.confirm(score_id=pk, by=request.user).as_dict())


class PendingScoresApi(APIView):
    """Pending scores I may confirm, oldest first (moderators: all; organizers: their attendees';
    anyone else: an empty list)."""

    pagination_class = PageNumberPagination

    @extend_schema(responses={200: PendingScoreSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(results.pending_for(request.user), request, view=self)
        return paginator.get_paginated_response(results.pending_rows(request.user, list(page or [])))
