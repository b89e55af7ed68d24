"""Season archive (issue 17): time `seasons_archive` for a week of scores on PostgreSQL.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gameconnect_bench .venv/bin/python bench/seasons.py

Knobs: BENCH_SCORES (1000000), BENCH_PLAYERS (100000). EMPTIES the scores and seasons of the
database it is given (migrated first), seeds BENCH_PLAYERS players and BENCH_SCORES ranked scores
spread over ISO week 2026-W49 with COPY, then times one archive of the day, week and month that
ended at Monday 7 December 2026 00:05 UTC (33 boards, weekly prizes paid), and a second call
(nothing to do). Prints seconds and rows.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gameconnect_bench"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from gamers.models import Gamer  # noqa: E402
from leaderboard.games import game_catalog  # noqa: E402
from leaderboard.models import Season, SeasonEntry  # noqa: E402
from leaderboard.seasons import seasons_archive  # noqa: E402

SCORES = int(os.environ.get("BENCH_SCORES", "1000000"))
PLAYERS = int(os.environ.get("BENCH_PLAYERS", "100000"))
NOW = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 30, tzinfo=UTC)


def seed(rng: random.Random) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leaderboard_seasonprize, leaderboard_seasonentry, leaderboard_season, leaderboard_score"
        )
    have = Gamer.objects.filter(email__endswith="@seasons.bench").count()
    if have < PLAYERS:
        fields = [f for f in Gamer._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {Gamer._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for n in range(have, PLAYERS):
                gamer = Gamer(username=f"season bench {n}", email=f"p{n}@seasons.bench", password="!", coins=0)
                gamer.derive_columns()
                copy.write_row(tuple(f.get_db_prep_save(getattr(gamer, f.attname), connection) for f in fields))
    ids = list(Gamer.objects.filter(email__endswith="@seasons.bench").values_list("pk", flat=True)[:PLAYERS])
    games = list(game_catalog().games)
    span = timedelta(days=7).total_seconds()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY leaderboard_score (user_id, game_id, value, achieved_at, status, source) FROM STDIN"
        ) as copy,
    ):
        for _ in range(SCORES):
            game = rng.choice(games)
            at = WEEK_START + timedelta(seconds=rng.random() * span)
            copy.write_row((rng.choice(ids), game.id, rng.randrange(game.max_score + 1), at, "ranked", "server"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leaderboard_score")


def main() -> None:
    call_command("migrate", verbosity=0)
    rng = random.Random(17)
    t0 = time.perf_counter()
    seed(rng)
    print(f"seeded {SCORES:,} scores from {PLAYERS:,} players in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    result = seasons_archive(now=NOW)
    first = time.perf_counter() - t0
    rows = SeasonEntry.objects.count()
    print(f"archive: {first:.2f} s for {len(result.seasons)} season boards, {rows:,} rows kept")
    t0 = time.perf_counter()
    again = seasons_archive(now=NOW)
    print(f"second call (nothing to do): {(time.perf_counter() - t0) * 1000:.1f} ms, {len(again.seasons)} created")
    week = Season.objects.get(board="all", key="w2026-W49")
    print(f"all board of w2026-W49: {week.players:,} players, {week.entries:,} rows kept")


if __name__ == "__main__":
    main()
