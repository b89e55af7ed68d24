"""Input and output shapes of the notification API (SPEC §2 "Notifications")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.converters import BIGINT_MAX
from gamers.models import Notification
from gamers.services.notifications import MARK_READ_IDS_MAX


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True, help_text="True once marked read.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read"]
        read_only_fields = fields


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only unread; false: only read."
    )


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        max_length=MARK_READ_IDS_MAX,
        help_text=f"Notification ids to mark read (at most {MARK_READ_IDS_MAX}); other accounts' ids are ignored.",
    )
    all = serializers.BooleanField(required=False, default=False, help_text="true: mark every notification read.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("ids" in attrs) == attrs["all"]:
            raise serializers.ValidationError('Give either "ids" or "all": true, not both.', code="invalid")
        return attrs


class NotificationReadResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many unread notifications were marked read.")
