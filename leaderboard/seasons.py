"""Seasons (SPEC §6): when a day, week or month ends (UTC), every board's final standings are
archived from the database, and the top three of each weekly board are paid coins.

`seasons_archive(now=None)` archives, for each kind of period, the window that ended most
recently (LEADERBOARD_SEASON_DELAY_SECONDS ago, so submissions still in flight land first), for
every board (each game and `all`) that has no Season row yet. One transaction per window:

1. INSERT the missing Season rows (in board order). The unique (period, key, board) index is the
   exactly-once guard: a racing worker's INSERT blocks on it until the first commits, then fails,
   and that worker leaves the window alone. Beat restarts and late ticks find the rows and skip.
2. One SQL statement computes every board's final standings from `ranked` scores in
   [start, end) (the database is the truth: Redis period boards expire), the same rule as the
   live boards (rules.py): each player's best per game (desc: highest, asc: lowest), ties to
   whoever reached it first (earliest achieved_at, then lowest score id); the `all` board sums
   the bests over the `desc` games (Catalog.summed), dated at the latest of those times, ties to
   the earliest such date. The top LEADERBOARD_SEASON_ROWS rows per board are kept.
3. Weekly windows: the top len(LEADERBOARD_WEEKLY_PRIZES) rows of each board get their coins
   through the coin ledger, a SeasonPrize row each (unique (season, rank)) and a notification
   (key `prize:<board>:<season key>`), all in the same transaction as the archive.

Boards nobody played are archived with no rows, so the tick never computes them again.

`seasons_tick()` is the clock tick (common.clock, every CLOCK_INTERVAL_SECONDS): it remembers
in the process which windows are done, so between period ends it costs nothing; when one is due
it checks with one indexed query and hands the archive to a Celery worker (inline on the
embedded default), at most once per RETRY_AFTER.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import InvalidInput, NotFound
from gamers.models import CoinTransaction, Gamer, NotificationKind
from gamers.services import CoinEntry, NotificationRow, coins_apply_many, coins_lock_many, notifications_create_many
from leaderboard import rules
from leaderboard.boards import iso
from leaderboard.games import Catalog, game_catalog
from leaderboard.models import Season, SeasonEntry, SeasonPeriod, SeasonPrize
from leaderboard.rules import ALL_BOARD, PeriodWindow

logger = logging.getLogger("gameconnect.leaderboard")

KINDS: tuple[str, ...] = (SeasonPeriod.DAY, SeasonPeriod.WEEK, SeasonPeriod.MONTH)
# The tick hands a due archive to a worker at most this often (the worker may need seconds).
RETRY_AFTER = 60.0
_MICROSECOND = timedelta(microseconds=1)

# Each player's best row per game in the window. `{good}` orders the rows best first: the value,
# or max_score - value for `asc` games (lower is better). PostgreSQL: DISTINCT ON (one sort);
# elsewhere (SQLite) a window function.
_BEST_PG = """
SELECT DISTINCT ON (game_id, user_id) user_id, game_id, value, {good} AS good, achieved_at, id
FROM leaderboard_score
WHERE status = 'ranked' AND achieved_at >= %s AND achieved_at < %s
ORDER BY game_id, user_id, {good} DESC, achieved_at ASC, id ASC
"""
_BEST_PORTABLE = """
SELECT user_id, game_id, value, good, achieved_at, id FROM (
    SELECT user_id, game_id, value, {good} AS good, achieved_at, id,
           ROW_NUMBER() OVER (PARTITION BY game_id, user_id ORDER BY {good} DESC, achieved_at ASC, id ASC) AS pick
    FROM leaderboard_score
    WHERE status = 'ranked' AND achieved_at >= %s AND achieved_at < %s
) picked WHERE pick = 1
"""
# Every board's top rows in one statement: game boards (board = game id) and the `all` board
# (board = 0), with each board's number of players and the players' names.
_STANDINGS = """
WITH best AS ({best}),
per_game AS (
    SELECT game_id AS board, user_id, value AS score, achieved_at AS at,
           ROW_NUMBER() OVER (PARTITION BY game_id ORDER BY good DESC, achieved_at ASC, id ASC) AS place,
           COUNT(*) OVER (PARTITION BY game_id) AS players
    FROM best
),
totals AS (
    SELECT user_id, SUM(value) AS score, MAX(achieved_at) AS at, MAX(id) AS last_id
    FROM best WHERE game_id IN ({summed}) GROUP BY user_id
),
overall AS (
    SELECT 0 AS board, user_id, score, at,
           ROW_NUMBER() OVER (ORDER BY score DESC, at ASC, last_id ASC) AS place,
           COUNT(*) OVER () AS players
    FROM totals
)
SELECT r.board, r.place, r.user_id, g.username, r.score, r.at, r.players
FROM per_game r JOIN {gamers} g ON g.id = r.user_id WHERE r.place <= %s
UNION ALL
SELECT r.board, r.place, r.user_id, g.username, r.score, r.at, r.players
FROM overall r JOIN {gamers} g ON g.id = r.user_id WHERE r.place <= %s
"""


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    player: str
    score: int
    achieved_at: datetime


@dataclass
class ArchiveResult:
    seasons: list[Season]  # created by this call
    complete: bool  # every board of every window checked is archived (by this call or earlier)


def ended_windows(now: datetime) -> list[PeriodWindow]:
    """For each kind (day, week, month), the window that ended most recently before `now`."""
    return [rules.period_window(kind, _bounds(rules.period_window(kind, now))[0] - _MICROSECOND) for kind in KINDS]


def _bounds(window: PeriodWindow) -> tuple[datetime, datetime]:
    """A day, week or month window's start and (exclusive) end; only `all` has none."""
    assert window.start is not None and window.end is not None, window
    return window.start, window.end


