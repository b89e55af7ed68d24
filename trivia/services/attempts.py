"""Attempts (SPEC §5 rules 4 to 6 and 8), decided in groups.

`attempts_submit` is a group commit: the attempts a web process received within a few
milliseconds are decided together, in arrival order, under ONE exclusive lock on the round and
in ONE transaction. Per group, whatever its size: lock the round, lock and read the players'
balances (`gamers.services.coins_lock_many`), count their attempts in the round, then write the
attempts, the balances and ledger rows (`gamers.services.coins_apply_many`, the ledger's one
owner) and (for a win) the round in bulk. So an attempt costs a share of ~7 statements instead
of ~9 of its own, and groups of different processes queue on the round lock. The group's
transaction is its own: `attempts_submit` refuses to run inside another (assert_no_transaction).

Invariants:
* exactly one winner: the first correct attempt of a group ends the round, the later attempts
  of the group get NoRound, and the next group (of any process) finds no round being played.
  The partial unique index `one_prize_per_round` backs this up in the database;
* an account deactivated (or deleted) before the group locked its row plays nothing: its
  attempt is refused (403 `account_disabled`), not stored, not charged; read under the row
  lock that deactivation also takes, so a frame in flight when an admin deactivates the
  account is not processed;
* a player's free attempts are counted exactly: their row is locked and every attempt of the
  round is written under the round's exclusive lock;
* balance == ledger: every cost and prize is a ledger row in the same transaction as the new
  balance, computed from the locked row in arrival order (INSUFFICIENT_FUNDS drops the attempt);
* one attempt can't fail the others: if the group's transaction fails (a database error on one
  attempt's data), the group is retried one attempt at a time, so only that one fails;
* frames go out after commit, in order, as one message to the hubs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from common.transactions import assert_no_transaction
from gamers.models import CoinTransaction, Gamer
from gamers.services import CoinEntry, InsufficientFunds, coins_apply_many, coins_lock_many
from trivia import rules
from trivia.broadcast import fanout_message, hub_send_on_commit
from trivia.models import Attempt, Round
from trivia.services.game import _end, round_ref

logger = logging.getLogger("gameconnect.trivia")


@dataclass(frozen=True)
class AttemptResult:
    round_id: int
    correct: bool
    cost: int
    prize: int
    free_attempts_left: int

    @property
    def coin_diffs(self) -> list[int]:
        """The attempter's COIN_DIFF frames, one per ledger row (cost first, then prize)."""
        return [diff for diff in (-self.cost, self.prize) if diff]


@dataclass(frozen=True)
class AttemptRequest:
    user_id: int
    username: str
    message: Any


class NoRound(Conflict):
    default_code = "no_round"


NO_ROUND_MESSAGE = "No round is being played right now; wait for the next one."


def clean_attempt(message: Any) -> str:
    if not isinstance(message, str):
        raise InvalidInput(gettext("An attempt needs a `message` string."), code="invalid_attempt")
    message = rules.clean_text(message)
    if not message:
        raise InvalidInput(gettext("An attempt can't be empty."), code="invalid_attempt")
    if len(message) > rules.ATTEMPT_MAX_CHARS:
        raise InvalidInput(
            gettext("Attempts are at most %(ATTEMPT_MAX_CHARS)s characters.")
            % {"ATTEMPT_MAX_CHARS": rules.ATTEMPT_MAX_CHARS},
            code="invalid_attempt",
        )
    if rules.UNSTORABLE.search(message):
        raise InvalidInput(
            gettext("Attempts can't contain NUL or unpaired surrogate characters."), code="invalid_attempt"
        )
    return message


def attempt_submit(*, user: Any, message: Any, now: datetime | None = None) -> AttemptResult:
    """Play one attempt in the round being played (a group of one). Raises NoRound when no round
    is being played (also for a correct attempt that lost the race), InsufficientFunds,
    InvalidInput."""
    (result,) = attempts_submit([AttemptRequest(user.pk, user.username, message)], now=now)
    if isinstance(result, BaseException):
        raise result
    return result


