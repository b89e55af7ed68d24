from django.urls import path

from moderation.api import AuditLogListApi

urlpatterns = [path("moderation/log", AuditLogListApi.as_view(), name="moderation-log")]