def _reference(now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.LEADERBOARD_SEASON_DELAY_SECONDS)


def _goodness(catalog: Catalog) -> str:
    """SQL ordering rows best first: `value`, or `max_score - value` for `asc` games. Built from
    the catalogue's integers only."""
    asc = [f"WHEN {int(g.id)} THEN {int(g.max_score)} - value" for g in catalog.games if g.asc]
    return f"(CASE game_id {' '.join(asc)} ELSE value END)" if asc else "value"


def standings_and_counts(
    window: PeriodWindow, catalog: Catalog, limit: int
) -> tuple[dict[str, list[Standing]], dict[str, int]]:
    """Every board's top `limit` rows over `window` (rank order) and its number of players."""
    postgres = connection.vendor == "postgresql"
    best = (_BEST_PG if postgres else _BEST_PORTABLE).format(good=_goodness(catalog))
    summed = ", ".join(str(int(catalog.by_slug[slug].id)) for slug in catalog.summed) or "NULL"
    sql = _STANDINGS.format(best=best, summed=summed, gamers=connection.ops.quote_name(Gamer._meta.db_table))
    adapt = connection.ops.adapt_datetimefield_value
    slug_of = {0: ALL_BOARD, **{g.id: g.slug for g in catalog.games}}
    rows: dict[str, list[Standing]] = {}
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(window.start), adapt(window.end), limit, limit])
        for board_id, place, user_id, username, score, at, players in cursor.fetchall():
            board = slug_of.get(board_id)
            if board is None:
                continue  # a game added since the catalogue was loaded: archived by a later tick
            rows.setdefault(board, []).append(Standing(int(place), user_id, username, int(score), rules.as_utc(at)))
            counts[board] = int(players)
    for board_rows in rows.values():
        board_rows.sort(key=lambda row: row.rank)
    return rows, counts


