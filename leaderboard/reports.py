"""Report aggregates: kept on write, rebuilt from the raw scores, and read by period reports.

Tables (models.ScorePeriod, models.PlayerPeriod): per player, game and calendar bucket (UTC day,
month, year, all time) the best value and last submission; per player and bucket the sum of
those bests. A report over [start, end] reads the full buckets inside the range from ScorePeriod
and the partial edge days from the raw scores (spans.cover), so it reads at most a few dozen
bucket runs whatever the range's length.

Finding the top players without reading every player: PlayerPeriod's total in the smallest
bucket holding the range bounds each player's report total from above. A probe computes the
exact totals of the bucket's best players by that bound; the `limit`-th of them, L, is a lower
bound of the true `limit`-th total, so only players whose bound reaches L can be in the top,
and only they are computed exactly (the index on (period, start, total) finds them). A short
range whose bound is loose (it crosses a month or a year) reads its few raw days for everyone.

Writers of the same player are serialized by a row lock on the player's `all` PlayerPeriod row
(taken first, in user id order): each sum is then recomputed from committed bests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from leaderboard import spans
from leaderboard.models import Game, PlayerPeriod, Score, ScorePeriod

# Players whose exact totals the probe computes: enough that the `limit`-th is close to the true one.
PROBE_MIN = 50
PROBE_FACTOR = 5
# Up to this long, a report whose bound leaves more candidates than this reads its pieces for
# every player instead (two days of raw scores at most).
SHORT_RANGE_SECONDS = 2 * 86_400
MAX_SHORT_CANDIDATES = 2_000
_CHUNK = 500  # rows per multi-row statement (SQLite's bound parameters)

_SP = ScorePeriod._meta.db_table
_PP = PlayerPeriod._meta.db_table
_SCORE = Score._meta.db_table
_GAME = Game._meta.db_table


# The raw scores the reports count: ranked ones (pending and void scores are on no board) of
# `desc` games (a report adds up bests; an `asc` game's best is its lowest time).
def _counted(alias: str = "") -> str:
    return f"{alias}status = 'ranked' AND {alias}game_id IN (SELECT id FROM {_GAME} WHERE ranking = 'desc')"


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


def _db_date(d: Any) -> Any:
    return connection.ops.adapt_datefield_value(d)


def _db_datetime(at: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(at)


# --- writes ----------------------------------------------------------------------------------


def _lock_players(cursor: Any, user_ids: Sequence[int]) -> None:
    """Lock (creating it if needed) each player's `all` PlayerPeriod row, in id order."""
    for chunk in _chunks(sorted(set(user_ids))):
        values = ", ".join(["(%s, %s, %s, 0)"] * len(chunk))
        params = [p for u in chunk for p in (u, spans.ALL, _db_date(spans.ALL_START))]
        cursor.execute(
            f"INSERT INTO {_PP} (user_id, period, start, total) VALUES {values} "
            f"ON CONFLICT (user_id, period, start) DO UPDATE SET total = {_PP}.total",
            params,
        )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def aggregates_add(rows: Iterable[tuple[int, int, int, datetime]]) -> None:
    """Fold newly ranked scores (user_id, game_id, value, achieved_at) of `desc` games into the
    aggregates (the callers leave the others out: see _counted).

    Call it in the transaction that inserted them (it locks the players' aggregate rows until
    that transaction ends)."""
    merged: dict[tuple[int, str, Any, int], tuple[int, datetime]] = {}
    for user_id, game_id, value, at in rows:
        for period, start in spans.buckets_of(at):
            key = (user_id, period, start, game_id)
            old = merged.get(key)
            merged[key] = (value, at) if old is None else (max(old[0], value), max(old[1], at))
    if not merged:
        return
    greatest = _greatest()
    keys = sorted(merged)
    buckets = sorted({(u, p, s) for u, p, s, _ in keys})
    with connection.cursor() as cursor:
        _lock_players(cursor, [u for u, _, _ in buckets])
        for chunk in _chunks(keys):
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for key in chunk:
                user_id, period, start, game_id = key
                best, last_at = merged[key]
                params += [user_id, game_id, period, _db_date(start), best, _db_datetime(last_at)]
            cursor.execute(
                f"INSERT INTO {_SP} (user_id, game_id, period, start, best, last_at) VALUES {values} "
                f"ON CONFLICT (user_id, period, start, game_id) DO UPDATE SET "
                f"best = {greatest}({_SP}.best, excluded.best), last_at = {greatest}({_SP}.last_at, excluded.last_at)",
                params,
            )
        for chunk in _chunks(buckets):
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [p for (u, period, start) in chunk for p in (u, period, _db_date(start))]
            cursor.execute(
                f"INSERT INTO {_PP} (user_id, period, start, total) "
                f"SELECT user_id, period, start, SUM(best) FROM {_SP} "
                f"WHERE (user_id, period, start) IN (VALUES {values}) GROUP BY user_id, period, start "
                f"ON CONFLICT (user_id, period, start) DO UPDATE SET total = excluded.total",
                params,
            )


