"""Leaderboard writes: score submission (and, in rebuild.py, repairing the boards)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from redis.exceptions import RedisError

from common.errors import InvalidInput
from common.groupcommit import GroupCommit
from common.transactions import assert_no_transaction
from leaderboard import boards, rules
from leaderboard.games import Catalog, GameInfo, game_catalog, game_for_submission
from leaderboard.models import Score
from leaderboard.reports import aggregates_add
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


@dataclass(frozen=True)
class ScoreEntry:
    """A checked submission waiting to be stored (score_check made it)."""

    user_id: int
    username: str
    game: GameInfo
    slugs: list[str]
    value: int
    achieved_at: datetime | None = None  # None: when it is written


def score_check(
    *, user: Any, game: object, score: object, achieved_at: datetime | None = None, catalog: Catalog | None = None
) -> ScoreEntry:
    """The board rules a submission must pass (a known game, a whole number from 0 to the
    game's max_score), and the entry to store; raises InvalidInput."""
    catalog = catalog or game_catalog()
    info = game_for_submission(catalog, game)
    if not isinstance(score, int) or isinstance(score, bool):
        raise InvalidInput("score must be a whole number.", code="invalid_score")
    if not 0 <= score <= info.max_score:
        raise InvalidInput(f"{info.label} scores go from 0 to {info.max_score}.", code="score_out_of_range")
    return ScoreEntry(user.pk, user.username, info, catalog.slugs, score, achieved_at)


def score_submit(*, user: Any, game: object, score: object, achieved_at: datetime | None = None) -> Submission:
    """Store one score, then apply it to the live boards.

    The database row is the record: it commits first, so a score is never lost, even when Redis
    is down. Then every board of the submission is updated in one atomic Lua script (only
    improvements count). If Redis can't be reached the submission still succeeds with
    `boards_updated=False`; `manage.py rebuild_leaderboards` brings the boards back in line.
    Call it outside any transaction: the boards move right after the row's own commit.
    `achieved_at` is for imports and tests; the API always uses now.

    Submissions made at the same time in one process are written together (group commit,
    common.groupcommit): the ones that arrive while a batch is in the database form the next
    batch, one `scores_record` call (one transaction, one Redis round trip); alone, a
    submission is written at once.
    """
    assert_no_transaction("score_submit")
    return _submissions.submit(score_check(user=user, game=game, score=score, achieved_at=achieved_at))


def scores_record(entries: list[ScoreEntry]) -> list[Submission | Exception]:
    """Store checked submissions, then apply them to the boards, in order: group commit.

    All rows go in one multi-row INSERT (one commit); only then are the boards moved, all of
    them in one Redis round trip, so every answer follows the durable row. Rows are stamped
    (`achieved_at`, unless given) and numbered in list order, so ties go to the earlier entry on
    every board. If the shared INSERT fails (say one player was deleted meanwhile), each row is
    tried alone and only the failing ones get their exception. Redis down: stored, with
    `boards_updated=False`, as in score_submit. Call it outside any transaction.
    """
    assert_no_transaction("scores_record")
    rows = [
        _Row(user_id=e.user_id, game_id=e.game.id, value=e.value, achieved_at=e.achieved_at or _stamp())
        for e in entries
    ]
    stored: list[_Row | Exception] = list(rows)
    try:
        _insert(rows)
    except DatabaseError:
        if len(rows) == 1:
            raise
        stored = [_store_alone(row) for row in rows]
    calls = {
        i: boards.record_call(
            user_id=e.user_id,
            username=e.username,
            game=e.game.slug,
            slugs=e.slugs,
            value=e.value,
            achieved_at=row.achieved_at,
            score_id=row.pk,  # type: ignore[arg-type]  # _insert numbered every row stored
        )
        for i, (e, row) in enumerate(zip(entries, stored, strict=True))
        if isinstance(row, _Row)
    }
    recorded: dict[int, boards.Recorded | boards.BoardsUnavailable]
    try:
        recorded = dict(zip(calls, boards.boards_record_many(list(calls.values())), strict=True))
    except boards.BoardsUnavailable as exc:
        recorded = dict.fromkeys(calls, exc)
    results: list[Submission | Exception] = []
    for i, (entry, row) in enumerate(zip(entries, stored, strict=True)):
        if isinstance(row, Exception):
            results.append(row)
            continue
        outcome = recorded[i]
        if isinstance(outcome, boards.BoardsUnavailable):
            best = Score.objects.filter(user_id=entry.user_id, game_id=entry.game.id).aggregate(best=Max("value"))
            results.append(_submission(row, entry, best["best"], dict.fromkeys(PERIODS), updated=False))
        else:
            ranks = {p: outcome.ranks[p] for p in ("day", "week", "month", "all")}
            results.append(_submission(row, entry, outcome.best, ranks, updated=True))
    return results


_submissions: GroupCommit[ScoreEntry, Submission] = GroupCommit(scores_record, max_batch=500)


def _stamp() -> datetime:
    """Now, but always in a later millisecond than the previous stamp of this process.

    Period boards break ties by the millisecond (rules.tie_for): submissions written together
    in one batch would often share one, and then rank by user id. Moving a stamp up to the next
    free millisecond keeps "first come, first ranked" within the process; the stamps run ahead
    of the clock only while the process takes more than 1,000 submissions a second.
    """
    global _last_ms
    with _stamp_lock:
        now = timezone.now()
        ms = rules.epoch_ms(now)
        if ms <= _last_ms:
            ms = _last_ms + 1
            now = rules.from_epoch_ms(ms)
        _last_ms = ms
        return now


_stamp_lock = threading.Lock()
_last_ms = 0


@dataclass(slots=True)
class _Row:
    """A Score row to INSERT (lighter than a model instance); `pk` once written."""

    user_id: int
    game_id: int
    value: int
    achieved_at: datetime
    pk: int | None = None


def _insert(rows: list[_Row]) -> None:
    """INSERT the rows with one statement, numbering them (`pk`) in order, and fold them into
    the report aggregates in the same transaction (reports.aggregates_add).

    One raw statement for the whole batch, where bulk_create compiles the ORM query each time.
    Rows come back in VALUES order (as bulk_create also relies on).
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Score._meta.get_field(name).column) for name in ("user", "game", "value", "achieved_at"))  # type: ignore[union-attr, arg-type]  # concrete fields: a Field with a column
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    # Ints and an aware datetime: the database adapters take them as they are.
    params = [
        value
        for row in rows
        for value in (row.user_id, row.game_id, row.value, connection.ops.adapt_datetimefield_value(row.achieved_at))
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Score._meta.db_table)} ({columns}) VALUES {values} RETURNING {quote('id')}", params
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        aggregates_add((row.user_id, row.game_id, row.value, row.achieved_at) for row in rows)
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk


def _store_alone(row: _Row) -> _Row | Exception:
    try:
        _insert([row])
    except DatabaseError as exc:
        return exc
    return row


def _submission(
    row: _Row, entry: ScoreEntry, best: int | None, ranks: dict[str, int | None], *, updated: bool
) -> Submission:
    return Submission(
        score_id=row.pk,  # type: ignore[arg-type]  # _insert numbered every row stored
        game=entry.game.slug,
        score=entry.value,
        achieved_at=row.achieved_at,
        best=best,
        rank=ranks["all"],
        period_ranks=ranks,
        boards_updated=updated,
    )


def periods_rollover() -> None:
    """Clock tick: when a day, week or month begins, push the (now empty) new boards to sockets."""
    try:
        rolled = boards.rollover_check()
    except RedisError:
        return  # Redis down: nothing to push; the next tick tries again
    if rolled:
        boards.notify_all_boards([ALL_BOARD, *game_catalog().slugs], tuple(rolled))
