"""Linking a Discord account from the web (SPEC §8 "Link without the API"), and unlinking.

`link` with no code: the bot calls `link_request_create` and answers with `link_url(token)`, a
page that asks the signed-in user to confirm and posts the token to `POST /auth/discord/link`
(`link_request_use`). The token is random (32 bytes), only its SHA-256 is stored, it expires
after LINK_REQUEST_TTL and works once: the first use sets `used_at` with a compare-and-set
UPDATE, so two racing posts can't both bind. Binding goes through gamers' link-code service
(`discord_link`), so its rules hold here too: a Discord user links to one account only
(409 `discord_already_linked`), and re-linking an account replaces its old binding.

Web-process code: no discord.py import here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bot.models import DiscordLinkRequest
from common.errors import Conflict, InvalidInput, NotFound
from gamers.models import Gamer
from gamers.services import discord_link, discord_link_code_create
from gamers.services.notifications import absolute_url

LINK_REQUEST_TTL = timedelta(minutes=10)
# Expired requests stay this long so the page can say "expired" rather than "unknown".
LINK_REQUEST_KEEP = timedelta(days=1)
LINK_PAGE = "/discord/link"


@dataclass(frozen=True)
class LinkRequest:
    token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    """The page's absolute address (SITE_URL) carrying the token."""
    return absolute_url(f"{LINK_PAGE}?token={token}")


def link_request_create(*, discord_id: int | str, discord_name: str = "", now: datetime | None = None) -> LinkRequest:
    """A fresh one-use token for this Discord user; their older unused requests stop working."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        DiscordLinkRequest.objects.filter(discord_id=str(discord_id), used_at__isnull=True).delete()
        DiscordLinkRequest.objects.filter(expires_at__lt=now - LINK_REQUEST_KEEP).delete()
        request = DiscordLinkRequest.objects.create(
            token_hash=_hash(token),
            discord_id=str(discord_id),
            discord_name=discord_name[:100],
            created_at=now,
            expires_at=now + LINK_REQUEST_TTL,
        )
    return LinkRequest(token=token, expires_at=request.expires_at)


@transaction.atomic
def link_request_use(*, token: str, user: Any) -> Gamer:
    """Bind the Discord user of `token` to `user`. 404 `link_token_invalid` (unknown or forged),
    409 `link_token_used`, 400 `link_token_expired`, 409 `discord_already_linked`.

    The token is spent only when the binding succeeds (a refusal leaves it usable, like a code).
    """
    now = timezone.now()
    request = DiscordLinkRequest.objects.select_for_update().filter(token_hash=_hash(str(token)[:200])).first()
    if request is None:
        raise NotFound("That link is not valid. Ask the bot for a new one with `link`.", code="link_token_invalid")
    if request.used_at is not None:
        raise Conflict("That link was already used. Ask the bot for a new one with `link`.", code="link_token_used")
    if request.expires_at <= now:
        raise InvalidInput("That link has expired. Ask the bot for a new one with `link`.", code="link_token_expired")
    # Compare-and-set: whatever the database's locking, only one use can flip used_at.
    if not DiscordLinkRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=now, used_by=user):
        raise Conflict("That link was already used. Ask the bot for a new one with `link`.", code="link_token_used")
    code = discord_link_code_create(user=user)
    return discord_link(code=code.code, discord_id=request.discord_id)


def discord_unlink(*, user: Any) -> bool:
    """Remove the account's Discord binding; returns whether there was one. Idempotent."""
    return bool(Gamer.objects.filter(pk=user.pk, discord_id__isnull=False).update(discord_id=None))


def discord_unlink_by_discord_id(*, discord_id: int | str) -> Gamer | None:
    """`unlink` from Discord: the account that was linked to this Discord user, or None."""
    with transaction.atomic():
        gamer = Gamer.objects.select_for_update().filter(discord_id=str(discord_id)).first()
        if gamer is None:
            return None
        Gamer.objects.filter(pk=gamer.pk).update(discord_id=None)
        gamer.discord_id = None
        return gamer
