from __future__ import annotations

from django.db.models import Q, QuerySet

from gamers.models import CoinTransaction, Gamer
from gamers.rules import clean_username, username_key, username_skeleton
from gamers.stats import annotate_stats


def username_available(username: str) -> bool:
    """False when the username is taken in any case, or looks like one that is (same skeleton)."""
    name = clean_username(username)
    return not Gamer.objects.filter(
        Q(username_key=username_key(name)) | Q(username_skeleton=username_skeleton(name))
    ).exists()


def gamer_list(*, search: str | None = None, role: str | None = None) -> QuerySet[Gamer]:
    qs = Gamer.objects.all().order_by("id")
    if search:
        qs = qs.filter(Q(username_key__contains=username_key(search)) | Q(email__icontains=search.strip()))
    if role:
        qs = qs.filter(role=role)
    return qs


def gamer_profile(gamer_id: int) -> Gamer | None:
    """One gamer with the `stat_*` annotations of the public profile."""
    return annotate_stats(Gamer.objects.filter(pk=gamer_id)).first()


def gamer_by_discord_id(discord_id: str | int) -> Gamer | None:
    """The active account the Discord user is linked to, if any (the bot's `ctx.author`)."""
    return Gamer.objects.filter(discord_id=str(discord_id), is_active=True).first()


def coin_history(*, user: Gamer) -> QuerySet[CoinTransaction]:
    """The account's coin ledger, newest first (served by the (gamer, -created_at) index)."""
    return CoinTransaction.objects.filter(gamer_id=user.pk).order_by("-created_at", "-id")
