"""Repairing the boards from the durable history.

`boards_rebuild()` restores every board of the current periods (and the names hash) from the
database: SQL returns each player's best row per game and period, Python encodes them and
pipelines large ZADDs into temporary keys, and one MULTI renames them over the live keys (live
board keys that the database doesn't back are deleted). Readers never see a half-built board.

Submissions keep flowing meanwhile: one that lands between the SQL snapshot and the swap would
be lost by the swap, so the rows of the last REPLAY_MARGIN are applied again afterwards through
the record script, which is idempotent and order-independent (boards.py).

`boards_refresh_players()` does the same for a few players (after their scores or account were
deleted), in place.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.db import connection
from django.utils import timezone

from common.progress import Progress
from common.redis import get_redis
from leaderboard import boards, rules
from leaderboard.games import Catalog, game_catalog
from leaderboard.models import Score, ScoreStatus
from leaderboard.rules import ALL_BOARD, PeriodWindow
from leaderboard.scripts import HSET_BLOB_LUA, ZADD_BLOB_LUA

logger = logging.getLogger("gameconnect.leaderboard")

REPLAY_MARGIN = timedelta(seconds=60)
FETCH_ROWS = 20_000
ZADD_CHUNK = 10_000

# The row that holds each player's best per game: on period boards the first to reach it in
# time, on `all`-time boards the first by id (rules: the tie field of each kind of board). On
# PostgreSQL the tie is computed in SQL (exact: EXTRACT gives a numeric); elsewhere in Python.
# `{good}` is what the board holds: the value, or max_score - value for `asc` games (_goodness).
# Only `ranked` rows count (pending and void scores are on no board).
_BEST_PG = """
SELECT DISTINCT ON (user_id, game_id) user_id, game_id, {good}, {tie}, {when}
FROM leaderboard_score {where}
ORDER BY user_id, game_id, {good} DESC, {first}
"""
_BEST_PORTABLE = """
SELECT user_id, game_id, good, {tie}, {when} FROM (
    SELECT user_id, game_id, {good} AS good, achieved_at, id,
           ROW_NUMBER() OVER (PARTITION BY user_id, game_id ORDER BY {good} DESC, {first}) AS pick
    FROM leaderboard_score {where}
) ranked WHERE pick = 1
"""
_PG_MS_SINCE = "FLOOR(EXTRACT(EPOCH FROM (achieved_at - %s)) * 1000)::bigint"
_PG_EPOCH_MS = "FLOOR(EXTRACT(EPOCH FROM achieved_at) * 1000)::bigint"
# Entries per period, for the progress bar, in one pass: a (player, game) pair is on a period's
# board when its last score falls in the period.
_GROUPS = """
SELECT {counts} FROM (
    SELECT MAX(achieved_at) AS last_at FROM leaderboard_score WHERE status = 'ranked' GROUP BY user_id, game_id
) pairs
"""


@dataclass
class RebuildStats:
    boards: int
    entries: int
    players: int
    replayed: int
    seconds: float


def _db_datetime(at: datetime | None) -> Any:
    """A bound for raw SQL as the column stores it: SQLite compares text, and a bound with its
    "+00:00" would sort after a score stored at that very instant (left out of its period)."""
    return connection.ops.adapt_datetimefield_value(at)


def _goodness(catalog: Catalog) -> str:
    """SQL for what a board holds of a row: `value`, or `max_score - value` for `asc` games
    (boards.record_call). Built from the catalogue's integers only."""
    asc = [f"WHEN {int(g.id)} THEN {int(g.max_score)} - value" for g in catalog.games if g.asc]
    return f"(CASE game_id {' '.join(asc)} ELSE value END)" if asc else "value"


