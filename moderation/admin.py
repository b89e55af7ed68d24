"""The moderation back office: the audit log (read-only) and user reports of sessions, reviews
and gamers, with bulk ban / unban / dismiss through the same services as the API (so they are
audited and refused the same way)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AuditLog
from common.admin import ReadOnlyAdmin, ReportQueueAdmin
from moderation import services
from moderation.models import Report, ReportVote


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type", "at"]
    search_fields = ["actor_name", "target_id", "reason"]
    list_per_page = 50
    date_hierarchy = "at"


class ReportVoteInline(admin.TabularInline):
    model = ReportVote
    fields = ["reporter", "reason", "reported_at"]
    readonly_fields = ["reporter", "reason", "reported_at"]
    extra = 0
    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReportQueueAdmin):
    report_services = services
    list_display = ["id", "target_type", "target_id", "target_label", "report_count", "status", "last_reported"]
    list_filter = ["status", "target_type", "last_reported"]
    search_fields = ["target_label", "=target_id", "votes__reason", "votes__reporter__username"]
    list_select_related = ["closed_by"]
    fields = (
        "target_type",
        "target_id",
        "target_label",
        "status",
        "report_count",
        "created_at",
        "last_reported",
        "closed_at",
        "closed_by",
        "outcome",
    )
    readonly_fields = fields
    inlines = [ReportVoteInline]
    list_per_page = 50
    show_full_result_count = False  # one COUNT fewer on a long queue

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        # Deleting one report is dismissing it, which only an open report can be.
        open_or_list = obj is None or obj.status == Report.Status.OPEN
        return open_or_list and super().has_delete_permission(request, obj)

    @admin.action(description="Ban: delete the session or review, deactivate the gamer", permissions=["change"])
    def ban(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._apply(request, queryset, services.report_ban)

    @admin.action(description="Unban: reactivate the gamer", permissions=["change"])
    def unban(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._apply(request, queryset, services.report_unban)

    @admin.action(description="Dismiss the reports", permissions=["delete"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._apply(request, queryset, services.report_dismiss)
