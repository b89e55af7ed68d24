"""Leaderboard writes: score submission (and, in rebuild.py, repairing the boards)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext
from redis.exceptions import RedisError

from common.errors import InvalidInput, PermissionDenied
from common.groupcommit import GroupCommit
from common.transactions import assert_no_transaction
from leaderboard import boards, rules
from leaderboard.games import Catalog, GameInfo, game_catalog, game_for_submission
from leaderboard.models import Score, ScoreSource, ScoreStatus, Suspension
from leaderboard.reports import aggregates_add
from leaderboard.rules import ALL_BOARD, PERIODS


class Suspended(PermissionDenied):
    default_code = "suspended"

    def __init__(self, game: str, until: datetime) -> None:
        super().__init__(f"This player is suspended from the {game} boards until {until:%Y-%m-%d %H:%M} UTC.")


@dataclass(frozen=True)
class Submission:
    score_id: int
    game: str
    score: int
    achieved_at: datetime
    best: int | None  # None while pending
    rank: int | None  # on the game's all-time board
    period_ranks: dict[str, int | None]  # on the game's board, per period
    boards_updated: bool  # False: stored, but Redis was down; `rebuild_leaderboards` repairs
    status: str = ScoreStatus.RANKED  # or `pending`: stored, on no board until confirmed

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.score_id,
            "status": self.status,
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
    slugs: list[str]  # the games summed on the `all` board (Catalog.summed)
    value: int
    achieved_at: datetime | None = None  # None: when it is written
    source: str = ScoreSource.PLAYER

    @property
    def status(self) -> str:
        """A player's own score on a `verified` game waits for confirmation; all else ranks."""
        return ScoreStatus.PENDING if self.game.verified and self.source == ScoreSource.PLAYER else ScoreStatus.RANKED


def score_value_check(info: GameInfo, score: object) -> int:
    """A whole number from 0 to the game's max_score; raises InvalidInput."""
    if not isinstance(score, int) or isinstance(score, bool):
        raise InvalidInput(gettext("score must be a whole number."), code="invalid_score")
    if not 0 <= score <= info.max_score:
        raise InvalidInput(
            gettext("%(label)s scores go from 0 to %(max_score)s.")
            % {"label": info.label, "max_score": info.max_score},
            code="score_out_of_range",
        )
    return score


def score_check(
    *,
    user: Any,
    game: object,
    score: object,
    achieved_at: datetime | None = None,
    catalog: Catalog | None = None,
    source: str = ScoreSource.PLAYER,
) -> ScoreEntry:
    """The board rules a submission must pass (a known game, a whole number from 0 to the
    game's max_score), and the entry to store; raises InvalidInput. Suspensions are checked
    where the entries are stored (scores_record), for every write path at once."""
    catalog = catalog or game_catalog()
    info = game_for_submission(catalog, game)
    value = score_value_check(info, score)
    return ScoreEntry(user.pk, user.username, info, catalog.summed, value, achieved_at, source)


