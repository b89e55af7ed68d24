"""Confirming pending scores (SPEC §6 "Boards people can trust").

A player's own score on a `verified` game is stored `pending` (services.ScoreEntry.status): on
no board, in no report. A moderator, or the organizer of a session the player attended, confirms
it: `score_confirm` turns it `ranked` with source `confirmed`, folds it into the report
aggregates in the same transaction, then applies it to the live boards.

Who may confirm is decided one layer up (squads: it needs the sessions, which this app may not
import): the caller passes `may_confirm`, asked under the score's row lock with the score's
player, so the decision and the change see the same row.

The boards follow the commit: if Redis is down then, the score is ranked in the database (the
truth) and the answer says `boards_updated: false`; `manage.py rebuild_leaderboards` (and the
embedded default's rebuild at start) brings the boards in line, as after any submission made
while Redis was down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext

from audit.services import audit_record
from common.errors import Conflict, NotFound, PermissionDenied
from common.transactions import assert_no_transaction
from leaderboard import boards
from leaderboard.games import game_catalog
from leaderboard.models import Score, ScoreSource, ScoreStatus
from leaderboard.reports import aggregates_add
from leaderboard.rules import PERIODS
from leaderboard.services import Submission, Suspended, ranked_best, suspensions_in_force

CONFIRM_ACTION = "confirm_score"


def score_confirm(*, score_id: int, by: Any, may_confirm: Callable[[int], bool]) -> Submission:
    """Rank a pending score (pending -> ranked, source `confirmed`), audited.

    404 `not_found` (no such score), 403 `not_allowed` when `may_confirm(player id)` says no (the
    player themselves never may), 409 `not_pending` (already confirmed, ranked from the start,
    or void: the compare-and-set under the row lock makes a second confirm fail), 403
    `suspended` when the player is suspended from the game. Call it outside any transaction:
    the boards move right after the commit.
    """
    assert_no_transaction("score_confirm")
    catalog = game_catalog()
    with transaction.atomic():
        score = Score.objects.select_for_update().select_related("user").filter(pk=score_id).first()
        if score is None:
            raise NotFound(gettext("No score with that id."), code="not_found")
        if score.user_id == getattr(by, "pk", None) or not may_confirm(score.user_id):
            raise PermissionDenied(
                gettext("Only a moderator or the organizer of a session this player attended can confirm it."),
                code="not_allowed",
            )
        if score.status != ScoreStatus.PENDING:
            raise Conflict(
                gettext("This score is %(status)s, not pending.") % {"status": score.status}, code="not_pending"
            )
        info = catalog.by_id[score.game_id]
        suspended = suspensions_in_force({(score.user_id, score.game_id)})
        if suspended:
            raise Suspended(info.label, suspended[(score.user_id, score.game_id)])
        changed = Score.objects.filter(pk=score.pk, status=ScoreStatus.PENDING).update(
            status=ScoreStatus.RANKED, source=ScoreSource.CONFIRMED
        )
        if changed != 1:  # the row lock makes this unreachable; the compare-and-set backs it up
            raise Conflict(gettext("This score is no longer pending."), code="not_pending")
        if not info.asc:  # the report aggregates hold `desc` games only (reports._counted)
            aggregates_add([(score.user_id, score.game_id, score.value, score.achieved_at)])
        audit_record(
            actor=by,
            action=CONFIRM_ACTION,
            target_type="score",
            target_id=score.pk,
            reason=f"{info.slug} {score.value} by {score.user.username}",
        )
    ranks: dict[str, int | None] = dict.fromkeys(PERIODS)
    try:
        recorded = boards.board_record(
            user_id=score.user_id,
            username=score.user.username,
            game=info.slug,
            slugs=catalog.summed,
            value=score.value,
            achieved_at=score.achieved_at,
            score_id=score.pk,
            asc_max=info.asc_max,
        )
    except boards.BoardsUnavailable:
        best, updated = ranked_best(score.user_id, info), False
    else:
        best, updated = recorded.best, True
        ranks = {p: recorded.ranks[p] for p in PERIODS}
    return Submission(
        score_id=score.pk,
        game=info.slug,
        score=score.value,
        achieved_at=score.achieved_at,
        best=best,
        rank=ranks["all"],
        period_ranks=ranks,
        boards_updated=updated,
        status=ScoreStatus.RANKED,
    )


def pending_scores(*, player_ids: QuerySet[Any] | Iterable[int] | None) -> QuerySet[Score]:
    """Pending scores, oldest first (by id: a pending score is a self-report stamped when it
    was written), as rows {id, game, player, user_id, score, achieved_at}; one query per page.

    `game_slug` is the game's slug. `player_ids`: only these players' scores (a values_list subquery is kept in SQL); None: all.
    """
    rows = Score.objects.filter(status=ScoreStatus.PENDING)
    if player_ids is not None:
        rows = rows.filter(user_id__in=player_ids)
    return rows.order_by("id").values(  # type: ignore[return-value]  # rows, not instances
        "id", "user_id", "achieved_at", game_slug=F("game__slug"), player=F("user__username"), score=F("value")
    )