def _prize_rows(
    season: Season, standings: list[Standing], prizes: tuple[int, ...], label: str
) -> tuple[list[SeasonPrize], list[CoinEntry], list[NotificationRow]]:
    won, entries, notes = [], [], []
    ref = f"season:{season.board}:{season.key}"
    for row in standings[: len(prizes)]:
        coins = prizes[row.rank - 1]
        if coins <= 0:
            continue
        won.append(SeasonPrize(season=season, rank=row.rank, user_id=row.user_id, coins=coins))
        entries.append(CoinEntry(row.user_id, coins, CoinTransaction.Reason.PRIZE, ref))
        notes.append(
            NotificationRow(
                user_id=row.user_id,
                kind=NotificationKind.LEADERBOARD_PRIZE,
                title=f"#{row.rank} on the {label} board of {season.key}: {coins} coins",
                body=f"Your score of {row.score} placed you #{row.rank} for the week. The coins are in your balance.",
                url="/leaderboards",
                key=f"prize:{season.board}:{season.key}",
            )
        )
    return won, entries, notes


def _archive_window(window: PeriodWindow, catalog: Catalog, now: datetime) -> ArchiveResult:
    boards = sorted([ALL_BOARD, *catalog.slugs])
    done = set(Season.objects.filter(period=window.period, key=window.key).values_list("board", flat=True))
    missing = [board for board in boards if board not in done]
    if not missing:
        return ArchiveResult([], True)
    with transaction.atomic():
        try:
            with transaction.atomic():
                seasons = Season.objects.bulk_create(
                    [
                        Season(
                            board=board,
                            period=window.period,
                            key=window.key,
                            starts=_bounds(window)[0],
                            ends=_bounds(window)[1],
                            archived_at=now,
                        )
                        for board in missing
                    ]
                )
        except IntegrityError:
            # Another worker inserted (some of) these rows first and has committed its archive.
            return ArchiveResult([], False)
        standings, counts = standings_and_counts(window, catalog, settings.LEADERBOARD_SEASON_ROWS)
        rows: list[SeasonEntry] = []
        won: list[SeasonPrize] = []
        coins: list[CoinEntry] = []
        notes: list[NotificationRow] = []
        prizes = tuple(settings.LEADERBOARD_WEEKLY_PRIZES) if window.period == SeasonPeriod.WEEK else ()
        for season in seasons:
            board_rows = standings.get(season.board, [])
            season.entries, season.players = len(board_rows), counts.get(season.board, 0)
            rows += [
                SeasonEntry(
                    season=season,
                    rank=r.rank,
                    user_id=r.user_id,
                    player=r.player,
                    score=r.score,
                    achieved_at=r.achieved_at,
                )
                for r in board_rows
            ]
            if prizes:
                label = "overall" if season.board == ALL_BOARD else catalog.by_slug[season.board].label
                w, c, n = _prize_rows(season, board_rows, prizes, label)
                won += w
                coins += c
                notes += n
        SeasonEntry.objects.bulk_create(rows, batch_size=2000)
        Season.objects.bulk_update(seasons, ["entries", "players"], batch_size=500)
        if won:
            SeasonPrize.objects.bulk_create(won)
            # Lock the winners' balances in id order first (gamers.services.ledger's contract
            # for concurrent bulk callers), then credit them with one ledger row per prize.
            coins_lock_many(entry.gamer_id for entry in coins)
            coins_apply_many(coins, at=now)
            notifications_create_many(notes)
    return ArchiveResult(seasons, True)


def seasons_archive(now: datetime | None = None) -> ArchiveResult:
    """Archive the boards of the day, week and month that ended most recently (see the module
    docstring). Idempotent and safe to run from any number of workers at once. Must be called
    outside any transaction (each window commits on its own)."""
    at = timezone.now() if now is None else now
    catalog = game_catalog()
    created: list[Season] = []
    complete = True
    for window in ended_windows(_reference(at)):
        result = _archive_window(window, catalog, at)
        created += result.seasons
        complete = complete and result.complete
    if created:
        logger.info("archived %d season boards", len(created))
    return ArchiveResult(created, complete)


@shared_task(name="leaderboard.seasons_archive", ignore_result=True)
def seasons_archive_task() -> None:
    seasons_archive()


_state_lock = threading.Lock()
_done_marker: tuple[Any, ...] | None = None  # the windows and boards known to be archived
_dispatched_at: float = 0.0  # time.monotonic() of the last hand-off to a worker


