from django.urls import path

from squads import api

urlpatterns = [
    path("leaderboard/<str:board>/squad", api.SquadBoardApi.as_view(), name="leaderboard-squad"),
]
