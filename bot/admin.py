"""Back office for the bot's per-server settings (the same fields `/settings` writes)."""

from __future__ import annotations

from django.contrib import admin

from bot.models import GuildSettings


@admin.register(GuildSettings)
class GuildSettingsAdmin(admin.ModelAdmin):
    list_display = ("guild_id", "trivia_channel_id", "announce_channel_id", "language", "updated_at")
    list_filter = ("language",)
    search_fields = ("=guild_id", "=trivia_channel_id", "=announce_channel_id")
    readonly_fields = ("updated_at",)
    ordering = ("guild_id",)
