"""The account pages that need a view of their own (config/pages.py routes them): /login with its
social sign-in buttons, and the social sign-in callback page."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.views.generic import TemplateView

from gamers.social import provider_credentials

# The authorize endpoints and scopes of docs/bot.md "Social login"; a button is shown only for a
# provider whose client id and secret are set (gamers.social.provider_credentials).
SOCIAL_PROVIDERS = {
    "google": ("Google", "https://accounts.google.com/o/oauth2/v2/auth", "openid email profile"),
    "discord": ("Discord", "https://discord.com/oauth2/authorize", "identify email"),
}


class LoginPage(TemplateView):
    """/login, with a "Sign in with ..." button per configured provider (its public client id)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["social"] = [
            {"provider": provider, "name": name, "authorize": url, "scope": scope, "client_id": credentials[0]}
            for provider, (name, url, scope) in SOCIAL_PROVIDERS.items()
            if (credentials := provider_credentials(provider))
        ]
        return context


class SocialCallbackPage(TemplateView):
    """/auth/callback/google and /auth/callback/discord; any other provider is the 404 page."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["provider"] not in SOCIAL_PROVIDERS:
            raise Http404("No such sign-in provider.")
        context = super().get_context_data(**kwargs)
        context["provider_name"] = SOCIAL_PROVIDERS[kwargs["provider"]][0]
        return context
