"""Back-office pieces shared by the apps' admin modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.errors import ServiceError


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list and detail view only: ledgers, orders and logs are written by services, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReportQueueAdmin(admin.ModelAdmin):
    """A report queue (trivia entries; sessions, reviews and gamers): bulk ban / unban / dismiss
    through the app's services, so the back office is audited and refused like the API. A
    report is never deleted: deleting one dismisses it. Subclasses set `report_services` (a
    module with `report_ban`, `report_unban`, `report_dismiss`, each taking `actor`,
    `report_id`, `reason`) and declare the three actions with their own wording via `_apply`."""

    report_services: Any
    actions = ["ban", "unban", "dismiss"]

    def _apply(self, request: HttpRequest, queryset: QuerySet[Any], action: Callable[..., Any]) -> None:
        done = 0
        for report_id in list(queryset.values_list("pk", flat=True)):
            try:
                action(actor=request.user, report_id=report_id, reason="admin site")
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"Report {report_id}: {exc.detail}", messages.ERROR)
        self.message_user(request, f"{done} report(s) handled.")

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a report is closed (audited), never deleted
        return actions

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.report_services.report_dismiss(actor=request.user, report_id=obj.pk, reason="admin site")
