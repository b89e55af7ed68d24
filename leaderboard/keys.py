"""Game-server keys (SPEC §6): created and revoked by admins, shown once, stored as a SHA-256.

A key is `gck_` and 32 random bytes from `secrets` (43 URL-safe characters). A fast hash is
right for it, as for GitHub or Stripe tokens: nobody can guess 256 random bits, so there is
nothing for a slow hash to slow down, and a lookup by hash needs no constant-time compare.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import audit_record
from common.errors import InvalidInput, NotFound
from leaderboard.models import Game, GameKey

KEY_PREFIX = "gck_"
PREFIX_LENGTH = 8  # GameKey.prefix: what lists show of a key
NAME_MAX = GameKey._meta.get_field("name").max_length or 80


def key_hash(key: str) -> str:
    """SHA-256 hex of a key (what GameKey.key_hash holds)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_generate() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _game(game: Game | str) -> Game:
    if isinstance(game, Game):
        return game
    found = Game.objects.filter(slug=game).first() if isinstance(game, str) else None
    if found is None:
        raise NotFound(f"Unknown game {game!r}; see /leaderboard/games.", code="unknown_game")
    return found


def key_create(*, game: Game | str, name: object, by: Any) -> tuple[GameKey, str]:
    """A new key for `game` (a Game or its slug), audited (`game_key_create`): the row and the
    plaintext key, which is kept nowhere; show it to the admin once."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Give the key a name (say, the server it is for).", code="invalid_name", field="name")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(f"A key name has at most {NAME_MAX} characters.", code="invalid_name", field="name")
    found = _game(game)
    plaintext = key_generate()
    with transaction.atomic():
        key = GameKey.objects.create(
            game=found,
            name=name,
            prefix=plaintext[:PREFIX_LENGTH],
            key_hash=key_hash(plaintext),
            created_by=by if getattr(by, "pk", None) else None,
            created_at=timezone.now(),
        )
        audit_record(actor=by, action="game_key_create", target_type="game_key", target_id=key.pk, reason=str(key))
    return key, plaintext


def key_revoke(*, key_id: int, by: Any) -> GameKey:
    """Revoke a key at once (the next request with it is 401), audited (`game_key_revoke`).
    Idempotent: revoking a revoked key changes nothing and writes no second audit row."""
    with transaction.atomic():
        key = GameKey.objects.select_for_update().filter(pk=key_id).first()
        if key is None:
            raise NotFound("No such key.", code="not_found")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(actor=by, action="game_key_revoke", target_type="game_key", target_id=key.pk, reason=str(key))
    return key


def key_list(*, game: Game | str) -> QuerySet[GameKey]:
    """A game's keys, newest first, with their creators (no key is ever shown again)."""
    return GameKey.objects.filter(game=_game(game)).select_related("created_by")


def key_authenticate(key: str) -> GameKey | None:
    """The live (unrevoked) key `key` is, with its game; None for anything else."""
    if not key.startswith(KEY_PREFIX):
        return None
    return GameKey.objects.select_related("game").filter(key_hash=key_hash(key), revoked_at__isnull=True).first()
