"""Per-server settings: reads (selectors) and writes (services) of `bot.models.GuildSettings`.

Every part of the bot that posts in a server asks here for the channel:
`guild_channel(guild_id, "trivia" | "announce")` is the server's own choice (`/settings
channel ...`), else the project-wide default (`DISCORD_TRIVIA_CHANNEL_ID` /
`DISCORD_ANNOUNCE_CHANNEL_ID`), else None (post nothing there). Synchronous ORM code: from the
bot's event loop call it through `channels.db.database_sync_to_async`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from django.conf import settings
from django.db import transaction

from bot.models import GuildSettings
from common.errors import InvalidInput

ChannelKind = Literal["trivia", "announce"]
KINDS: tuple[ChannelKind, ...] = ("trivia", "announce")
LANGUAGES: tuple[str, ...] = tuple(GuildSettings.Language.values)
_FIELD: dict[str, str] = {"trivia": "trivia_channel_id", "announce": "announce_channel_id"}
_DEFAULT: dict[str, str] = {"trivia": "DISCORD_TRIVIA_CHANNEL_ID", "announce": "DISCORD_ANNOUNCE_CHANNEL_ID"}


def _field(kind: str) -> str:
    if kind not in _FIELD:
        raise InvalidInput(f"Unknown channel kind {kind!r}: use one of {', '.join(KINDS)}.", code="invalid_kind")
    return _FIELD[kind]


def default_channel(kind: str) -> int | None:
    """The project-wide channel for `kind` (settings), or None when unset (0)."""
    _field(kind)
    return int(getattr(settings, _DEFAULT[kind], 0) or 0) or None


# --- reads ----------------------------------------------------------------------------------


def guild_settings(guild_id: int) -> GuildSettings | None:
    """The server's row, or None when it never changed a setting. One query (unique index)."""
    return GuildSettings.objects.filter(guild_id=guild_id).first()


def guild_channel(guild_id: int | None, kind: str) -> int | None:
    """Where to post `kind` ("trivia" or "announce") in this server: its own channel, else the
    default from settings, else None. `guild_id=None` (no server: a DM) gives the default."""
    field = _field(kind)
    if guild_id is not None:
        own = GuildSettings.objects.filter(guild_id=guild_id).values_list(field, flat=True).first()
        if own:
            return int(own)
    return default_channel(kind)


def guild_channels(guild_ids: Iterable[int], kind: str) -> dict[int, int | None]:
    """`guild_channel` for many servers in one query: {guild_id: channel id or None}."""
    field = _field(kind)
    ids = list(guild_ids)
    own = dict(GuildSettings.objects.filter(guild_id__in=ids).exclude(**{field: None}).values_list("guild_id", field))
    fallback = default_channel(kind)
    return {guild_id: own.get(guild_id) or fallback for guild_id in ids}


def guild_language(guild_id: int | None) -> str:
    if guild_id is None:
        return GuildSettings.Language.EN
    code = GuildSettings.objects.filter(guild_id=guild_id).values_list("language", flat=True).first()
    return code or GuildSettings.Language.EN


# --- writes ---------------------------------------------------------------------------------


def channel_set(*, guild_id: int, kind: str, channel_id: int | None) -> GuildSettings:
    """Set the server's `kind` channel (None: back to the default). Creates the row if needed."""
    field = _field(kind)
    with transaction.atomic():
        row, _ = GuildSettings.objects.select_for_update().get_or_create(guild_id=guild_id)
        setattr(row, field, channel_id)
        row.save(update_fields=[field, "updated_at"])
    return row


def language_set(*, guild_id: int, language: str) -> GuildSettings:
    code = (language or "").strip().lower()
    if code not in LANGUAGES:
        raise InvalidInput(
            f"`{code[:10]}` isn't a supported language: use one of {', '.join(LANGUAGES)}.", code="invalid_language"
        )
    with transaction.atomic():
        row, _ = GuildSettings.objects.select_for_update().get_or_create(guild_id=guild_id)
        row.language = code
        row.save(update_fields=["language", "updated_at"])
    return row
