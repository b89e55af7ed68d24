"""Notification API (SPEC §2 "Notifications"): my list and read marks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error
from gamers import notification_serializers as s
from gamers.models import Notification
from gamers.notification_selectors import notification_list
from gamers.services import notifications_mark_read

_UNAUTHENTICATED = {401: error("Missing, invalid or expired token.")}


class MyNotificationsApi(ListAPIView):
    """GET /me/notifications: my notifications, newest first (`?unread=true`: only unread)."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[s.NotificationListQuerySerializer],
        responses={200: s.NotificationSerializer(many=True), **_UNAUTHENTICATED},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Notification]:
        query = s.NotificationListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return notification_list(user=self.request.user, unread=query.validated_data["unread"])  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer


class MyNotificationsReadApi(APIView):
    """POST /me/notifications/read: mark some (`ids`) or all (`all`) of my notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.NotificationReadSerializer,
        responses={200: s.NotificationReadResultSerializer, **_UNAUTHENTICATED},
        description='`{"ids": [...]}` (at most 500) or `{"all": true}`; ids of other accounts are ignored. '
        "400 when neither or both are given.",
    )
    def post(self, request: Request) -> Response:
        data = s.NotificationReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = notifications_mark_read(
            user=request.user,  # type: ignore[arg-type]  # signed in (the view's permissions): a Gamer
            ids=data.validated_data.get("ids"),
            all=data.validated_data["all"],
        )
        return Response({"updated": updated})
