"""The Discord link page (`/discord/link?token=...`, SPEC §9 "Discord link page"): a template and
a script (static/js/bot_link.js) that post the token to `POST /api/v1/auth/discord/link`."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path(
        "discord/link",
        TemplateView.as_view(template_name="bot/discord_link.html", extra_context={"title": "Link Discord"}),
        name="discord-link-page",
    ),
]
