"""Keeping the boards and the game cache in step with deletions and edits made elsewhere."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from redis.exceptions import RedisError

from common.errors import ServiceError
from leaderboard.games import catalog_invalidate
from leaderboard.models import Game

logger = logging.getLogger("gameconnect.leaderboard")

_lock = threading.Lock()
_deleted_players: set[int] = set()


@receiver([post_save, post_delete], sender=Game)
def _game_changed(**kwargs: Any) -> None:
    catalog_invalidate()


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _player_deleted(instance: Any, **kwargs: Any) -> None:
    """A deleted account leaves every board (its scores went with it) once the delete commits.

    Deleting many accounts at once queues one flush per account; the first takes them all.
    """
    with _lock:
        _deleted_players.add(instance.pk)
    transaction.on_commit(_forget_deleted_players)


def _forget_deleted_players() -> None:
    from gamers.models import Gamer
    from leaderboard.boards import board_forget, notify_all_boards
    from leaderboard.games import game_catalog
    from leaderboard.rules import ALL_BOARD

    with _lock:
        ids = list(_deleted_players)
        _deleted_players.clear()
    if not ids:
        return
    # An account whose delete was rolled back is still there: keep it on the boards.
    alive = set(Gamer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    gone = [pk for pk in ids if pk not in alive]
    if not gone:
        return
    try:
        board_forget(gone)
        notify_all_boards([ALL_BOARD, *game_catalog().slugs])
    except (RedisError, ServiceError):
        logger.warning("could not take %d deleted players off the boards; rebuild_leaderboards will", len(gone))
