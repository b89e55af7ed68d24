"""Per-server (Discord guild) settings of the bot (SPEC §8): where it posts, which language."""

from __future__ import annotations

from django.db import models


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
