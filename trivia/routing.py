from django.urls import URLPattern, re_path

from trivia.consumers import TriviaConsumer

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/trivia/?$", TriviaConsumer.as_asgi()),  # type: ignore[arg-type]  # Channels routes ASGI apps with Django's re_path; django-stubs expects a view
]
