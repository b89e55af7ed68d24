from django.urls import path

from moderation import api

urlpatterns = [
    path("moderation/log", api.AuditLogListApi.as_view(), name="moderation-log"),
    path("reports", api.ReportCreateApi.as_view(), name="report-create"),
    path("moderation/reports", api.ModerationReportListApi.as_view(), name="moderation-report-list"),
    path("moderation/reports/<id:pk>/ban", api.ModerationReportBanApi.as_view(), name="moderation-report-ban"),
    path("moderation/reports/<id:pk>/unban", api.ModerationReportUnbanApi.as_view(), name="moderation-report-unban"),
    path(
        "moderation/reports/<id:pk>/dismiss", api.ModerationReportDismissApi.as_view(), name="moderation-report-dismiss"
    ),
]
