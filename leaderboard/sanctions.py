"""Moderating the boards (SPEC §6): void a score, suspend a player from a game's boards.

Both are audited. Voiding recomputes what the score fed, for that player only and without a
full rebuild: in the score's transaction the report aggregates (reports.aggregates_rebuild of the
player), right after its commit every current board the player is on (rebuild.
boards_refresh_players: their best per game and period from the remaining ranked rows, and the
`all` sums). A suspension is honoured where every write path stores scores
(services.scores_record); it does not hide scores already on the boards: void those.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from redis.exceptions import RedisError

from audit.services import audit_record
from common.errors import Conflict, InvalidInput, NotFound, ServiceError
from gamers.models import Gamer
from leaderboard.games import game_catalog, game_for_submission
from leaderboard.models import Score, ScoreStatus, Suspension
from leaderboard.rebuild import boards_refresh_players
from leaderboard.reports import aggregates_rebuild

logger = logging.getLogger("gameconnect.leaderboard")


def score_void(*, score_id: int, by: Any, reason: str = "") -> Score:
    """Void a ranked or pending score: it stays in the history, on no board and in no report."""
    with transaction.atomic():
        score = Score.objects.select_for_update().filter(pk=score_id).first()
        if score is None:
            raise NotFound(gettext("No such score."), code="score_not_found")
        if score.status == ScoreStatus.VOID:
            raise Conflict(gettext("This score is already void."), code="already_void")
        was_ranked = score.status == ScoreStatus.RANKED
        score.status = ScoreStatus.VOID
        score.save(update_fields=["status"])
        audit_record(actor=by, action="score_void", target_type="score", target_id=score.pk, reason=reason)
        if was_ranked:
            aggregates_rebuild([score.user_id])
            transaction.on_commit(lambda: boards_refresh_after_commit([score.user_id]))
    return score


def boards_refresh_after_commit(user_ids: list[int]) -> None:
    """Recompute these players' boards now; Redis down: logged, `rebuild_leaderboards` repairs."""
    try:
        boards_refresh_players(user_ids)
    except (RedisError, ServiceError):
        logger.warning("boards of players %s not refreshed; run rebuild_leaderboards", user_ids)


def suspension_create(*, game: object, user_id: object, until: datetime, reason: str, by: Any) -> Suspension:
    """Keep a player off a game's boards until `until` (every write path refuses their scores)."""
    info = game_for_submission(game_catalog(), game)
    if until <= timezone.now():
        raise InvalidInput(gettext("until must be in the future."), code="until_in_past")
    player = Gamer.objects.filter(pk=user_id).only("pk").first() if isinstance(user_id, int) else None
    if player is None:
        raise InvalidInput(gettext("No such player."), code="unknown_player")
    with transaction.atomic():
        suspension = Suspension.objects.create(
            user_id=player.pk, game_id=info.id, until=until, reason=reason, created_by=by if by.pk else None
        )
        audit_record(
            actor=by,
            action="score_suspend",
            target_type="gamer",
            target_id=player.pk,
            reason=f"{info.slug} until {until:%Y-%m-%d %H:%M} UTC: {reason}",
        )
    return suspension


def suspension_lift(*, suspension_id: int, by: Any) -> Suspension:
    """End a suspension now (audited); lifting one that is over is a no-op."""
    with transaction.atomic():
        suspension = Suspension.objects.select_for_update().filter(pk=suspension_id).first()
        if suspension is None:
            raise NotFound(gettext("No such suspension."), code="suspension_not_found")
        now = timezone.now()
        if suspension.until > now:
            suspension.until = now
            suspension.save(update_fields=["until"])
            audit_record(actor=by, action="score_suspension_lift", target_type="gamer", target_id=suspension.user_id)
    return suspension
