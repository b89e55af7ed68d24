"""Leaderboard test fixtures: the ten games (transactional tests flush the data migration's
rows), a fresh game cache and Redis breaker. Socket tests shorten the push interval."""

from __future__ import annotations

from typing import Any

import pytest

from leaderboard.boards import breaker_reset
from leaderboard.games import catalog_invalidate


@pytest.fixture(autouse=True)
def _leaderboard_defaults(settings: Any) -> None:
    settings.LEADERBOARD_WS_FRAMES_PER_SECOND = 1000
    catalog_invalidate()
    breaker_reset()


@pytest.fixture
def games(db: Any) -> dict[str, Any]:
    from leaderboard.tests.factories import ensure_games

    return ensure_games()
