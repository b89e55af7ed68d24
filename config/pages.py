"""Web pages (SPEC §9). Each is a template plus a script that talks to the public REST and
WebSocket APIs, exactly like any other client; the server renders no data into them."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView


def page(route: str, template: str, name: str, title: str) -> object:
    return path(route, TemplateView.as_view(template_name=template, extra_context={"title": title}), name=name)


urlpatterns = [
    page("", "pages/home.html", "home", "GameConnect"),
    page("play", "pages/play.html", "play", "Live trivia"),
    page("leaderboards", "pages/leaderboards.html", "leaderboards", "Leaderboards"),
    page("login", "pages/login.html", "login", "Sign in"),
    page("register", "pages/register.html", "register", "Create an account"),
    # Mailed links (SITE_URL/verify-email?uid=..&token=.., /reset-password?uid=..&token=..).
    page("verify-email", "pages/verify_email.html", "verify-email", "Verify your email"),
    page("forgot-password", "pages/forgot_password.html", "forgot-password", "Forgot your password"),
    page("reset-password", "pages/reset_password.html", "reset-password", "Choose a new password"),
    page("sessions/<int:pk>", "pages/session.html", "session-page", "Gaming session"),
    page("events/<int:pk>", "pages/event.html", "event-page", "Event"),
]