def attempts_submit(
    requests: Sequence[AttemptRequest], *, now: datetime | None = None
) -> list[AttemptResult | Exception]:
    """Decide `requests` in order; one result per request: an AttemptResult, or the exception
    that attempt gets (a ServiceError: NoRound, InsufficientFunds, InvalidInput, NotFound; or,
    if its data broke the database statement, that error). Never raises for one attempt.
    Runs outside any transaction: each group commits on its own before its frames go out."""
    assert_no_transaction("attempts_submit")
    try:
        return _decide(requests, now=now)
    except Exception:
        if len(requests) == 1:
            raise
        logger.exception("a group of %s attempts failed; deciding them one by one", len(requests))
    results: list[AttemptResult | Exception] = []
    for request in requests:
        try:
            results.extend(_decide([request], now=now))
        except Exception as exc:  # noqa: BLE001 - this attempt's error is its result; the rest go on
            results.append(exc)
    return results


def _decide(requests: Sequence[AttemptRequest], *, now: datetime | None) -> list[AttemptResult | Exception]:
    results: list[AttemptResult | Exception | None] = [None] * len(requests)
    cleaned: dict[int, str] = {}
    for i, request in enumerate(requests):
        try:
            cleaned[i] = clean_attempt(request.message)
        except ServiceError as exc:
            results[i] = exc
    if cleaned:
        _decide_valid(requests, cleaned, results, now=now or timezone.now())
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]  # the assert above: every slot holds a result


def _decide_valid(
    requests: Sequence[AttemptRequest],
    cleaned: dict[int, str],
    results: list[AttemptResult | Exception | None],
    *,
    now: datetime,
) -> None:
    free = int(settings.TRIVIA_FREE_ATTEMPTS)
    price = int(settings.TRIVIA_ATTEMPT_COST)
    with transaction.atomic(), connection.cursor() as cursor:
        round_ = _lock_playing_round()
        if round_ is None:
            for i in cleaned:
                results[i] = NoRound(NO_ROUND_MESSAGE)
            return
        gamer_ids = sorted({requests[i].user_id for i in cleaned})
        coins = coins_lock_many(gamer_ids)
        disabled = _inactive(cursor, gamer_ids)
        used = _attempts_made(cursor, round_.pk, gamer_ids)
        ref = round_ref(round_.pk)
        attempts: list[tuple[Any, ...]] = []
        ledger: list[CoinEntry] = []
        frames: list[dict[str, Any]] = []
        for i, message in cleaned.items():
            request = requests[i]
            gamer_id = request.user_id
            if round_.state != Round.State.PLAYING:
                results[i] = NoRound(NO_ROUND_MESSAGE)  # an earlier attempt of this group won
                continue
            if gamer_id not in coins:
                results[i] = NotFound(gettext("Your account no longer exists."), code="no_account")
                continue
            if gamer_id in disabled:
                results[i] = PermissionDenied(gettext("This account is disabled."), code="account_disabled")
                continue
            n = used.get(gamer_id, 0)
            cost = price if n >= free else 0
            if cost:
                if coins[gamer_id] < cost:
                    results[i] = InsufficientFunds("Not enough coins.")
                    continue
                coins[gamer_id] -= cost
                ledger.append(CoinEntry(gamer_id, -cost, CoinTransaction.Reason.ATTEMPT, ref))
            used[gamer_id] = n + 1
            correct = rules.is_correct(message, round_.answer)
            prize = 0
            if correct:
                prize = round_.current_value
                _end(round_, now=now, reason=Round.EndReason.WON)
                round_.winner_id = gamer_id
                round_.prize = prize
                round_.version += 1
                coins[gamer_id] += prize
                ledger.append(CoinEntry(gamer_id, prize, CoinTransaction.Reason.PRIZE, ref))
            attempts.append((round_.pk, gamer_id, request.username, message, correct, cost, prize))
            frame: dict[str, Any] = {
                "userId": gamer_id,
                "username": request.username,
                "message": message,
                "correct": correct,
            }
            if correct:
                frame["correctAnswer"] = round_.answer
            # Other players' wrong attempts may be shed by a flooded web process (trivia.hub).
            frames.append(fanout_message("PEER_ATTEMPT", frame, sheddable=not correct, owner=gamer_id))
            results[i] = AttemptResult(
                round_id=round_.pk, correct=correct, cost=cost, prize=prize, free_attempts_left=max(0, free - n - 1)
            )
        # The ledger's owner writes balances and ledger rows (one statement each); the rows are
        # locked, so the balances it computes are the ones this loop checked the costs against.
        coins_apply_many(ledger, at=now)
        _attempts_insert(cursor, attempts, now=now)
        if round_.state != Round.State.PLAYING:
            round_.save(
                update_fields=[
                    "state",
                    "end_reason",
                    "ended_at",
                    "split_ends_at",
                    "next_round_at",
                    "winner",
                    "prize",
                    "version",
                ]
            )
        if frames:
            hub_send_on_commit(frames)


