from django.urls import path

from common.fastpath import fast_view
from leaderboard import api

urlpatterns = [
    path("leaderboard/games", api.GameListApi.as_view(), name="leaderboard-games"),
    path("leaderboard/scores", fast_view(api.ScoreSubmitApi, edge=True), name="leaderboard-scores"),
    path("leaderboard/reports", api.ReportApi.as_view(), name="leaderboard-reports"),
    path("leaderboard/<str:board>", fast_view(api.BoardApi, read_only=True), name="leaderboard-board"),
    path("leaderboard/<str:board>/me", fast_view(api.BoardMeApi, read_only=True), name="leaderboard-me"),
    path(
        "leaderboard/<str:board>/around-me", fast_view(api.BoardAroundApi, read_only=True), name="leaderboard-around-me"
    ),
]
