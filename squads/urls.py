from django.urls import path

from squads import api

urlpatterns = [
    path("leaderboard/<str:board>/squad", api.SquadBoardApi.as_view(), name="leaderboard-squad"),
    # Session results and score confirmations (issue 17, helper "results").
    path("sessions/<id:pk>/results", api.SessionResultsApi.as_view(), name="session-results"),
    path("leaderboard/scores/pending", api.PendingScoresApi.as_view(), name="leaderboard-scores-pending"),
    path("leaderboard/scores/<id:pk>/confirm", api.ScoreConfirmApi.as_view(), name="leaderboard-score-confirm"),
]
