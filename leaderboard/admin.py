from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from redis.exceptions import RedisError

from audit.admin_mixins import AuditedAdminMixin
from common.errors import ServiceError
from leaderboard.keys import key_create, key_revoke
from leaderboard.models import Game, GameKey, Score, Suspension
from leaderboard.rebuild import boards_refresh_players
from leaderboard.reports import aggregates_rebuild

logger = logging.getLogger("gameconnect.leaderboard")


@admin.register(Game)
class GameAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Games and their rules. `order` is chosen when the game is added: the boards, the reports
    and the seasons of a game with scores are built on it, so it can't change afterwards."""

    list_display = ["slug", "label", "max_score", "order", "trust"]
    list_filter = ["order", "trust"]
    search_fields = ["slug", "label"]
    ordering = ["label"]
    list_per_page = 50

    def get_readonly_fields(self, request: HttpRequest, obj: Game | None = None) -> list[str]:
        return ["order"] if obj is not None else []


@admin.register(Suspension)
class SuspensionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Suspensions from a game's boards (also `POST /leaderboard/{game}/suspensions`)."""

    list_display = ["user", "game", "until", "reason", "created_by", "created_at"]
    list_filter = ["game"]
    search_fields = ["user__username", "=user__id"]
    list_select_related = ["user", "game", "created_by"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_by", "created_at"]
    ordering = ["-created_at"]

    def save_model(self, request: HttpRequest, obj: Suspension, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]  # the admin site: a signed-in Gamer
        super().save_model(request, obj, form, change)


def _refresh_after_commit(request: HttpRequest, user_ids: list[int]) -> None:
    def refresh() -> None:
        try:
            boards_refresh_players(user_ids)
        except (RedisError, ServiceError):
            logger.warning("boards not refreshed after a score delete; run rebuild_leaderboards")

    transaction.on_commit(refresh)


@admin.register(Score)
class ScoreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Scores come from players; the back office views them and removes bad ones (the players'
    boards and report aggregates are recomputed from what remains). Removals are audited
    (`admin_delete`, audit.admin_mixins)."""

    list_display = ["id", "user", "game", "value", "status", "source", "achieved_at"]
    list_filter = ["status", "source", "game", "achieved_at"]
    search_fields = ["user__username", "=user__id"]
    list_select_related = ["user", "game"]
    date_hierarchy = "achieved_at"
    ordering = ["-achieved_at", "-id"]
    list_per_page = 50
    # Counting a million rows on every page is slow; the paginator shows "more" instead.
    show_full_result_count = False
    readonly_fields = ["user", "game", "value", "achieved_at", "status", "source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Score) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            aggregates_rebuild([obj.user_id])
        _refresh_after_commit(request, [obj.user_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Score]) -> None:
        user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            aggregates_rebuild(user_ids)
        _refresh_after_commit(request, user_ids)
        messages.info(request, f"The boards of {len(user_ids)} player(s) were recomputed.")


# --- game-server keys (SPEC §6) -------------------------------------------------------------


class GameKeyAddForm(forms.ModelForm):
    class Meta:
        model = GameKey
        fields = ["game", "name"]


@admin.register(GameKey)
class GameKeyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Admins create a key (game and name; the key is shown once, in the confirmation message,
    and only its hash is kept) and revoke keys (an action). A key is never edited nor deleted:
    revoked keys stay for the record. Creation and revocation are audited by the services."""

    list_display = ["name", "game", "prefix", "created_by", "created_at", "revoked_at"]
    list_filter = ["game", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    list_select_related = ["game", "created_by"]
    ordering = ["-created_at", "-id"]
    list_per_page = 50
    readonly_fields = ["game", "name", "prefix", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = GameKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ["game", "name"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: GameKey, form: Any, change: bool) -> None:
        key, plaintext = key_create(game=form.cleaned_data["game"], name=form.cleaned_data["name"], by=request.user)
        obj.pk = key.pk
        obj.refresh_from_db()
        messages.success(
            request,
            f"The key for {key.game.label}, shown this once (only its hash is kept; copy it now): {plaintext}",
        )

    def audit(self, request: HttpRequest, action: str, obj: Any, reason: str) -> None:
        if action != "admin_add":  # key_create wrote `game_key_create`
            super().audit(request, action, obj, reason)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[GameKey]) -> None:
        for key_id in queryset.values_list("pk", flat=True):
            key_revoke(key_id=key_id, by=request.user)
        self.message_user(request, "Revoked; batches sent with those keys are now refused (401).", messages.SUCCESS)
