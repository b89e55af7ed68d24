"""The trivia back office: the bank, reports (bulk ban / unban / dismiss), rounds and attempts.

Actions go through the same services as the API, so they are audited the same way.
Moderators see what common.roles.MODERATOR_ADMIN_MODELS allows (entries, reports, rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.admin_mixins import AuditedAdminMixin
from common.admin import ReadOnlyAdmin
from common.errors import ServiceError
from trivia import services
from trivia.models import Attempt, Entry, EntryReport, EntryReporter, Round


@admin.register(Entry)
class EntryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "category", "clue", "answer", "value", "banned"]
    list_filter = ["banned", "value", "category"]
    search_fields = ["category", "clue", "answer"]
    list_per_page = 50
    actions = ["ban", "unban"]

    def _set(self, request: HttpRequest, queryset: QuerySet[Entry], banned: bool) -> None:
        for entry in queryset:
            services.entry_update(actor=request.user, entry_id=entry.pk, banned=banned, reason="admin site")
        self.message_user(request, f"{queryset.count()} entries {'banned' if banned else 'unbanned'}.")

    @admin.action(description="Ban selected entries", permissions=["change"])
    def ban(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._set(request, queryset, True)

    @admin.action(description="Unban selected entries", permissions=["change"])
    def unban(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._set(request, queryset, False)


class EntryReporterInline(admin.TabularInline):
    model = EntryReporter
    fields = ["gamer", "reported_at"]
    readonly_fields = ["gamer", "reported_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EntryReport)
class EntryReportAdmin(admin.ModelAdmin):
    list_display = ["id", "entry", "entry_answer", "reports", "entry_banned", "last_reported"]
    list_filter = ["entry__banned", "last_reported"]
    search_fields = ["entry__clue", "entry__answer", "entry__category"]
    list_select_related = ["entry"]
    readonly_fields = ["entry", "created_at", "last_reported"]
    fields = ["entry", "created_at", "last_reported"]
    inlines = [EntryReporterInline]
    list_per_page = 50
    actions = ["ban", "unban", "dismiss"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntryReport]:
        return super().get_queryset(request).annotate(report_count=Count("votes"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="answer")
    def entry_answer(self, obj: EntryReport) -> str:
        return obj.entry.answer

    @admin.display(description="reports", ordering="report_count")
    def reports(self, obj: Any) -> int:
        return obj.report_count

    @admin.display(description="banned", boolean=True, ordering="entry__banned")
    def entry_banned(self, obj: EntryReport) -> bool:
        return obj.entry.banned

    def _apply(self, request: HttpRequest, queryset: QuerySet[EntryReport], action: Callable[..., str]) -> None:
        done = 0
        for report_id in list(queryset.values_list("pk", flat=True)):
            try:
                action(actor=request.user, report_id=report_id, reason="admin site")
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"Report {report_id}: {exc.detail}", messages.ERROR)
        self.message_user(request, f"{done} report(s) handled.")

    @admin.action(description="Ban the reported entries", permissions=["change"])
    def ban(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_ban)

    @admin.action(description="Unban the reported entries", permissions=["change"])
    def unban(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_unban)

    @admin.action(description="Dismiss the reports", permissions=["delete"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_dismiss)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting a report is dismissing it (audited)
        return actions

    def delete_model(self, request: HttpRequest, obj: EntryReport) -> None:
        services.report_dismiss(actor=request.user, report_id=obj.pk, reason="admin site")


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "answer", "state", "current_value", "winner", "prize", "started_at"]
    list_filter = ["state", "end_reason", "started_at"]
    search_fields = ["category", "clue", "answer", "winner__username"]
    list_select_related = ["winner"]
    list_per_page = 50
    date_hierarchy = "started_at"
    readonly_fields = ["attempts_link"]

    @admin.display(description="attempts")
    def attempts_link(self, obj: Round) -> str:
        # A link rather than an inline: a busy round has thousands of attempts.
        url = reverse("admin:trivia_attempt_changelist") + f"?round__id__exact={obj.pk}"
        return format_html('<a href="{}">{} attempts</a>', url, obj.attempts.count())


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "round", "username", "message", "correct", "cost", "prize"]
    list_filter = ["correct", "created_at"]
    search_fields = ["username", "message"]
    list_select_related = ["round"]
    raw_id_fields = ["round", "gamer"]
    list_per_page = 50
