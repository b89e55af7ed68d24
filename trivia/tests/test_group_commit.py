"""Attempts decided in groups (trivia.services.attempts, trivia.batching): arrival order, one
winner, exact costs and ledger rows, a constant number of statements per group, and one bad
attempt failing alone."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db.models import Sum

from common.errors import InvalidInput, NotFound
from conftest import make_gamer
from gamers.models import CoinTransaction, Gamer
from gamers.services import InsufficientFunds, coins_apply
from testsupport.testing import run_in_threads
from trivia import services
from trivia.batching import GroupRunner, new_attempt_batcher
from trivia.models import Attempt, Round
from trivia.services import AttemptRequest, AttemptResult, NoRound, attempts_submit
from trivia.tests.factories import start_round


def request(gamer, message) -> AttemptRequest:
    return AttemptRequest(gamer.pk, gamer.username, message)


def assert_balances_match_ledger() -> None:
    ledger = dict(CoinTransaction.objects.values_list("gamer").annotate(s=Sum("amount")).values_list("gamer", "s"))
    for gamer_id, coins in Gamer.objects.values_list("id", "coins"):
        assert coins == ledger.get(gamer_id, 0), gamer_id


@pytest.mark.django_db
def test_a_group_is_decided_in_arrival_order_with_exact_costs_and_one_winner(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 2
    settings.TRIVIA_ATTEMPT_COST = 3
    round_ = start_round("Paris", value=40)
    rich, broke, winner = make_gamer("rich one"), make_gamer("broke one"), make_gamer("quick one")
    coins_apply(gamer_id=broke.pk, amount=-broke.coins + 2, reason=CoinTransaction.Reason.ADJUSTMENT)
    results = attempts_submit(
        [
            request(rich, "lyon"),  # free
            request(broke, "nice"),  # free
            request(rich, "lille"),  # free (the second)
            request(rich, "  "),  # refused, not counted
            request(broke, "metz"),  # free (the second)
            request(broke, "brest"),  # would cost 3 of its 2 coins
            request(rich, "nantes"),  # costs 3
            request(winner, "PARIS"),  # free, wins 40
            request(rich, "paris"),  # too late: the round is over
        ]
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["AttemptResult"] * 3 + ["InvalidInput", "AttemptResult", "InsufficientFunds"] + [
        "AttemptResult",
        "AttemptResult",
        "NoRound",
    ]
    assert [(r.cost, r.free_attempts_left) for r in results if isinstance(r, AttemptResult)] == [
        (0, 1),
        (0, 1),
        (0, 0),
        (0, 0),
        (3, 0),
        (0, 1),
    ]
    assert results[7].correct and results[7].prize == 40 and results[7].coin_diffs == [40]
    assert results[6].coin_diffs == [-3]
    # Written in arrival order, without the refused ones.
    assert list(Attempt.objects.order_by("id").values_list("message", "cost", "prize")) == [
        ("lyon", 0, 0),
        ("nice", 0, 0),
        ("lille", 0, 0),
        ("metz", 0, 0),
        ("nantes", 3, 0),
        ("PARIS", 0, 40),
    ]
    round_.refresh_from_db()
    assert (round_.state, round_.winner_id, round_.prize) == (Round.State.ENDED, winner.pk, 40)
    before = {rich.pk: rich.coins, broke.pk: 2, winner.pk: winner.coins}
    after = dict(Gamer.objects.filter(pk__in=before).values_list("id", "coins"))
    assert after == {rich.pk: before[rich.pk] - 3, broke.pk: 2, winner.pk: before[winner.pk] + 40}
    ledger = CoinTransaction.objects.filter(ref=f"trivia.round:{round_.pk}")
    assert sorted(ledger.values_list("gamer_id", "amount", "balance_after")) == sorted(
        [(rich.pk, -3, after[rich.pk]), (winner.pk, 40, after[winner.pk])]
    )
    assert_balances_match_ledger()


@pytest.mark.django_db
def test_a_paid_winning_attempt_writes_its_cost_then_its_prize(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 0
    settings.TRIVIA_ATTEMPT_COST = 1
    round_ = start_round("Tunis", value=30)
    gamer = make_gamer("payer")
    (result,) = attempts_submit([request(gamer, "tunis")])
    assert (result.cost, result.prize, result.coin_diffs) == (1, 30, [-1, 30])
    rows = CoinTransaction.objects.filter(ref=f"trivia.round:{round_.pk}").order_by("id")
    start = gamer.coins
    assert list(rows.values_list("amount", "balance_after")) == [(-1, start - 1), (30, start + 29)]
    assert_balances_match_ledger()


@pytest.mark.django_db
def test_a_group_costs_the_same_few_statements_whatever_its_size(settings, django_assert_max_num_queries):
    settings.TRIVIA_FREE_ATTEMPTS = 1
    start_round("Carthage")
    gamers = [make_gamer(f"grouped {i}") for i in range(10)]
    group = [request(gamers[i % 10], f"guess {i}") for i in range(40)]
    # The round, the players' rows, their counts, balances, attempts, ledger (+ savepoints).
    with django_assert_max_num_queries(10):
        results = attempts_submit(group)
    assert all(isinstance(r, AttemptResult) for r in results)
    assert Attempt.objects.count() == 40 and CoinTransaction.objects.filter(reason="attempt").count() == 30
    assert_balances_match_ledger()


@pytest.mark.django_db
def test_a_failing_attempt_fails_alone_and_the_rest_of_its_group_is_decided(monkeypatch):
    start_round("Sousse", value=20)
    a, b = make_gamer("first player"), make_gamer("second player")
    real = services.attempts.rules.is_correct

    def breaks_on_boom(message: str, answer: str) -> bool:
        if message == "boom":
            raise RuntimeError("this attempt breaks the group")
        return real(message, answer)

    monkeypatch.setattr(services.attempts.rules, "is_correct", breaks_on_boom)
    results = attempts_submit([request(a, "monastir"), request(b, "boom"), request(a, "sousse")])
    assert isinstance(results[0], AttemptResult) and not results[0].correct
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[2], AttemptResult) and results[2].correct
    assert list(Attempt.objects.order_by("id").values_list("message", flat=True)) == ["monastir", "sousse"]
    assert_balances_match_ledger()


@pytest.mark.django_db
def test_no_round_and_a_deleted_account_fail_their_attempts_only():
    gamer = make_gamer("lonely")
    (result,) = attempts_submit([request(gamer, "anything")])
    assert isinstance(result, NoRound)
    start_round("Kairouan")
    ghost = AttemptRequest(10**9, "ghost", "kairouan")
    results = attempts_submit([ghost, request(gamer, "kairouan")])
    assert isinstance(results[0], NotFound) and results[1].correct


@pytest.mark.django_db(transaction=True)
async def test_the_batcher_groups_concurrent_attempts_and_answers_each_with_its_own_outcome(settings):
    settings.TRIVIA_ATTEMPT_GATHER_SECONDS = 0.05
    settings.TRIVIA_FREE_ATTEMPTS = 1
    await database_sync_to_async(start_round)("Djerba", value=60)
    gamers = await database_sync_to_async(lambda: [make_gamer(f"batched {i}") for i in range(6)])()
    broke = gamers[5]
    await database_sync_to_async(coins_apply)(gamer_id=broke.pk, amount=-broke.coins, reason="adjustment")
    batcher = new_attempt_batcher()
    authors_and_messages = [
        (gamers[0], "tozeur"),  # free
        (gamers[3], ""),  # refused
        (gamers[0], "gabes"),  # paid
        (broke, "sfax"),  # free
        (broke, "bizerte"),  # can't pay
        (gamers[1], "djerba"),  # wins
        (gamers[2], "DJERBA"),  # too late
    ]
    outcomes = await asyncio.gather(
        *(batcher.submit(request(g, m)) for g, m in authors_and_messages), return_exceptions=True
    )
    assert batcher.batch_sizes == [7]  # one group for all seven
    assert [type(o).__name__ for o in outcomes] == [
        "AttemptResult",
        "InvalidInput",
        "AttemptResult",
        "AttemptResult",
        "InsufficientFunds",
        "AttemptResult",
        "NoRound",
    ]
    assert [outcomes[0].cost, outcomes[2].cost, outcomes[3].cost] == [0, 1, 0]
    assert outcomes[5].correct and outcomes[5].prize == 60
    assert isinstance(outcomes[1], InvalidInput) and isinstance(outcomes[4], InsufficientFunds)
    await database_sync_to_async(assert_balances_match_ledger)()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_groups_racing_from_many_threads_make_one_winner_and_keep_every_ledger(settings):
    settings.TRIVIA_FREE_ATTEMPTS = 1
    settings.TRIVIA_ATTEMPT_COST = 2
    round_ = start_round("Hammamet", value=70)
    gamers = [make_gamer(f"threaded {i:02d}") for i in range(24)]

    def group(t: int) -> list:
        mine = gamers[t * 3 : t * 3 + 3]
        attempts = [request(g, f"wrong {t} {k}") for k in range(3) for g in mine]
        attempts.insert(4, request(mine[1], "hammamet"))
        return attempts_submit(attempts)

    results = [r for group_results in run_in_threads(8, group) for r in group_results]
    winners = [r for r in results if isinstance(r, AttemptResult) and r.correct]
    assert len(winners) == 1 and winners[0].prize == 70
    assert all(isinstance(r, AttemptResult | NoRound) for r in results), results
    round_.refresh_from_db()
    assert round_.state == Round.State.ENDED
    assert Attempt.objects.filter(prize__gt=0).count() == 1
    assert CoinTransaction.objects.filter(reason="prize").count() == 1
    paid = Attempt.objects.aggregate(s=Sum("cost"))["s"]
    assert -paid == CoinTransaction.objects.filter(reason="attempt").aggregate(s=Sum("amount"))["s"]
    assert_balances_match_ledger()


@pytest.mark.django_db
async def test_group_runner_hands_each_caller_its_own_result_or_error():
    def work(items: list[int]) -> list[int | Exception]:
        return [ValueError(f"bad {i}") if i % 3 == 0 else i * 10 for i in items]

    runner: GroupRunner[int, int] = GroupRunner(work)
    outcomes = await asyncio.gather(*(runner.submit(i) for i in range(1, 8)), return_exceptions=True)
    assert [o if isinstance(o, int) else str(o) for o in outcomes] == [10, 20, "bad 3", 40, 50, "bad 6", 70]
    assert runner.batch_sizes == [7]  # queued in the same loop turn: one batch

    def broken(items: list[int]) -> list[int]:
        raise RuntimeError("database down")

    failing: GroupRunner[int, int] = GroupRunner(broken)
    outcomes = await asyncio.gather(*(failing.submit(i) for i in range(3)), return_exceptions=True)
    assert [str(o) for o in outcomes] == ["database down"] * 3
    # The runner recovers for the next callers.
    assert await runner.submit(2) == 20
