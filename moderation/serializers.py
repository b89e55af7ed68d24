from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditLog
from moderation.models import Report, ReportVote, TargetType


class AuditLogSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = ["id", "actor", "action", "target_type", "target_id", "reason", "at"]

    def get_actor(self, obj: AuditLog) -> dict | None:
        return {"id": obj.actor_id, "username": obj.actor.username if obj.actor else obj.actor_name}


class AuditLogQuerySerializer(serializers.Serializer):
    actor = serializers.IntegerField(required=False, min_value=1)
    action = serializers.ChoiceField(choices=AuditLog.Action.choices, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


# --- user reports of sessions, reviews and gamers -----------------------------------------------


class ReportCreateSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportReceiptSerializer(serializers.Serializer):
    """What the reporter learns: the report it joined, and whether this call counted."""

    id = serializers.IntegerField(source="report.pk")
    target_type = serializers.CharField(source="report.target_type")
    target_id = serializers.IntegerField(source="report.target_id")
    counted = serializers.BooleanField(help_text="False when you had reported this target already.")


class ReportVoteSerializer(serializers.ModelSerializer):
    reporter = serializers.SerializerMethodField()

    class Meta:
        model = ReportVote
        fields = ["reporter", "reason", "reported_at"]

    def get_reporter(self, obj: ReportVote) -> dict:
        return {"id": obj.reporter_id, "username": obj.reporter.username}


class ModerationReportSerializer(serializers.ModelSerializer):
    closed_by = serializers.SerializerMethodField()
    recent_reporters = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "target_type",
            "target_id",
            "target_label",
            "status",
            "report_count",
            "created_at",
            "last_reported",
            "closed_at",
            "closed_by",
            "outcome",
            "recent_reporters",
        ]

    def get_closed_by(self, obj: Report) -> dict | None:
        if obj.closed_by is None:
            return None
        return {"id": obj.closed_by.pk, "username": obj.closed_by.username}

    @extend_schema_field(ReportVoteSerializer(many=True))
    def get_recent_reporters(self, obj: Report) -> list[dict]:
        return ReportVoteSerializer(getattr(obj, "recent_votes", []), many=True).data  # type: ignore[return-value]


class ModerationReportQuerySerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False)
    status = serializers.ChoiceField(choices=Report.Status.choices, required=False)


class ReportReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportActionSerializer(serializers.Serializer):
    detail = serializers.CharField()