def _where(window: PeriodWindow, user_ids: list[int] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = ["status = 'ranked'"]
    params: list[Any] = []
    if window.end is not None:
        clauses.append("achieved_at >= %s AND achieved_at < %s")
        params += [_db_datetime(window.start), _db_datetime(window.end)]
    if user_ids is not None:
        clauses.append(f"user_id IN ({', '.join(['%s'] * len(user_ids))})")
        params += user_ids
    return "WHERE " + " AND ".join(clauses), params


def best_rows(
    window: PeriodWindow, user_ids: list[int] | None = None, good: str = "value"
) -> Iterator[list[tuple[int, int, int, int, int]]]:
    """Batches of (user_id, game_id, best value, tie, epoch ms) for one period, streamed from the
    server. The epoch ms of the best score is only read for `all` time (0 on period boards).
    `good` is _goodness(catalog): then the value is what the board holds."""
    where, params = _where(window, user_ids)
    first = "achieved_at ASC, id ASC" if window.timed else "id ASC"
    postgres = connection.vendor == "postgresql"
    if window.timed:
        tie, when = (_PG_MS_SINCE, "0") if postgres else ("achieved_at", "0")
        params = [window.start, *params] if postgres else params
    else:
        tie, when = "id", (_PG_EPOCH_MS if postgres else "achieved_at")
    sql = (_BEST_PG if postgres else _BEST_PORTABLE).format(good=good, tie=tie, when=when, where=where, first=first)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            if not postgres and window.timed:
                batch = [
                    (u, g, v, rules.tie_for(window, at=rules.as_utc(at), score_id=0), 0) for u, g, v, at, _ in batch
                ]
            elif not postgres:
                batch = [(u, g, v, tie, rules.epoch_ms(rules.as_utc(at))) for u, g, v, tie, at in batch]
            yield batch


def _entry_counts(windows: list[PeriodWindow]) -> int:
    counts, params = [], []
    for window in windows:
        if window.start is None:
            counts.append("COUNT(*)")
        else:
            counts.append("SUM(CASE WHEN last_at >= %s AND last_at < %s THEN 1 ELSE 0 END)")
            params += [_db_datetime(window.start), _db_datetime(window.end)]
    with connection.cursor() as cursor:
        cursor.execute(_GROUPS.format(counts=", ".join(counts)), params)
        return sum(int(n or 0) for n in cursor.fetchone())


class _Writer:
    """Loads boards through pipelined ZADD_BLOB scripts, ZADD_CHUNK entries per call."""

    def __init__(self, client: Any, key_for: Any) -> None:
        self.client = client
        self.pipe = client.pipeline(transaction=False)
        self.zadd_sha = client.script_load(ZADD_BLOB_LUA)
        self.hset_sha = client.script_load(HSET_BLOB_LUA)
        self.key_for = key_for
        self.pending = 0
        self.keys: dict[str, str] = {}  # live key -> key written
        self.entries = 0

    def add(self, live_key: str, entries: list[tuple[int, int]]) -> None:
        """Add (user_id, sorted-set score) entries to a board."""
        if not entries:
            return
        target = self.keys.setdefault(live_key, self.key_for(live_key))
        for i in range(0, len(entries), ZADD_CHUNK):
            blob = " ".join([f"{score} {member}" for member, score in entries[i : i + ZADD_CHUNK]])
            self.pipe.evalsha(self.zadd_sha, 1, target, blob)
            self.pending += 1
            if self.pending >= 20:
                self.flush()
        self.entries += len(entries)

    def add_when(self, key: str, entries: list[str]) -> None:
        """Add "score id\\nepoch ms\\n" entries to the when hash (under its temporary name)."""
        target = self.keys.setdefault(key, self.key_for(key))
        for i in range(0, len(entries), ZADD_CHUNK):
            self.pipe.evalsha(self.hset_sha, 1, target, "".join(entries[i : i + ZADD_CHUNK]))
            self.pending += 1
            if self.pending >= 20:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            self.pipe.execute()
            self.pending = 0


def _load_window(writer: Any, catalog: Catalog, window: PeriodWindow, user_ids: list[int] | None, bar: Any) -> set[int]:
    """Write the game boards and the `all` board of one period; returns the players on them."""
    slug_by_id = {g.id: g.slug for g in catalog.games}
    summed = {g.id for g in catalog.games if not g.asc}  # the `all` board adds up `desc` games only
    totals: dict[int, list[int]] = {}
    shift, tie_max = rules.SHIFT, rules.TIE_MAX
    when: list[str] = []
    for batch in best_rows(window, user_ids, _goodness(catalog)):
        per_board: dict[str, list[tuple[int, int]]] = {}
        for user_id, game_id, value, raw_tie, epoch_ms in batch:
            slug = slug_by_id.get(game_id)
            if slug is None:
                continue
            if epoch_ms:
                when.append(f"{raw_tie}\n{epoch_ms}\n")
            tie = min(max(raw_tie, 0), tie_max)
            # rules.encode, inlined: this loop runs once per player and game (a million times).
            per_board.setdefault(slug, []).append((user_id, value * shift + (tie_max - tie)))
            if game_id not in summed:
                continue
            total = totals.get(user_id)
            if total is None:
                totals[user_id] = [value, tie]
            else:
                total[0] += value
                if tie > total[1]:
                    total[1] = tie
        for slug, entries in per_board.items():
            writer.add(rules.board_key(slug, window), entries)
        if bar is not None:
            bar.advance(len(batch))
    all_entries = [(user_id, rules.encode(value, tie)) for user_id, (value, tie) in totals.items()]
    writer.add(rules.board_key(ALL_BOARD, window), all_entries)
    if when:
        writer.add_when(boards.WHEN_KEY, when)
    writer.flush()
    return set(totals)


def _load_names(client: Any, key: str, user_ids: set[int]) -> int:
    """Write the usernames of `user_ids` into the hash `key`."""
    from gamers.models import Gamer

    sha = client.script_load(HSET_BLOB_LUA)
    pipe = client.pipeline(transaction=False)
    count = 0
    chunk: list[str] = []
    players = Gamer.objects.values_list("pk", "username")
    if len(user_ids) < 1000:
        players = players.filter(pk__in=user_ids)
    for pk, username in players.iterator(chunk_size=FETCH_ROWS):
        if pk not in user_ids:
            continue
        chunk.append(f"{pk}\n{username}\n")
        count += 1
        if len(chunk) >= ZADD_CHUNK:
            pipe.evalsha(sha, 1, key, "".join(chunk))
            chunk = []
    if chunk:
        pipe.evalsha(sha, 1, key, "".join(chunk))
    pipe.execute()
    return count


def _replay(since: datetime, catalog: Catalog, user_ids: list[int] | None = None) -> int:
    rows = Score.objects.filter(achieved_at__gte=since, status=ScoreStatus.RANKED)
    rows = rows.select_related("user").order_by("id")
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    count = 0
    slugs = catalog.summed
    for row in rows.iterator(chunk_size=2000):
        info = catalog.by_id.get(row.game_id)
        if info is None:
            continue
        boards.board_record(
            user_id=row.user_id,
            username=row.user.username,
            game=info.slug,
            slugs=slugs,
            value=row.value,
            achieved_at=row.achieved_at,
            score_id=row.pk,
            asc_max=info.asc_max,
            notify=False,
        )
        count += 1
    return count


def boards_rebuild(*, now: datetime | None = None, stream: IO[str] | Any = None) -> RebuildStats:
    """Replace every current board, the names hash and the when hash with what the database says.

    Prints a progress bar on `stream` (stdout by default). Safe while submissions continue.
    Raises redis errors when Redis is down (the command reports them).
    """
    started = time.monotonic()
    now = now or timezone.now()
    catalog = game_catalog()
    client = get_redis()
    prefix = f"lb:tmp:{uuid.uuid4().hex[:12]}:"
    windows = rules.period_windows(now)
    bar = Progress(_entry_counts(windows), "rebuild boards", stream)
    writer = _Writer(client, lambda live: prefix + live)
    try:
        ranked: set[int] = set()
        for window in windows:
            ranked |= _load_window(writer, catalog, window, None, bar)
        bar.finish()
        players = _load_names(client, prefix + boards.NAMES_KEY, ranked)
        live = set(client.scan_iter(match=boards.BOARD_PREFIX + "*", count=1000))
        expiry = {rules.board_key(b, w): w.expire_at for w in windows for b in [ALL_BOARD, *catalog.slugs]}
        swap = client.pipeline(transaction=True)
        for live_key, tmp_key in writer.keys.items():
            swap.rename(tmp_key, live_key)
            if expiry.get(live_key):
                swap.expireat(live_key, expiry[live_key])
        for key in live - set(writer.keys):
            swap.delete(key)
        if players:
            swap.rename(prefix + boards.NAMES_KEY, boards.NAMES_KEY)
        else:
            swap.delete(boards.NAMES_KEY)
        if boards.WHEN_KEY not in writer.keys:
            swap.delete(boards.WHEN_KEY)
        swap.execute()
    finally:
        leftovers = list(client.scan_iter(match=prefix + "*", count=1000))
        if leftovers:
            client.delete(*leftovers)
    replayed = _replay(min(now, timezone.now()) - REPLAY_MARGIN, catalog)
    boards.notify_all_boards([ALL_BOARD, *catalog.slugs])
    return RebuildStats(
        boards=sum(1 for key in writer.keys if key.startswith(boards.BOARD_PREFIX)),
        entries=writer.entries,
        players=players,
        replayed=replayed,
        seconds=time.monotonic() - started,
    )


class _Collector:
    """A writer that keeps the entries in memory (a few players' worth)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, int]] = {}
        self.when: dict[str, str] = {}

    def add(self, live_key: str, entries: list[tuple[int, int]]) -> None:
        if entries:  # a board none of the players is on (ZADD takes at least one entry)
            self.entries.setdefault(live_key, {}).update((str(member), score) for member, score in entries)

    def add_when(self, key: str, entries: list[str]) -> None:
        for entry in entries:
            member, when = entry.rstrip("\n").split("\n")
            self.when[member] = when

    def flush(self) -> None:
        pass


def boards_refresh_players(user_ids: list[int], *, now: datetime | None = None) -> None:
    """Recompute a few players' entries on every current board from the database, in place
    (their rows may be gone: scores deleted in the back office, or the account deleted)."""
    if not user_ids:
        return
    now = now or timezone.now()
    catalog = game_catalog()
    client = get_redis()
    members = [str(u) for u in user_ids]
    all_boards = [ALL_BOARD, *catalog.slugs]
    windows = rules.period_windows(now)
    collector = _Collector()
    for window in windows:
        _load_window(collector, catalog, window, list(user_ids), None)
    expiry = {rules.board_key(b, w): w.expire_at for w in windows for b in all_boards}
    tx = client.pipeline(transaction=True)
    for key in expiry:
        tx.zrem(key, *members)
    for key, mapping in collector.entries.items():
        tx.zadd(key, mapping)
        if expiry.get(key):
            tx.expireat(key, expiry[key])
    tx.hdel(boards.NAMES_KEY, *members)
    if collector.when:
        tx.hset(boards.WHEN_KEY, mapping=collector.when)
    tx.execute()
    _load_names(client, boards.NAMES_KEY, set(user_ids))
    _replay(min(now, timezone.now()) - REPLAY_MARGIN, catalog, list(user_ids))
    boards.notify_all_boards(all_boards)