# --- the statements ---------------------------------------------------------------------------
# Written as SQL, not through the ORM: the statements are the same for every group, and compiling
# ORM queries cost more CPU than the database's work (measured: ~2 ms per SELECT on this VM, in
# the thread that shares the GIL with the event loop). The SQL text never depends on the group's
# size (psycopg caches its parsing; parsing hundreds of placeholders was the next cost): lists go
# as one array parameter on PostgreSQL, and rows through executemany (pipelined by psycopg).
# Portable to SQLite, where the row locks are left out (IMMEDIATE transactions serialise writers).


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _in(column: str, values: list[int]) -> tuple[str, list[Any]]:
    if _postgres():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _lock_playing_round() -> Round | None:
    """The round being played, locked exclusively: the groups of every process queue here."""
    sql = f"SELECT * FROM {Round._meta.db_table} WHERE state = %s ORDER BY number DESC LIMIT 1"
    rows = list(Round.objects.raw(sql + (" FOR UPDATE" if _postgres() else ""), [int(Round.State.PLAYING)]))
    return rows[0] if rows else None


def _inactive(cursor: Any, gamer_ids: list[int]) -> set[int]:
    """The deactivated accounts among `gamer_ids` (rows the caller locked: current, and they
    stay so until commit)."""
    where, params = _in("id", gamer_ids)
    cursor.execute(f"SELECT id FROM {Gamer._meta.db_table} WHERE {where} AND NOT is_active", params)
    return {row[0] for row in cursor.fetchall()}


def _attempts_made(cursor: Any, round_id: int, gamer_ids: list[int]) -> dict[int, int]:
    """How many attempts each player made in the round (read under the round's exclusive lock)."""
    where, params = _in("gamer_id", gamer_ids)
    cursor.execute(
        f"SELECT gamer_id, COUNT(*) FROM {Attempt._meta.db_table} WHERE round_id = %s AND {where} GROUP BY gamer_id",
        [round_id, *params],
    )
    return dict(cursor.fetchall())


def _attempts_insert(cursor: Any, attempts: list[tuple[Any, ...]], *, now: datetime) -> None:
    """The attempts, in arrival order (ids follow it). On PostgreSQL one statement, with one
    array per column (`unnest`); elsewhere executemany."""
    if not attempts:
        return
    table = Attempt._meta.db_table
    if _postgres():
        _, *columns = zip(*attempts, strict=True)
        cursor.execute(
            f"INSERT INTO {table} (round_id, gamer_id, username, message, correct, cost, prize, created_at) "
            "SELECT %s, v.gamer_id, v.username, v.message, v.correct, v.cost, v.prize, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::boolean[], %s::int[], "
            "%s::int[]) WITH ORDINALITY AS v(gamer_id, username, message, correct, cost, prize, n) ORDER BY n",
            [attempts[0][0], now, *map(list, columns)],
        )
        return
    stamp = connection.ops.adapt_datetimefield_value(now)
    cursor.executemany(
        f"INSERT INTO {table} (round_id, gamer_id, username, message, correct, cost, prize, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(*row, stamp) for row in attempts],
    )
