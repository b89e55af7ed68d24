from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from redis.exceptions import RedisError

from audit.admin_mixins import AuditedAdminMixin
from common.errors import ServiceError
from leaderboard.models import Game, Score, Suspension
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
