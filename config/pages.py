"""Web pages (SPEC §9). Each is a template plus a script that talks to the public REST and
WebSocket APIs, exactly like any other client; the server renders no data into them.
docs/web.md lists them."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from config.account_pages import LoginPage, SocialCallbackPage


def page(route: str, template: str, name: str, title: Any, view: type[TemplateView] = TemplateView) -> Any:
    return path(route, view.as_view(template_name=template, extra_context={"title": title}), name=name)


urlpatterns = [
    page("", "pages/home.html", "home", "GameConnect"),
    # --- play -------------------------------------------------------------------------------
    page("play", "pages/play.html", "play", _("Live trivia")),
    page("leaderboards", "pages/leaderboards.html", "leaderboards", _("Leaderboards")),
    page("leaderboards/pending", "pages/pending.html", "leaderboards-pending", _("Scores waiting for confirmation")),
    # --- accounts ---------------------------------------------------------------------------
    page("login", "pages/login.html", "login", _("Sign in"), LoginPage),
    page("register", "pages/register.html", "register", _("Create an account")),
    # Mailed links (SITE_URL/verify-email?uid=..&token=.., /reset-password?uid=..&token=..).
    page("verify-email", "pages/verify_email.html", "verify-email", _("Verify your email")),
    page("password/reset", "pages/forgot_password.html", "password-reset", _("Forgot your password")),
    page("forgot-password", "pages/forgot_password.html", "forgot-password", _("Forgot your password")),
    page("reset-password", "pages/reset_password.html", "reset-password", _("Choose a new password")),
    # Where Google and Discord send the browser back (docs/bot.md "Social login").
    page(
        "auth/callback/<str:provider>",
        "pages/social_callback.html",
        "social-callback",
        _("Signing in"),
        SocialCallbackPage,
    ),
    page("gamers/<int:pk>", "pages/gamer.html", "gamer-page", _("Gamer profile")),
    # --- me ---------------------------------------------------------------------------------
    page("me", "pages/me.html", "me", _("My account")),
    page("me/notifications", "pages/notifications.html", "my-notifications-page", _("Notifications")),
    page("me/coins", "pages/coins.html", "my-coins-page", _("Coin history")),
    # --- sessions ---------------------------------------------------------------------------
    page("sessions", "pages/sessions.html", "sessions-page", _("Gaming sessions")),
    page("sessions/new", "pages/session_form.html", "session-new-page", _("Host a session")),
    page("sessions/<int:pk>", "pages/session.html", "session-page", _("Gaming session")),
    page("sessions/<int:pk>/edit", "pages/session_form.html", "session-edit-page", _("Edit a session")),
    # --- events -----------------------------------------------------------------------------
    page("events", "pages/events.html", "events-page", _("Events")),
    page("events/new", "pages/events_new.html", "events-new-page", _("Create an event")),
    page("events/<int:pk>", "pages/event.html", "event-page", _("Event")),
    page("events/<int:pk>/checkin", "pages/checkin.html", "event-checkin-page", _("Check-in")),
    page("me/tickets", "pages/tickets.html", "tickets-page", _("My tickets")),
]
