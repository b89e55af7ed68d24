"""The trivia back office: the bank, reports (bulk ban / unban / dismiss), rounds and attempts.

Actions go through the same services as the API, so they are audited the same way.
Moderators see what common.roles.MODERATOR_ADMIN_MODELS allows (entries, reports, rounds).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.admin_mixins import AuditedAdminMixin
from common.admin import ReadOnlyAdmin, ReportQueueAdmin
from trivia import selectors, services
from trivia.models import Attempt, Entry, EntryReport, EntryReporter, Round

# The answer of the entry being played is shown to nobody, staff included, until its round ends
# (SPEC §2): list columns read the `in_play` annotation (trivia.selectors.with_in_play, one
# query for the page), change forms leave the field out, and searching by answer skips it.
HIDDEN_IN_PLAY = "hidden while in play"


def _answer_or_hidden(obj: Any, answer: str) -> str:
    return HIDDEN_IN_PLAY if getattr(obj, "in_play", True) else answer


def _answer_fields_hidden(obj: Any) -> list[str]:
    """The change form's fields to leave out for `obj` (a row annotated with `in_play`)."""
    return ["answer"] if obj is not None and getattr(obj, "in_play", True) else []


def _search_with_answers(
    queryset: QuerySet[Any], found: QuerySet[Any], search_term: str, *, field: str, entry_field: str
) -> QuerySet[Any]:
    """`found` (the other search fields' matches) plus the rows whose answer matches, except the
    entry in play: a search must not tell whether the answer being played contains a text."""
    term = search_term.strip()
    if not term:
        return found
    return found | queryset.filter(selectors.answer_search_q(term, field=field, entry_field=entry_field))


class AnswerHiddenInPlayAdmin(admin.ModelAdmin):
    """Rows that carry an entry's answer (entries, rounds): the answer column, the change form
    and the answer search follow the in-play rule. `entry_field` names the row's entry."""

    entry_field = "pk"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.with_in_play(super().get_queryset(request), entry_field=self.entry_field)

    @admin.display(description="answer")  # not sortable: the order would place the hidden answer
    def answer_shown(self, obj: Any) -> str:
        return _answer_or_hidden(obj, obj.answer)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*(super().get_exclude(request, obj) or []), *_answer_fields_hidden(obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        extra = ["answer_shown"] if _answer_fields_hidden(obj) else []
        return [*super().get_readonly_fields(request, obj), *extra]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        found = _search_with_answers(queryset, found, search_term, field="answer", entry_field=self.entry_field)
        return found, may_have_duplicates


@admin.register(Entry)
class EntryAdmin(AuditedAdminMixin, AnswerHiddenInPlayAdmin):
    list_display = ["id", "category", "clue", "answer_shown", "value", "banned"]
    list_filter = ["banned", "value", "category"]
    search_fields = ["category", "clue"]  # and the answer: get_search_results
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
class EntryReportAdmin(ReportQueueAdmin):
    report_services = services
    list_display = ["id", "entry", "entry_answer", "reports", "entry_banned", "last_reported"]
    list_filter = ["entry__banned", "last_reported"]
    search_fields = ["entry__clue", "entry__category"]  # and the answer: get_search_results
    list_select_related = ["entry"]
    readonly_fields = ["entry", "created_at", "last_reported"]
    fields = ["entry", "created_at", "last_reported"]
    inlines = [EntryReporterInline]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[EntryReport]:
        reports = super().get_queryset(request).annotate(report_count=Count("votes"))
        return selectors.with_in_play(reports, entry_field="entry_id")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[EntryReport], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        found = _search_with_answers(queryset, found, search_term, field="entry__answer", entry_field="entry_id")
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="answer")
    def entry_answer(self, obj: EntryReport) -> str:
        return _answer_or_hidden(obj, obj.entry.answer)

    @admin.display(description="reports", ordering="report_count")
    def reports(self, obj: Any) -> int:
        return obj.report_count

    @admin.display(description="banned", boolean=True, ordering="entry__banned")
    def entry_banned(self, obj: EntryReport) -> bool:
        return obj.entry.banned

    @admin.action(description="Ban the reported entries", permissions=["change"])
    def ban(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_ban)

    @admin.action(description="Unban the reported entries", permissions=["change"])
    def unban(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_unban)

    @admin.action(description="Dismiss the reports", permissions=["delete"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[EntryReport]) -> None:
        self._apply(request, queryset, services.report_dismiss)


@admin.register(Round)
class RoundAdmin(AnswerHiddenInPlayAdmin, ReadOnlyAdmin):
    entry_field = "entry_id"
    list_display = ["number", "category", "answer_shown", "state", "current_value", "winner", "prize", "started_at"]
    list_filter = ["state", "end_reason", "started_at"]
    search_fields = ["category", "clue", "winner__username"]  # and the answer: get_search_results
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
