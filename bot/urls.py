from django.urls import URLPattern, path

from bot import api

urlpatterns: list[URLPattern] = [
    path("auth/discord/link", api.DiscordLinkApi.as_view(), name="auth-discord-link"),
]
