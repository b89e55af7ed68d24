from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError

from leaderboard.boards import BoardsUnavailable, breaker_reset
from leaderboard.rebuild import boards_rebuild


class Command(BaseCommand):
    help = "Restore every leaderboard (current day, week, month and all time) in Redis from the score history."

    def handle(self, *args: Any, **options: Any) -> None:
        breaker_reset()
        try:
            stats = boards_rebuild(stream=self.stdout)
        except (RedisError, BoardsUnavailable) as exc:
            raise CommandError(f"Redis is unavailable, nothing was changed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {stats.boards} boards ({stats.entries} entries, {stats.players} players, "
                f"{stats.replayed} recent scores replayed) in {stats.seconds:.1f}s."
            )
        )
