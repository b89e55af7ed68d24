from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from leaderboard.models import PlayerPeriod, ScorePeriod
from leaderboard.reports import aggregates_rebuild


class Command(BaseCommand):
    help = "Recompute the report aggregates (per day, month, year and all time) from the score history."

    def handle(self, *args: Any, **options: Any) -> None:
        aggregates_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {ScorePeriod.objects.count()} player-game and {PlayerPeriod.objects.count()} player buckets."
            )
        )
