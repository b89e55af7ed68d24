"""Demo-data plumbing: `seed_demo` calls each app's `seed(ctx)` in order (SPEC §10).

An app adds demo data by defining `<app>/seed.py` with `def seed(ctx: SeedContext) -> None`.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from typing import IO, Any

# Order matters: later apps use the accounts and games made by earlier ones.
SEED_APPS = ["gamers", "leaderboard", "trivia", "sessions_app", "events", "moderation", "bot"]


@dataclass
class SeedContext:
    stdout: IO[str] | Any
    players: int = 50
    scores: int = 20000
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    # Filled by the gamers seeder; used by the others.
    credentials: list[tuple[str, str, str]] = field(default_factory=list)

    def say(self, message: str) -> None:
        self.stdout.write(message + "\n")


def run_seeders(ctx: SeedContext) -> None:
    for app in SEED_APPS:
        try:
            module = importlib.import_module(f"{app}.seed")
        except ModuleNotFoundError as exc:
            if exc.name == f"{app}.seed":
                continue
            raise
        module.seed(ctx)
