from rest_framework import serializers


class CalendarKeySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The feed's secret; shown this once, only its hash is kept.")
    url = serializers.URLField(help_text="The feed's absolute address, key included: paste it into a calendar app.")


class CalendarFeedQuerySerializer(serializers.Serializer):
    key = serializers.CharField(required=True, allow_blank=True, help_text="The key from POST /me/calendar/key.")
