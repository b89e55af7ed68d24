"""Score batches from game servers (SPEC §6): `POST /leaderboard/scores/batch` with a GameKey.

Each row is checked on its own and answered on its own (`created`, or `rejected` with a code);
one bad row never fails the others. The checks read the database a fixed number of times
whatever the batch size: the players by id (one query), by Discord id (one), the rows already
stored (one), then scores_record stores every accepted row in one INSERT (the suspensions are
honoured there) and moves the boards in one Redis round trip. Rows are stored with source
`server`, so they rank at once, on `verified` games too.

Retries are idempotent for rows that carry `achieved_at`: a row equal to a stored one (same
player, game, value and instant) is `duplicate`, as is a repeat within the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.converters import BIGINT_MAX
from common.errors import InvalidInput, PermissionDenied, ServiceError
from leaderboard.games import GameInfo, catalog_invalidate, game_catalog
from leaderboard.models import GameKey, Score, ScoreSource
from leaderboard.services import ScoreEntry, Submission, score_check, scores_record

DISCORD_ID_MAX = 32


class RowRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class _Parsed:
    """A row that passed the checks needing no database."""

    index: int
    player: int | None
    discord_id: str | None
    value: object
    achieved_at: datetime | None


def batch_body_check(body: object, *, key: GameKey) -> list[Any]:
    """The body's rows, after the checks that refuse the whole batch: a JSON object with the
    key's game (403 `wrong_game`) and a list of at most LEADERBOARD_BATCH_MAX_ROWS rows
    (400 `too_many_rows`, or `invalid_body`)."""
    if not isinstance(body, dict):
        raise InvalidInput('The body is a JSON object: {"game": slug, "scores": [...]}.', code="invalid_body")
    game = body.get("game")
    if not isinstance(game, str):
        raise InvalidInput("`game` is the slug of the key's game.", code="invalid_body", field="game")
    if game != key.game.slug:
        raise PermissionDenied(f"This key is for {key.game.slug!r}, not {game!r}.", code="wrong_game")
    rows = body.get("scores")
    if not isinstance(rows, list):
        raise InvalidInput("`scores` is a list of rows.", code="invalid_body", field="scores")
    limit = settings.LEADERBOARD_BATCH_MAX_ROWS
    if len(rows) > limit:
        raise InvalidInput(f"At most {limit} rows per batch; send the rest in another.", code="too_many_rows")
    return rows


def _parse(index: int, row: object, *, latest: datetime) -> _Parsed:
    if not isinstance(row, dict):
        raise RowRejected("invalid_row", "A row is an object: {player | discord_id, score, achieved_at?}.")
    player, discord_id = row.get("player"), row.get("discord_id")
    if (player is None) == (discord_id is None):
        raise RowRejected("invalid_row", "Give either `player` (a user id) or `discord_id`, not both.")
    if player is not None and (not isinstance(player, int) or isinstance(player, bool)):
        raise RowRejected("invalid_row", "`player` is a user id (a whole number).")
    if player is not None and not 0 < player <= BIGINT_MAX:
        raise RowRejected("unknown_player", "No player with that id.")
    if discord_id is not None and (not isinstance(discord_id, str) or not 0 < len(discord_id) <= DISCORD_ID_MAX):
        raise RowRejected("invalid_row", "`discord_id` is a Discord user id, as a string.")
    if "score" not in row:
        raise RowRejected("invalid_score", "`score` is missing.")
    achieved_at = None
    raw = row.get("achieved_at")
    if raw is not None:
        try:
            achieved_at = parse_datetime(raw) if isinstance(raw, str) else None
        except ValueError:  # well formed, but no such date (say Feb 30)
            achieved_at = None
        if achieved_at is None or timezone.is_naive(achieved_at):
            raise RowRejected("invalid_achieved_at", "`achieved_at` is an ISO 8601 date-time with its offset (or Z).")
        if achieved_at > latest:
            raise RowRejected("future_achieved_at", "`achieved_at` is in the future.")
    return _Parsed(index, player, discord_id, row["score"], achieved_at)


def _rejected(index: int, code: str, detail: str) -> dict[str, Any]:
    return {"index": index, "status": "rejected", "code": code, "detail": detail}


def _created(index: int, submission: Submission) -> dict[str, Any]:
    return {
        "index": index,
        "status": "created",
        "id": submission.score_id,
        "best": submission.best,
        "rank": submission.rank,
    }


def scores_batch_record(*, key: GameKey, body: object) -> list[dict[str, Any]]:
    """Check and store a game server's batch; one result per row, in order (see the module
    docstring). Raises ServiceError for a batch refused whole (batch_body_check): then nothing
    is written. Call it outside any transaction (scores_record)."""
    rows = batch_body_check(body, key=key)
    catalog = game_catalog()
    info = catalog.by_id.get(key.game_id)
    if info is None:  # a game added within CATALOG_TTL_SECONDS, by another process
        catalog_invalidate()
        catalog = game_catalog()
        info = catalog.by_id[key.game_id]
    latest = timezone.now() + timedelta(seconds=settings.LEADERBOARD_BATCH_CLOCK_SKEW_SECONDS)
    results: list[dict[str, Any] | None] = [None] * len(rows)
    parsed: list[_Parsed] = []
    for index, row in enumerate(rows):
        try:
            parsed.append(_parse(index, row, latest=latest))
        except RowRejected as exc:
            results[index] = _rejected(index, exc.code, exc.detail)

    users = get_user_model().objects.only("id", "username", "is_active", "discord_id")
    by_id = {u.pk: u for u in users.filter(pk__in={p.player for p in parsed if p.player is not None})}
    discord_ids = {p.discord_id for p in parsed if p.discord_id is not None}
    by_discord = {}
    if discord_ids:
        by_discord = {u.discord_id: u for u in users.filter(discord_id__in=discord_ids)}

    entries: list[tuple[int, ScoreEntry]] = []
    seen: set[tuple[int, int, datetime]] = set()
    for p in parsed:
        user = by_id.get(p.player) if p.player is not None else by_discord.get(p.discord_id)
        if user is None:
            results[p.index] = _rejected(p.index, "unknown_player", "No player with that id.")
            continue
        if not user.is_active:
            results[p.index] = _rejected(p.index, "inactive_player", "That player's account is deactivated.")
            continue
        try:
            entry = score_check(
                user=user,
                game=info.slug,
                score=p.value,
                achieved_at=p.achieved_at,
                catalog=catalog,
                source=ScoreSource.SERVER,
            )
        except ServiceError as exc:
            results[p.index] = _rejected(p.index, exc.code, exc.detail)
            continue
        if entry.achieved_at is not None:
            same = (entry.user_id, entry.value, entry.achieved_at)
            if same in seen:
                results[p.index] = _rejected(p.index, "duplicate", "The same row is earlier in this batch.")
                continue
            seen.add(same)
        entries.append((p.index, entry))

    stored = _already_stored(info, seen)
    if stored:
        kept = []
        for index, entry in entries:
            if entry.achieved_at is not None and (entry.user_id, entry.value, entry.achieved_at) in stored:
                results[index] = _rejected(index, "duplicate", "This score is already stored.")
            else:
                kept.append((index, entry))
        entries = kept

    outcomes = scores_record([entry for _, entry in entries]) if entries else []
    for (index, _), outcome in zip(entries, outcomes, strict=True):
        if isinstance(outcome, ServiceError):
            results[index] = _rejected(index, outcome.code, outcome.detail)
        elif isinstance(outcome, DatabaseError):
            results[index] = _rejected(index, "not_stored", "This row could not be stored; send it again.")
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            results[index] = _created(index, outcome)
    return [r for r in results if r is not None]


def _already_stored(info: GameInfo, rows: set[tuple[int, int, datetime]]) -> set[tuple[int, int, datetime]]:
    """Those of (user id, value, achieved_at) already stored in the game (one query)."""
    if not rows:
        return set()
    found = Score.objects.filter(
        game_id=info.id,
        user_id__in={user for user, _, _ in rows},
        achieved_at__in={at for _, _, at in rows},
    ).values_list("user_id", "value", "achieved_at")
    return {(user, value, at) for user, value, at in found} & rows
