"""The leaderboard's fixtures (the ten games, a fresh game cache and Redis breaker)."""

from leaderboard.tests.conftest import _leaderboard_defaults, games

__all__ = ["_leaderboard_defaults", "games"]
