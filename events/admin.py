"""Back office for events (admins only: events are not in MODERATOR_ADMIN_MODELS).

Writes go through the services; every add, change and delete is in the audit log (an admin
deleting someone else's event as the service's `delete_event`, the rest as `admin_*` rows from
audit.admin_mixins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.admin_mixins import AuditedAdminMixin
from common.admin import ReadOnlyAdmin
from common.errors import ServiceError
from events import services
from events.models import Bookmark, Event, Ticket, TicketOrder, WaitlistEntry


class EventAdminForm(forms.ModelForm):
    image_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Event
        fields = list(services.EDITABLE_FIELDS)

    def clean_starts_at(self) -> Any:
        starts_at = self.cleaned_data["starts_at"]
        changed = self.instance.pk is None or starts_at != self.instance.starts_at
        if changed and starts_at <= timezone.now():
            raise forms.ValidationError("The event must start in the future.")
        return starts_at

    def clean_tickets_total(self) -> int:
        total = self.cleaned_data["tickets_total"]
        sold = self.instance.tickets_sold if self.instance.pk else 0
        if total < sold:
            raise forms.ValidationError(f"{sold} tickets are already sold; the total can't be lower than that.")
        return total


@admin.register(Event)
class EventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = EventAdminForm
    list_display = [
        "id",
        "title",
        "category",
        "city",
        "starts_at",
        "ticket_price",
        "tickets_available",
        "tickets_total",
        "bookmark_count",
        "organizer",
    ]
    list_filter = ["category", "city", "starts_at"]
    search_fields = ["title", "location", "city", "organizer__username"]
    list_select_related = ["organizer"]
    list_per_page = 50
    date_hierarchy = "starts_at"
    readonly_fields = ["tickets_available", "tickets_held", "bookmark_count", "organizer", "created_at", "updated_at"]
    fieldsets = (
        (None, {"fields": ("title", "description", "category", "image_url")}),
        ("When and where", {"fields": ("starts_at", "location", "city")}),
        ("Tickets", {"fields": ("ticket_price", "tickets_total", "tickets_available", "tickets_held")}),
        ("Readers", {"fields": ("bookmark_count",)}),
        ("Record", {"fields": ("organizer", "created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        # Through the services, so counters and derived columns follow the same rules as the API.
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            saved = services.event_update(event_id=obj.pk, actor=request.user, **changed)
        else:
            saved = services.event_create(organizer=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def deletion_audited_by_service(self, request: HttpRequest, obj: Any) -> bool:
        return bool(obj.organizer_id != request.user.pk)  # event_delete audits an admin's deletion

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An event with tickets sold can't be deleted (SPEC §4): don't offer the button.
        if obj is not None and obj.tickets_sold > 0:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Event) -> None:
        try:
            services.event_delete(event_id=obj.pk, actor=request.user, reason="admin site")
        except (ServiceError, DjangoValidationError) as exc:
            self.message_user(request, f"{obj.title}: {getattr(exc, 'detail', exc)}", messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset:
            self.delete_model(request, event)


class TicketInline(admin.TabularInline):
    """The order's seats (read-only: codes are never typed in, check-ins happen at the door)."""

    model = Ticket
    fields = ("seat", "code", "status", "checked_in_at", "checked_in_by")
    readonly_fields = ("seat", "code", "status", "checked_in_at", "checked_in_by")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketOrder)
class TicketOrderAdmin(ReadOnlyAdmin):
    """Orders are a record of payments: read-only here (cancelling is the buyer's, via the API)."""

    list_display = ["code", "event", "buyer", "quantity", "status", "unit_price", "total_price", "purchased_at"]
    list_filter = ["status", "purchased_at", "event__category"]
    inlines = [TicketInline]
    search_fields = ["code", "buyer__username", "event__title"]
    list_select_related = ["event", "buyer"]
    list_per_page = 50
    date_hierarchy = "purchased_at"


@admin.register(Bookmark)
class BookmarkAdmin(admin.ModelAdmin):
    """Bookmarks can be added and removed here, through the services (so the events'
    `bookmark_count` follows); an existing bookmark can't be re-pointed, only removed."""

    list_display = ["created_at", "user", "event"]
    list_filter = ["created_at", "event__category"]
    search_fields = ["user__username", "event__title"]
    list_select_related = ["user", "event"]
    list_per_page = 50
    raw_id_fields = ["user", "event"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user", "event", "created_at"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Bookmark, form: Any, change: bool) -> None:
        if change:
            return  # nothing editable
        saved, _ = services.bookmark_add(event_id=obj.event_id, user=obj.user)
        obj.pk = saved.pk
        obj.created_at = saved.created_at

    def delete_model(self, request: HttpRequest, obj: Bookmark) -> None:
        services.bookmark_remove(event_id=obj.event_id, user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Bookmark]) -> None:
        for bookmark in queryset.select_related("user"):
            self.delete_model(request, bookmark)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    """Waiting lists and holds, to answer "why didn't I get a seat?" (written by events.waitlist)."""

    list_display = ["created_at", "event", "user", "quantity", "status", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "event__title"]
    list_select_related = ["event", "user"]
    list_per_page = 50
