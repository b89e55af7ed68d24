from django.urls import path

from leaderboard import api, seasons_api

urlpatterns = [
    path("leaderboard/games", api.GameListApi.as_view(), name="leaderboard-games"),
    path("leaderboard/scores", api.ScoreSubmitApi.as_view(), name="leaderboard-scores"),
    path("leaderboard/reports", api.ReportApi.as_view(), name="leaderboard-reports"),
    # Seasons (leaderboard/seasons_api.py)
    path("leaderboard/<str:board>/seasons", seasons_api.SeasonListApi.as_view(), name="leaderboard-seasons"),
    path("leaderboard/<str:board>/seasons/<str:key>", seasons_api.SeasonBoardApi.as_view(), name="leaderboard-season"),
    path("leaderboard/<str:board>", api.BoardApi.as_view(), name="leaderboard-board"),
    path("leaderboard/<str:board>/me", api.BoardMeApi.as_view(), name="leaderboard-me"),
    path("leaderboard/<str:board>/around-me", api.BoardAroundApi.as_view(), name="leaderboard-around-me"),
]
