from rest_framework import serializers

from audit.models import AuditLog


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
