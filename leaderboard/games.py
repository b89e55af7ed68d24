"""The game catalogue, cached in each process (every submission and board read needs it).

The cache is dropped when a Game is saved or deleted in this process, and reloaded at least
every CATALOG_TTL_SECONDS, so another process's admin edit shows up within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async

from common.errors import InvalidInput, NotFound
from leaderboard.rules import ALL_BOARD

CATALOG_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class GameInfo:
    id: int
    slug: str
    label: str
    max_score: int
    order: str = "desc"  # models.ScoreOrder
    trust: str = "open"  # models.Trust

    @property
    def asc(self) -> bool:
        return self.order == "asc"

    @property
    def asc_max(self) -> int:
        """What boards.record_call and the reads take: max_score for `asc` games, else 0."""
        return self.max_score if self.asc else 0

    @property
    def verified(self) -> bool:
        return self.trust == "verified"


@dataclass(frozen=True)
class Catalog:
    games: tuple[GameInfo, ...]  # ordered by label
    by_slug: dict[str, GameInfo]
    by_id: dict[int, GameInfo]

    @property
    def slugs(self) -> list[str]:
        """Slugs in a fixed order (by id): the order of game boards in the record script."""
        return [g.slug for g in sorted(self.games, key=lambda g: g.id)]

    @property
    def summed(self) -> list[str]:
        """The games whose bests add up to the `all` board (the `desc` ones), in slugs' order."""
        return [slug for slug in self.slugs if not self.by_slug[slug].asc]

    def asc_max(self, board: str) -> int:
        """GameInfo.asc_max of a board (0 for `all` and `desc` games)."""
        info = self.by_slug.get(board)
        return info.asc_max if info is not None else 0


_lock = threading.Lock()
_cached: tuple[float, Catalog] | None = None


def _load() -> Catalog:
    from leaderboard.models import Game

    games = tuple(
        GameInfo(id=g.id, slug=g.slug, label=g.label, max_score=g.max_score, order=g.order, trust=g.trust)
        for g in Game.objects.order_by("label")
    )
    return Catalog(games=games, by_slug={g.slug: g for g in games}, by_id={g.id: g for g in games})


def _fresh() -> Catalog | None:
    cached = _cached
    if cached is not None and time.monotonic() - cached[0] < CATALOG_TTL_SECONDS:
        return cached[1]
    return None


def game_catalog() -> Catalog:
    """The catalogue (sync; may query the database)."""
    global _cached
    catalog = _fresh()
    if catalog is None:
        catalog = _load()
        with _lock:
            _cached = (time.monotonic(), catalog)
    return catalog


async def agame_catalog() -> Catalog:
    """The catalogue from async code: no thread hop while the cache is fresh."""
    catalog = _fresh()
    return catalog if catalog is not None else await database_sync_to_async(game_catalog)()


def catalog_invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def game_for_submission(catalog: Catalog, slug: object) -> GameInfo:
    """The game a score is submitted to; 400 for anything else (including `all`)."""
    game = catalog.by_slug.get(slug) if isinstance(slug, str) else None
    if game is None:
        raise InvalidInput(f"Unknown game {slug!r}; see /leaderboard/games.", code="unknown_game")
    return game


def board_name(catalog: Catalog, slug: object, *, not_found: bool = True) -> str:
    """A board: `all` or a game slug. Unknown: 404 (a path) or 400 (a query or frame field)."""
    if slug == ALL_BOARD or (isinstance(slug, str) and slug in catalog.by_slug):
        return str(slug)
    message = f"Unknown game {slug!r}; use `all` or a slug from /leaderboard/games."
    if not_found:
        raise NotFound(message, code="unknown_game")
    raise InvalidInput(message, code="unknown_game")
