"""Session results and score confirmations (SPEC §6 "Boards people can trust").

Both need the two domain apps at once (who attended which session, and the scores), so they
live here, one layer above `sessions_app` and `leaderboard`.

Results: the organizer of a session that has started posts `{game, scores: [{player, score}]}`;
each row is checked on its own and the accepted ones are stored through
leaderboard.services.scores_record with source `session` (verified: they rank on verified games
too). Idempotency: each accepted row first claims a SessionResult (unique session, game,
player) under the session's row lock, so a second post of the same player's result (a retry, a
double click, two organizers' tabs) answers `duplicate` for that row and stores nothing.

Confirmations: a moderator, or the organizer of a started session the player attended, ranks a
pending self-report (leaderboard.verify.score_confirm does the change; this module says who may).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import audit_record
from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from common.roles import Cap, can
from common.transactions import assert_no_transaction
from leaderboard.games import game_catalog, game_for_submission
from leaderboard.models import ScoreSource, ScoreStatus
from leaderboard.services import ScoreEntry, Submission, score_value_check, scores_record
from leaderboard.verify import pending_scores, score_confirm
from sessions_app.models import Attendance, GameSession
from squads.models import SessionResult

MAX_ROWS = 500
# A claim whose score was never written (the process died between the two steps) is free
# again after this long; a post in progress finishes well within it.
CLAIM_STALE = timedelta(minutes=2)
RESULTS_ACTION = "session_results"


@dataclass(frozen=True)
class RowResult:
    index: int
    code: str | None = None  # None: created
    submission: Submission | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.code is not None:
            return {"index": self.index, "status": "rejected", "code": self.code}
        assert self.submission is not None
        return {
            "index": self.index,
            "status": "created",
            "best": self.submission.best,
            "rank": self.submission.rank,
        }


def results_post(*, actor: Any, session_id: int, game: object, scores: list[dict[str, Any]]) -> list[RowResult]:
    """Store a session's results, row by row (SPEC §6). Rows are `{"player": id, "score": n}`.

    Whole-post refusals: 400 `too_many_rows` (more than MAX_ROWS), 400 `unknown_game`, 404
    `not_found`, 403 `not_organizer`, 409 `not_started`. Per-row codes: `not_attendee` (the
    player did not attend; unknown ids too), `own_score` (the organizer's own row: they would
    verify themselves; their score goes through a moderator or another organizer), `inactive_player`,
    `invalid_score`, `score_out_of_range`, `duplicate` (the player's result is already stored
    for this session and game, or twice in the post: the later row), `suspended`.
    """
    assert_no_transaction("results_post")
    if len(scores) > MAX_ROWS:
        raise InvalidInput(
            gettext("At most %(MAX_ROWS)s rows per post.") % {"MAX_ROWS": MAX_ROWS}, code="too_many_rows"
        )
    catalog = game_catalog()
    info = game_for_submission(catalog, game)
    session = GameSession.objects.filter(pk=session_id).only("id", "organizer_id", "starts_at").first()
    if session is None:
        raise NotFound(gettext("No session with that id."), code="not_found")
    if session.organizer_id != getattr(actor, "pk", None):
        raise PermissionDenied(gettext("Only the session's organizer can post its results."), code="not_organizer")
    now = timezone.now()
    if session.starts_at > now:
        raise Conflict(gettext("Results can be posted once the session has started."), code="not_started")

    players = {row["player"] for row in scores}
    attendees = {
        a.gamer_id: a.gamer
        for a in Attendance.objects.filter(session_id=session.pk, gamer_id__in=players)
        .select_related("gamer")
        .only("gamer_id", "gamer__id", "gamer__username", "gamer__is_active")
    }
    out: dict[int, RowResult] = {}
    accepted: dict[int, ScoreEntry] = {}
    seen: set[int] = set()
    for index, row in enumerate(scores):
        player = row["player"]
        gamer = attendees.get(player)
        if player == session.organizer_id:
            out[index] = RowResult(index, "own_score")
        elif gamer is None:
            out[index] = RowResult(index, "not_attendee")
        elif not gamer.is_active:
            out[index] = RowResult(index, "inactive_player")
        elif player in seen:
            out[index] = RowResult(index, "duplicate")
        else:
            try:
                value = score_value_check(info, row["score"])
            except ServiceError as exc:
                out[index] = RowResult(index, exc.code)
                continue
            seen.add(player)
            accepted[index] = ScoreEntry(
                gamer.pk, gamer.username, info, catalog.summed, value, None, ScoreSource.SESSION
            )

    claimed = _claim(session.pk, info.id, {i: e.user_id for i, e in accepted.items()}, now)
    for index in set(accepted) - claimed:
        out[index] = RowResult(index, "duplicate")
    indexes = sorted(claimed)
    stored = scores_record([accepted[i] for i in indexes]) if indexes else []
    links: dict[int, int] = {}  # player -> score id
    failed: list[int] = []
    for index, result in zip(indexes, stored, strict=True):
        if isinstance(result, Submission):
            out[index] = RowResult(index, submission=result)
            links[accepted[index].user_id] = result.score_id
        else:
            out[index] = RowResult(index, getattr(result, "code", None) or "not_stored")
            failed.append(accepted[index].user_id)
    with transaction.atomic():
        claims = SessionResult.objects.filter(session_id=session.pk, game_id=info.id)
        if failed:
            claims.filter(player_id__in=failed, score__isnull=True).delete()
        if links:
            mine = list(claims.filter(player_id__in=links, score__isnull=True))
            for claim in mine:
                claim.score_id = links[claim.player_id]
            SessionResult.objects.bulk_update(mine, ["score"])
        created = sum(1 for r in out.values() if r.code is None)
        audit_record(
            actor=actor,
            action=RESULTS_ACTION,
            target_type="session",
            target_id=session.pk,
            reason=f"{info.slug}: {created} of {len(scores)} rows stored",
        )
    return [out[i] for i in range(len(scores))]


def _claim(session_id: int, game_id: int, players: dict[int, int], now: Any) -> set[int]:
    """Claim a SessionResult for each accepted row (index -> player); the claimed indexes.

    Under the session's row lock, so two posts for one session claim one after the other; the
    unique constraint backs it up. A player's earlier claim blocks theirs (`duplicate`) unless
    its score was voided or it never got a score within CLAIM_STALE: then it is taken over.
    """
    if not players:
        return set()
    with transaction.atomic():
        GameSession.objects.select_for_update().filter(pk=session_id).values_list("pk", flat=True).first()
        claims = SessionResult.objects.filter(session_id=session_id, game_id=game_id, player_id__in=players.values())
        free = claims.filter(
            Q(score__status=ScoreStatus.VOID) | Q(score__isnull=True, created_at__lt=now - CLAIM_STALE)
        )
        free.delete()
        taken = set(claims.values_list("player_id", flat=True))
        mine = {i: p for i, p in players.items() if p not in taken}
        SessionResult.objects.bulk_create(
            [SessionResult(session_id=session_id, game_id=game_id, player_id=p, created_at=now) for p in mine.values()]
        )
    return set(mine)


# --- confirmations ---------------------------------------------------------------------------


def _organized_attendances(organizer_id: int) -> QuerySet[Attendance]:
    """Attendances of others at the started sessions `organizer_id` organizes."""
    return Attendance.objects.filter(
        session__organizer_id=organizer_id, session__starts_at__lte=timezone.now()
    ).exclude(gamer_id=organizer_id)


def may_confirm(user: Any, player_id: int) -> bool:
    """Moderators and admins; or the organizer of a started session the player attended."""
    if can(user, Cap.SCORES_VERIFY):
        return True
    return _organized_attendances(user.pk).filter(gamer_id=player_id).exists()


def confirm(*, score_id: int, by: Any) -> Submission:
    """POST /leaderboard/scores/{id}/confirm: see leaderboard.verify.score_confirm."""
    return score_confirm(score_id=score_id, by=by, may_confirm=lambda player_id: may_confirm(by, player_id))


def pending_for(user: Any) -> QuerySet[Any]:
    """The pending scores `user` may confirm, oldest first: all of them for moderators, the ones
    of players who attended a started session `user` organizes for an organizer, none otherwise."""
    if can(user, Cap.SCORES_VERIFY):
        return pending_scores(player_ids=None)
    return pending_scores(player_ids=_organized_attendances(user.pk).values("gamer_id"))


def pending_rows(user: Any, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's rows in the API shape, with the sessions `user` organized that each player
    attended (one query for the page)."""
    sessions: dict[int, list[int]] = {}
    players = {row["user_id"] for row in page}
    if players:
        pairs = (
            _organized_attendances(user.pk)
            .filter(gamer_id__in=players)
            .order_by("session_id")
            .values_list("gamer_id", "session_id")
        )
        for gamer_id, session_id in pairs:
            sessions.setdefault(gamer_id, []).append(session_id)
    return [
        {
            "id": row["id"],
            "game": row["game_slug"],
            "player": row["player"],
            "user_id": row["user_id"],
            "score": row["score"],
            "achieved_at": row["achieved_at"],
            "sessions": sessions.get(row["user_id"], []),
        }
        for row in page
    ]