def suspensions_in_force(pairs: set[tuple[int, int]], at: datetime | None = None) -> dict[tuple[int, int], datetime]:
    """(user_id, game_id) -> the end of the suspension in force for those pairs (one query)."""
    if not pairs:
        return {}
    rows = Suspension.objects.filter(
        until__gt=at or timezone.now(),
        user_id__in={u for u, _ in pairs},
        game_id__in={g for _, g in pairs},
    ).values_list("user_id", "game_id", "until")
    found: dict[tuple[int, int], datetime] = {}
    for user_id, game_id, until in rows:
        pair = (user_id, game_id)
        if pair in pairs and (pair not in found or until > found[pair]):
            found[pair] = until
    return found


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
    """Store checked submissions, then apply the ranked ones to the boards, in order: group commit.

    Every write path ends here, so here the suspensions are honoured: a suspended player's
    entry gets a Suspended exception in its place and is not stored. Pending entries (a
    player's own score on a `verified` game) are stored and go nowhere else.

    All rows go in one multi-row INSERT (one commit); only then are the boards moved, all of
    them in one Redis round trip, so every answer follows the durable row. Rows are stamped
    (`achieved_at`, unless given) and numbered in list order, so ties go to the earlier entry on
    every board. If the shared INSERT fails (say one player was deleted meanwhile), each row is
    tried alone and only the failing ones get their exception. Redis down: stored, with
    `boards_updated=False`, as in score_submit. Call it outside any transaction.
    """
    assert_no_transaction("scores_record")
    suspended = suspensions_in_force({(e.user_id, e.game.id) for e in entries})
    refused = {
        i: Suspended(e.game.label, suspended[(e.user_id, e.game.id)])
        for i, e in enumerate(entries)
        if (e.user_id, e.game.id) in suspended
    }
    rows = {
        i: _Row(
            user_id=e.user_id,
            game_id=e.game.id,
            value=e.value,
            achieved_at=e.achieved_at or _stamp(),
            status=e.status,
            source=e.source,
            counted=e.status == ScoreStatus.RANKED and not e.game.asc,
        )
        for i, e in enumerate(entries)
        if i not in refused
    }
    stored: list[_Row | Exception] = [refused[i] if i in refused else rows[i] for i in range(len(entries))]
    try:
        _insert(list(rows.values()))
    except DatabaseError:
        if len(rows) == 1 and not refused:
            raise
        stored = [refused[i] if i in refused else _store_alone(rows[i]) for i in range(len(entries))]
    calls = {
        i: boards.record_call(
            user_id=e.user_id,
            username=e.username,
            game=e.game.slug,
            slugs=e.slugs,
            value=e.value,
            achieved_at=row.achieved_at,
            score_id=row.pk,  # type: ignore[arg-type]  # _insert numbered every row stored
            asc_max=e.game.asc_max,
        )
        for i, (e, row) in enumerate(zip(entries, stored, strict=True))
        if isinstance(row, _Row) and row.status == ScoreStatus.RANKED
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
        if row.status != ScoreStatus.RANKED:
            results.append(_submission(row, entry, None, dict.fromkeys(PERIODS), updated=False))
            continue
        outcome = recorded[i]
        if isinstance(outcome, boards.BoardsUnavailable):
            best = ranked_best(entry.user_id, entry.game)
            results.append(_submission(row, entry, best, dict.fromkeys(PERIODS), updated=False))
        else:
            ranks = {p: outcome.ranks[p] for p in ("day", "week", "month", "all")}
            results.append(_submission(row, entry, outcome.best, ranks, updated=True))
    return results


def ranked_best(user_id: int, game: GameInfo) -> int | None:
    """The player's best ranked score in the game (the lowest on an `asc` one), from the database:
    what the answers say when Redis is down."""
    ranked = Score.objects.filter(user_id=user_id, game_id=game.id, status=ScoreStatus.RANKED)
    best = ranked.aggregate(best=Min("value") if game.asc else Max("value"))["best"]
    return int(best) if best is not None else None


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
    status: str = ScoreStatus.RANKED
    source: str = ScoreSource.PLAYER
    counted: bool = True  # folded into the report aggregates (ranked, `desc` game)
    pk: int | None = None


def _insert(rows: list[_Row]) -> None:
    """INSERT the rows with one statement, numbering them (`pk`) in order, and fold them into
    the report aggregates in the same transaction (reports.aggregates_add).

    One raw statement for the whole batch, where bulk_create compiles the ORM query each time.
    Rows come back in VALUES order (as bulk_create also relies on).
    """
    quote = connection.ops.quote_name
    if not rows:
        return
    names = ("user", "game", "value", "achieved_at", "status", "source")
    columns = ", ".join(quote(Score._meta.get_field(name).column) for name in names)  # type: ignore[union-attr, arg-type]  # concrete fields: a Field with a column
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    # Ints, strings and an aware datetime: the database adapters take them as they are.
    params = [
        value
        for row in rows
        for value in (
            row.user_id,
            row.game_id,
            row.value,
            connection.ops.adapt_datetimefield_value(row.achieved_at),
            row.status,
            row.source,
        )
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Score._meta.db_table)} ({columns}) VALUES {values} RETURNING {quote('id')}", params
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        aggregates_add((row.user_id, row.game_id, row.value, row.achieved_at) for row in rows if row.counted)
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
        status=row.status,
    )


def periods_rollover() -> None:
    """Clock tick: when a day, week or month begins, push the (now empty) new boards to sockets."""
    try:
        rolled = boards.rollover_check()
    except RedisError:
        return  # Redis down: nothing to push; the next tick tries again
    if rolled:
        boards.notify_all_boards([ALL_BOARD, *game_catalog().slugs], tuple(rolled))
