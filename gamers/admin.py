from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin
from common.errors import ServiceError
from gamers import services
from gamers.models import CoinTransaction, Gamer, SocialAccount


class GamerCreationForm(UserCreationForm):
    class Meta:
        model = Gamer
        fields = ("username", "email", "role")


class GamerChangeForm(forms.ModelForm):
    class Meta:
        model = Gamer
        fields = ("username", "email", "bio", "avatar", "discord_id", "is_active")


@admin.register(Gamer)
class GamerAdmin(UserAdmin):
    add_form = GamerCreationForm
    form = GamerChangeForm
    list_display = ["id", "username", "email", "role", "coins", "joined", "last_seen", "is_active"]
    list_filter = ["role", "is_active", "joined"]
    search_fields = ["username", "email", "discord_id"]
    ordering = ["id"]
    list_per_page = 50
    readonly_fields = ["role", "coins", "joined", "last_seen", "last_login"]
    fieldsets = (
        (None, {"fields": ("username", "email", "password")}),
        ("Profile", {"fields": ("bio", "avatar", "discord_id")}),
        ("Standing", {"fields": ("role", "coins", "is_active", "joined", "last_seen", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "role", "password1", "password2")}),)
    filter_horizontal = ()
    actions = ["make_moderator", "make_gamer"]

    def save_model(self, request: HttpRequest, obj: Gamer, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # New accounts get their starting coins and ledger row through the service.
        created = services.gamer_create(
            username=obj.username, email=obj.email, password=form.cleaned_data.get("password1"), role=obj.role
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Gamer) -> None:
        services.gamer_delete(actor=request.user, target_id=obj.pk, reason="admin site")  # type: ignore[arg-type]  # the admin site's users are Gamers (AUTH_USER_MODEL)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for gamer in queryset:
            try:
                services.gamer_delete(actor=request.user, target_id=gamer.pk, reason="admin site")  # type: ignore[arg-type]  # the admin site's users are Gamers (AUTH_USER_MODEL)
            except ServiceError as exc:
                self.message_user(request, f"{gamer.username}: {exc.detail}", messages.ERROR)

    def _set_role(self, request: HttpRequest, queryset: Any, role: str) -> None:
        for gamer in queryset:
            try:
                services.gamer_set_role(actor=request.user, target_id=gamer.pk, role=role, reason="admin site")  # type: ignore[arg-type]  # the admin site's users are Gamers (AUTH_USER_MODEL)
            except ServiceError as exc:
                self.message_user(request, f"{gamer.username}: {exc.detail}", messages.ERROR)

    @admin.action(description="Make moderator")
    def make_moderator(self, request: HttpRequest, queryset: Any) -> None:
        self._set_role(request, queryset, "moderator")

    @admin.action(description="Make gamer (remove moderator rights)")
    def make_gamer(self, request: HttpRequest, queryset: Any) -> None:
        self._set_role(request, queryset, "gamer")


@admin.register(CoinTransaction)
class CoinTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "gamer", "amount", "reason", "ref", "balance_after"]
    list_filter = ["reason", "created_at"]
    search_fields = ["gamer__username", "ref"]
    list_select_related = ["gamer"]
    list_per_page = 50
    date_hierarchy = "created_at"


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    """Google / Discord sign-in identities. Deleting one unlinks it (the account stays)."""

    list_display = ["id", "provider", "uid", "user", "email", "created_at", "last_login_at"]
    list_filter = ["provider", "created_at"]
    search_fields = ["uid", "email", "user__username"]
    list_select_related = ["user"]
    list_per_page = 50
    readonly_fields = ["provider", "uid", "user", "email", "created_at", "last_login_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
