from django.urls import URLPattern, re_path

from leaderboard.consumers import LeaderboardConsumer

websocket_urlpatterns: list[URLPattern] = [re_path(r"^ws/leaderboard/?$", LeaderboardConsumer.as_asgi())]
