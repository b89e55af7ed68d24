from django.urls import URLPattern, re_path

from leaderboard.consumers import LeaderboardConsumer

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/leaderboard/?$", LeaderboardConsumer.as_asgi()),  # type: ignore[arg-type]  # Channels routes ASGI apps with Django's re_path; django-stubs expects a view
]
