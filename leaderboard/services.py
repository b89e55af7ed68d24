"""Leaderboard writes: score submission (and, in rebuild.py, repairing the boards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone
from redis.exceptions import RedisError

from common.errors import InvalidInput
from leaderboard import boards
from leaderboard.games import game_catalog, game_for_submission
from leaderboard.models import Score
from leaderboard.rules import ALL_BOARD, PERIODS


@dataclass(frozen=True)
class Submission:
    score_id: int
    game: str
    score: int
    achieved_at: datetime
    best: int | None
    rank: int | None  # on the game's all-time board
    period_ranks: dict[str, int | None]  # on the game's board, per period
    boards_updated: bool  # False: stored, but Redis was down; `rebuild_leaderboards` repairs

    def as_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "score": self.score,
            "best": self.best,
            "rank": self.rank,
            "period_ranks": self.period_ranks,
            "boards_updated": self.boards_updated,
        }


def score_submit(*, user: Any, game: object, score: object, achieved_at: datetime | None = None) -> Submission:
    """Store one score, then apply it to the live boards.

    The database row is the record: it commits first, so a score is never lost, even when Redis
    is down. Then every board of the submission is updated in one atomic Lua script (only
    improvements count). If Redis can't be reached the submission still succeeds with
    `boards_updated=False`; `manage.py rebuild_leaderboards` brings the boards back in line.
    Call it outside any transaction: the boards move right after the row's own commit.
    `achieved_at` is for imports and tests; the API always uses now.
    """
    catalog = game_catalog()
    info = game_for_submission(catalog, game)
    if not isinstance(score, int) or isinstance(score, bool):
        raise InvalidInput("score must be a whole number.", code="invalid_score")
    if not 0 <= score <= info.max_score:
        raise InvalidInput(f"{info.label} scores go from 0 to {info.max_score}.", code="score_out_of_range")
    at = achieved_at or timezone.now()
    # One INSERT is atomic on its own: outside a transaction it commits at once, with one round
    # trip instead of three (BEGIN, INSERT, COMMIT) on the submission hot path.
    row = Score.objects.create(user_id=user.pk, game_id=info.id, value=score, achieved_at=at)
    try:
        recorded = boards.board_record(
            user_id=user.pk,
            username=user.username,
            game=info.slug,
            slugs=catalog.slugs,
            value=score,
            achieved_at=at,
            score_id=row.pk,
        )
    except boards.BoardsUnavailable:
        best = Score.objects.filter(user_id=user.pk, game_id=info.id).aggregate(best=Max("value"))["best"]
        return Submission(
            score_id=row.pk,
            game=info.slug,
            score=score,
            achieved_at=at,
            best=best,
            rank=None,
            period_ranks=dict.fromkeys(PERIODS),
            boards_updated=False,
        )
    return Submission(
        score_id=row.pk,
        game=info.slug,
        score=score,
        achieved_at=at,
        best=recorded.best,
        rank=recorded.ranks["all"],
        period_ranks={p: recorded.ranks[p] for p in ("day", "week", "month", "all")},
        boards_updated=True,
    )


def periods_rollover() -> None:
    """Clock tick: when a day, week or month begins, push the (now empty) new boards to sockets."""
    try:
        rolled = boards.rollover_check()
    except RedisError:
        return  # Redis down: nothing to push; the next tick tries again
    if rolled:
        boards.notify_all_boards([ALL_BOARD, *game_catalog().slugs], tuple(rolled))
