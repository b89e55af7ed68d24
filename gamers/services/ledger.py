"""The coin ledger's writes: the one owner of `Gamer.coins` and `CoinTransaction` (SPEC §5 rule 8).

Every balance change is a ledger row written in the same transaction, so a gamer's `coins`
always equals the sum of their rows. Other apps (trivia's group commit, the seeders) call these
functions; none writes the two tables itself.

`coins_apply` is one change in its own transaction. `coins_lock_many` + `coins_apply_many` are the
bulk form for a caller that decides many changes inside its own transaction: on PostgreSQL one
statement for the balances and one for the ledger rows, whatever the number of changes (SQL
rather than the ORM: compiling ORM queries costs more CPU than the database's work on trivia's
hot path, and the SQL text never depends on the batch size, so psycopg's parse cache holds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import Conflict, NotFound
from common.transactions import assert_in_transaction
from gamers.models import CoinTransaction, Gamer


class InsufficientFunds(Conflict):
    default_code = "insufficient_funds"


@dataclass(frozen=True, slots=True)
class CoinEntry:
    """One change of one gamer's balance, as a ledger row will record it."""

    gamer_id: int
    amount: int  # negative: a debit
    reason: str  # CoinTransaction.Reason
    ref: str = ""  # what caused it, e.g. "trivia.round:42"
    at: datetime | None = None  # the row's created_at; None: the call's `at`


def coins_apply(*, gamer_id: int, amount: int, reason: str, ref: str = "") -> int:
    """Add (or, negative, take) coins and write the ledger row in the same transaction.

    Race-safe without a prior read: the conditional UPDATE refuses to go below zero and locks
    the row until commit. Raises InsufficientFunds when a debit can't be paid. Returns the new
    balance.
    """
    with transaction.atomic():
        qs = Gamer.objects.filter(pk=gamer_id)
        if amount < 0:
            qs = qs.filter(coins__gte=-amount)
        if qs.update(coins=F("coins") + amount) != 1:
            if not Gamer.objects.filter(pk=gamer_id).exists():
                raise NotFound(gettext("No gamer with that id."))
            raise InsufficientFunds("Not enough coins.")
        balance = Gamer.objects.filter(pk=gamer_id).values_list("coins", flat=True).get()
        CoinTransaction.objects.create(gamer_id=gamer_id, amount=amount, reason=reason, ref=ref, balance_after=balance)
    return balance


def coins_lock_many(gamer_ids: Iterable[int]) -> dict[int, int]:
    """The gamers' balances by id, their rows locked until the caller's transaction ends (on
    PostgreSQL `FOR NO KEY UPDATE`, in id order as any multi-row lock should be; SQLite
    serialises writers instead). Ids of deleted gamers are absent. One statement.

    Lock first, then decide, then `coins_apply_many`: the balances read here stay true until
    commit, so the caller can refuse a debit it can't pay before writing anything.
    """
    assert_in_transaction("coins_lock_many")
    ids = sorted(set(gamer_ids))
    if not ids:
        return {}
    table = Gamer._meta.db_table
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(f"SELECT id, coins FROM {table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", [ids])
            return dict(cursor.fetchall())
        return _balances_read(cursor, ids)


def coins_apply_many(entries: Sequence[CoinEntry], *, at: datetime | None = None) -> dict[int, int]:
    """Apply every entry inside the caller's transaction: each gamer's balance moves by the sum
    of their amounts (one UPDATE) and each entry becomes a ledger row (one INSERT), in entry
    order, with `balance_after` running through that gamer's entries. Returns the new balances.

    Must run inside the caller's transaction (RuntimeError otherwise): a failure leaves the
    balances half-moved, and only the caller's rollback undoes them. Raises NotFound if a gamer
    doesn't exist; a balance that would go below zero, at any entry, fails the statement
    (IntegrityError: the database's check constraints). Debits the caller hasn't checked against
    balances locked with `coins_lock_many` can therefore fail; concurrent callers that change the
    same gamers should lock them first (in id order, as coins_lock_many does) to avoid deadlocks.
    """
    assert_in_transaction("coins_apply_many")
    if not entries:
        return {}
    deltas: dict[int, int] = {}
    for entry in entries:
        deltas[entry.gamer_id] = deltas.get(entry.gamer_id, 0) + entry.amount
    balances = _balances_move(deltas)
    missing = deltas.keys() - balances.keys()
    if missing:
        raise NotFound(gettext("No gamer with id %(value)s.") % {"value": min(missing)})
    running = {pk: balances[pk] - delta for pk, delta in deltas.items()}
    default_at = at or timezone.now()
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        running[entry.gamer_id] += entry.amount
        rows.append(
            (entry.gamer_id, entry.amount, entry.reason, entry.ref, running[entry.gamer_id], entry.at or default_at)
        )
    _ledger_insert(rows)
    return balances


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _balances_move(deltas: dict[int, int]) -> dict[int, int]:
    """Add each delta to its gamer's balance; the new balances of the gamers that exist."""
    table = Gamer._meta.db_table
    ids = sorted(deltas)
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                f"UPDATE {table} AS g SET coins = g.coins + v.delta FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS v(id, delta) WHERE g.id = v.id RETURNING g.id, g.coins",
                [ids, [deltas[pk] for pk in ids]],
            )
            return dict(cursor.fetchall())
        # Elsewhere (SQLite, the embedded default): one pass of UPDATEs, then read the results.
        cursor.executemany(f"UPDATE {table} SET coins = coins + %s WHERE id = %s", [(deltas[pk], pk) for pk in ids])
        return _balances_read(cursor, ids)


def _balances_read(cursor: Any, ids: list[int]) -> dict[int, int]:
    """Balances by id, in chunks that stay under SQLite's limit on statement parameters."""
    table, balances = Gamer._meta.db_table, {}
    for start in range(0, len(ids), _SQLITE_CHUNK):
        chunk = ids[start : start + _SQLITE_CHUNK]
        cursor.execute(f"SELECT id, coins FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
        balances.update(cursor.fetchall())
    return balances


_SQLITE_CHUNK = 5000


def _ledger_insert(rows: list[tuple[Any, ...]]) -> None:
    """(gamer_id, amount, reason, ref, balance_after, created_at) rows, ids in list order."""
    table = CoinTransaction._meta.db_table
    columns = "(gamer_id, amount, reason, ref, balance_after, created_at)"
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT v.gamer_id, v.amount, v.reason, v.ref, v.balance_after, v.at "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::timestamptz[]) "
                "WITH ORDINALITY AS v(gamer_id, amount, reason, ref, balance_after, at, n) ORDER BY n",
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s, %s)",
            [(*row[:5], adapt(row[5])) for row in rows],
        )
