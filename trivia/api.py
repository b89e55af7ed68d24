"""Trivia REST API (SPEC §5). Views parse input, call one service or selector, shape output."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import PublicApiView
from common.errors import NotFound
from common.permissions import require
from common.roles import Cap
from common.schema import ERRORS_AUTH
from trivia import presence, selectors, services
from trivia import serializers as s


class LeaderboardApi(ListAPIView):
    """GET /trivia/leaderboard: every gamer by coins, with `playing` = connected right now."""

    serializer_class = s.LeaderboardRowSerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return selectors.leaderboard()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        playing = presence.playing(gamer.pk for gamer in page)
        data = self.get_serializer(page, many=True, context={"playing": playing, "request": request}).data
        return self.get_paginated_response(data)


class RoundCurrentApi(APIView):
    """GET /trivia/rounds/current: what a WELCOME carries, minus the player-specific fields."""

    @extend_schema(responses={200: s.RoundCurrentSerializer})
    def get(self, request: Request) -> Response:
        return Response(selectors.round_state().public())


def _in_play() -> dict[str, Any]:
    """The serializer context that hides the answer of the entry being played (SPEC §2)."""
    return {"in_play": selectors.entry_ids_in_play()}


class EntryListApi(ListAPIView):
    permission_classes = [require(Cap.TRIVIA_ENTRIES)]
    serializer_class = s.EntrySerializer  # the answer of the entry in play: selectors.entry_list's annotation
    filter_backends: list = []

    @extend_schema(
        parameters=[s.EntryListQuerySerializer], responses={200: s.EntrySerializer(many=True), **ERRORS_AUTH}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = s.EntryListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.entry_list(search=query.validated_data.get("search"), banned=query.validated_data["banned"])

    @extend_schema(request=s.EntryCreateSerializer, responses={201: s.EntrySerializer, **ERRORS_AUTH})
    def post(self, request: Request) -> Response:
        data = s.EntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_create(**data.validated_data)
        return Response(s.EntrySerializer(entry, context=_in_play()).data, status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    permission_classes = [require(Cap.TRIVIA_ENTRIES)]

    @extend_schema(responses={200: s.EntrySerializer, **ERRORS_AUTH})
    def get(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_get(pk)
        if entry is None:
            raise NotFound("No entry with that id.")
        return Response(s.EntrySerializer(entry).data)

    @extend_schema(request=s.EntryUpdateSerializer, responses={200: s.EntrySerializer, **ERRORS_AUTH})
    def patch(self, request: Request, pk: int) -> Response:
        data = s.EntryUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        entry = services.entry_update(actor=request.user, entry_id=pk, **data.validated_data)
        return Response(s.EntrySerializer(entry, context=_in_play()).data)

    @extend_schema(responses={204: None, **ERRORS_AUTH})
    def delete(self, request: Request, pk: int) -> Response:
        services.entry_delete(entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportListApi(ListAPIView):
    """GET /trivia/reports: reported entries, newest report first (not the one being played)."""

    permission_classes = [require(Cap.TRIVIA_REPORTS)]
    serializer_class = s.ReportSerializer
    filter_backends: list = []

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_in_play()}

    @extend_schema(
        parameters=[s.ReportListQuerySerializer], responses={200: s.ReportSerializer(many=True), **ERRORS_AUTH}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = s.ReportListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.report_list(banned=query.validated_data["banned"])


class _ReportActionApi(APIView):
    permission_classes = [require(Cap.TRIVIA_REPORTS)]
    service: Any = None

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DetailSerializer, **ERRORS_AUTH})
    def post(self, request: Request, pk: int) -> Response:
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        detail = type(self).service(actor=request.user, report_id=pk, reason=data.validated_data["reason"])
        return Response({"detail": detail})


class ReportBanApi(_ReportActionApi):
    """Ban the reported entry: it is never played again."""

    service = staticmethod(services.report_ban)


class ReportUnbanApi(_ReportActionApi):
    service = staticmethod(services.report_unban)


class ReportDismissApi(_ReportActionApi):
    """Dismiss (delete) the report."""

    service = staticmethod(services.report_dismiss)


class SystemInfoApi(PublicApiView):
    @extend_schema(responses={200: s.SystemInfoSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(
            {
                "server_version": settings.SERVER_VERSION,
                "min_app_version_code": settings.MIN_APP_VERSION_CODE,
                "latest_app_version_code": settings.LATEST_APP_VERSION_CODE,
                "trivia_running": selectors.trivia_running(),
            }
        )


class DisconnectEveryoneApi(APIView):
    """Close every trivia socket on every web process (admins; audited)."""

    permission_classes = [require(Cap.SYSTEM_ADMIN)]

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DetailSerializer, **ERRORS_AUTH})
    def post(self, request: Request) -> Response:
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clients = services.disconnect_everyone(actor=request.user, reason=data.validated_data["reason"])
        noun = "client" if clients == 1 else "clients"
        return Response({"detail": f"Sent the disconnect signal to {clients} {noun}"})
