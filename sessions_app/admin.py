"""Back office for sessions and reviews, with the API's rights (common.roles.MODERATOR_ADMIN_MODELS):
moderators view and delete sessions (no edits, no attendee removals: REST answers them 403 too)
and view and delete reviews; admins may do everything.

Deletions and edits go through the services, so they keep the invariants and the API's
refusals (`session_update` checks the actor's role itself; `max_attendees` can't drop below the
attendee count; the session counters move with the rows). Every change is in the audit log:
a deletion by someone other than the organizer as `delete_session` (the service), everything
else as `admin_add`/`admin_change`/`admin_delete` (audit.admin_mixins). Attendees are shown
inline and may be removed by admins (through `session_leave`, recorded in the session's
`admin_change` row), never added: adding goes through `session_join`, which enforces capacity.
The action "Recount counters" recomputes the selected sessions' counters from their rows (`counters.counters_recount`), should anything ever have bypassed the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.admin_mixins import AuditedAdminMixin
from common.errors import ServiceError
from sessions_app import rules, services
from sessions_app.counters import counters_drift, counters_recount
from sessions_app.models import Attendance, GameSession, Review


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    fields = ["gamer", "joined_at"]
    readonly_fields = ["gamer", "joined_at"]
    ordering = ["joined_at", "id"]
    can_delete = True
    show_change_link = False

    # The inline follows the session's permissions (moderators have none on Attendance itself).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sessions_app.view_gamesession")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sessions_app.change_gamesession")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("gamer")


class GameSessionAdminForm(forms.ModelForm):
    class Meta:
        model = GameSession
        fields = ["title", "game", "description", "platform", "starts_at", "max_attendees", "is_available"]


@admin.register(GameSession)
class GameSessionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = GameSessionAdminForm
    list_display = ["id", "title", "game", "platform", "organizer", "starts_at", "max_attendees", "attendee_count"]
    list_display_links = ["id", "title"]
    list_filter = ["platform", "is_available", "starts_at", "game"]
    search_fields = ["title", "game", "description", "organizer__username"]
    list_select_related = ["organizer"]
    list_per_page = 50
    date_hierarchy = "starts_at"
    ordering = ["-starts_at", "-id"]
    inlines = [AttendanceInline]
    readonly_fields = [
        "organizer",
        "created_at",
        "updated_at",
        "attendee_count",
        "like_count",
        "review_count",
        "rating_sum",
    ]
    actions = ["recount_counters"]
    audit_target_type = "session"

    @admin.action(description="Recount counters (attendees, likes, reviews) from the rows", permissions=["change"])
    def recount_counters(self, request: HttpRequest, queryset: QuerySet[GameSession]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        wrong = counters_drift(session_ids=ids)
        counters_recount(session_ids=[row["id"] for row in wrong])
        self.message_user(request, f"{len(ids)} sessions checked, {len(wrong)} corrected.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Sessions are hosted through the API, where the organizer is the caller.
        return False

    def save_model(self, request: HttpRequest, obj: GameSession, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        try:
            services.session_update(actor=request.user, session_id=obj.pk, **changes)
        except ValidationError as exc:
            # The form already passed; this is a join that landed meanwhile. Say so instead of a 500.
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def deletion_audited_by_service(self, request: HttpRequest, obj: Any) -> bool:
        return bool(obj.organizer_id != request.user.pk)  # session_delete audits a moderation deletion

    def delete_model(self, request: HttpRequest, obj: GameSession) -> None:
        services.session_delete(actor=request.user, session_id=obj.pk, reason="admin site")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GameSession]) -> None:
        for session in queryset:
            try:
                services.session_delete(actor=request.user, session_id=session.pk, reason="admin site")
            except ServiceError as exc:
                self.message_user(request, f"{session.title}: {exc.detail}", messages.ERROR)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The attendees inline only removes: each removal is a `session_leave` (counter included)."""
        if formset.model is not Attendance:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # collects deleted_objects without deleting them
        for attendance in formset.deleted_objects:
            try:
                services.session_leave(session_id=attendance.session_id, user=attendance.gamer)
            except ServiceError as exc:
                self.message_user(request, f"{attendance.gamer}: {exc.detail}", messages.ERROR)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        session = obj

        class CheckedForm(form):  # type: ignore[valid-type, misc]  # subclasses the form class the admin builds at run time
            """The service's rules, shown as form errors: a new start must be in the future, and
            capacity can't drop below the attendees (the service re-checks under the row lock)."""

            def clean_starts_at(self) -> Any:
                value = self.cleaned_data["starts_at"]
                unchanged = session is not None and value == session.starts_at
                problem = None if unchanged else rules.start_time_problem(starts_at=value, now=timezone.now())
                if problem:
                    raise forms.ValidationError(problem)
                return value

            def clean_max_attendees(self) -> int:
                value = self.cleaned_data["max_attendees"]
                if session is not None:
                    problem = rules.capacity_problem(max_attendees=value, attendee_count=session.attendee_count)
                    if problem:
                        raise forms.ValidationError(problem)
                return value

        return CheckedForm


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["id", "session", "author", "rating", "short_content", "created_at"]
    list_filter = ["rating", "created_at"]
    search_fields = ["content", "author__username", "session__title"]
    list_select_related = ["session", "author"]
    list_per_page = 50
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = ["session", "author", "rating", "content", "created_at", "updated_at"]

    @admin.display(description="content")
    def short_content(self, obj: Review) -> str:
        return obj.content if len(obj.content) <= 80 else obj.content[:77] + "..."

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Review) -> None:
        services.review_delete(actor=request.user, review_id=obj.pk, reason="admin site")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset:
            try:
                services.review_delete(actor=request.user, review_id=review.pk, reason="admin site")
            except ServiceError as exc:
                self.message_user(request, f"review {review.pk}: {exc.detail}", messages.ERROR)
