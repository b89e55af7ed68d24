from django.urls import path

from trivia import api

urlpatterns = [
    path("trivia/leaderboard", api.LeaderboardApi.as_view(), name="trivia-leaderboard"),
    path("trivia/rounds/current", api.RoundCurrentApi.as_view(), name="trivia-round-current"),
    path("trivia/entries", api.EntryListApi.as_view(), name="trivia-entry-list"),
    path("trivia/entries/<int:pk>", api.EntryDetailApi.as_view(), name="trivia-entry-detail"),
    path("trivia/reports", api.ReportListApi.as_view(), name="trivia-report-list"),
    path("trivia/reports/<int:pk>/ban", api.ReportBanApi.as_view(), name="trivia-report-ban"),
    path("trivia/reports/<int:pk>/unban", api.ReportUnbanApi.as_view(), name="trivia-report-unban"),
    path("trivia/reports/<int:pk>/dismiss", api.ReportDismissApi.as_view(), name="trivia-report-dismiss"),
    path("system/info", api.SystemInfoApi.as_view(), name="system-info"),
    path("system/disconnect-everyone", api.DisconnectEveryoneApi.as_view(), name="system-disconnect-everyone"),
]