def _bucket_sql() -> dict[str, str]:
    """SQL expressions of each bucket's start: from a raw score's achieved_at (day), or from
    the start of the finer bucket (month, year). SQLite stores UTC text ("YYYY-MM-DD ...")."""
    if connection.vendor == "postgresql":
        return {
            "day": "(achieved_at AT TIME ZONE 'UTC')::date",
            "month": "date_trunc('month', start)::date",
            "year": "date_trunc('year', start)::date",
        }
    return {
        "day": "substr(achieved_at, 1, 10)",
        "month": "substr(start, 1, 7) || '-01'",
        "year": "substr(start, 1, 4) || '-01-01'",
    }


def aggregates_rebuild(user_ids: Sequence[int] | None = None) -> None:
    """Recompute the aggregates from the raw scores: of every player, or of `user_ids` only
    (after some of their scores were deleted). Idempotent; concurrent submissions wait for it."""
    expr = _bucket_sql()
    where, params = "", []
    if user_ids is not None:
        if not user_ids:
            return
        where = f"WHERE user_id IN ({', '.join(['%s'] * len(user_ids))})"
        params = list(user_ids)
    and_where = where.replace("WHERE", "AND") if where else ""
    with transaction.atomic(), connection.cursor() as cursor:
        if user_ids is None:
            if connection.vendor == "postgresql":
                # Writers wait (their aggregate upserts need ROW EXCLUSIVE); earlier ones have committed.
                cursor.execute(f"LOCK TABLE {_PP}, {_SP} IN SHARE ROW EXCLUSIVE MODE")
        else:
            _lock_players(cursor, user_ids)
        cursor.execute(f"DELETE FROM {_PP} {where}", params)
        cursor.execute(f"DELETE FROM {_SP} {where}", params)
        cursor.execute(
            f"INSERT INTO {_SP} (user_id, game_id, period, start, best, last_at) "
            f"SELECT user_id, game_id, 'day', {expr['day']}, MAX(value), MAX(achieved_at) FROM {_SCORE} "
            f"WHERE {_counted()} {and_where} GROUP BY user_id, game_id, {expr['day']}",
            params,
        )
        for finer, period in (("day", "month"), ("month", "year")):
            cursor.execute(
                f"INSERT INTO {_SP} (user_id, game_id, period, start, best, last_at) "
                f"SELECT user_id, game_id, %s, {expr[period]}, MAX(best), MAX(last_at) FROM {_SP} "
                f"WHERE period = %s {and_where} GROUP BY user_id, game_id, {expr[period]}",
                [period, finer, *params],
            )
        cursor.execute(
            f"INSERT INTO {_SP} (user_id, game_id, period, start, best, last_at) "
            f"SELECT user_id, game_id, %s, %s, MAX(best), MAX(last_at) FROM {_SP} "
            f"WHERE period = %s {and_where} GROUP BY user_id, game_id",
            [spans.ALL, _db_date(spans.ALL_START), "year", *params],
        )
        cursor.execute(
            f"INSERT INTO {_PP} (user_id, period, start, total) "
            f"SELECT user_id, period, start, SUM(best) FROM {_SP} {where} GROUP BY user_id, period, start",
            params,
        )
        if user_ids is None and connection.vendor == "postgresql":
            # Fresh statistics at once (autovacuum comes later): without them the planner takes
            # a bucket of 100,000 rows for a few dozen and scans it instead of the indexes.
            cursor.execute(f"ANALYZE {_SCORE}, {_SP}, {_PP}")


# --- reads -----------------------------------------------------------------------------------

# Per player and game: the best value and the last submission over the pieces; then per player
# the sum of those bests, the number of games, the best game (highest best, then lowest game
# id) and the last submission. Ties on the sum go to the earlier last submission, then the
# lower user id.
_RANKING_SQL = """
WITH {cand} src AS (
    {pieces}
), per_game AS (
    SELECT user_id, game_id, MAX(best) AS best, MAX(last_at) AS last_at FROM src GROUP BY user_id, game_id
), per_player AS (
    SELECT user_id, game_id, best,
           SUM(best) OVER (PARTITION BY user_id) AS total,
           COUNT(*) OVER (PARTITION BY user_id) AS games,
           MAX(last_at) OVER (PARTITION BY user_id) AS last_at,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY best DESC, game_id ASC) AS pick
    FROM per_game
)
SELECT p.user_id, u.username, p.total, p.games, p.game_id, p.last_at
FROM per_player p JOIN gamers_gamer u ON u.id = p.user_id
WHERE p.pick = 1
ORDER BY p.total DESC, p.last_at ASC, p.user_id ASC
LIMIT %s
"""


