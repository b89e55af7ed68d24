from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditLog
from common.permissions import require
from common.roles import Cap
from common.schema import ERRORS_AUTH, error
from moderation.models import Report
from moderation.selectors import audit_log_list, report_list
from moderation.serializers import (
    AuditLogQuerySerializer,
    AuditLogSerializer,
    ModerationReportQuerySerializer,
    ModerationReportSerializer,
    ReportActionSerializer,
    ReportCreateSerializer,
    ReportReasonSerializer,
    ReportReceiptSerializer,
)
from moderation.services import report_ban, report_create, report_dismiss, report_unban


class AuditLogListApi(ListAPIView):
    """GET /moderation/log: every moderation action, newest first (moderator, admin)."""

    permission_classes = [require(Cap.MODERATION_LOG)]
    serializer_class = AuditLogSerializer
    filter_backends: list = []

    @extend_schema(parameters=[AuditLogQuerySerializer], responses={200: AuditLogSerializer(many=True), **ERRORS_AUTH})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditLog]:
        query = AuditLogQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_log_list(
            actor_id=query.validated_data.get("actor"),
            action=query.validated_data.get("action"),
            since=query.validated_data.get("since"),
            until=query.validated_data.get("until"),
        )


class ReportCreateApi(APIView):
    """POST /reports/: report a session, a review or a gamer (signed in). 201 the first time,
    200 when you had reported it already (counted once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReportCreateSerializer,
        responses={
            201: ReportReceiptSerializer,
            200: OpenApiResponse(ReportReceiptSerializer, description="Reported already: counted once."),
            400: error("Another target_type (field error), or `cannot_report_self`."),
            401: ERRORS_AUTH[401],
            404: error("No such session, review or gamer."),
        },
    )
    def post(self, request: Request) -> Response:
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = report_create(user=request.user, **data.validated_data)
        return Response(ReportReceiptSerializer(result).data, status=201 if result.counted else 200)


class ModerationReportListApi(ListAPIView):
    """GET /moderation/reports: user reports, most recently reported first (moderator, admin)."""

    permission_classes = [require(Cap.USER_REPORTS)]
    serializer_class = ModerationReportSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[ModerationReportQuerySerializer],
        responses={200: ModerationReportSerializer(many=True), **ERRORS_AUTH},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Report]:
        query = ModerationReportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return report_list(
            target_type=query.validated_data.get("target_type"), status=query.validated_data.get("status")
        )


class _ReportActionApi(APIView):
    permission_classes = [require(Cap.USER_REPORTS)]
    service: Any = None

    @extend_schema(
        request=ReportReasonSerializer,
        responses={
            200: ReportActionSerializer,
            **ERRORS_AUTH,
            404: error("No report with that id."),
            409: error("`report_closed`, `target_gone` or `cannot_unban`."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReportReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        detail = type(self).service(actor=request.user, report_id=pk, reason=data.validated_data["reason"])
        return Response({"detail": detail})


class ModerationReportBanApi(_ReportActionApi):
    """Delete the reported session or review, or deactivate the reported gamer (audited)."""

    service = staticmethod(report_ban)


class ModerationReportUnbanApi(_ReportActionApi):
    """Reactivate the gamer of a banned report (audited)."""

    service = staticmethod(report_unban)


class ModerationReportDismissApi(_ReportActionApi):
    """Close the report without acting (audited)."""

    service = staticmethod(report_dismiss)
