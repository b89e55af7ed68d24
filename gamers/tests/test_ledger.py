"""The coin ledger's bulk form (gamers.services.ledger): balances move by the sum of their entries,
every entry is a ledger row with a running balance_after, inside the caller's transaction, in a
constant number of statements."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from common.errors import NotFound
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import CoinEntry, coins_apply_many, coins_lock_many
from testsupport.testing import run_in_threads

ATTEMPT, PRIZE = CoinTransaction.Reason.ATTEMPT, CoinTransaction.Reason.PRIZE


def balances_match_ledger() -> bool:
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    return all(coins == ledger.get(pk, 0) for pk, coins in Gamer.objects.values_list("id", "coins"))


@pytest.mark.django_db
def test_balances_move_by_the_sum_and_each_entry_is_a_row_in_order_with_its_running_balance():
    a, b = make_gamer("ledger a"), make_gamer("ledger b")
    start_a, start_b = a.coins, b.coins
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with transaction.atomic():
        balances = coins_apply_many(
            [
                CoinEntry(a.pk, -3, ATTEMPT, "trivia.round:1"),
                CoinEntry(b.pk, 40, PRIZE, "trivia.round:1"),
                CoinEntry(a.pk, -3, ATTEMPT, "trivia.round:1"),
                CoinEntry(a.pk, 25, PRIZE, "trivia.round:2"),
            ],
            at=at,
        )
    assert balances == {a.pk: start_a + 19, b.pk: start_b + 40}
    assert dict(Gamer.objects.filter(pk__in=[a.pk, b.pk]).values_list("id", "coins")) == balances
    rows = CoinTransaction.objects.filter(created_at=at).order_by("id")
    assert list(rows.values_list("gamer_id", "amount", "reason", "ref", "balance_after")) == [
        (a.pk, -3, "attempt", "trivia.round:1", start_a - 3),
        (b.pk, 40, "prize", "trivia.round:1", start_b + 40),
        (a.pk, -3, "attempt", "trivia.round:1", start_a - 6),
        (a.pk, 25, "prize", "trivia.round:2", start_a + 19),
    ]
    assert balances_match_ledger()


@pytest.mark.django_db
def test_an_entry_can_carry_its_own_time_and_the_rest_default_to_now():
    gamer = make_gamer("time traveller")
    joined = datetime(2025, 9, 1, tzinfo=UTC)
    with transaction.atomic():
        coins_apply_many([CoinEntry(gamer.pk, 5, PRIZE, at=joined), CoinEntry(gamer.pk, 1, PRIZE)])
    first, second = CoinTransaction.objects.filter(reason="prize").order_by("id")
    assert first.created_at == joined
    assert second.created_at > joined


@pytest.mark.django_db(transaction=True)
def test_the_bulk_calls_refuse_to_run_outside_the_callers_transaction():
    gamer = make_gamer("autocommit")
    with pytest.raises(RuntimeError, match="coins_apply_many must run inside"):
        coins_apply_many([CoinEntry(gamer.pk, 5, PRIZE)])
    with pytest.raises(RuntimeError, match="coins_lock_many must run inside"):
        coins_lock_many([gamer.pk])
    assert Gamer.objects.get(pk=gamer.pk).coins == gamer.coins
    assert balances_match_ledger()


@pytest.mark.django_db
def test_an_unknown_gamer_fails_the_call_and_the_rollback_undoes_the_others():
    gamer = make_gamer("real one")
    with pytest.raises(NotFound), transaction.atomic():
        coins_apply_many([CoinEntry(gamer.pk, 5, PRIZE), CoinEntry(10**9, 5, PRIZE)])
    assert Gamer.objects.get(pk=gamer.pk).coins == gamer.coins
    assert balances_match_ledger()


@pytest.mark.django_db
def test_a_balance_below_zero_at_any_entry_fails_even_if_later_entries_would_cover_it():
    gamer = make_gamer("overdrawn")
    with pytest.raises(IntegrityError), transaction.atomic():
        coins_apply_many([CoinEntry(gamer.pk, -gamer.coins - 1, ATTEMPT), CoinEntry(gamer.pk, 50, PRIZE)])
    assert Gamer.objects.get(pk=gamer.pk).coins == gamer.coins
    assert balances_match_ledger()


@pytest.mark.django_db
def test_lock_many_reads_the_balances_of_the_gamers_that_exist():
    a, b = make_gamer("lock a"), make_gamer("lock b")
    with transaction.atomic():
        assert coins_lock_many([b.pk, a.pk, 10**9, a.pk]) == {a.pk: a.coins, b.pk: b.coins}
        assert coins_lock_many([]) == {}
        assert coins_apply_many([]) == {}


@pytest.mark.django_db
def test_the_bulk_form_costs_the_same_statements_whatever_the_number_of_entries():
    gamers = [make_gamer(f"bulk {i}") for i in range(20)]
    postgres = connection.vendor == "postgresql"

    def statements(entries: list[CoinEntry]) -> list[str]:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            coins_apply_many(entries)
        # An executemany is recorded as "N times: <sql>": one statement, pipelined.
        return [
            re.sub(r"^\d+ times: ", "", q["sql"]).split()[0]
            for q in queries.captured_queries
            if "SAVEPOINT" not in q["sql"]
        ]

    small = statements([CoinEntry(gamers[0].pk, 1, PRIZE)])
    large = statements([CoinEntry(gamers[i % 20].pk, 1 + i % 3, PRIZE) for i in range(60)])
    # PostgreSQL: one UPDATE ... RETURNING, one INSERT. SQLite: executemany UPDATE, a SELECT, executemany INSERT.
    assert small == large == (["UPDATE", "INSERT"] if postgres else ["UPDATE", "SELECT", "INSERT"])
    assert balances_match_ledger()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_bulk_callers_that_lock_first_lose_no_update_and_keep_every_ledger():
    gamers = [make_gamer(f"racer {i}") for i in range(5)]
    ids = [g.pk for g in gamers]
    before = sum(g.coins for g in gamers)

    def pay(i: int) -> dict[int, int]:
        # Each thread moves coins around all five players, in its own order, 10 times.
        for n in range(10):
            with transaction.atomic():
                order = ids[i % 5 :] + ids[: i % 5]
                coins_lock_many(order)
                coins_apply_many(
                    [CoinEntry(order[0], -1, ATTEMPT, f"race:{i}:{n}"), CoinEntry(order[1], 1, PRIZE, f"race:{i}:{n}")]
                    + [CoinEntry(pk, 2, PRIZE, f"race:{i}:{n}") for pk in order[2:]]
                )
        return {}

    results = run_in_threads(8, pay)
    assert all(r == {} for r in results), results
    after = dict(Gamer.objects.filter(pk__in=ids).values_list("id", "coins"))
    # Per round: -1 + 1 + 3 * 2 = +6; 8 threads x 10 rounds, none lost.
    assert sum(after.values()) == before + 8 * 10 * 6
    assert CoinTransaction.objects.filter(ref__startswith="race:").count() == 8 * 10 * 5
    assert balances_match_ledger()
