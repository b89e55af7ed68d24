from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from leaderboard.catalog import DEFAULT_GAMES, VERIFIED_GAMES
from leaderboard.games import catalog_invalidate
from leaderboard.models import Game


def ensure_games() -> dict[str, Game]:
    """The ten default games (the data migration's rows are gone after a transactional test)."""
    games = {}
    for slug, label, max_score in DEFAULT_GAMES:
        trust = "verified" if slug in VERIFIED_GAMES else "open"
        games[slug], _ = Game.objects.get_or_create(
            slug=slug, defaults={"label": label, "max_score": max_score, "trust": trust}
        )
    catalog_invalidate()
    return games


def submit(user: Any, game: str, score: int, at: datetime | None = None) -> Any:
    """A player's own submission (on a `verified` game, like chess, it is pending)."""
    from leaderboard.services import score_submit

    return score_submit(user=user, game=game, score=score, achieved_at=at)


def unreachable_redis() -> redis.Redis:
    """A client for a port nobody listens on (found free, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_connect_timeout=0.2,
        socket_timeout=0.2,
        decode_responses=True,
        retry=Retry(NoBackoff(), 0),
    )