def _marker(now: datetime, catalog: Catalog) -> tuple[Any, ...]:
    return tuple(w.key for w in ended_windows(_reference(now))), tuple(sorted(catalog.slugs))


def seasons_pending(now: datetime | None = None) -> bool:
    """Whether a board of a window that just ended lacks its Season row (one indexed query)."""
    catalog = game_catalog()
    windows = ended_windows(_reference(now))
    boards = [ALL_BOARD, *catalog.slugs]
    found = Season.objects.filter(
        period__in=[w.period for w in windows], key__in=[w.key for w in windows], board__in=boards
    ).count()
    return found < len(windows) * len(boards)


def seasons_tick() -> None:
    """Clock tick: nothing between period ends; when a window ends, one query, then the archive
    is handed to a worker (inline without a broker)."""
    global _done_marker, _dispatched_at
    now = timezone.now()
    marker = _marker(now, game_catalog())
    with _state_lock:
        if marker == _done_marker or time.monotonic() - _dispatched_at < RETRY_AFTER:
            return
    if not seasons_pending(now):
        with _state_lock:
            _done_marker = marker
        return
    with _state_lock:
        _dispatched_at = time.monotonic()
    seasons_archive_task.delay()


def seasons_tick_reset() -> None:
    """Forget what the tick remembers (tests)."""
    global _done_marker, _dispatched_at
    with _state_lock:
        _done_marker, _dispatched_at = None, 0.0


# --- Reads (the /seasons endpoints) ----------------------------------------------------------

WINNERS = 3
_PERIOD_OF_PREFIX = {"d": SeasonPeriod.DAY, "w": SeasonPeriod.WEEK, "m": SeasonPeriod.MONTH}


def check_season_period(period: object) -> str:
    if not isinstance(period, str) or period not in KINDS:
        raise InvalidInput(
            gettext("period must be one of %(value)s.") % {"value": ", ".join(KINDS)}, code="invalid_period"
        )
    return period


def season_list(*, board: str, period: str) -> QuerySet[Season]:
    """A board's archived seasons of one kind, newest first (the (board, period, -starts) index)."""
    return Season.objects.filter(board=board, period=period).order_by("-starts")


def season_row(entry: SeasonEntry) -> dict[str, Any]:
    """A row as the boards show one; a deleted account keeps its place without a name."""
    return {
        "rank": entry.rank,
        "user_id": entry.user_id,
        "player": entry.player if entry.user_id is not None else None,
        "score": entry.score,
        "date": iso(entry.achieved_at.astimezone(UTC)),
    }


def season_summaries(seasons: list[Season]) -> list[dict[str, Any]]:
    """`{key, starts, ends, players, winners}` of each season; the winners of them all in one query."""
    winners: dict[int, list[dict[str, Any]]] = {season.pk: [] for season in seasons}
    top = SeasonEntry.objects.filter(season__in=list(winners), rank__lte=WINNERS).order_by("season_id", "rank")
    for entry in top:
        winners[entry.season_id].append(season_row(entry))
    return [
        {
            "key": season.key,
            "starts": iso(season.starts.astimezone(UTC)),
            "ends": iso(season.ends.astimezone(UTC)),
            "players": season.players,
            "winners": winners[season.pk],
        }
        for season in seasons
    ]


def season_get(*, board: str, key: str) -> Season:
    """A board's season by its key (`d2026-12-06`, `w2026-W49`, `m2026-11`); 404 `no_season`."""
    period = _PERIOD_OF_PREFIX.get(key[:1])
    season = None
    if period is not None and len(key) <= 16:
        season = Season.objects.filter(period=period, key=key, board=board).first()
    if season is None:
        raise NotFound(gettext("No archived season %(key)s on this board.") % {"key": repr(key)}, code="no_season")
    return season


def season_entries(season: Season) -> QuerySet[SeasonEntry]:
    """An archived board's rows in rank order (the unique (season, rank) index)."""
    return SeasonEntry.objects.filter(season=season).order_by("rank")
