"""The bot's tables: per-server settings (where it posts, which language); web links, the
announcement cursor and the notification DM outbox (SPEC §8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class GuildSettings(models.Model):
    """One row per Discord server that changed a setting (`/settings`); servers without a row
    use the defaults (`DISCORD_TRIVIA_CHANNEL_ID`, `DISCORD_ANNOUNCE_CHANNEL_ID`, English).
    Written through `bot.settings_store`."""

    class Language(models.TextChoices):
        EN = "en", "English"
        FR = "fr", "Français"
        AR = "ar", "العربية"

    # Discord ids are 64-bit snowflakes.
    guild_id = models.BigIntegerField(unique=True)
    trivia_channel_id = models.BigIntegerField(null=True, blank=True)
    announce_channel_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "server settings"
        verbose_name_plural = "server settings"
        ordering = ["guild_id"]

    def __str__(self) -> str:
        return f"Discord server {self.guild_id}"


# =============================================================================================
# Linking, announcements and notification DMs (issue 18, part B: docs/bot-organise.md).
# Migration: bot/migrations/0002_outbox.py.
# =============================================================================================


class DiscordLinkRequest(models.Model):
    """A one-use web link to bind the Discord user who asked for it (`link` with no code).

    Only the SHA-256 of the token is stored, so a database read can't be replayed as a link.
    Valid until `expires_at` and once (`used_at`, set by a compare-and-set UPDATE).
    """

    token_hash = models.CharField(max_length=64, unique=True)
    discord_id = models.CharField(max_length=32)
    discord_name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"web link request of Discord user {self.discord_id}"


class AnnounceCursor(models.Model):
    """The newest session or event id the announcer has handled, one row per kind.

    Kept in the database so a restarted bot carries on where it stopped (neither replays nor
    misses), and moved by compare-and-set so two bot processes never post the same one twice.
    """

    kind = models.CharField(max_length=16, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} announced up to {self.last_id}"


class DirectMessage(models.Model):
    """The outbox of notification DMs: one row per notification of a linked account.

    Written by the `notification_created` receiver (bot.outbox) in web and worker processes,
    drained by the bot process (bot.dm). `sending` is a claim (with `claimed_at`) so two bot
    processes never send one DM twice; a claim older than the outbox's timeout is taken again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    notification = models.OneToOneField("gamers.Notification", on_delete=models.CASCADE, related_name="direct_message")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "id"], name="bot_dm_status_id")]

    def __str__(self) -> str:
        return f"DM of notification {self.notification_id} ({self.status})"
