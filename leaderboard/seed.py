"""Demo scores: `ctx.scores` submissions over the last 6 months, from enough players.

There is one player per SCORES_PER_PLAYER scores: the demo gamers made by the gamers seeder,
plus extra players created here in bulk (so `seed_demo --scores 1000000` gives 100,000 players
without registering them one by one; each still gets its starting coins and ledger row).
Scores are generated, sorted by time (so ids grow with time, as live submissions do), bulk
inserted in batches (COPY on PostgreSQL), the report aggregates are derived from them, and the boards are rebuilt from them once the seeding transaction commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from common.progress import Progress
from common.roles import Role
from common.seeding import SeedContext
from gamers.models import CoinTransaction, Gamer
from gamers.services import CoinEntry, coins_apply_many
from leaderboard.boards import BoardsUnavailable
from leaderboard.games import GameInfo, game_catalog
from leaderboard.models import Score, ScoreSource, ScoreStatus
from leaderboard.rebuild import boards_rebuild
from leaderboard.reports import aggregates_rebuild

SCORES_PER_PLAYER = 10
HISTORY = timedelta(days=183)
BATCH = 5000

FIRST = ["Aziz", "Yasmine", "Skander", "Meriem", "Amine", "Ines", "Youssef", "Rania", "Mehdi", "Salma"]
TAGS = ["Sniper", "Falcon", "Tiger", "Ninja", "Ghost", "Storm", "Viper", "Wolf", "Phoenix", "Joker"]


def _extra_players(ctx: SeedContext, count: int) -> list[int]:
    """Bulk-create `count` players (unusable passwords), then give them their starting coins
    through the ledger (gamers.services.coins_apply_many), so each balance equals its ledger."""
    if count <= 0:
        return []
    coins = settings.STARTING_COINS
    now = timezone.now()
    start = Gamer.objects.count()
    first_id = (Gamer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    bar = Progress(count, "score players", ctx.stdout)
    for offset in range(0, count, BATCH):
        batch = []
        for n in range(start + offset + 1, start + min(offset + BATCH, count) + 1):
            name = f"{ctx.rng.choice(TAGS)} {ctx.rng.choice(FIRST)} #{n}"
            player = Gamer(
                username=name,
                email=f"player{n}@scores.gameconnect.tn",
                password="!" + secrets.token_urlsafe(24),  # unusable, as set_unusable_password makes
                role=Role.GAMER,
                coins=0,
                joined=now - HISTORY * ctx.rng.random(),
                email_verified=True,
            )
            player.derive_columns()
            batch.append(player)
        _write_players(batch)
        bar.advance(len(batch))
    bar.finish()
    joined = list(
        Gamer.objects.filter(pk__gte=first_id, email__endswith="@scores.gameconnect.tn").values_list("pk", "joined")
    )
    signup = CoinTransaction.Reason.SIGNUP
    for offset in range(0, len(joined), BATCH):
        coins_apply_many([CoinEntry(pk, coins, signup, at=at) for pk, at in joined[offset : offset + BATCH]])
    return [pk for pk, _ in joined]


def _write_players(batch: list[Gamer]) -> None:
    """COPY on PostgreSQL (bulk_create's per-row RETURNING is the slow part at 100,000 rows).
    Every concrete column but the id is written, prepared by its field as `save()` would."""
    if connection.vendor != "postgresql":
        Gamer.objects.bulk_create(batch)
        return
    fields = [f for f in Gamer._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    copy_sql = f"COPY {Gamer._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for gamer in batch:
            copy.write_row(tuple(f.get_db_prep_save(getattr(gamer, f.attname), connection) for f in fields))


def _value(ctx: SeedContext, game: GameInfo) -> int:
    # Most scores are middling, a few near the top: a skewed bell under max_score.
    return min(game.max_score, int(game.max_score * ctx.rng.betavariate(2.0, 5.0)))


def _insert_scores(ctx: SeedContext, players: list[int], games: list[GameInfo], now: datetime) -> None:
    rng = ctx.rng
    # Popular games get more scores.
    weights = [1.0 / (rank + 2) for rank in range(len(games))]
    rng.shuffle(weights)
    span = HISTORY.total_seconds()
    bar = Progress(ctx.scores, "scores", ctx.stdout)
    # Times first, sorted, so ids follow time; then rows are made and written batch by batch.
    offsets = sorted((rng.random() * span for _ in range(ctx.scores)), reverse=True)
    picks = rng.choices(games, weights=weights, k=ctx.scores)
    for start in range(0, ctx.scores, BATCH):
        rows = [
            (
                players[rng.randrange(len(players))],
                picks[i].id,
                _value(ctx, picks[i]),
                now - timedelta(seconds=offsets[i]),
                # Demo history ranks: on a `verified` game it stands for a game server's scores.
                str(ScoreSource.SERVER if picks[i].verified else ScoreSource.PLAYER),
            )
            for i in range(start, min(start + BATCH, ctx.scores))
        ]
        _write_scores(rows)
        bar.advance(len(rows))
    bar.finish()


def _write_scores(rows: list[tuple[int, int, int, datetime, str]]) -> None:
    """Insert ranked (user_id, game_id, value, achieved_at, source) rows in order: COPY on
    PostgreSQL (about 4x faster than multi-row INSERTs at a million rows), bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        copy_sql = "COPY leaderboard_score (user_id, game_id, value, achieved_at, status, source) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row((*row[:4], str(ScoreStatus.RANKED), row[4]))
        return
    Score.objects.bulk_create(
        [Score(user_id=u, game_id=g, value=v, achieved_at=at, source=src) for u, g, v, at, src in rows],
        batch_size=BATCH,
    )


def seed(ctx: SeedContext) -> None:
    if ctx.scores <= 0:
        return
    games = list(game_catalog().games)
    if not games:
        ctx.say("No games: skipping leaderboard scores.")
        return
    players = list(Gamer.objects.filter(role=Role.GAMER).values_list("pk", flat=True))
    wanted = max(1, ctx.scores // SCORES_PER_PLAYER)
    players += _extra_players(ctx, wanted - len(players))
    _insert_scores(ctx, players, games, timezone.now())
    # The bulk inserts bypass the write path: derive the report aggregates from the stored rows.
    aggregates_rebuild()
    # After the seeding transaction commits: the boards never show rows a later seeder's failure
    # rolled back.
    transaction.on_commit(lambda: _build_boards(ctx))


def _build_boards(ctx: SeedContext) -> None:
    try:
        boards_rebuild(stream=ctx.stdout)
    except (RedisError, BoardsUnavailable) as exc:
        ctx.say(f"The scores are stored, but Redis is unavailable ({exc}): run `manage.py rebuild_leaderboards`.")
