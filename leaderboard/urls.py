from django.urls import path

from leaderboard import api

urlpatterns = [
    path("leaderboard/games", api.GameListApi.as_view(), name="leaderboard-games"),
    path("leaderboard/scores", api.ScoreSubmitApi.as_view(), name="leaderboard-scores"),
    path("leaderboard/reports", api.ReportApi.as_view(), name="leaderboard-reports"),
    # Moderating the boards (sanctions.py)
    path("leaderboard/scores/<int:score_id>", api.ScoreVoidApi.as_view(), name="leaderboard-score-void"),
    path("leaderboard/suspensions/<int:suspension_id>", api.SuspensionApi.as_view(), name="leaderboard-suspension"),
    path("leaderboard/<str:board>", api.BoardApi.as_view(), name="leaderboard-board"),
    path("leaderboard/<str:board>/me", api.BoardMeApi.as_view(), name="leaderboard-me"),
    path("leaderboard/<str:board>/suspensions", api.SuspensionsApi.as_view(), name="leaderboard-suspensions"),
    path("leaderboard/<str:board>/around-me", api.BoardAroundApi.as_view(), name="leaderboard-around-me"),
]
