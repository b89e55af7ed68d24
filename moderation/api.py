from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditLog
from common.permissions import require
from common.roles import Cap
from common.schema import ERRORS_AUTH
from moderation.selectors import audit_log_list
from moderation.serializers import AuditLogQuerySerializer, AuditLogSerializer


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
