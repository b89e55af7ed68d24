"""The back office: Django's admin with a dashboard of counts for moderators and admins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse


class GameConnectAdminSite(admin.AdminSite):
    site_header = "GameConnect back office"
    site_title = "GameConnect admin"
    index_title = "Moderation and administration"
    index_template = "admin/gameconnect_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from moderation.selectors import dashboard_counts

        context = {**(extra_context or {}), "dashboard": dashboard_counts()}
        return super().index(request, extra_context=context)


class GameConnectAdminConfig(AdminConfig):
    default_site = "config.admin_site.GameConnectAdminSite"
