from django.urls import path

from leaderboard import api, keys_api, seasons_api

urlpatterns = [
    path("leaderboard/games", api.GameListApi.as_view(), name="leaderboard-games"),
    path("leaderboard/scores", api.ScoreSubmitApi.as_view(), name="leaderboard-scores"),
    path("leaderboard/reports", api.ReportApi.as_view(), name="leaderboard-reports"),
    # Moderating the boards (sanctions.py)
    path("leaderboard/scores/<int:score_id>", api.ScoreVoidApi.as_view(), name="leaderboard-score-void"),
    path("leaderboard/suspensions/<int:suspension_id>", api.SuspensionApi.as_view(), name="leaderboard-suspension"),
    # Game-server keys and score batches (helper "keys")
    path("leaderboard/scores/batch", keys_api.ScoreBatchApi.as_view(), name="leaderboard-scores-batch"),
    path("leaderboard/games/<str:slug>/keys", keys_api.GameKeysApi.as_view(), name="leaderboard-game-keys"),
    path("leaderboard/keys/<id:key_id>", keys_api.GameKeyRevokeApi.as_view(), name="leaderboard-key"),
    # Seasons (leaderboard/seasons_api.py)
    path("leaderboard/<str:board>/seasons", seasons_api.SeasonListApi.as_view(), name="leaderboard-seasons"),
    path("leaderboard/<str:board>/seasons/<str:key>", seasons_api.SeasonBoardApi.as_view(), name="leaderboard-season"),
    path("leaderboard/<str:board>", api.BoardApi.as_view(), name="leaderboard-board"),
    path("leaderboard/<str:board>/me", api.BoardMeApi.as_view(), name="leaderboard-me"),
    path("leaderboard/<str:board>/suspensions", api.SuspensionsApi.as_view(), name="leaderboard-suspensions"),
    path("leaderboard/<str:board>/around-me", api.BoardAroundApi.as_view(), name="leaderboard-around-me"),
]
