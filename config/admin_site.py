"""The back office: Django's admin with a dashboard of counts for moderators and admins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from common.throttling import login_attempt_wait


class GameConnectAdminSite(admin.AdminSite):
    site_header = "GameConnect back office"
    site_title = "GameConnect admin"
    index_title = "Moderation and administration"
    index_template = "admin/gameconnect_index.html"

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Django's admin login behind the API's sign-in limits (SPEC §2): each form post counts
        in the same per-IP (THROTTLE_AUTH_RATE) and per-account (THROTTLE_LOGIN_ACCOUNT_RATE)
        windows as `POST /auth/token`, so guesses can't move from one door to the other. Past
        either limit: 429 with a readable page and Retry-After. Overriding `AdminSite.login` is
        the admin's documented extension point; the throttles are the API's own (one
        implementation, Redis-backed, shared by every process), rather than a second lockout
        library with its own tables and rules."""
        if request.method == "POST":
            wait = login_attempt_wait(request, request.POST.get("username"))
            if wait is not None:
                seconds = int(wait) + 1
                context = {
                    **self.each_context(request),
                    "title": "Too many sign-in attempts",
                    "retry_minutes": max(1, -(-seconds // 60)),
                }
                response = TemplateResponse(request, "admin/login_throttled.html", context, status=429)
                response["Retry-After"] = str(seconds)
                return response
        return super().login(request, extra_context)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from moderation.selectors import dashboard_counts

        context = {**(extra_context or {}), "dashboard": dashboard_counts()}
        return super().index(request, extra_context=context)


class GameConnectAdminConfig(AdminConfig):
    default_site = "config.admin_site.GameConnectAdminSite"