def _pieces(cover: spans.Cover, game_id: int | None, restricted: bool) -> tuple[str, list[Any]]:
    """The UNION ALL of the cover's pieces as (user_id, game_id, best, last_at) rows; with
    `restricted`, of the `cand` players only, looked up player by player through the keys."""
    filters, extra = "", []
    if game_id is not None:
        filters, extra = " AND t.game_id = %s", [game_id]
    source = "{table} t JOIN cand c ON c.user_id = t.user_id" if restricted else "{table} t"
    parts: list[str] = []
    params: list[Any] = []
    for raw in cover.raw:
        parts.append(
            f"SELECT t.user_id, t.game_id, t.value AS best, t.achieved_at AS last_at FROM {source.format(table=_SCORE)} "
            f"WHERE t.achieved_at >= %s AND t.achieved_at {'<=' if raw.inclusive else '<'} %s{filters} "
            f"AND {_counted('t.')}"
        )
        params += [_db_datetime(raw.lo), _db_datetime(raw.hi), *extra]
    for period, first, last in cover.runs:
        parts.append(
            f"SELECT t.user_id, t.game_id, t.best, t.last_at FROM {source.format(table=_SP)} "
            f"WHERE t.period = %s AND t.start >= %s AND t.start <= %s{filters}"
        )
        params += [period, _db_date(first), _db_date(last), *extra]
    return "\n    UNION ALL\n    ".join(parts), params


def _candidates(
    cover: spans.Cover, game_id: int | None, *, at_least: int | None, top: int | None
) -> tuple[str, list[Any]]:
    """Players whose bound (their total, or best in `game_id`, over cover.bound) is at least
    `at_least`, or the `top` players by that bound."""
    period, start = cover.bound
    if game_id is None:
        sql = f"SELECT user_id FROM {_PP} WHERE period = %s AND start = %s"
        params: list[Any] = [period, _db_date(start)]
        column = "total"
    else:
        sql = f"SELECT user_id FROM {_SP} WHERE period = %s AND start = %s AND game_id = %s"
        params = [period, _db_date(start), game_id]
        column = "best"
    if at_least is not None:
        sql += f" AND {column} >= %s"
        params.append(at_least)
    if top is not None:
        sql += f" ORDER BY {column} DESC LIMIT %s"
        params.append(top)
    return sql, params


def _ranking(
    cover: spans.Cover, game_id: int | None, limit: int, cand: tuple[str, list[Any]] | None
) -> list[tuple[Any, ...]]:
    pieces, params = _pieces(cover, game_id, restricted=cand is not None)
    cand_sql, cand_params = cand or ("", [])
    cte = f"cand AS ({cand_sql})," if cand else ""
    with connection.cursor() as cursor:
        cursor.execute(_RANKING_SQL.format(cand=cte, pieces=pieces), [*cand_params, *params, limit])
        return cursor.fetchall()


def _more_than(cand: tuple[str, list[Any]], count: int) -> bool:
    sql, params = cand
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT %s) c", [*params, count + 1])
        return bool(cursor.fetchone()[0] > count)


def report_rows(*, start: datetime, end: datetime, limit: int, game_id: int | None) -> list[tuple[Any, ...]]:
    """The report's rows (user_id, username, total, games, best game id, last submission),
    exactly as one GROUP BY over the raw scores in [start, end] gives them."""
    cover = spans.cover(start, end)
    top = max(PROBE_MIN, PROBE_FACTOR * limit)
    probe = _ranking(cover, game_id, limit, _candidates(cover, game_id, at_least=None, top=top))
    if len(probe) < limit:
        return _ranking(cover, game_id, limit, None)  # fewer players than asked for near the top: read all
    cand = _candidates(cover, game_id, at_least=int(probe[limit - 1][2]), top=None)
    short = (end - start).total_seconds() <= SHORT_RANGE_SECONDS
    if short and _more_than(cand, MAX_SHORT_CANDIDATES):
        return _ranking(cover, game_id, limit, None)  # a loose bound (say across New Year): a few raw days are cheaper
    return _ranking(cover, game_id, limit, cand)
