"""Leaderboard API (SPEC §6). Views parse input, call one service or selector, shape output."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import PublicApiView
from common.errors import NotFound
from common.pagination import PageNumberPagination
from common.permissions import require
from common.roles import Cap
from common.schema import error
from leaderboard import sanctions, selectors
from leaderboard import serializers as s
from leaderboard.games import board_name, game_catalog
from leaderboard.models import Suspension
from leaderboard.services import score_submit

BOARD_PARAM = OpenApiParameter(
    "board", OpenApiTypes.STR, OpenApiParameter.PATH, description="A game slug, or `all` (each player's best summed)."
)
PERIOD_PARAM = OpenApiParameter(
    "period", OpenApiTypes.STR, enum=["all", "month", "week", "day"], description="UTC periods; default `all`."
)
UNAVAILABLE = error("`leaderboard_unavailable`: Redis is down.")
UNKNOWN_BOARD = error("`unknown_game`.")
# Redis ranges take signed 64-bit indexes; a page beyond them is past any board.
_MAX_REDIS_INDEX = 2**63 - 1


def _expected_slice(paginator: PageNumberPagination, request: Request) -> slice | None:
    """The rows the paginator will ask for, when the page number is a plain positive integer."""
    size = paginator.get_page_size(request) or paginator.page_size
    raw = request.query_params.get(paginator.page_query_param, "1")
    if not raw.isdigit() or int(raw) < 1:
        return None
    start = (int(raw) - 1) * size
    if start + size > _MAX_REDIS_INDEX:
        return None  # the paginator counts the board and answers 404 for the page
    return slice(start, start + size)


def _period(request: Request) -> str:
    query = s.PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["period"]


class GameListApi(PublicApiView):
    """The games that have boards, with the highest score each accepts."""

    @extend_schema(responses={200: s.GameSerializer(many=True)}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(selectors.game_list())


class ScoreSubmitApi(APIView):
    """Submit a score: stored for good, then applied to the live boards (only improvements count)."""

    @extend_schema(
        request=s.ScoreSubmitSerializer,
        responses={
            201: s.SubmissionSerializer,
            400: error("Validation errors, or `unknown_game`, `score_out_of_range`."),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ScoreSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = score_submit(user=request.user, **data.validated_data)
        return Response(submission.as_dict(), status=status.HTTP_201_CREATED)


class BoardApi(PublicApiView):
    """A board page: players by score (a game's best, or `all`: bests summed), ties to who got there first."""

    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[BOARD_PARAM, PERIOD_PARAM],
        responses={200: s.BoardRowSerializer(many=True), 404: UNKNOWN_BOARD, 503: UNAVAILABLE},
        auth=[],
    )
    def get(self, request: Request, board: str) -> Response:
        board = board_name(game_catalog(), board)
        paginator = self.pagination_class()
        board_page = selectors.BoardPage(board, _period(request), expect=_expected_slice(paginator, request))
        # A BoardPage is not a QuerySet, but it is what Django's Paginator uses: count() and slices.
        rows: list[Any] | None = paginator.paginate_queryset(board_page, request, view=self)  # type: ignore[arg-type]  # the stubs want a QuerySet
        return paginator.get_paginated_response(rows)


class BoardMeApi(APIView):
    """My row on a board."""

    @extend_schema(
        parameters=[BOARD_PARAM, PERIOD_PARAM],
        responses={
            200: s.BoardRowSerializer,
            404: error("`unknown_game`, or `no_score` in that period."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, board: str) -> Response:
        board = board_name(game_catalog(), board)
        row = selectors.board_me(game=board, period=_period(request), user_id=request.user.pk)  # type: ignore[arg-type]  # IsAuthenticated (the default): a signed-in Gamer
        if row is None:
            raise NotFound(gettext("You have no score on this board for that period."), code="no_score")
        return Response(row)


class BoardAroundApi(APIView):
    """The players just above and below me on a board."""

    @extend_schema(
        parameters=[
            BOARD_PARAM,
            PERIOD_PARAM,
            OpenApiParameter("radius", int, description="Rows above and below mine, 0 to 50; default 5."),
        ],
        responses={
            200: s.AroundSerializer,
            404: error("`unknown_game`, or `no_score` in that period."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, board: str) -> Response:
        board = board_name(game_catalog(), board)
        query = s.AroundQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.board_around(game=board, user_id=request.user.pk, **query.validated_data)  # type: ignore[arg-type]  # IsAuthenticated (the default): a signed-in Gamer
        if rows is None:
            raise NotFound(gettext("You have no score on this board for that period."), code="no_score")
        return Response({"results": rows})


class ReportApi(APIView):
    """Top players over a date range, from the score history (not the live boards)."""

    @extend_schema(parameters=[s.ReportQuerySerializer], responses={200: s.ReportSerializer})
    def get(self, request: Request) -> Response:
        query = s.ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.report_top(**query.validated_data)
        return Response(s.ReportSerializer(report).data)


class ScoreVoidApi(APIView):
    """Void a score (moderators; audited): it stays in the history but leaves every board and
    report at once, and the player's best becomes their next best."""

    permission_classes = [require(Cap.SCORES_MODERATE)]

    @extend_schema(
        request=s.VoidSerializer,
        responses={204: None, 404: error("`score_not_found`."), 409: error("`already_void`.")},
    )
    def delete(self, request: Request, score_id: int) -> Response:
        data = s.VoidSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        sanctions.score_void(score_id=score_id, by=request.user, reason=data.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SuspensionsApi(APIView):
    """Suspensions from a game's boards (moderators; audited): the player's scores are refused on
    every write path until `until`. GET lists the ones in force, newest first."""

    permission_classes = [require(Cap.SCORES_MODERATE)]
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: s.SuspensionSerializer(many=True), 404: UNKNOWN_BOARD})
    def get(self, request: Request, board: str) -> Response:
        info = game_catalog().by_slug.get(board)
        if info is None:
            raise NotFound(gettext("Unknown game %(board)s.") % {"board": repr(board)}, code="unknown_game")
        rows = Suspension.objects.filter(game_id=info.id, until__gt=timezone.now()).select_related(
            "user", "game", "created_by"
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(s.SuspensionSerializer(page, many=True).data)

    @extend_schema(
        request=s.SuspensionCreateSerializer,
        responses={
            201: s.SuspensionSerializer,
            400: error("`unknown_player`, `until_in_past`, validation errors."),
            404: UNKNOWN_BOARD,
        },
    )
    def post(self, request: Request, board: str) -> Response:
        if board not in game_catalog().by_slug:
            raise NotFound(gettext("Unknown game %(board)s.") % {"board": repr(board)}, code="unknown_game")
        data = s.SuspensionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        suspension = sanctions.suspension_create(
            game=board,
            user_id=data.validated_data["user"],
            until=data.validated_data["until"],
            reason=data.validated_data["reason"],
            by=request.user,
        )
        suspension = Suspension.objects.select_related("user", "game", "created_by").get(pk=suspension.pk)
        return Response(s.SuspensionSerializer(suspension).data, status=status.HTTP_201_CREATED)


class SuspensionApi(APIView):
    """Lift a suspension now (moderators; audited)."""

    permission_classes = [require(Cap.SCORES_MODERATE)]

    @extend_schema(responses={204: None, 404: error("`suspension_not_found`.")})
    def delete(self, request: Request, suspension_id: int) -> Response:
        sanctions.suspension_lift(suspension_id=suspension_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
